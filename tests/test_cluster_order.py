"""Syndication clusters do not depend on the order a crawl meets the pages (issue 21).

The copies site (``media_monitor.samplesite.copies``) serves real report texts copied across
five outlets; its feeds and sitemaps list them in an order the test chooses. The same pages
are crawled in several orders: as built, reversed, shuffled twice, one outlet at a time (the
copies' outlets first, the full reports' last), in waves of a few pages each latest-published
first (six runs, the near-duplicate index rebuilt from the stored signatures each time), and
by two workers with one writer on a real Redis. Every crawl must give the same partition into
clusters (as sets of paths), the same origins, the same originals of exact copies, the same
links in ``duplicates``, and the expected ones.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import sqlite_utils

from media_monitor.samplesite.copies import (
    OUTLETS,
    CopiesSite,
    copy_pages,
    expected_clusters,
    expected_originals,
    expected_origins,
)
from media_monitor.storage.export import select_articles
from media_monitor.storage.minhash import containment, signature
from tests.conftest import ROOT, crawl

SERIAL = ["--set", "CONCURRENT_REQUESTS=1", "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=1"]


@pytest.fixture(scope="module")
def copies_site():
    with CopiesSite() as served:
        yield served


def outcome(db_path: Path, base: str) -> dict:
    """What the crawl made of the pages, by path: the partition, each cluster's origin (the
    view's and the one-per-cluster export's), each row's original, and the links."""
    db = sqlite_utils.Database(db_path)
    path = {r["id"]: r["canonical_url"].removeprefix(base) for r in db.query("select id, canonical_url from articles")}
    members: dict[int, set[str]] = {}
    for row in db.query("select id, cluster_id from articles"):
        members.setdefault(row["cluster_id"], set()).add(path[row["id"]])
    clusters = {cluster_id: frozenset(paths) for cluster_id, paths in members.items()}
    view = {clusters[r["cluster_id"]]: r for r in db.query("select * from clusters")}
    exported = {clusters[r["cluster_id"]]: path[r["id"]] for r in select_articles(db, one_per_cluster=True)}
    return {
        "partition": set(clusters.values()),
        "origins": {key: path[row["origin_id"]] for key, row in view.items()},
        "sizes": {key: (row["size"], row["outlet_count"], row["spread_minutes"]) for key, row in view.items()},
        "exported": exported,
        "originals": {
            path[r["id"]]: path.get(r["duplicate_of"]) for r in db.query("select id, duplicate_of from articles")
        },
        "links": {
            (path[r["article_id"]], path[r["duplicate_of"]], r["method"], r["similarity"])
            for r in db.query("select * from duplicates")
        },
        "stories": db.execute("select count(distinct cluster_id) from articles").fetchone()[0],
    }


def assert_expected(result: dict) -> None:
    expected = expected_clusters()
    assert result["partition"] == expected
    assert result["origins"] == expected_origins()
    assert result["exported"] == expected_origins()  # --one-per-cluster keeps the origin
    assert result["originals"] == expected_originals()
    assert result["stories"] == len(expected)
    # every cluster's view row agrees with its members
    pages = {p.path: p for p in copy_pages()}
    for members, (size, outlet_count, _) in result["sizes"].items():
        assert (size, outlet_count) == (len(members), len({pages[m].outlet for m in members}))


def test_the_site_holds_copies_that_only_meet_through_their_fuller_text():
    """The copies are what the issue describes: pairs that each contain a fuller text but not
    each other (a crawl meeting them first used to make two clusters), and negatives that stay
    below the threshold."""
    pages = copy_pages()
    sigs = {p.path: signature(p.text) for p in pages}
    story = {p.path: p.story for p in pages}
    apart = [
        (a, b)
        for a in sigs
        for b in sigs
        if a < b and story[a] == story[b] and containment(sigs[a], sigs[b]) < 0.6  # MONITOR_NEAR_CONTAINMENT
    ]
    assert len(apart) >= 3  # e.g. the two halves of stories 1 and 2
    assert all(
        containment(sigs[a], sigs[b]) < 0.5 for a in sigs for b in sigs if a < b and story[a] != story[b]
    )  # follow-ups quoting two paragraphs, reports sharing boilerplate
    assert {p.kind for p in pages} >= {
        "trimmed with a new intro",
        "reordered with a byline",
        "cut to 75%",
        "lightly edited",
        "verbatim",
        "follow-up sharing two paragraphs",
        "shares a boilerplate paragraph",
    }


