"""A backfill through the Wayback Machine: real crawls (subprocesses) of the live sample site and
the stand-in archive (archive_scenario.karabakh_scenario), checked against archive_manifest.toml."""

from __future__ import annotations

import itertools
import tomllib
from pathlib import Path

import pytest
import sqlite_utils

from media_monitor.samplesite import SampleSite
from media_monitor.samplesite.archive import ARCHIVE_MANIFEST
from media_monitor.samplesite.archive_scenario import karabakh_scenario
from tests.conftest import crawl

WINDOW = ["--since", "2024-04-01", "--until", "2024-06-30"]
UNPACED = ("--set", "MONITOR_ARCHIVE_DELAY=0", "--set", "MONITOR_ARCHIVE_INDEX_DELAY=0")
TOOLBAR = ("wm-ipp", "Wayback Machine", "web.archive.org", "/web/20")


def backfill(db: Path, sources: Path, archive, *extra: str):
    return crawl(
        db,
        sources,
        *WINDOW,
        "--set",
        f"MONITOR_WAYBACK_URL={archive.base}",
        "--set",
        "MONITOR_CC_INDEX_URL=",
        "--set",
        "MONITOR_CC_DATA_URL=",
        "--no-gdelt",
        *extra,
    )


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    with SampleSite() as live, karabakh_scenario(live.base) as archive:
        folder = tmp_path_factory.mktemp("archive-backfill")
        sources = folder / "sources.toml"
        sources.write_text(archive.sources_toml(), "utf-8")
        yield live, archive, sources, folder


@pytest.fixture(scope="module")
def manifest() -> list[dict]:
    return tomllib.loads(ARCHIVE_MANIFEST.read_text("utf-8"))["page"]


@pytest.fixture(scope="module")
def backfilled(scenario):
    """Two backfills into one database: (db, archive requests of the first, the two results)."""
    _live, archive, sources, folder = scenario
    db = folder / "monitor.db"
    start = len(archive.request_log)
    first = backfill(db, sources, archive, *UNPACED)
    archive_requests = archive.request_log[start:]
    rows_after_first = sqlite_utils.Database(db)["articles"].count
    second = backfill(db, sources, archive, *UNPACED)
    return db, archive_requests, rows_after_first, first, second


def rows(db: Path) -> list[dict]:
    return list(sqlite_utils.Database(db).query("select * from articles"))


def path_of(url: str, live_base: str) -> str:
    return url.removeprefix(live_base).split("?")[0]


def test_backfill_stores_the_archived_window(scenario, backfilled, manifest):
    live, _, _, _ = scenario
    db, archive_requests, _, first, _ = backfilled
    assert first.returncode == 0, first.stderr[-3000:]
    stored = rows(db)
    by_path = {}
    for row in stored:
        by_path.setdefault(path_of(row["canonical_url"] or row["url"], live.base), row)
    # The window's on-topic articles the Wayback Machine holds (Common Crawl is not read yet).
    expected = [p for p in manifest if p["expect"] == "stored" and p["window"] == "in" and "ia" in p["archives"]]
    found = [p for p in expected if p["path"] in by_path]
    share = len(found) / len(expected)
    print(
        f"stored {len(found)}/{len(expected)}; archive requests {len(archive_requests)}, "
        f"{len(archive_requests) / max(1, len(found)):.1f} per stored article"
    )
    assert share >= 0.95, sorted({p["path"] for p in expected} - set(by_path))
    for page in found:
        row = by_path[page["path"]]
        assert row["published_at"] == page["published_at"], page["path"]  # the page's date, not the capture's
        if page["live"] == 200:
            assert row["fetched_from"] == "live", page["path"]
        else:  # the Courier's 2024 pages: only in the archive
            assert row["fetched_from"] == "wayback", page["path"]
            assert row["archive_url"] and "/web/" in row["archive_url"], page["path"]
            assert row["captured_at"] and row["captured_at"] > row["published_at"], page["path"]
    # A page the live site answers with a "page not found" and status 200 is read from the archive.
    soft = [p["path"] for p in manifest if p["live"] == "soft-404"]
    assert soft and all(path in by_path and by_path[path]["fetched_from"] == "wayback" for path in soft)
    # Nothing off topic, outside the window or undated.
    wanted = {p["path"] for p in manifest if p["expect"] in ("stored", "duplicate", "redirect")}
    unwanted = {path_of(r["canonical_url"] or r["url"], live.base) for r in stored} - wanted
    assert not unwanted
    for row in stored:
        assert "2024-04-01" <= row["published_at"] < "2024-07-01", row["url"]
        for text in (row["title"], row["text"], row["description"]):
            assert not any(mark in (text or "") for mark in TOOLBAR), row["url"]


