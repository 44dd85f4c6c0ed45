"""Bounds on everything an outlet controls (issue 20, docs/reliability.md#outlet-bounds): a hostile
local site (``media_monitor.samplesite.hostile``) serves an endless sitemap index, gzip bombs, a
huge feed, an endless listing and a compressed page over the size limit; each is crawled for
real, and each bound it hits is counted in its outlet's run row, in ``outlet_health`` and by
``monitor status``. A scheduled crawl with an endless outlet keeps the normal one's pace."""

from __future__ import annotations

import gzip
import logging
import re
import signal
import sqlite3
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from scrapy import Request

from media_monitor import settings as defaults
from media_monitor.cli import cli
from media_monitor.crawl import CrawlJob
from media_monitor.crawling.bounds import Bounds, bounds_hit, describe_bounds
from media_monitor.crawling.failures import BodyTooLarge
from media_monitor.crawling.faults import ROBOTS_ERROR_LINE
from media_monitor.crawling.xmlstream import XmlEntries, body_chunks, local_name
from media_monitor.samplesite.hostile import BOMB_SIZE, FAN, OUTLETS, HostileSite, gzip_bomb
from tests.conftest import FAST, ROOT, crawl
from tests.test_operations import _monitor, _wait_until

URLSET = b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"><url><loc>a</loc></url><url><loc>b</loc></url></urlset>'
LIMIT = 1024 * 1024


@pytest.mark.parametrize(
    "body, root, locs",
    [
        (URLSET, "urlset", ["a", "b"]),
        (gzip.compress(URLSET), "urlset", ["a", "b"]),
        (gzip.compress(URLSET[:60]) + gzip.compress(URLSET[60:]), "urlset", ["a", "b"]),  # two gzip members
        (URLSET[:-9], "urlset", ["a", "b"]),  # cut: what arrived is read
        (gzip.compress(URLSET)[:-8], "urlset", ["a", "b"]),  # a gzip stream without its end
        (b"<html><body><p>no sitemap</p></body></html>", "html", []),
        (b"", "", []),
        (
            b"<!DOCTYPE x [<!ENTITY e SYSTEM 'file:///etc/passwd'>]><urlset><url><loc>&e;</loc></url></urlset>",
            "urlset",
            [],
        ),
    ],
)
def test_sitemap_entries_are_read_as_the_body_streams(body, root, locs):
    entries = XmlEntries(body, LIMIT)
    read = [child.text for entry in entries for child in entry if local_name(child.tag) == "loc" and child.text]
    assert entries.root == root
    assert read == locs


@pytest.mark.parametrize(
    "body, limit, error",
    [
        (gzip_bomb(), 10 * 1024 * 1024, "once decompressed: 10\\d+ bytes of gzip inflate past 10485760 bytes"),
        (gzip.compress(b" " * 5000), 4096, "once decompressed"),
        (b" " * 5000, 4096, "5000 bytes, more than 4096"),
    ],
)
def test_bodies_over_the_limit_stop_at_the_limit(body, limit, error):
    with pytest.raises(BodyTooLarge, match=error):
        sum(len(chunk) for chunk in body_chunks(body, limit))
    assert sum(len(c) for c in body_chunks(gzip.compress(b" " * 4096), 4096)) == 4096  # at the limit: read


def test_the_gzip_bomb_is_a_bomb():
    bomb = gzip_bomb()
    assert BOMB_SIZE * 0.95 < len(bomb) <= BOMB_SIZE
    assert sum(len(chunk) for chunk in body_chunks(bomb, 0)) > 900 * len(bomb)


@pytest.mark.parametrize(
    "tally, hit, text",
    [
        (
            {"bound_sitemaps": 634, "bound_budget": 1, "articles_fetched": 3},
            {"budget": 1, "sitemaps": 634},
            "budget 1, sitemaps 634",
        ),
        ({"bound_feed_entries": 0, "listing_pages": 4}, {}, None),
        ({}, {}, None),
    ],
)
def test_bounds_hit_are_read_from_the_counters(tally, hit, text):
    assert bounds_hit(tally) == hit
    assert describe_bounds(bounds_hit(tally)) == text


def test_bounds_come_from_the_settings():
    from scrapy.settings import Settings

    bounds = Bounds.from_settings(
        Settings({"MONITOR_MAX_SITEMAPS": "7", "DOWNLOAD_MAXSIZE": 1000, "MONITOR_OUTLET_BUDGET": "2.5"})
    )
    assert (bounds.sitemaps, bounds.body_size, bounds.budget, bounds.feed_entries) == (7, 1000, 2.5, 1000)


