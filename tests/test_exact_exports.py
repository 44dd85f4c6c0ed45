"""Datasette's pages and exports hold every row exactly once, over a database of 2,026 articles
whose publication times tie (tests/tieddb.py: 7 a minute, 130 at midnight of one day): paging,
facets, filters, search, the table CSV, the canned queries' CSV past 1,000 rows, the dates people
type, spreadsheet-safe cells and the byte-order mark. Through Datasette's own client."""

from __future__ import annotations

import asyncio
import csv
import io
import sqlite3
import urllib.parse

import pytest

from media_monitor.web.app import make_datasette
from media_monitor.web.csvsafe import SafeCsvBody, neutralised_records


@pytest.fixture(scope="module")
def datasette(tied):
    return make_datasette(tied)


@pytest.fixture(scope="module")
def sql(tied):
    connection = sqlite3.connect(tied)

    def ids(query: str, *params) -> list[int]:
        return [row[0] for row in connection.execute(query, params)]

    yield ids
    connection.close()


def get(datasette, path):
    return asyncio.run(datasette.client.get(path))


def paged_ids(datasette, path: str) -> list[int]:
    """Every id of a JSON table view, following its next links page by page."""
    ids = []
    while path:
        data = get(datasette, path).json()
        ids += [row["id"] for row in data["rows"]]
        next_url = data.get("next_url")
        path = urllib.parse.urlsplit(next_url)._replace(scheme="", netloc="").geturl() if next_url else None
    return ids


def csv_rows(response) -> list[dict]:
    assert response.status_code == 200, response.text[:500]
    return list(csv.DictReader(io.StringIO(response.text)))


def test_the_tied_database_ties_more_rows_than_a_page_holds(sql):
    largest_tie = sql("select count(*) as n from articles group by published_at order by n desc limit 1")[0]
    assert largest_tie > 50  # the default page size


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/tied/articles.json?_shape=objects", "select id from articles"),
        ("/tied/articles.json?_shape=objects&_size=7", "select id from articles"),
        ("/tied/articles.json?_shape=objects&_sort=published_at", "select id from articles"),
        (  # a date facet's selection
            "/tied/articles.json?_shape=objects&published_at__date=2024-04-17",
            "select id from articles where date(published_at) = '2024-04-17'",
        ),
        (
            "/tied/articles.json?_shape=objects&language=az&_search=sülhməramlı*",
            "select id from articles where language = 'az'",
        ),
        ("/tied/distinct_articles.json?_shape=objects", "select id from distinct_articles"),
        (
            "/tied/distinct_articles.json?_shape=objects&outlet=wire_en",
            "select id from distinct_articles where outlet = 'wire_en'",
        ),
    ],
)
def test_paging_shows_every_row_exactly_once(datasette, sql, path, expected):
    ids = paged_ids(datasette, path)
    assert len(ids) == len(set(ids))
    assert sorted(ids) == sorted(sql(expected))


def test_the_first_page_is_in_the_order_the_next_ones_continue(datasette, sql):
    first = get(datasette, "/tied/articles.json?_shape=objects&_col=published_at").json()["rows"]
    assert [row["id"] for row in first] == sql("select id from articles order by published_at desc, id limit 50")


@pytest.mark.parametrize(
    "path, expected",
    [
        ("/tied/articles.csv?_labels=on", "select id from articles"),  # the page's CSV link
        ("/tied/articles.csv?_labels=on&_size=max", "select id from articles"),
        ("/tied/articles.csv?language=ru&_size=3", "select id from articles where language = 'ru'"),
        ("/tied/distinct_articles.csv", "select id from distinct_articles"),
        ("/tied/unique_articles.csv", "select id from distinct_articles"),  # a canned query past 1,000 rows
        ("/tied.csv?sql=select+id+from+distinct_articles", "select id from distinct_articles"),
        (
            "/tied/search_articles.csv?term=Nagorno-Karabakh",
            "select id from articles where language = 'en'",
        ),
        (
            "/tied/coverage_between_dates.csv?since=17/04/2024&until=",
            "select id from distinct_articles where published_at >= '2024-04-17'",
        ),
    ],
)
def test_a_csv_holds_every_row_once(datasette, sql, path, expected):
    ids = [int(row["id"]) for row in csv_rows(get(datasette, path))]
    assert len(ids) == len(set(ids)) and len(ids) > 0
    assert sorted(ids) == sorted(sql(expected))


