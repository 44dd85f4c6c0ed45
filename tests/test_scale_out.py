"""Scale-out with a real Redis: two `monitor worker` processes and one `monitor ingest` against
a generated site of 2,000 articles; every article fetched once and stored once. Then a worker
is killed (SIGKILL) mid-run and nothing is lost.

Skipped when `redis-server` is missing, except under CI=true (where .ci/run installs it)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
import sqlite_utils

from media_monitor.crawling.archivepace import SharedPace
from media_monitor.samplesite import SampleSite
from media_monitor.samplesite.archive import ARCHIVE_MANIFEST, RateLimit
from media_monitor.samplesite.archive_scenario import karabakh_scenario
from media_monitor.samplesite.generated import GeneratedSite
from media_monitor.storage.minhash import signature

ROOT = Path(__file__).resolve().parent.parent
FAST = ["--set", "AUTOTHROTTLE_ENABLED=False", "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=16"]

if not shutil.which("redis-server"):
    if os.environ.get("CI", "").lower() == "true":
        raise RuntimeError("CI=true but redis-server is not installed (.ci/run installs it)")
    pytest.skip("redis-server is not installed (apt-get install redis-server)", allow_module_level=True)

redis = pytest.importorskip("redis")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def redis_url():
    port = _free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"redis://127.0.0.1:{port}/0"
    client = redis.Redis.from_url(url)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield url
    server.terminate()
    server.wait(10)


def _monitor(*args: str, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "media_monitor", *args], cwd=ROOT, stdout=log.open("w"), stderr=subprocess.STDOUT
    )


def _worker(url, sources, tmp_path, n) -> subprocess.Popen:
    return _monitor(
        "worker",
        "--redis",
        url,
        "--sources",
        str(sources),
        "--cache-dir",
        str(tmp_path / f"cache{n}"),
        "--idle-exit",
        "2",
        *FAST,
        log=tmp_path / f"worker{n}.log",
    )


def _ingest(url, sources, db, tmp_path) -> subprocess.Popen:
    return _monitor(
        "ingest",
        "--redis",
        url,
        "--db",
        str(db),
        "--sources",
        str(sources),
        "--idle-exit",
        "2",
        log=tmp_path / "ingest.log",
    )


def _wait(proc: subprocess.Popen, log: Path, timeout: float = 150) -> None:
    try:
        proc.wait(timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail(f"{log.name} did not finish:\n{log.read_text()[-3000:]}")
    text = log.read_text()
    assert "Traceback" not in text, text[-3000:]
    assert proc.returncode == 0, text[-3000:]


def _stored(db: Path) -> list[str]:
    return [r["url"] for r in sqlite_utils.Database(db).query("select url from articles")]


def test_two_workers_and_one_writer_fetch_and_store_each_article_once(redis_url, tmp_path):
    with GeneratedSite(2000) as site:
        sources = site.write_sources(tmp_path / "sources.toml")
        db = tmp_path / "monitor.db"
        workers = [_worker(redis_url, sources, tmp_path, n) for n in (1, 2)]
        writer = _ingest(redis_url, sources, db, tmp_path)
        for n, proc in enumerate(workers, 1):
            _wait(proc, tmp_path / f"worker{n}.log")
        _wait(writer, tmp_path / "ingest.log")
        hits = site.article_hits()
    assert len(hits) == 2000
    assert [path for path, count in hits.items() if count > 1] == []
    stored = _stored(db)
    assert len(stored) == len(set(stored)) == 2000
    assert redis.Redis.from_url(redis_url).llen("monitor:items") == 0
    # each text's MinHash, computed by the worker that fetched it, is stored as computed
    sample = sqlite_utils.Database(db).query(
        "select a.text, s.shingles, s.minhash from articles a join text_signatures s on s.article_id = a.id limit 50"
    )
    for row in sample:
        assert (row["shingles"], row["minhash"]) == (signature(row["text"]).shingles, signature(row["text"]).to_bytes())
    # the outlet's part of the run, as a single-process crawl records it: the workers' counts
    # (fetched) with the writer's (new), and its health; no row for the writer itself
    rows = list(sqlite_utils.Database(db).query("select * from crawl_run_outlets"))
    assert [(r["outlet"], r["status"], r["fetched"], r["new"], r["failed"]) for r in rows] == [
        ("gen_en", "ok", 2000, 2000, 0)
    ]
    health = list(sqlite_utils.Database(db).query("select outlet, last_status from outlet_health"))
    assert health == [{"outlet": "gen_en", "last_status": "ok"}]


def test_a_killed_worker_loses_nothing(redis_url, tmp_path):
    client = redis.Redis.from_url(redis_url)
    with GeneratedSite(800) as site:
        sources = site.write_sources(tmp_path / "sources.toml")
        db = tmp_path / "monitor.db"
        victim = _worker(redis_url, sources, tmp_path, 1)
        survivor = _worker(redis_url, sources, tmp_path, 2)
        deadline = time.monotonic() + 60
        while client.llen("monitor:items") < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
        leased = sum(client.hlen(k) for k in client.scan_iter(match="monitor:gen_en:leases:*"))
        victim.send_signal(signal.SIGKILL)
        victim.wait()
        writer = _ingest(redis_url, sources, db, tmp_path)
        _wait(survivor, tmp_path / "worker2.log", timeout=170)
        _wait(writer, tmp_path / "ingest.log")
        hits = site.article_hits()
    assert victim.returncode == -signal.SIGKILL
    assert len(hits) == 800
    stored = _stored(db)
    assert len(stored) == len(set(stored)) == 800, f"{leased} requests were leased at the kill"
    # the killed worker added its counts every half second: the outlet's row misses at most
    # the last half second of them (about half of the first 300 articles were the victim's)
    [row] = sqlite_utils.Database(db).query("select fetched, new from crawl_run_outlets")
    assert row["new"] == 800
    assert row["fetched"] >= 750, row


def test_the_writer_records_each_round_as_a_crawl_run(redis_url, tmp_path):
    """A writer left running (a service) records each round the workers finish as one crawl
    run, with the outlet's row and health, as consecutive `monitor crawl` runs would."""
    db = tmp_path / "monitor.db"

    def recorded() -> int:
        if not db.exists():
            return 0
        return sqlite_utils.Database(db).execute("select count(*) from crawl_run_outlets").fetchone()[0]

    with GeneratedSite(300) as site:
        sources = site.write_sources(tmp_path / "sources.toml")
        writer = _monitor(
            "ingest", "--redis", redis_url, "--db", str(db), "--sources", str(sources), log=tmp_path / "ingest.log"
        )
        for round_ in (1, 2):
            workers = [_worker(redis_url, sources, tmp_path, n) for n in (1, 2)]
            for n, proc in enumerate(workers, 1):
                _wait(proc, tmp_path / f"worker{n}.log")
            deadline = time.monotonic() + 30
            while recorded() < round_ and time.monotonic() < deadline:
                time.sleep(0.2)
        writer.send_signal(signal.SIGINT)
        _wait(writer, tmp_path / "ingest.log")
    database = sqlite_utils.Database(db)
    rows = database.query(
        "select crawl_run_id, outlet, status, fetched, new, skipped_known from crawl_run_outlets order by crawl_run_id"
    )
    # the second round finds every article known: nothing fetched again, nothing new
    assert [tuple(r.values()) for r in rows] == [(1, "gen_en", "ok", 300, 300, 0), (2, "gen_en", "ok", 0, 0, 300)]
    assert database["crawl_runs"].count == 2  # no empty run when the writer stops


