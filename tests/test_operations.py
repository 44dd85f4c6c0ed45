"""Unattended operation: health and staleness, the scheduler, locks, signals, SIGKILL, and
reads during writes. Real subprocesses, real signals, the real sample site."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.request

import sqlite_utils
from click.testing import CliRunner

from media_monitor.cli import cli
from media_monitor.crawling.locks import OutletLock, lock_folder
from media_monitor.operations.lastgood import LastGoodConfig
from tests.conftest import FAST, ROOT, crawl, run_monitor

SLOW = [
    "--set",
    "AUTOTHROTTLE_ENABLED=False",
    "--set",
    "DOWNLOAD_DELAY=0.4",
    "--set",
    "RANDOMIZE_DOWNLOAD_DELAY=False",
    "--set",
    "CONCURRENT_REQUESTS_PER_DOMAIN=1",
    "--set",
    "MONITOR_BATCH_SIZE=1",
]


def _monitor(*args, **popen):
    return subprocess.Popen(
        [sys.executable, "-m", "media_monitor", *args],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        **popen,
    )


def _wait_until(condition, seconds=60.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def _count(db, sql):
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute(sql).fetchone()[0]
    except sqlite3.OperationalError:
        return 0  # not created yet


def test_health_marks_an_outlet_stale_after_three_empty_runs(site, tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text(
        site.sources_toml()
        + (
            f'\n[[outlet]]\nname = "dead_en"\ntitle = "Dead feed"\nhomepage = "{site.base}/dead/"\nlanguage = "en"\n'
            f'country = "GE"\ntimezone = "Asia/Tbilisi"\nfeeds = ["{site.base}/dead/feed.xml"]\n'
        ),
        encoding="utf-8",
    )
    db = tmp_path / "m.db"
    for run in range(3):
        crawl(db, sources, "--outlet", "dead_en", "--outlet", "yerevan_hy")
        result = CliRunner().invoke(cli, ["status", "--db", str(db), "--check"])
        assert (result.exit_code == 1) is (run == 2), result.output
    assert "stale: dead_en" in result.output
    assert "STALE: last failed" in result.output
    health = {r["outlet"]: r for r in sqlite_utils.Database(db)["outlet_health"].rows}
    assert health["dead_en"]["consecutive_failures"] == 3 and health["dead_en"]["stale"] == 1
    assert health["yerevan_hy"]["stale"] == 0 and health["yerevan_hy"]["last_listed"] > 0
    # backoff: the failing outlet is due much later than the healthy one
    assert health["dead_en"]["next_crawl_at"] > health["yerevan_hy"]["next_crawl_at"]


def _three_scheduled_crawls(db, sources) -> list[str]:
    """`monitor schedule` arguments: yerevan_hy every second, three crawls."""
    every_second = ["--every", "1s", "--outlet", "yerevan_hy", "--max-runs", "3"]
    return ["schedule", "--db", str(db), "--sources", str(sources), *every_second, "--", *FAST]


def test_schedule_runs_one_crawl_per_cycle(sources, tmp_path):
    db = tmp_path / "m.db"
    result = run_monitor(*_three_scheduled_crawls(db, sources), timeout=180)
    assert result.returncode == 0, result.stderr
    runs = list(sqlite_utils.Database(db).query("select status, outlets from crawl_runs order by id"))
    assert [r["status"] for r in runs] == ["completed"] * 3
    assert "3 crawls run" in result.stderr


def test_schedule_keeps_crawling_with_the_last_good_sources_file(sources, tmp_path):
    db, edited = tmp_path / "m.db", tmp_path / "sources.toml"
    edited.write_bytes(sources.read_bytes())
    scheduler = _monitor(*_three_scheduled_crawls(db, edited))
    try:
        assert _wait_until(lambda: _count(db, "select count(*) from crawl_runs where status != 'running'") >= 1)
        edited.write_text("outlet = [1, 2]\n")  # saved mid-edit; the scheduler used to die on it
        _, stderr = scheduler.communicate(timeout=180)
    finally:
        if scheduler.poll() is None:
            scheduler.kill()
    assert scheduler.returncode == 0, stderr
    assert "Traceback" not in stderr
    errors = [line for line in stderr.splitlines() if " ERROR " in line]
    assert len(errors) == 1, stderr  # once, not at every tick
    assert f"{edited}: outlet #1, key 'outlet': 1 is not an [[outlet]] table" in errors[0]
    assert "crawling with the last good sources file" in errors[0]
    statuses = [r[0] for r in sqlite3.connect(db).execute("select status from crawl_runs")]
    assert statuses == ["completed"] * 3


def test_last_good_config_is_kept_while_a_file_is_bad_and_taken_up_when_fixed(sources, tmp_path, caplog):
    edited, topic = tmp_path / "sources.toml", tmp_path / "story.toml"
    edited.write_bytes(sources.read_bytes())
    topic.write_text('[[concept]]\nname = "force"\n[concept.terms]\nen = ["peacekeep*"]\n')
    config = LastGoodConfig.create(tmp_path / "m.db", edited, topic, ["yerevan_hy"])
    assert config.names == ["yerevan_hy"]
    good_sources, good_topic = config.copy("sources").read_bytes(), config.copy("topic").read_bytes()
    assert config.crawl_options() == ["--sources", str(config.copy("sources")), "--topic", str(config.copy("topic"))]
    assert config.copy("topic").name == "story.toml"  # a topic without a name is named by its file

    edited.write_text(sources.read_text().replace('name = "yerevan_hy"', 'name = "yerevan"'))  # --outlet gone
    topic.write_text('[[concept]]\nname = "force"\n[concept.terms]\nen = "peacekeep*"\n')
    for _ in range(3):
        config.refresh()
    assert config.names == ["yerevan_hy"]
    assert (config.copy("sources").read_bytes(), config.copy("topic").read_bytes()) == (good_sources, good_topic)
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert len(errors) == 2
    assert errors[0].startswith(f"no outlet named yerevan_hy in {edited}; crawling with the last good sources file")
    assert errors[1].startswith(f"{topic}: concept 'force', key 'terms.en': 'peacekeep*' is a string")

    edited.write_bytes(sources.read_bytes())
    topic.write_text('[[concept]]\nname = "force"\n[concept.terms]\nen = ["peacekeeper*"]\n')
    config.refresh()
    assert config.copy("topic").read_text() == topic.read_text()
    assert f"{topic} is valid again: crawling with it" in caplog.text


def test_schedule_stops_cleanly_on_sigterm_and_marks_the_run_interrupted(sources, tmp_path):
    db = tmp_path / "m.db"
    scheduler = _monitor(
        "schedule", "--db", str(db), "--sources", str(sources), "--every", "1s", "--outlet", "herald_en", "--", *SLOW
    )
    try:
        assert _wait_until(lambda: _count(db, "select count(*) from articles") >= 1), "no article stored"
        scheduler.send_signal(signal.SIGTERM)
        scheduler.wait(timeout=60)
    finally:
        if scheduler.poll() is None:
            scheduler.kill()
    assert scheduler.returncode == 0, scheduler.stderr.read()
    statuses = [r[0] for r in sqlite3.connect(db).execute("select status from crawl_runs")]
    assert statuses == ["interrupted"]
    assert not list(lock_folder(db).glob("*.lock"))  # locks released


def test_a_locked_outlet_is_not_crawled_twice(sources, tmp_path):
    db = tmp_path / "m.db"
    lock = OutletLock(lock_folder(db), "yerevan_hy")
    assert lock.acquire()  # as if a live crawl held it (this test process is alive)
    try:
        result = crawl(db, sources, "--outlet", "yerevan_hy", "--outlet", "baku_az")
    finally:
        lock.release()
    assert result.returncode == 0
    assert "yerevan_hy is being crawled by process" in result.stderr
    outlets = [r[0] for r in sqlite3.connect(db).execute("select outlet from crawl_run_outlets")]
    assert outlets == ["baku_az"]


def test_sigkill_mid_crawl_loses_nothing_committed_and_the_next_run_completes(sources, tmp_path):
    db = tmp_path / "m.db"
    victim = _monitor(
        "crawl", "--db", str(db), "--sources", str(sources), "--outlet", "herald_en", "--outlet", "baku_az", *SLOW
    )
    assert _wait_until(lambda: _count(db, "select count(*) from articles") >= 2), "nothing committed"
    committed = {r[0] for r in sqlite3.connect(db).execute("select url_key from articles")}
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=30)

    with sqlite3.connect(db) as conn:
        assert conn.execute("pragma integrity_check").fetchone()[0] == "ok"
        survived = {r[0] for r in conn.execute("select url_key from articles")}
    assert committed <= survived

    # the dead crawl's locks are stale (its process is gone): the next run takes them over
    again = crawl(db, sources, "--outlet", "herald_en", "--outlet", "baku_az")
    assert again.returncode == 0, again.stderr
    # the killed run is no longer "running": interrupted, with the rows it stored counted
    killed = sqlite3.connect(db).execute("select status, fetched from crawl_runs where id = 1").fetchone()
    assert killed[0] == "interrupted" and killed[1] >= len(committed)  # rows committed until the kill
    full = tmp_path / "full.db"
    crawl(full, sources, "--outlet", "herald_en", "--outlet", "baku_az")
    keys = [r[0] for r in sqlite3.connect(db).execute("select url_key from articles")]
    assert len(keys) == len(set(keys))  # no duplicate rows
    assert set(keys) == {r[0] for r in sqlite3.connect(full).execute("select url_key from articles")}


def test_a_crawl_stopped_by_sigterm_resumes_from_its_job_directory(sources, tmp_path):
    db, jobs = tmp_path / "m.db", tmp_path / "jobs"
    first = _monitor(
        "crawl", "--db", str(db), "--sources", str(sources), "--outlet", "herald_en", "--job-dir", str(jobs), *SLOW
    )
    assert _wait_until(lambda: _count(db, "select count(*) from articles") >= 1)
    first.send_signal(signal.SIGTERM)
    first.wait(timeout=60)
    assert (jobs / "herald_en").is_dir()
    resumed = crawl(db, sources, "--outlet", "herald_en", "--job-dir", str(jobs))
    assert resumed.returncode == 0, resumed.stderr
    runs = [r[0] for r in sqlite3.connect(db).execute("select status from crawl_runs order by id")]
    assert runs == ["interrupted", "completed"]
    keys = [r[0] for r in sqlite3.connect(db).execute("select url_key from articles")]
    assert len(keys) == len(set(keys)) and len(keys) == 4  # herald_en's four on-topic articles


def test_datasette_answers_while_a_crawl_writes(sources, tmp_path):
    from tests.test_datasette import _free_port

    db = tmp_path / "m.db"
    crawl(db, sources, "--outlet", "yerevan_hy")  # a database to serve from the start
    port = _free_port()
    server = _monitor("serve", "--db", str(db), "--port", str(port))
    writer = None
    try:
        base = f"http://127.0.0.1:{port}/m"
        assert _wait_until(lambda: _ok(base + ".json"), 60)
        writer = _monitor(
            "crawl",
            "--db",
            str(db),
            "--sources",
            str(sources),
            "--outlet",
            "herald_en",
            "--outlet",
            "baku_az",
            "--outlet",
            "ararat_en",
            *SLOW,
        )
        answers, errors = [], []
        paths = [
            "/articles.json?_shape=objects",
            "/clusters.json",
            "/coverage_per_day_per_outlet.json",
            "/articles.json?_search=peacekeepers",
            "/crawl_runs.json",
        ]

        def burst(offset):
            for n in range(100):
                try:
                    with urllib.request.urlopen(base + paths[(n + offset) % len(paths)], timeout=30) as response:
                        answers.append((response.status, response.read()))
                except Exception as exc:
                    errors.append(repr(exc))

        threads = [threading.Thread(target=burst, args=(k,)) for k in range(5)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        writer.wait(timeout=180)
    finally:
        server.terminate()
        server.wait(timeout=20)
        if writer and writer.poll() is None:
            writer.kill()
    assert errors == []
    assert len(answers) == 500 and all(status == 200 for status, _ in answers)
    assert not any(b"database is locked" in body for _, body in answers)
    assert writer.returncode == 0
    assert "database is locked" not in writer.stderr.read()
    assert [r[0] for r in sqlite3.connect(db).execute("select status from crawl_runs")] == ["completed", "completed"]


def _ok(url):
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def test_health_is_browsable_in_datasette(crawled):
    import asyncio

    from media_monitor.web.app import make_datasette

    datasette = make_datasette(crawled[0])
    page = asyncio.run(datasette.client.get("/monitor/outlet_health"))
    assert page.status_code == 200 and "Crawl health, one row per outlet" in page.text
    rows = asyncio.run(datasette.client.get("/monitor/outlet_health.json?_shape=objects")).json()["rows"]
    assert rows and {"stale", "last_success_at", "consecutive_failures", "next_crawl_at"} <= set(rows[0])
