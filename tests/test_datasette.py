"""Datasette over a crawled database, through Datasette's own client and a running server."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import time
import urllib.request
import json

import pytest

from scraper.web import make_datasette
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
    assert sum(r["articles"] for r in data["rows"]) == db.execute(
        "select count(*) from articles where duplicate_of is null and published_at is not null").fetchone()[0]
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
        [sys.executable, "-m", "scraper", "demo", "--db", str(db), "--port", str(port), "--site-port", str(site_port)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
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