def test_a_distributed_backfill_stores_what_a_single_process_one_does(redis_url, tmp_path, site, sources, manifest):
    """`monitor worker --since … --until …` (sitemap partitions, listings, GDELT) + the writer:
    the same in-window articles as `monitor crawl --since … --until …` (tests/test_backfill.py)."""
    window = [
        "--since",
        "2024-04-01",
        "--until",
        "2024-06-30",
        "--set",
        f"MONITOR_GDELT_URL={site.base}/gdelt/api/v2/doc/doc",
        "--set",
        "MONITOR_GDELT_DELAY=0",
        "--set",
        "MONITOR_GDELT_CHUNK_DAYS=31",
    ]
    db = tmp_path / "monitor.db"
    workers = [
        _monitor(
            "worker",
            "--redis",
            redis_url,
            "--sources",
            str(sources),
            "--cache-dir",
            str(tmp_path / f"cache{n}"),
            "--idle-exit",
            "2",
            *FAST,
            *window,
            log=tmp_path / f"worker{n}.log",
        )
        for n in (1, 2)
    ]
    writer = _ingest(redis_url, sources, db, tmp_path)
    for n, proc in enumerate(workers, 1):
        _wait(proc, tmp_path / f"worker{n}.log")
    _wait(writer, tmp_path / "ingest.log")

    def url(page):
        return (site.alt_base if page.get("host") == "alt" else site.base) + page["path"]

    stored = {r["canonical_url"] for r in sqlite_utils.Database(db).query("select canonical_url from articles")}
    in_window = {
        url(p)
        for p in manifest
        if p["window"] == "in" and (p["expect"] == "stored" or p["how"] in ("content_hash", "title_window"))
    }
    assert stored == in_window
    gdelt_only = [
        p for p in manifest if p["found_via"] == ["gdelt"] and p["window"] == "in" and p["expect"] == "stored"
    ]
    assert gdelt_only and {url(p) for p in gdelt_only} <= stored


