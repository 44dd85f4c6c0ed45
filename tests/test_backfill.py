"""A historical backfill of the sample site: `monitor crawl --since 2024-04-01 --until 2024-06-30`
through date-partitioned sitemaps, a paginated listing and a GDELT-shaped API, run twice."""

from __future__ import annotations

import pytest
import sqlite_utils

from media_monitor import compat
from tests.conftest import crawl

WINDOW = ["--since", "2024-04-01", "--until", "2024-06-30"]


def _url(site, page):
    return (site.alt_base if page.get("host") == "alt" else site.base) + page["path"]


@pytest.fixture(scope="module")
def backfill(site, sources, tmp_path_factory):
    db = tmp_path_factory.mktemp("backfill") / "monitor.db"
    gdelt = [
        "--set",
        f"MONITOR_GDELT_URL={site.base}/gdelt/api/v2/doc/doc",
        "--set",
        "MONITOR_GDELT_DELAY=0",
        "--set",
        "MONITOR_GDELT_CHUNK_DAYS=31",
    ]
    logs = []
    for _ in range(2):
        start = len(site.log)
        result = crawl(db, sources, *WINDOW, *gdelt)
        assert result.returncode == 0, result.stderr
        logs.append(site.log[start:])
    return sqlite_utils.Database(db), logs


def _article_paths(manifest):
    return {p["path"] for p in manifest}


def test_stores_exactly_the_in_window_articles(backfill, site, manifest):
    db, _ = backfill
    rows = {r["canonical_url"]: r for r in db.query("select canonical_url, duplicate_of from articles")}
    originals = {_url(site, p) for p in manifest if p["expect"] == "stored" and p["window"] == "in"}
    copies = {_url(site, p) for p in manifest if p["how"] in ("content_hash", "title_window") and p["window"] == "in"}
    assert set(rows) == originals | copies
    # Which of two copies published at the same minute is the original is a tie: count them.
    assert sum(r["duplicate_of"] is None for r in rows.values()) == len(originals)
    outside = db.execute(
        "select count(*) from articles where published_at < '2024-04-01' or published_at >= '2024-07-01' "
        "or published_at is null"
    ).fetchone()[0]
    assert outside == 0


def test_each_discovery_path_contributed(backfill, site, manifest):
    db, _ = backfill
    stored = {r["canonical_url"] for r in db.query("select canonical_url from articles")}
    for via in ("sitemap", "listing", "gdelt"):
        only = [p for p in manifest if p["found_via"] == [via] and p["expect"] == "stored" and p["window"] == "in"]
        assert only, via
        assert {_url(site, p) for p in only} <= stored, via


def test_gdelt_hits_are_attributed_to_outlets(backfill, site):
    db, _ = backfill
    (found,) = db.query(
        "select outlet from articles where canonical_url like ?", [site.base + "/baku/xeber/2024/06/05/%"]
    )
    assert found["outlet"] == "baku_az"  # a known outlet, by its homepage
    discovered = db["outlets"].get("localhost")
    assert (discovered["discovered"], discovered["homepage"]) == (1, site.alt_base + "/")
    assert db.execute("select count(*) from articles where outlet = 'localhost'").fetchone()[0] == 3
    assert db["crawl_run_outlets"].get((1, "gdelt"))["status"] in ("ok", "partial")


def test_what_sources_date_before_the_window_is_never_downloaded(backfill, manifest):
    _, (first, _) = backfill
    requested = {path for path, _ in first}
    before = [p for p in manifest if p["window"] == "out" and p["published_at"] < "2024-04-01"]
    assert len(before) == 3  # listing-only (dated on the listing), and two in March partitions
    for page in before:
        assert page["path"] not in requested, page["path"]
    # Monthly partitions before the window are skipped unread; July's is read, because July
    # in Yerevan starts on 30 June 20:00 UTC, and a lastmod after the window does not date
    # an entry's publication. What it yields is dropped by the window stage, not stored.
    for partition in ("/ararat/en/sitemap-2024-03.xml", "/ararat/ru/sitemap-2024-03.xml"):
        assert partition not in requested
    assert "/ararat/en/sitemap-2024-07.xml" in requested
    # The listing dates its July teaser: that link is not followed from the listing, and the
    # listing stops after the page whose teasers all predate the window.
    assert "/ararat/en/tag/peacekeepers/page/4" not in requested


def test_no_article_is_downloaded_twice_in_a_run(backfill, manifest):
    _, (first, _) = backfill
    articles = [path for path, status in first if path in _article_paths(manifest) and status == 200]
    assert articles and len(articles) == len(set(articles))


def test_a_rerun_requests_no_article_again_and_revalidates_sources(backfill, manifest):
    db, (_, second) = backfill
    requested = [path for path, _ in second if path in _article_paths(manifest)]
    assert requested == []  # not even the 500: a server error is asked again hours later
    feeds_and_sitemaps = [(path, status) for path, status in second if path.endswith((".xml", ".rdf"))]
    assert feeds_and_sitemaps and all(status == 304 for _, status in feeds_and_sitemaps)
    run = db["crawl_runs"].get(2)
    assert (run["new"], run["fetched"], run["since"], run["until"]) == (0, 0, "2024-04-01", "2024-06-30")


def test_an_article_attributed_by_another_process_finds_its_outlet(tmp_path):
    """Scaled out, one worker parses GDELT's answer (and names a discovered outlet) while
    another fetches the article: that one derives the same discovered outlet from the URL."""
    from scrapy.utils.test import get_crawler

    from media_monitor.spiders.gdelt import GdeltSpider

    spider = compat.create_spider(get_crawler(GdeltSpider))
    outlet = spider.outlet_for(
        {"outlet": "independent_example", "url": "https://news.independent.example/2024/05/30/a"}
    )
    assert (outlet.name, outlet.homepage, outlet.discovered) == (
        "independent_example",
        "https://news.independent.example/",
        True,
    )