def test_an_sql_csv_holds_every_row_for_whoever_may_run_sql(datasette, tied, sql):
    path = "/tied.csv?" + urllib.parse.urlencode(
        {"sql": "select id, title from articles where language = :l", "l": "en"}
    )
    ids = [int(row["id"]) for row in csv_rows(get(datasette, path))]
    assert sorted(ids) == sorted(sql("select id from articles where language = 'en'")) and len(ids) > 500
    assert get(make_datasette(tied, public=True), path).status_code == 403
    assert get(datasette, "/tied.csv?sql=delete+from+articles").status_code == 400
    assert len(sql("select id from articles")) == 2026


def test_unique_articles_holds_more_rows_than_a_page(sql):
    assert len(sql("select id from distinct_articles")) > 1000  # Datasette's max_returned_rows


def test_a_canned_query_page_says_the_csv_holds_more(datasette, sql):
    total = len(sql("select id from distinct_articles"))
    page = get(datasette, "/tied/unique_articles").text
    assert f"This page shows the first 1,000 of {total:,} rows" in page
    assert "/tied/unique_articles.csv?" in page
    assert "This page shows" not in get(datasette, "/tied/first_report_per_outlet").text


@pytest.mark.parametrize(
    "since, until, where",
    [
        ("2024-04-18", "2024-04-18", "date(published_at) = '2024-04-18'"),
        ("18/04/2024", "18.04.2024", "date(published_at) = '2024-04-18'"),
        ("2024-4-18", "18 April 2024", "date(published_at) = '2024-04-18'"),
        ("", "17 April 2024", "date(published_at) <= '2024-04-17'"),
        ("April 29, 2024", "", "date(published_at) >= '2024-04-29'"),
    ],
)
def test_canned_query_dates_as_people_type_them(datasette, sql, since, until, where):
    query = urllib.parse.urlencode({"since": since, "until": until})
    ids = [int(row["id"]) for row in csv_rows(get(datasette, f"/tied/coverage_between_dates.csv?{query}"))]
    assert sorted(ids) == sorted(sql(f"select id from distinct_articles where {where}"))


def test_a_date_that_cannot_be_read_is_said(datasette):
    page = get(datasette, "/tied/coverage_between_dates?since=31/02/2024&until=2024-04-20")
    assert "since: &#39;31/02/2024&#39; is not a date; write 2024-04-17, 17/04/2024 or 17 April 2024" in page.text
    export = get(datasette, "/tied/coverage_between_dates.csv?since=31/02/2024")
    assert export.status_code == 400 and "since: '31/02/2024' is not a date" in export.text


@pytest.mark.parametrize(
    "filters, where",
    [
        ("published_at__lte=2024-04-18", "date(published_at) <= '2024-04-18'"),
        ("published_at__gt=2024-04-18", "date(published_at) > '2024-04-18'"),
        ("published_at__gte=2024-04-18&published_at__lte=2024-04-18", "date(published_at) = '2024-04-18'"),
        ("published_at__lte=2024-04-18T08:03:00Z", "published_at <= '2024-04-18T08:03:00Z'"),
    ],
)
def test_a_day_bound_takes_the_whole_day(datasette, sql, filters, where):
    data = get(datasette, f"/tied/articles.json?{filters}&_size=1").json()
    assert data["filtered_table_rows_count"] == len(sql(f"select id from articles where {where}"))


@pytest.mark.parametrize("query", ["Nagorno-Karabakh", "Russia's", "U.S.", "Karabakh:"])
def test_the_search_box_forgives(datasette, sql, query):
    path = "/tied/articles.json?" + urllib.parse.urlencode({"_search": query, "_shape": "objects"})
    assert sorted(paged_ids(datasette, path)) == sorted(sql("select id from articles where language = 'en'"))


def test_the_search_box_folds_azerbaijani_capitals(datasette, sql):
    azerbaijani = sorted(sql("select id from articles where language = 'az'"))
    for query in ("SÜLHMƏRAMLILARIN*", "sülhməramlıların*"):
        path = "/tied/articles.json?" + urllib.parse.urlencode({"_search": query, "_shape": "objects"})
        assert sorted(paged_ids(datasette, path)) == azerbaijani


def test_a_searched_page_highlights_and_offers_relevance(datasette):
    page = get(datasette, "/tied/articles?_search=Nagorno-Karabakh").text
    assert "createElement('mark')" in page
    assert "/tied/search_articles?term=Nagorno-Karabakh" in page