def test_workers_share_one_archive_pace_through_redis(redis_url):
    """Two workers' pacers (two Redis clients) take slots from one clock: spaced by the delay."""
    paces = [SharedPace(redis.Redis.from_url(redis_url), "monitor") for _ in range(2)]
    host = [("web.archive.org", 0.5)]
    waits = [paces[n % 2].reserve(host) for n in range(6)]
    assert [round(w * 2) for w in waits] == [0, 1, 2, 3, 4, 5]  # 0, 0.5, 1.0 … seconds
    # An index query takes the host's slot and its index clock's (1 s here): the next index query
    # waits for the index clock, the next replay only for the host's.
    index = [*host, ("web.archive.org index", 1.0)]
    assert round(paces[0].reserve(index) * 2) == 6
    assert round(paces[1].reserve(index) * 2) == 8
    assert round(paces[0].reserve(host) * 2) == 9
    # Another archive host has its own slots; a Retry-After pushes a slot out.
    assert paces[0].reserve([("index.commoncrawl.org", 0.5)]) < 0.05
    assert paces[1].reserve([("index.commoncrawl.org", 0.5)], wait_at_least=3.0) >= 3.0


def test_workers_backfill_from_the_archive_at_one_shared_pace(redis_url, tmp_path):
    """`monitor worker --since … --until …` with the Wayback route: two workers and the writer store
    the Courier's 2024 pages from the archive, and the stand-in, which answers 429 above 4
    requests a second per route (a burst of two), never has to: the workers' pace (0.25 s) is one, in Redis."""
    limit = RateLimit(per_second=4, burst=2)  # a pacer's slots arrive with some jitter
    with SampleSite() as live, karabakh_scenario(live.base, limits={"cdx": limit, "replay": limit}) as archive:
        sources = tmp_path / "sources.toml"
        sources.write_text(archive.sources_toml(), "utf-8")
        archive_settings = [
            *("--since", "2024-04-01", "--until", "2024-06-30"),
            *("--set", f"MONITOR_WAYBACK_URL={archive.base}", "--set", "MONITOR_ARCHIVE_DELAY=0.25"),
            *("--set", "MONITOR_ARCHIVE_INDEX_DELAY=0.3"),
            *("--set", "MONITOR_CC_INDEX_URL=", "--set", "MONITOR_CC_DATA_URL=", "--no-gdelt"),
            *("--set", "MONITOR_MAX_RETRY_AFTER=1"),  # a 429 fails the test, not its timeout
        ]
        workers = [
            _monitor(
                *("worker", "--redis", redis_url, "--sources", str(sources), "--cache-dir", str(tmp_path / f"c{n}")),
                *("--idle-exit", "3", *FAST, *archive_settings),
                log=tmp_path / f"worker{n}.log",
            )
            for n in (1, 2)
        ]
        for n, proc in enumerate(workers, 1):
            _wait(proc, tmp_path / f"worker{n}.log", timeout=240)
        statuses = [r.status for r in archive.request_log if r.family in ("cdx", "replay")]
    db = tmp_path / "monitor.db"
    _wait(_ingest(redis_url, sources, db, tmp_path), tmp_path / "ingest.log")  # the items wait in Redis
    manifest = tomllib.loads(ARCHIVE_MANIFEST.read_text("utf-8"))["page"]
    expected = {p["path"] for p in manifest if p["expect"] == "stored" and p["window"] == "in" and p["live"] != 200} & {
        p["path"] for p in manifest if "ia" in p["archives"]
    }
    rows = sqlite_utils.Database(db).query("select canonical_url, fetched_from from articles")
    from_wayback = {r["canonical_url"].removeprefix(live.base) for r in rows if r["fetched_from"] == "wayback"}
    assert len(statuses) >= 20
    assert 429 not in statuses
    assert len(from_wayback & expected) >= 0.95 * len(expected), sorted(expected - from_wayback)