def test_a_robots_txt_error_is_one_warning_line():
    record = logging.LogRecord(
        "scrapy.downloadermiddlewares.robotstxt",
        logging.ERROR,
        __file__,
        1,
        "Error downloading %(request)s: %(f_exception)s",
        ({"request": "<GET http://x/robots.txt>", "f_exception": ConnectionRefusedError("refused")},),
        (ConnectionRefusedError, ConnectionRefusedError("refused"), None),
    )
    assert ROBOTS_ERROR_LINE.filter(record)
    assert (record.levelname, record.exc_info) == ("WARNING", None)
    assert (
        record.getMessage()
        == "robots.txt not read for <GET http://x/robots.txt> (connection refused): crawled as if it had none"
    )
    gave_up = "Gave up retrying %(request)s (failed %(retry_times)d times): %(reason)s"
    for url, kept in (("http://x/robots.txt", False), ("http://x/news/1", True)):
        args = ({"request": Request(url), "retry_times": 3, "reason": "reset"},)
        assert (
            ROBOTS_ERROR_LINE.filter(logging.LogRecord("scrapy", logging.ERROR, __file__, 1, gave_up, args, None))
            is kept
        )


# Small bounds, so that each outlet of the hostile site hits its own quickly; a size limit the
# 1 MB bombs download under, and inflate past.
BOUNDED = [
    "--set",
    "MONITOR_MAX_SITEMAPS=10",
    "--set",
    "MONITOR_MAX_SITEMAP_DEPTH=100",
    "--set",
    "MONITOR_MAX_FEED_ENTRIES=5",
    "--set",
    "MONITOR_MAX_LISTING_PAGES=3",
    "--set",
    "DOWNLOAD_MAXSIZE=2097152",
    "--log-level",
    "INFO",
]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    with HostileSite(feed_items=50) as site, HostileSite() as other_port:
        site.robots_reset, site.other_port = True, other_port.port
        folder = tmp_path_factory.mktemp("hostile")
        sources = site.write_sources(folder / "sources.toml")
        result = crawl(folder / "monitor.db", sources, *BOUNDED, "--set", "MONITOR_OUTLET_BUDGET=120")
        assert other_port.requests == []  # the redirect to it was not followed
        yield result, sqlite_utils.Database(folder / "monitor.db"), list(site.requests)


def _row(db, outlet):
    (row,) = db.query("select * from crawl_run_outlets where outlet = ?", [outlet])
    return row


def test_the_hostile_crawl_ends_and_every_bound_is_counted(hostile):
    result, db, _ = hostile
    assert result.returncode == 0, result.stderr
    expected = {
        "endless_sitemap": ("ok", "sitemaps"),
        "bomb_sitemap": ("failed", "body_size 1"),
        "bomb_encoded_sitemap": ("failed", "body_size 1"),
        "huge_feed": ("ok", "feed_entries 45"),
        "bomb_page": ("partial", "body_size 1"),
        "endless_listing": ("ok", "listing_pages 1"),
    }
    for outlet, (status, bounds) in expected.items():
        row = _row(db, outlet)
        assert row["status"] == status, outlet
        assert row["bounds"].startswith(bounds) and row["bounds_hit"] >= 1, (outlet, row["bounds"])
    (run,) = db.query("select * from crawl_runs")
    assert run["bounds_hit"] == sum(r["bounds_hit"] for r in db["crawl_run_outlets"].rows)
    health = {r["outlet"]: r for r in db["outlet_health"].rows}
    assert all(health[outlet]["bounded_runs"] == 1 and health[outlet]["last_bounds"] for outlet in expected)
    for outlet in ("port_redirect", "charset_mislabel"):
        assert (health[outlet]["bounded_runs"], health[outlet]["last_bounds"]) == (0, None)


def test_an_endless_sitemap_index_is_followed_up_to_the_bound(hostile):
    result, db, requests = hostile
    followed = [path for path in requests if path.startswith("/endless/") and path != "/endless/0.xml"]
    assert len(followed) == 10  # MONITOR_MAX_SITEMAPS
    assert _row(db, "endless_sitemap")["bounds_hit"] > FAN  # every sitemap named past the bound
    assert "endless_sitemap: bound reached, 10 sitemaps followed in this run; no more are" in result.stderr


