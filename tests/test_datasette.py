"""Datasette over a crawled database, through Datasette's own client and a running server."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.parse
import urllib.request

import pytest

from media_monitor.web.app import make_datasette
from tests.conftest import ROOT


def get(datasette, path):
    return asyncio.run(datasette.client.get(path))


@pytest.fixture(scope="module")
def datasette(crawled):
    return make_datasette(crawled[0])


def test_articles_table_is_described_faceted_and_newest_first(datasette):
    response = get(datasette, "/monitor/articles.json?_extra=facet_results&_shape=objects")
    assert response.status_code == 200
    data = response.json()
    dates = [r["published_at"] for r in data["rows"] if r["published_at"]]
    assert dates == sorted(dates, reverse=True)
    facets = data["facet_results"]
    facets = facets.get("results", facets)
    assert {"outlet", "language"} <= set(facets)

    page = get(datasette, "/monitor/articles")
    assert "One row per article" in page.text
    assert "Publication time, ISO 8601 in UTC" in page.text  # column descriptions


def test_full_text_search(datasette):
    data = get(datasette, "/monitor/articles.json?_search=Khojaly&_shape=objects").json()
    assert data["rows"] and all("Khojaly" in (r["title"] + r["text"]) for r in data["rows"])
    armenian = get(datasette, "/monitor/articles.json?_search=խաղաղապահները&_shape=objects").json()
    assert {r["language"] for r in armenian["rows"]} == {"hy"}


def test_coverage_per_day_per_outlet_query(datasette, db):
    data = get(datasette, "/monitor/coverage_per_day_per_outlet.json?_shape=objects").json()
    assert data["rows"]
    assert (
        sum(r["articles"] for r in data["rows"])
        == db.execute(
            "select count(*) from articles where duplicate_of is null and published_at is not null"
        ).fetchone()[0]
    )
    assert {"day", "outlet", "articles"} == set(data["rows"][0])


def test_csv_export_from_datasette(datasette):
    response = get(datasette, "/monitor/articles.csv?language=hy&_size=max")
    assert response.status_code == 200
    assert "խաղաղապահ" in response.text


def test_metadata_follows_the_database_file_name(tmp_path, crawled):
    renamed = tmp_path / "coverage.db"
    renamed.write_bytes(crawled[0].read_bytes())
    other = make_datasette(renamed)
    response = get(other, "/coverage/coverage_per_day_per_outlet.json")
    assert response.status_code == 200


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(url: str, process: subprocess.Popen, seconds: float = 90) -> bytes:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"exited early: {process.stderr.read()}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return response.read()
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"{url} did not answer within {seconds}s")


def test_demo_crawls_the_sample_site_and_serves_it(tmp_path):
    """The README's first command, end to end: crawl the sample site, then Datasette serves it."""
    port, site_port = _free_port(), _free_port()
    db = tmp_path / "demo.db"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "media_monitor",
            "demo",
            "--db",
            str(db),
            "--port",
            str(port),
            "--site-port",
            str(site_port),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        body = _wait_for(f"http://127.0.0.1:{port}/demo/articles.json?_shape=objects&_size=max", process)
        rows = json.loads(body)["rows"]
        originals = [r for r in rows if r["duplicate_of"] is None]
        assert {r["language"] for r in originals} == {"en", "ru", "hy", "az"}
        assert len({r["canonical_url"] for r in rows}) == len(rows)
        assert all(r["published_at"].endswith("Z") for r in originals if r["published_at"])
    finally:
        process.terminate()
        process.wait(timeout=20)


def test_clusters_view_and_syndicated_stories(datasette):
    rows = get(datasette, "/monitor/syndicated_stories.json?_shape=objects").json()["rows"]
    assert rows and all(r["size"] > 1 for r in rows)
    assert {"origin_outlet", "origin_published_at", "outlets", "spread_minutes"} <= set(rows[0])
    view = get(datasette, "/monitor/clusters")
    assert view.status_code == 200 and "One row per syndication cluster" in view.text


def _chart_queries(datasette, path):
    """The (chart slug, chart config, filter query string) of each chart with a query that the
    dashboard page asks its browser to render (the markdown card has none)."""
    page = get(datasette, path)
    assert page.status_code == 200, page.text
    charts = [
        (slug, json.loads(chart), qs)
        for slug, chart, qs in re.findall(r"renderChart\('([\w-]+)', (\{.*?\}), '([^']*)'", page.text)
    ]
    return [chart for chart in charts if "query" in chart[1]]


def test_front_page_leads_to_the_dashboard(datasette):
    index = get(datasette, "/")
    assert 'href="/-/dashboards/coverage"' in index.text and "Open the coverage dashboard" in index.text
    assert 'href="/-/data-dictionary"' in index.text and 'href="/monitor/search_articles"' in index.text