def test_raw_search_mode_stays_raw_and_its_error_page_keeps_the_search_form(datasette):
    assert get(datasette, "/tied/articles.json?_search=Nagorno-Karabakh&_searchmode=raw").status_code == 400
    page = get(datasette, "/tied/articles?_search=Nagorno-Karabakh&_searchmode=raw&language=en")
    assert page.status_code == 400 and "no such column: Karabakh" in page.text
    assert '<form class="filters monitor-search" action="/tied/articles" method="get">' in page.text
    assert 'name="_search" value="Nagorno-Karabakh"' in page.text
    assert '<input type="hidden" name="language" value="en">' in page.text
    assert 'name="_searchmode"' not in page.text  # searched again, the words are forgiven


@pytest.fixture(scope="module")
def hostile(tied, tmp_path_factory):
    """The tied database with cells a spreadsheet would run as formulas."""
    target = tmp_path_factory.mktemp("hostile") / "hostile.db"
    with sqlite3.connect(target) as copy:
        sqlite3.connect(tied).backup(copy)
        copy.execute("""update articles set title = '=HYPERLINK("http://evil.example","x")' where id = 1""")
        copy.execute("update articles set title = '+SUM(A1:A9)', word_count = -5 where id = 2")
    return make_datasette(target)


@pytest.mark.parametrize(
    "path",
    [
        "/hostile/articles.csv?id__in=1,2",
        "/hostile/articles.csv?id__in=1,2&_stream=on&_dl=1",
        "/hostile/unique_articles.csv",  # a canned query
    ],
)
def test_datasette_csv_is_spreadsheet_safe(hostile, path):
    rows = {row["id"]: row for row in csv_rows(get(hostile, path))}
    assert rows["1"]["title"] == '\'=HYPERLINK("http://evil.example","x")'
    assert rows["2"]["title"] == "'+SUM(A1:A9)"
    assert rows["2"]["word_count"] == "-5"  # a number stays a number


@pytest.mark.parametrize(
    "path, bom",
    [
        ("/tied/articles.csv?language=hy", False),
        ("/tied/articles.csv?language=hy&_bom=1", True),
        ("/tied/coverage_between_dates.csv?since=2024-04-17&until=2024-04-17&_bom=1", True),
    ],
)
def test_a_byte_order_mark_on_request(datasette, path, bom):
    body = get(datasette, path).content
    assert body.startswith("\ufeff".encode()) is bom
    assert body.decode("utf-8-sig").startswith(("id,", "rowid,"))


def test_the_data_dictionary_names_the_served_database(datasette):
    page = get(datasette, "/-/data-dictionary").text
    assert "/tied/articles/&lt;id&gt;" in page and "/monitor/" not in page


SAFE_CSV = [
    # (Datasette's CSV, what a spreadsheet gets)
    ("id,title\r\n1,plain\r\n", "id,title\r\n1,plain\r\n"),
    ("id,n,offset\r\n1,-5,+04:00\r\n2,3.5,-12:30\r\n", "id,n,offset\r\n1,-5,+04:00\r\n2,3.5,-12:30\r\n"),
    ('id,title\r\n1,"=HYPERLINK(""http://e.x"",""x"")"\r\n', 'id,title\r\n1,"\'=HYPERLINK(""http://e.x"",""x"")"\r\n'),
    ("id,title\r\n1,+SUM(A1:A9)\r\n2,@cmd\r\n3,-5abc\r\n", "id,title\r\n1,'+SUM(A1:A9)\r\n2,'@cmd\r\n3,'-5abc\r\n"),
    ('id,text\r\n1,"first line\r\n=second, -third"\r\n', 'id,text\r\n1,"first line\r\n=second, -third"\r\n'),
    ("id,text\r\n1,\tindented\r\n", "id,text\r\n1,'\tindented\r\n"),
    ('id,text\r\n1,"\rcr"\r\n', 'id,text\r\n1,"\'\rcr"\r\n'),
    ("id,title\r\n1,Ղարաբաղ — =x\r\n", "id,title\r\n1,Ղարաբաղ — =x\r\n"),
]


@pytest.mark.parametrize("datasette_csv, safe", SAFE_CSV)
def test_safe_csv_body_in_any_chunks(datasette_csv, safe):
    data = datasette_csv.encode()
    assert neutralised_records(datasette_csv) == safe
    for cut in range(len(data) + 1):  # split anywhere, even inside a character
        body = SafeCsvBody()
        assert (body.feed(data[:cut]) + body.feed(data[cut:]) + body.finish()).decode() == safe
    with_bom = SafeCsvBody(bom=True)
    assert with_bom.feed(data) + with_bom.finish() == "\ufeff".encode() + safe.encode()