def test_sitemap_gzip_bombs_stop_at_the_size_limit(hostile):
    result, _, _ = hostile
    assert "Source not fetched: http://127.0.0.1:" in result.stderr
    assert "/bomb.xml.gz (over the size limit once decompressed: 10" in result.stderr
    # served with Content-Encoding: gzip, Scrapy inflates it, within the same limit
    assert "/bomb-encoded.xml (over the size limit once decompressed: 1" in result.stderr


def test_a_huge_feed_is_read_up_to_the_bound(hostile):
    result, db, requests = hostile
    assert len([path for path in requests if path.startswith("/article/") and "-" not in path]) == 5
    assert _row(db, "huge_feed")["listed"] == 5
    assert (
        "45 entries of http://127.0.0.1:" in result.stderr and "(MONITOR_MAX_FEED_ENTRIES = 5 a feed)" in result.stderr
    )


def test_an_endless_listing_stops_at_the_bound(hostile):
    _, _, requests = hostile
    assert sorted(path for path in requests if path.startswith("/listing/")) == [f"/listing/{n}" for n in (1, 2, 3, 4)]


def test_a_compressed_page_over_the_size_limit_is_counted_failed(hostile):
    result, db, _ = hostile
    assert "Article not fetched: http://127.0.0.1:" in result.stderr
    assert re.search(
        r"/bomb-page\.html \(over the size limit once decompressed: \d+ bytes compressed, more than 2097152 bytes",
        result.stderr,
    )
    assert _row(db, "bomb_page")["failed"] == 1


def test_an_unreachable_robots_txt_is_one_log_line_per_host(hostile):
    result, _, _ = hostile
    assert "Traceback" not in result.stderr
    robots = [line for line in result.stderr.splitlines() if "robots.txt" in line]
    # one line for each outlet's spider (each keeps its own robots.txt parsers): no retry, no give-up line
    assert len(robots) == len(OUTLETS) + 1, robots
    assert all(" WARNING: robots.txt not read for <GET http://127.0.0.1:" in line for line in robots), robots


def test_a_redirect_to_another_port_of_the_outlets_host_is_not_followed(hostile):
    result, db, _ = hostile
    assert re.search(
        r"Article not fetched: \S+/to-port \(redirect to another port not followed: \S+/to-port -> "
        r"http://127\.0\.0\.1:\d+/article/moved \(the outlet is configured at 127\.0\.0\.1 on port \d+\)",
        result.stderr,
    )
    assert _row(db, "port_redirect")["failed"] == 1


def test_a_page_mislabelled_utf_16_is_read_and_counted(hostile):
    result, db, _ = hostile
    assert re.search(r"Wrong charset: \S+/utf16-page\.html is declared utf-16 but has no NUL byte", result.stderr)
    assert "'monitor/charset_mislabels': 1" in result.stderr
    assert _row(db, "charset_mislabel")["fetched"] == 1
    assert db.execute("select count(*) from urls where url like '%/utf16-page.html'").fetchone()[0] == 1


def test_status_shows_the_bounds_hit(hostile):
    _, db, _ = hostile
    result = CliRunner().invoke(cli, ["status", "--db", db.conn.execute("pragma database_list").fetchone()[2]])
    assert result.exit_code == 0, result.output
    assert "bounds hit: feed_entries 45" in result.output and "held back by bounds" in result.output


ENDLESS = [
    "--set",
    "MONITOR_OUTLET_BUDGET=3",  # the scheduled test sets 15: time for a second crawl to start (seconds, under load)
    "--set",
    "MONITOR_MAX_SITEMAPS=1000000",
    "--set",
    "MONITOR_MAX_SITEMAP_DEPTH=1000000",
]


def _runs_of(db: Path, outlet: str, where: str = "1") -> list[tuple]:
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute(
                "select r.id, r.started_at, r.finished_at, o.status, o.bounds, o.error from crawl_runs r "
                f"join crawl_run_outlets o on o.crawl_run_id = r.id where o.outlet = ? and {where} order by r.id",
                [outlet],
            ).fetchall()
    except sqlite3.OperationalError:
        return []  # not created yet


