"""Search that forgives: queries as people type them (storage/search.py), days as people type
them (normalise/days.py), and `monitor export --query/--outlet/--language` over a database of
2,026 articles (tests/tieddb.py)."""

from __future__ import annotations

import csv
import io
import sqlite3

import pytest
from click.testing import CliRunner

from media_monitor.cli import cli
from media_monitor.normalise.days import read_day
from media_monitor.storage.search import dotted_readings, forgiving_query, fts_error

TEXTS = {
    1: "Nagorno-Karabakh: Russia's peacekeepers leave, the U.S. says",
    2: "Karabakh convoy",
    3: "SÜLHMƏRAMLI QÜVVƏLƏR",
    4: "Rusiya sülhməramlılarının çıxarılması",
    5: "İŞĞAL başa çatdı",
    6: "Миротворцы покидают Карабах",
}


@pytest.fixture(scope="module")
def fts():
    """An articles_fts as the migrations make it (FTS5, unicode61) holding TEXTS."""
    connection = sqlite3.connect(":memory:")
    connection.execute("create virtual table articles_fts using fts5(title, text)")
    connection.executemany("insert into articles_fts(rowid, title, text) values (?, ?, '')", TEXTS.items())
    return connection


def found(fts, query: str) -> set[int]:
    rows = fts.execute("select rowid from articles_fts where articles_fts match ?", [forgiving_query(query)])
    return {row[0] for row in rows}


@pytest.mark.parametrize(
    "typed, found_ids",
    [
        ("Nagorno-Karabakh", {1}),  # FTS5: no such column: Karabakh
        ("Russia's", {1}),  # syntax error near "'"
        ("U.S.", {1}),  # syntax error near "."
        ("Karabakh:", {1, 2}),  # no such column
        ("Karabakh: convoy", {2}),
        ("SÜLHMƏRAMLI*", {3, 4}),  # capitals find the lower-case text
        ("sülhməramlı*", {3, 4}),  # and lower case finds the capitals
        ("Sülhməramlılarının", {4}),
        ("işğal", {5}),
        ("İŞĞAL", {5}),
        ("Karabakh OR Карабах", {1, 2, 6}),  # operators keep their meaning
        ("Karabakh NOT convoy", {1}),
        ('"Karabakh convoy"', {2}),
        ("title:convoy", {2}),
        ("миротвор*", {6}),
        ("Karabakh OR", {1, 2}),  # a dangling operator is dropped
        ('"unclosed Karabakh', set()),  # the phrase "unclosed karabakh"
        ("NOT convoy", {2}),  # NOT first cannot exclude: the word is searched
        ("Nagorno-Karabakh OR İŞĞAL", {1, 5}),
    ],
)
def test_a_typed_query_finds_what_it_says(fts, typed, found_ids):
    assert fts_error(forgiving_query(typed)) is None
    assert found(fts, typed) == found_ids


@pytest.mark.parametrize(
    "typed, query",
    [
        ("Karabakh", "Karabakh"),  # FTS5 reads it: as typed
        ("миротвор* OR Ղարաբաղ*", "миротвор* OR Ղարաբաղ*"),
        ("Nagorno-Karabakh", '"Nagorno-Karabakh"'),
        ("U.S. convoy", '"U.S." "convoy"'),
        ("title:Nagorno-Karabakh", 'title : "Nagorno-Karabakh"'),
        ("SÜLHMƏRAMLI*", '("SÜLHMƏRAMLI"* OR "SÜLHMƏRAMLı"*)'),
        ("( )", ""),  # nothing to search
        ("   ", ""),
    ],
)
def test_forgiving_query(typed, query):
    assert forgiving_query(typed) == query


@pytest.mark.parametrize(
    "word, readings",
    [
        ("convoy", ["convoy"]),
        ("SÜLHMƏRAMLI", ["SÜLHMƏRAMLI", "SÜLHMƏRAMLı"]),
        ("sülhməramlı", ["sülhməramlı", "sülhməramli"]),
        ("ILHAM", ["ILHAM", "ıLHAM"]),
        ("İŞĞAL", ["İŞĞAL"]),  # İ folds to i in every reading
    ],
)
def test_dotted_readings(word, readings):
    assert dotted_readings(word) == readings


@pytest.mark.parametrize(
    "typed, day",
    [
        ("2024-04-17", "2024-04-17"),
        ("2024-4-17", "2024-04-17"),
        (" 2024/04/17 ", "2024-04-17"),
        ("2024-04-17T10:30:00Z", "2024-04-17"),
        ("20240417", "2024-04-17"),
        ("17/04/2024", "2024-04-17"),
        ("17.04.2024", "2024-04-17"),
        ("7-4-2024", "2024-04-07"),  # day first
        ("04/17/2024", "2024-04-17"),  # 17 cannot be a month
        ("17 April 2024", "2024-04-17"),
        ("17 apr. 2024", "2024-04-17"),
        ("April 17, 2024", "2024-04-17"),
        ("17th April 2024", "2024-04-17"),
        ("31/02/2024", None),
        ("2024-13-01", None),
        ("17 Apribl 2024", None),
        ("yesterday", None),
        ("", None),
    ],
)
def test_read_day(typed, day):
    assert read_day(typed) == day


def export(*args: str):
    return CliRunner().invoke(cli, ["export", *args])


@pytest.mark.parametrize("query", ["Nagorno-Karabakh", "Russia's", "U.S.", "Karabakh:"])
def test_export_query_forgives_like_the_search_box(tied, query):
    result = export("--db", str(tied), "--query", query, "--include-duplicates")
    assert result.exit_code == 0, result.output
    ids = {int(row["id"]) for row in csv.DictReader(io.StringIO(result.output))}
    with sqlite3.connect(tied) as connection:
        english = {row[0] for row in connection.execute("select id from articles where language = 'en'")}
    assert ids == english


def test_export_query_folds_azerbaijani_capitals(tied):
    upper = export("--db", str(tied), "--query", "SÜLHMƏRAMLILARIN*", "--include-duplicates")
    lower = export("--db", str(tied), "--query", "sülhməramlıların*", "--include-duplicates")
    ids = [{row["id"] for row in csv.DictReader(io.StringIO(r.output))} for r in (upper, lower)]
    with sqlite3.connect(tied) as connection:
        (azerbaijani,) = connection.execute("select count(*) from articles where language = 'az'").fetchone()
    assert len(ids[0]) == len(ids[1]) == azerbaijani


@pytest.mark.parametrize(
    "option, value, message",
    [
        ("--outlet", "nosuch", "no outlet named nosuch in {db} (it has: agency_az, daily_ru, news_hy, wire_en)"),
        ("--language", "xx", "no language named xx in {db} (it has: az, en, hy, ru)"),
        ("--query", "( )", "has no word to search for"),
    ],
)
def test_export_names_what_it_cannot_find(tied, option, value, message):
    result = export("--db", str(tied), option, value)
    assert result.exit_code == 2 and message.format(db=tied) in " ".join(result.output.split())
