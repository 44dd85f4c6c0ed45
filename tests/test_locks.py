"""Outlet locks under a hostile setup: lock files naming reused pids, processes racing for one
lock, `scrapy crawl` beside `monitor crawl`, and runs killed mid-crawl."""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import textwrap
import time

from media_monitor.crawling.locks import OutletLock, lock_folder, mark_killed_runs
from media_monitor.storage.store import ArticleStore
from tests.conftest import ROOT, crawl


def test_one_holder_at_a_time(tmp_path):
    first, second = OutletLock(tmp_path, "oc_media"), OutletLock(tmp_path, "oc_media")
    assert first.acquire()
    assert not second.acquire()
    assert OutletLock(tmp_path, "tass_en").acquire()  # another outlet is free
    first.release()
    assert second.acquire()


def _write(path, **holder):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"host": socket.gethostname(), "started": time.time(), **holder}))


def test_a_dead_holders_lock_is_taken_over(tmp_path):
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    _write(tmp_path / "oc_media.lock", pid=int(dead.stdout))
    assert OutletLock(tmp_path, "oc_media").acquire()


def test_a_lock_file_naming_a_live_pid_is_free_unless_a_process_holds_it(tmp_path):
    # After a reboot or a container restart the pid a leftover file names may be a live process:
    # init, this test's parent, or the new crawl itself.
    for pid in (1, os.getppid(), os.getpid()):
        _write(tmp_path / "oc_media.lock", pid=pid)
        lock = OutletLock(tmp_path, "oc_media")
        assert lock.acquire(), pid
        assert lock.holder()["pid"] == os.getpid()
        lock.release()
        assert not (tmp_path / "oc_media.lock").exists()
    (tmp_path / "oc_media.lock").write_text("")  # a crash between create and write
    assert OutletLock(tmp_path, "oc_media").acquire()


def test_a_lock_held_by_a_live_process_is_refused_and_freed_when_it_is_killed(tmp_path):
    holder = subprocess.Popen(
        [sys.executable, "-c", _TAKE.format(folder=str(tmp_path)) + "print('held', flush=True); time.sleep(60)"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        lock = OutletLock(tmp_path, "oc_media")
        assert lock.taken_elsewhere()
        assert not lock.acquire()
        assert lock.holder()["pid"] == holder.pid
    finally:
        holder.kill()
        holder.wait()
    assert not lock.taken_elsewhere()  # the kernel dropped the dead process's lock
    assert lock.acquire()


_TAKE = "import time\nfrom media_monitor.crawling.locks import OutletLock\nlock = OutletLock({folder!r}, 'oc_media')\nassert lock.acquire()\n"

# One racing taker: once every racer is ready, at each trial's time it tries the trial's lock,
# over a stale file naming a dead process; it keeps what it won until every racer is done.
_RACER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from media_monitor.crawling.locks import OutletLock
    folder, racers, trials = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])

    def everyone(state):
        (folder / f"{state}-{os.getpid()}").touch()
        while len(list(folder.glob(f"{state}-*"))) < racers:
            time.sleep(0.01)

    everyone("ready")
    start = max(p.stat().st_mtime for p in folder.glob("ready-*")) + 0.5
    kept = []
    for trial in range(trials):
        time.sleep(max(0.0, start + trial * 0.05 - time.time()))
        lock = OutletLock(folder / str(trial), "oc_media")
        if lock.acquire():
            kept.append(lock)
            (folder / str(trial) / f"won-{os.getpid()}").touch()
    everyone("done")
    """
)


def test_of_racing_takers_exactly_one_wins(tmp_path):
    trials, racers = 100, 5
    dead = int(
        subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout
    )
    for trial in range(trials):
        _write(tmp_path / str(trial) / "oc_media.lock", pid=dead)
    processes = [
        subprocess.Popen([sys.executable, "-c", _RACER, str(tmp_path), str(racers), str(trials)], cwd=ROOT)
        for _ in range(racers)
    ]
    assert [p.wait(timeout=120) for p in processes] == [0] * racers
    winners = [len(list((tmp_path / str(trial)).glob("won-*"))) for trial in range(trials)]
    assert winners == [1] * trials


def test_only_runs_whose_crawl_is_gone_are_marked_killed(tmp_path):
    store = ArticleStore(tmp_path / "m.db")
    folder = lock_folder(tmp_path / "m.db")
    left, live, writer, mine = (store.start_run([name], "t", True) for name in ("left", "live", "ingest", "mine"))
    _write(folder / "left.lock", pid=1)  # the file a killed crawl left behind
    holder = OutletLock(folder, "live")
    assert holder.acquire()  # a live crawl (another open file: flock tells them apart)
    assert mark_killed_runs(store, folder, held={"mine"}) == [left, mine]
    statuses = dict(store.db.execute("select id, status from crawl_runs").fetchall())
    assert statuses == {left: "interrupted", live: "running", writer: "running", mine: "interrupted"}
    holder.release()
    store.db.close()


SLOW = ["-s", "DOWNLOAD_DELAY=0.4", "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "MONITOR_BATCH_SIZE=1"]


def _scrapy_crawl(db, sources, *extra, **popen):
    env = {**os.environ, "MONITOR_DB": str(db), "MONITOR_SOURCES": str(sources)}
    return subprocess.Popen(
        [sys.executable, "-m", "scrapy", "crawl", "herald_en", *extra],
        cwd=ROOT,
        env=env,
        text=True,
        stderr=subprocess.PIPE,
        **popen,
    )


def _rows(db, sql):
    try:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute(sql).fetchall()
    except sqlite3.OperationalError:
        return []


def test_scrapy_crawl_skips_an_outlet_monitor_crawl_holds(sources, tmp_path):
    db = tmp_path / "m.db"
    lock = OutletLock(lock_folder(db), "herald_en")
    assert lock.acquire()  # as `monitor crawl` holds it
    try:
        skipped = _scrapy_crawl(db, sources)
        _, stderr = skipped.communicate(timeout=120)
    finally:
        lock.release()
    assert skipped.returncode == 0, stderr
    assert "herald_en is being crawled by process" in stderr
    assert "Traceback" not in stderr
    assert _rows(db, "select count(*) from articles") in ([], [(0,)])  # nothing fetched, nothing stored
    assert _rows(db, "select count(*) from crawl_runs") in ([], [(0,)])


def test_a_killed_scrapy_crawl_holds_nothing_and_its_run_is_marked_interrupted_with_its_rows(sources, tmp_path):
    db = tmp_path / "m.db"
    victim = _scrapy_crawl(db, sources, *SLOW, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 90
        while _rows(db, "select count(*) from articles") in ([], [(0,)]) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not OutletLock(lock_folder(db), "herald_en").acquire()  # `scrapy crawl` holds the lock
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=30)
    stored = _rows(db, "select count(*) from articles")[0][0]
    assert _rows(db, "select status from crawl_runs") == [("running",)]

    again = crawl(db, sources, "--outlet", "herald_en")
    assert again.returncode == 0, again.stderr
    assert "Crawl run 1 was killed before it finished: recorded as interrupted" in again.stderr
    killed = _rows(db, "select status, fetched, new + borderline + off_topic + duplicates from crawl_runs where id = 1")
    assert killed == [("interrupted", stored, stored)]
    assert _rows(db, "select status, error from crawl_run_outlets where crawl_run_id = 1") == [
        ("interrupted", "the crawl was killed before it finished")
    ]
    assert _rows(db, "select status from crawl_runs where id = 2") == [("completed",)]
