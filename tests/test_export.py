"""`monitor export` for researchers: formula-safe CSV, --excel, --query, the data dictionary, and
the same filtered slice from `monitor export` and from Datasette's CSV."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import sqlite3

import pytest
from click.testing import CliRunner

from media_monitor.cli import cli
from media_monitor.db import DATA_DICTIONARY
from media_monitor.storage.export import EXPORT_COLUMNS, neutralise
from media_monitor.web.app import make_datasette


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def rows_of(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text)))


@pytest.fixture
def copy(crawled, tmp_path):
    """A copy of the crawled database, to plant hostile cells in."""
    target = tmp_path / "monitor.db"
    sqlite3.connect(crawled[0]).backup(sqlite3.connect(target))
    return target


@pytest.mark.parametrize(
    "cell, safe",
    [
        ('=HYPERLINK("http://evil.example","x")', '\'=HYPERLINK("http://evil.example","x")'),
        ("+cmd|' /C calc'!A0", "'+cmd|' /C calc'!A0"),
        ("-2+3+cmd|' /C calc'!A0", "'-2+3+cmd|' /C calc'!A0"),
        ("@SUM(1+9)*cmd|' /C calc'!A0", "'@SUM(1+9)*cmd|' /C calc'!A0"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        ("Peacekeepers leave", "Peacekeepers leave"),
        ("Миротворцы = уходят", "Миротворцы = уходят"),
        ("+04:00", "+04:00"),
        ("-3.5", "-3.5"),
        ("", ""),
        (None, None),
        (12, 12),
        (-0.5, -0.5),
    ],
)
def test_neutralise(cell, safe):
    assert neutralise(cell) == safe


def test_csv_cells_cannot_run_as_formulas(copy):
    with sqlite3.connect(copy) as conn:
        conn.execute(
            'update articles set title = \'=HYPERLINK("http://evil.example","click")\', '
            "description = '@SUM(A1:A9)', text = '-1+1+cmd|'' /C calc''!A0' || char(10) || 'more' "
            "where id = (select min(id) from articles where duplicate_of is null)"
        )
    rows = rows_of(invoke("export", "--db", str(copy)).output)
    planted = next(r for r in rows if "HYPERLINK" in r["title"])
    assert planted["title"] == '\'=HYPERLINK("http://evil.example","click")'
    assert planted["description"] == "'@SUM(A1:A9)" and planted["text"].startswith("'-1+1+cmd")
    assert all(
        not r[c].startswith(("=", "+", "-", "@", "\t", "\r")) or re.fullmatch(r"[+-]\d\d:\d\d", r[c])
        for r in rows
        for c in EXPORT_COLUMNS
    )
    offsets = {r["published_offset"] for r in rows}
    assert "+04:00" in offsets  # UTC offsets stay as they are

    raw = rows_of(invoke("export", "--db", str(copy), "--raw-cells").output)
    assert next(r for r in raw if "HYPERLINK" in r["title"])["title"].startswith("=HYPERLINK")
    jsonl = invoke("export", "--db", str(copy), "--format", "jsonl").output
    assert '"title": "=HYPERLINK' in jsonl  # JSON Lines keeps the stored value


def test_excel_csv_has_a_byte_order_mark(crawled, tmp_path):
    out = tmp_path / "excel.csv"
    assert invoke("export", "--db", str(crawled[0]), "--excel", "--language", "hy", "-o", str(out)).exit_code == 0
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbfid,outlet,")
    text = data.decode("utf-8-sig")
    assert "խաղաղապահ" in text and rows_of(text)
    stdout = CliRunner().invoke(cli, ["export", "--db", str(crawled[0]), "--excel", "--language", "ru"])
    assert (
        stdout.stdout_bytes.startswith(b"\xef\xbb\xbf")
        and "миротвор" in stdout.stdout_bytes.decode("utf-8-sig").lower()
    )
    plain = invoke("export", "--db", str(crawled[0]), "--language", "ru")
    assert plain.stdout_bytes.startswith(b"id,")
    refused = CliRunner().invoke(cli, ["export", "--db", str(crawled[0]), "--excel", "--format", "jsonl"])
    assert refused.exit_code == 2 and "--excel" in refused.output


def test_query_filters_through_the_full_text_index(crawled, db):
    rows = rows_of(invoke("export", "--db", str(crawled[0]), "--query", "Khojaly").output)
    expected = db.execute(
        "select count(*) from articles where duplicate_of is null and id in "
        "(select rowid from articles_fts where articles_fts match 'Khojaly')"
    ).fetchone()[0]
    assert rows and len(rows) == expected
    assert all("khojaly" in (r["title"] + r["text"]).lower() for r in rows)
    armenian = rows_of(invoke("export", "--db", str(crawled[0]), "--query", "Ղարաբաղ*").output)
    assert armenian and {r["language"] for r in armenian} == {"hy"}
    bad = CliRunner().invoke(cli, ["export", "--db", str(crawled[0]), "--query", "( )"])
    assert bad.exit_code == 2 and "has no word to search for" in bad.output


@pytest.mark.parametrize(
    "cli_filters, datasette_filters",
    [
        (
            ["--language", "en", "--since", "2024-04-01", "--until", "2024-05-31"],
            "language=en&published_at__gte=2024-04-01&published_at__lt=2024-06-01",
        ),
        (["--query", "миротвор*"], "_search=миротвор*"),
        (
            ["--outlet", "ararat_en", "--outlet", "herald_en", "--query", "Khojaly OR withdrawal"],
            "outlet__in=ararat_en,herald_en&_search=Khojaly OR withdrawal",
        ),
    ],
)
def test_monitor_export_and_datasette_csv_give_the_same_slice(crawled, cli_filters, datasette_filters):
    exported = rows_of(invoke("export", "--db", str(crawled[0]), "--raw-cells", *cli_filters).output)
    small = make_datasette(crawled[0], settings={"default_page_size": 2})  # several pages: streamed
    response = asyncio.run(
        small.client.get(f"/monitor/articles.csv?{datasette_filters}&duplicate_of__isnull=1&_sort=id&_stream=on")
    )
    assert response.status_code == 200, response.text
    served = rows_of(response.text)
    assert len(exported) > 2 and len(served) == len(exported)
    by_id = {r["id"]: r for r in served}
    assert set(by_id) == {r["id"] for r in exported}
    shared = [c for c in EXPORT_COLUMNS if c in served[0]]
    assert len(shared) == len(EXPORT_COLUMNS) - 1  # all but cluster_size, which export adds
    for row in exported:
        assert {c: row[c] for c in shared} == {c: by_id[row["id"]][c] for c in shared}
    # the distinct_articles view (what the dashboard counts) serves the same slice, searchable too
    view = asyncio.run(small.client.get(f"/monitor/distinct_articles.csv?{datasette_filters}&_sort=id&_stream=on"))
    assert view.status_code == 200, view.text
    assert [r["id"] for r in rows_of(view.text)] == sorted((r["id"] for r in exported), key=int)


def test_data_dictionary_documents_every_export_column():
    text = DATA_DICTIONARY.read_text(encoding="utf-8")
    documented = re.findall(r"^\| `(\w+)` \|", text.split("## Columns", 1)[1], re.M)
    assert documented == list(EXPORT_COLUMNS)
    for option in ("--excel", "--raw-cells", "--query", "--include-duplicates", "--one-per-cluster"):
        assert option in text