@pytest.mark.parametrize("order", ["listed", "reversed", 1, 2])
def test_one_crawl_in_any_feed_order_gives_the_expected_clusters(copies_site, tmp_path, order):
    copies_site.order, copies_site.only = order, None
    sources = copies_site.write_sources(tmp_path / "sources.toml")
    result = crawl(tmp_path / "monitor.db", sources)
    assert result.returncode == 0, result.stderr
    assert_expected(outcome(tmp_path / "monitor.db", copies_site.base))


@pytest.fixture(scope="module")
def reference(copies_site, tmp_path_factory) -> dict:
    """The outcome of one crawl in the order the site was built."""
    tmp = tmp_path_factory.mktemp("reference")
    copies_site.order, copies_site.only = "listed", None
    crawl(tmp / "monitor.db", copies_site.write_sources(tmp / "sources.toml"))
    return outcome(tmp / "monitor.db", copies_site.base)


def test_one_outlet_at_a_time_gives_the_same_clusters_and_links(copies_site, tmp_path, reference):
    """Five runs, one outlet each, the copies' outlets first and the full reports' last, each
    outlet's pages reversed and fetched one at a time."""
    copies_site.order, copies_site.only = "reversed", None
    sources = copies_site.write_sources(tmp_path / "sources.toml")
    db = tmp_path / "monitor.db"
    for name, _, _ in reversed(OUTLETS):
        assert crawl(db, sources, "--outlet", name, *SERIAL).returncode == 0
    result = outcome(db, copies_site.base)
    assert_expected(result)
    assert result["links"] == reference["links"]


def test_pages_in_waves_latest_first_give_the_same_clusters_and_links(copies_site, tmp_path, reference):
    """Six runs over a growing site, the latest published pages first (copies before their
    originals), each run's pages one at a time; each run rebuilds the index from the database."""
    latest_first = [p.path for p in sorted(copy_pages(), key=lambda p: (p.published, p.path), reverse=True)]
    copies_site.order = "reversed"
    sources = copies_site.write_sources(tmp_path / "sources.toml")
    db = tmp_path / "monitor.db"
    for end in range(5, len(latest_first) + 5, 5):
        copies_site.only = set(latest_first[:end])
        assert crawl(db, sources, *SERIAL).returncode == 0
    copies_site.only = None
    result = outcome(db, copies_site.base)
    assert sqlite_utils.Database(db)["crawl_runs"].count == 6
    assert_expected(result)
    assert result["links"] == reference["links"]


# -- two workers and one writer on a real Redis -------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _monitor(*args: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "media_monitor", *args], cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


def _wait(proc: subprocess.Popen, log: Path, timeout: float = 120) -> None:
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"{log.name} did not finish:\n{log.read_text()[-3000:]}")
    assert proc.returncode == 0 and "Traceback" not in log.read_text(), log.read_text()[-3000:]


@pytest.mark.skipif(
    not shutil.which("redis-server") and os.environ.get("CI", "").lower() != "true", reason="redis-server missing"
)
def test_two_workers_and_one_writer_give_the_same_clusters_and_links(copies_site, tmp_path, reference):
    port = _free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"redis://127.0.0.1:{port}/0"
        time.sleep(0.3)
        copies_site.order, copies_site.only = 3, None
        sources = copies_site.write_sources(tmp_path / "sources.toml")
        db = tmp_path / "monitor.db"
        common = ["--redis", url, "--sources", str(sources), "--idle-exit", "2"]
        workers = [
            _monitor("worker", *common, "--cache-dir", str(tmp_path / f"cache{n}"), log=tmp_path / f"worker{n}.log")
            for n in (1, 2)
        ]
        writer = _monitor("ingest", *common, "--db", str(db), log=tmp_path / "ingest.log")
        for n, proc in enumerate(workers, 1):
            _wait(proc, tmp_path / f"worker{n}.log")
        _wait(writer, tmp_path / "ingest.log")
    finally:
        server.terminate()
        server.wait(10)
    result = outcome(db, copies_site.base)
    assert_expected(result)
    assert result["links"] == reference["links"]