def test_dashboard_charts_answer_under_every_filter(datasette, db):
    charts = _chart_queries(datasette, "/-/dashboards/coverage?date_start=&date_end=")  # every date
    assert {"on-topic", "stories", "copies", "articles", "per-day", "by-language", "top-outlets", "first-reports"} == {
        slug for slug, _, _ in charts
    }
    assert all(chart["db"] == "monitor" for _, chart, _ in charts)
    rows = {}
    for slug, chart, qs in charts:
        response = get(datasette, f"/monitor.json?sql={urllib.parse.quote(chart['query'])}&{qs}&_shape=objects")
        assert response.status_code == 200, (slug, response.text)
        rows[slug] = response.json()["rows"]
    total = db.execute("select count(*) from articles").fetchone()[0]
    stories = db.execute("select count(distinct cluster_id) from articles").fetchone()[0]
    distinct = db.execute("select count(*) from distinct_articles").fetchone()[0]
    assert rows["stories"] == [{"stories": stories}] and rows["copies"] == [{"copies": total - distinct}]
    assert {r["language"] for r in rows["by-language"]} == {"en", "ru", "hy", "az"}

    filtered = _chart_queries(
        datasette, "/-/dashboards/coverage?date_start=2024-04-17&date_end=2024-04-17&outlet=&language=ru"
    )
    for slug, chart, qs in filtered:
        assert ":language" in chart["query"] and ":date_start" in chart["query"] and ":outlet" not in chart["query"]
        data = get(datasette, f"/monitor.json?sql={urllib.parse.quote(chart['query'])}&{qs}&_shape=objects").json()
        if slug == "per-day":
            assert {(r["day"]) for r in data["rows"]} == {"2024-04-17"}
        if slug == "articles":
            assert (
                data["rows"][0]["articles"]
                == db.execute(
                    "select count(*) from articles where duplicate_of is null and language = 'ru' "
                    "and date(published_at) = '2024-04-17'"
                ).fetchone()[0]
            )


def test_dashboard_follows_the_database_file_name(tmp_path, crawled):
    renamed = tmp_path / "coverage.db"
    sqlite3.connect(crawled[0]).backup(sqlite3.connect(renamed))
    other = make_datasette(renamed)
    charts = _chart_queries(other, "/-/dashboards/coverage?date_start=&date_end=")
    assert charts and all(chart["db"] == "coverage" for _, chart, _ in charts)
    assert 'href="/coverage/articles"' in get(other, "/").text


def test_articles_read_well(datasette, db):
    page = get(datasette, "/monitor/articles")
    headers = re.findall(r'<th [^>]*data-column="(\w+)"', page.text)
    assert headers == ["id", "outlet", "title", "published_at", "language", "word_count", "relevance"]
    article = db.execute("select id, url, title, text from articles where language = 'hy' limit 1").fetchone()
    assert f'<a href="{article[1]}" rel="noopener noreferrer">{article[2]}</a>' in page.text
    every = get(datasette, "/monitor/articles?_all_columns=1")
    assert "text" in re.findall(r'<th [^>]*data-column="(\w+)"', every.text)
    csv_header = get(datasette, "/monitor/articles.csv").text.splitlines()[0]
    assert "text" in csv_header and "canonical_url" in csv_header  # exports keep every column

    row = get(datasette, f"/monitor/articles/{article[0]}")
    paragraphs = re.findall(r"<p>(.*?)</p>", row.text.split('class="article-text"')[1].split("</div>")[0])
    assert paragraphs == [p.strip() for p in article[3].splitlines() if p.strip()]

    outlets = get(datasette, "/monitor/outlets")
    assert '<a href="/monitor/articles?outlet=yerevan_hy">articles</a>' in outlets.text


def test_article_facets_country_and_date(datasette, db):
    data = get(datasette, "/monitor/articles.json?_shape=objects&_extra=facet_results").json()
    facets = data["facet_results"]
    facets = facets.get("results", facets)
    assert {"outlet", "language", "country", "published_at"} <= set(facets)
    armenia = next(v for v in facets["country"]["results"] if v["value"] == "AM")
    assert (
        armenia["count"]
        == db.execute(
            "select count(*) from articles where outlet in (select name from outlets where country = 'AM')"
        ).fetchone()[0]
    )
    path = armenia["toggle_url"].split("://", 1)[1].split("/", 1)[1]
    selected = get(datasette, "/" + path.replace("articles?", "articles.json?") + "&_size=max").json()
    assert len(selected["rows"]) == armenia["count"]
    facets = selected["facet_results"].get("results", selected["facet_results"])
    assert [v["selected"] for v in facets["country"]["results"] if v["value"] == "AM"] == [True]