def test_the_run_records_each_outlets_archive_work(backfilled):
    db, _, _, first, _ = backfilled
    assert first.returncode == 0, first.stderr[-3000:]
    database = sqlite_utils.Database(db)
    run_id = database.execute("select min(id) from crawl_runs").fetchone()[0]
    outlets = {
        r["outlet"]: r for r in database.query("select * from crawl_run_outlets where crawl_run_id = ?", [run_id])
    }
    for name in ("courier_en", "courier_ru"):  # their 2024 pages are only in the archive
        row = outlets[name]
        assert row["archive_listings"] > 0 and row["archive_captures"] > 0, row
        assert row["stored_wayback"] > 0, row
    herald = outlets["herald_en"]  # its pages still live: read live, never from the archive
    assert herald["stored_live"] > 0 and herald["stored_wayback"] == 0, herald
    for row in outlets.values():
        assert row["stored_commoncrawl"] == 0, row  # Common Crawl is not read here
    # Every new row counted once, by where it came from; the run totals its outlets.
    stored = dict(
        database.execute(
            "select fetched_from, count(*) from articles where crawl_run_id = ? group by fetched_from", [run_id]
        ).fetchall()
    )
    run = database["crawl_runs"].get(run_id)
    for source in ("live", "wayback", "commoncrawl"):
        column = f"stored_{source}"
        assert run[column] == sum(r[column] for r in outlets.values()) == stored.get(source, 0), column
    for column in ("archive_listings", "archive_captures"):
        assert run[column] == sum(r[column] for r in outlets.values()), column


def test_a_second_backfill_stores_no_duplicate(backfilled):
    db, _, rows_after_first, _, second = backfilled
    assert second.returncode == 0, second.stderr[-3000:]
    assert sqlite_utils.Database(db)["articles"].count == rows_after_first


def test_no_archive_sends_nothing_to_the_archive(scenario, tmp_path):
    _, archive, sources, _ = scenario
    start = len(archive.request_log)
    result = backfill(tmp_path / "monitor.db", sources, archive, "--no-archive")
    assert result.returncode == 0, result.stderr[-3000:]
    assert archive.request_log[start:] == []
    # The Herald's pages still live: a live backfill finds them without the archive.
    assert {r["fetched_from"] for r in rows(tmp_path / "monitor.db")} == {"live"}


def test_the_pacer_spaces_requests_to_one_archive_host(scenario, tmp_path):
    """Two spiders, one pace: the Courier's two editions ask the archive ~40 times, and the archive
    sees them arrive spaced by the delay (its log notes when each request arrived)."""
    _, archive, sources, _ = scenario
    start = len(archive.request_log)
    result = backfill(
        tmp_path / "monitor.db",
        sources,
        archive,
        *("--outlet", "courier_en", "--outlet", "courier_ru", "--set", "MONITOR_ARCHIVE_DELAY=0.3"),
        *("--set", "MONITOR_ARCHIVE_INDEX_DELAY=0.3"),
        *("--set", "MONITOR_PROGRESS_INTERVAL=1", "--log-level", "INFO"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    # A progress line a second for each outlet, with the archive's queue while it has one.
    progress = [line for line in result.stderr.splitlines() if "Progress courier_" in line]
    assert len(progress) >= 8 and any("archive queue" in line for line in progress), progress
    assert "\x1b[K" not in result.stderr  # no terminal: no status line
    arrived = [r.at for r in archive.request_log[start:] if r.family in ("cdx", "replay")]
    assert len(arrived) >= 8
    gaps = [later - earlier for earlier, later in itertools.pairwise(arrived)]
    print(f"{len(arrived)} archive requests in {arrived[-1] - arrived[0]:.2f} s; gaps {sorted(gaps)[:5]} …")
    assert arrived[-1] - arrived[0] >= 0.3 * (len(arrived) - 1) - 0.1
    assert min(gaps) >= 0.15, gaps  # a late wake-up takes a new slot: no burst