def test_an_outlet_over_its_budget_is_stopped_and_recorded_partial(site, tmp_path):
    with HostileSite(delay=0.2) as hostile_site:
        sources = tmp_path / "sources.toml"
        sources.write_text(site.sources_toml() + hostile_site.sources_toml(), encoding="utf-8")
        result = crawl(tmp_path / "m.db", sources, "--outlet", "endless_sitemap", "--outlet", "herald_en", *ENDLESS)
    assert result.returncode == 0, result.stderr
    db = sqlite_utils.Database(tmp_path / "m.db")
    endless, herald = _row(db, "endless_sitemap"), _row(db, "herald_en")
    assert (endless["status"], endless["bounds"]) == ("partial", "budget 1")
    assert "stopped at its budget (MONITOR_OUTLET_BUDGET)" in endless["error"]
    # herald_en's own broken pages make it partial in any crawl; no bound, no error of its own
    assert (herald["bounds"], herald["error"], herald["new"] > 0) == (None, None, True)
    assert [r["status"] for r in db["crawl_runs"].rows] == ["partial"]
    assert "endless_sitemap: budget of 3s spent, its crawl stops here" in result.stderr


def test_a_scheduled_endless_outlet_does_not_starve_the_normal_one(site, tmp_path):
    db = tmp_path / "m.db"
    with HostileSite(delay=0.2) as hostile_site:
        sources = tmp_path / "sources.toml"
        sources.write_text(site.sources_toml() + hostile_site.sources_toml(), encoding="utf-8")
        scheduler = _monitor(
            "schedule",
            "--db",
            str(db),
            "--sources",
            str(sources),
            "--every",
            "1s",
            "--outlet",
            "endless_sitemap",
            "--outlet",
            "herald_en",
            "--",
            *FAST,
            *ENDLESS,
            "--set",
            "MONITOR_OUTLET_BUDGET=15",
        )
        try:
            assert _wait_until(
                lambda: (
                    len(_runs_of(db, "endless_sitemap", "o.bounds like '%budget%'")) >= 2
                    and len(_runs_of(db, "herald_en")) >= 3
                ),
                seconds=120,
            ), "the endless outlet was not stopped twice at its budget, or herald_en was not crawled"
            scheduler.send_signal(signal.SIGTERM)
            scheduler.wait(timeout=60)
        finally:
            if scheduler.poll() is None:
                scheduler.kill()
    assert scheduler.returncode == 0, scheduler.stderr.read()
    first_endless = _runs_of(db, "endless_sitemap")[0]
    # herald_en kept its pace: crawled again, alone, while the endless outlet's first crawl ran
    assert any(run[1] < first_endless[2] and run[0] > first_endless[0] for run in _runs_of(db, "herald_en"))
    result = CliRunner().invoke(cli, ["status", "--db", str(db), "--check"])
    assert result.exit_code == 1, result.output
    assert "bounded: endless_sitemap" in result.output
    assert "BOUNDED (2 runs in a row)" in result.output or "BOUNDED (3 runs in a row)" in result.output


def test_the_deployed_units_bound_a_crawls_time():
    units = {path.name: path.read_text() for path in (ROOT / "docs" / "deploy").glob("*.service")}
    assert "TimeoutStartSec=" in units["media-monitor-crawl.service"]
    assert "RuntimeMaxSec=" in units["media-monitor-schedule.service"]
    assert "RuntimeMaxSec=" in units["media-monitor-worker@.service"]


@pytest.mark.parametrize(
    ("window", "overrides", "environment", "budget"),
    [
        ({}, {}, None, 3600.0),  # a live crawl: an hour an outlet
        ({"since": "2024-04-01", "until": "2024-06-30"}, {}, None, 86400.0),  # a backfill: a day
        ({"since": "2024-04-01"}, {"MONITOR_OUTLET_BUDGET": "600"}, None, 600.0),  # --set wins
        ({"until": "2024-06-30"}, {}, "900", 900.0),  # so does the environment
    ],
)
def test_a_backfill_has_a_budget_of_its_own(monkeypatch, tmp_path, window, overrides, environment, budget):
    monkeypatch.delenv("MONITOR_OUTLET_BUDGET", raising=False)
    if environment is not None:
        monkeypatch.setenv("MONITOR_OUTLET_BUDGET", environment)
        monkeypatch.setattr(defaults, "MONITOR_OUTLET_BUDGET", float(environment))
    job = CrawlJob(db=tmp_path / "m.db", overrides=overrides, **window)
    assert job.settings().getfloat("MONITOR_OUTLET_BUDGET") == budget