def test_canned_queries_with_parameters(datasette, db):
    between = get(datasette, "/monitor/coverage_between_dates.json?since=2024-04-17&until=2024-04-18&_shape=objects")
    rows = between.json()["rows"]
    assert rows and all("2024-04-17" <= r["published_at"][:10] <= "2024-04-18" for r in rows)
    assert {"country", "outlet", "title", "canonical_url"} <= set(rows[0])

    for term, language in (("Khojaly", "en"), ("խաղաղապահ*", "hy"), ("миротвор*", "ru")):
        found = get(datasette, f"/monitor/search_articles.json?term={urllib.parse.quote(term)}&_shape=objects").json()
        assert found["rows"] and language in {r["language"] for r in found["rows"]}
        assert all("[" in r["snippet"] and "]" in r["snippet"] for r in found["rows"])

    first = get(datasette, "/monitor/first_report_per_outlet.json?_shape=objects").json()["rows"]
    assert len({r["outlet"] for r in first}) == len(first)
    assert [r["first_published"] for r in first] == sorted(r["first_published"] for r in first)

    daily = get(datasette, "/monitor/daily_counts_per_language.json?_shape=objects").json()["rows"]
    assert (
        sum(r["articles"] for r in daily)
        == db.execute(
            "select count(*) from articles where duplicate_of is null and published_at is not null"
        ).fetchone()[0]
    )


def test_csv_streams_every_row_of_a_filtered_view(crawled, db):
    small = make_datasette(crawled[0], settings={"default_page_size": 2})
    expected = db.execute("select count(*) from articles where duplicate_of is null").fetchone()[0]
    assert expected > 2
    page = get(small, "/monitor/articles.csv?duplicate_of__isnull=1&_stream=")
    assert len(list(csv.DictReader(io.StringIO(page.text)))) == 2  # asked for the first page only
    for path in (
        "/monitor/articles.csv?duplicate_of__isnull=1&_stream=on",
        "/monitor/articles.csv?duplicate_of__isnull=1&_size=max",  # the page's CSV link
        "/monitor/articles.csv?duplicate_of__isnull=1",
    ):
        streamed = get(small, path)
        assert streamed.status_code == 200
        assert len(list(csv.DictReader(io.StringIO(streamed.text)))) == expected, path
    assert "stream all rows" in get(small, "/monitor/articles?duplicate_of__isnull=1").text  # offered on the page


def test_data_dictionary_is_served(datasette):
    page = get(datasette, "/-/data-dictionary")
    assert page.status_code == 200 and "<table>" in page.text and "cluster_size" in page.text


def test_public_mode_has_no_arbitrary_sql(crawled):
    public = make_datasette(crawled[0], public=True)
    for path in (
        "/monitor?sql=select+1",
        "/monitor.json?sql=select+1",
        "/monitor.csv?sql=select+1",
        "/monitor/articles?_where=1",
    ):
        assert get(public, path).status_code == 403, path
    for path in (
        "/",
        "/monitor/articles",
        "/monitor/articles?language=hy&_facet=outlet",
        "/monitor/articles?_search=Khojaly",
        "/monitor/articles.csv?_stream=on",
        "/monitor/search_articles?term=Khojaly",
        "/monitor/coverage_between_dates?since=2024-04-01&until=2024-05-01",
        "/monitor/syndicated_stories",
        "/monitor/outlets",
        "/-/data-dictionary",
    ):
        assert get(public, path).status_code == 200, path
    assert "Khojaly" in get(public, "/monitor/articles?_search=Khojaly").text
    # The dashboard still draws: its own chart queries, and only those, run.
    charts = _chart_queries(public, "/-/dashboards/coverage?language=en")
    for _slug, chart, qs in charts:
        assert (
            get(public, f"/monitor.json?sql={urllib.parse.quote(chart['query'])}&{qs}&_shape=objects").status_code
            == 200
        )
        tampered = chart["query"].replace("select", "select 1 as x,", 1)
        assert get(public, f"/monitor.json?sql={urllib.parse.quote(tampered)}&{qs}").status_code == 403
        assert (
            get(public, f"/monitor/articles.json?sql={urllib.parse.quote(chart['query'])}&_where=1").status_code == 403
        )
    # ... and the local default keeps its SQL editor.
    local = make_datasette(crawled[0])
    assert get(local, "/monitor.json?sql=select+1").status_code == 200


def test_serve_binds_loopback_unless_public(monkeypatch, tmp_path, crawled):
    import uvicorn
    from click.testing import CliRunner

    import media_monitor.web.app
    from media_monitor.cli import cli

    calls = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: calls.append(kw))
    made = []
    real = media_monitor.web.app.make_datasette
    monkeypatch.setattr(
        media_monitor.web.app, "make_datasette", lambda path, public=False: made.append(public) or real(path, public)
    )
    db = tmp_path / "monitor.db"
    sqlite3.connect(crawled[0]).backup(sqlite3.connect(db))
    assert CliRunner().invoke(cli, ["serve", "--db", str(db)]).exit_code == 0
    assert CliRunner().invoke(cli, ["serve", "--db", str(db), "--public"]).exit_code == 0
    assert CliRunner().invoke(cli, ["serve", "--db", str(db), "--public", "--host", "10.0.0.5"]).exit_code == 0
    assert [c["host"] for c in calls] == ["127.0.0.1", "0.0.0.0", "10.0.0.5"]
    assert made == [False, True, True]
