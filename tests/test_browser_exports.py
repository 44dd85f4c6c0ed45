"""Exact exports and the forgiving search in a real browser, as a researcher uses them: `monitor
serve` over a database of 2,026 articles whose publication times tie (tests/tieddb.py), driven
by headless Chromium (helpers from tests/test_browser.py). Screenshots go to
test-artifacts/browser/."""

from __future__ import annotations

import csv
import io
import sqlite3

import pytest

from tests.test_browser import ARTIFACTS, browser_page, serve


@pytest.fixture(scope="module")
def sql(tied):
    connection = sqlite3.connect(tied)
    yield lambda query: sorted(row[0] for row in connection.execute(query))
    connection.close()


@pytest.fixture(scope="module")
def server(tied):
    yield from serve(tied)


@pytest.fixture(scope="module")
def page(server):
    yield from browser_page()


def shown_ids(page) -> list[int]:
    return [int(text) for text in page.locator("table.rows-and-columns td.col-id").all_inner_texts()]


def every_page(page) -> list[int]:
    """The ids of this page and of every page its "Next page" links lead to."""
    ids = shown_ids(page)
    while page.get_by_role("link", name="Next page").count():
        page.get_by_role("link", name="Next page").click()
        page.wait_for_load_state()
        ids += shown_ids(page)
    return ids


def test_paging_a_date_facet_with_ties_shows_each_article_once(page, server, sql):
    page.goto(server + "/tied/articles")
    page.locator(".facet-info[data-column=published_at] a", has_text="2024-04-17").first.click()
    page.wait_for_url("**published_at__date=2024-04-17**")
    page.screenshot(path=str(ARTIFACTS / "tied-date-facet.png"), full_page=True)
    ids = every_page(page)
    expected = sql("select id from articles where date(published_at) = '2024-04-17'")
    assert len(expected) > 100  # more than two pages of 50, ties among them
    assert len(ids) == len(set(ids)) and sorted(ids) == expected
    assert not page.errors, page.errors


def test_paging_the_whole_table_shows_each_article_once(page, server, sql):
    page.goto(server + "/tied/articles?_size=500")
    ids = every_page(page)
    assert len(ids) == len(set(ids)) and sorted(ids) == sql("select id from articles")


def test_a_canned_query_csv_past_the_cap_holds_every_row(page, server, sql):
    page.goto(server + "/tied/unique_articles")
    note = page.locator(".monitor-note")
    expected = sql("select id from distinct_articles")
    assert note.inner_text() == f"This page shows the first 1,000 of {len(expected):,} rows; the CSV holds all of them."
    assert page.locator("table.rows-and-columns tbody tr").count() == 1000
    page.screenshot(path=str(ARTIFACTS / "canned-query-note.png"))
    response = page.request.get(server + note.locator("a").get_attribute("href"))
    rows = list(csv.DictReader(io.StringIO(response.text())))
    ids = [int(row["id"]) for row in rows]
    assert len(ids) == len(set(ids)) and sorted(ids) == expected
    assert not page.errors, page.errors


@pytest.mark.parametrize(
    "typed, language, marked",  # marked: the words highlighted in the first title
    [
        ("Nagorno-Karabakh", "en", ["Nagorno", "Karabakh"]),
        ("Russia's", "en", []),  # in the text only, which the table does not show
        ("U.S.", "en", []),
        ("Karabakh:", "en", ["Karabakh"]),
        ("sülhməramlı*", "az", ["SÜLHMƏRAMLI"]),  # the capitals of ı, found and marked
        ("SÜLHMƏRAMLILARIN*", "az", []),
    ],
)
def test_the_search_box_forgives_and_highlights(page, server, sql, typed, language, marked):
    page.goto(server + "/tied/articles")
    page.fill("#_search", typed)
    page.locator("form.filters input[type=submit]").click()
    page.wait_for_url("**_search=**")
    assert page.locator(".message-error").count() == 0
    expected = len(sql(f"select id from articles where language = '{language}'"))
    assert f"{expected:,} rows where search matches" in page.locator("h3").first.inner_text()
    assert set(page.locator("td.col-language").all_inner_texts()) == {language}
    assert page.locator("td.col-title").first.locator("mark").all_inner_texts() == marked
    assert page.input_value("#_search") == typed  # the form keeps what was typed
    page.locator("table.rows-and-columns").screenshot(path=str(ARTIFACTS / f"search-{language}-{len(typed)}.png"))
    assert not page.errors, page.errors


def test_best_matches_first_lists_the_same_search(page, server, sql):
    page.goto(server + "/tied/articles?_search=Nagorno-Karabakh")
    page.get_by_role("link", name="Best matches first").click()
    page.wait_for_url("**/tied/search_articles?term=Nagorno-Karabakh")
    assert page.locator("table.rows-and-columns tbody tr").count() == len(
        sql("select id from articles where language = 'en'")
    )
    assert not page.errors, page.errors


def test_the_csv_options_offer_a_byte_order_mark_for_excel(page, server, sql):
    page.goto(server + "/tied/articles?language=hy")
    page.get_by_label("download file").check()
    page.get_by_label("for Excel (byte-order mark)").check()
    with page.expect_download() as download:
        page.get_by_role("button", name="Export CSV").click()
    body = download.value.path().read_bytes()
    assert body.startswith("\ufeff".encode())
    ids = [int(row["id"]) for row in csv.DictReader(io.StringIO(body.decode("utf-8-sig")))]
    assert sorted(ids) == sql("select id from articles where language = 'hy'")
    assert not page.errors, page.errors
