import json
import os
import socket
import subprocess
import sys
import time

from media_monitor.crawling.locks import MAX_AGE, OutletLock


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


def test_a_live_holder_keeps_it_and_an_old_lock_is_stale(tmp_path):
    _write(tmp_path / "oc_media.lock", pid=os.getppid())
    assert not OutletLock(tmp_path, "oc_media").acquire()
    _write(tmp_path / "oc_media.lock", pid=os.getppid(), started=time.time() - MAX_AGE - 1)
    assert OutletLock(tmp_path, "oc_media").acquire()


def test_an_unreadable_lock_is_stale(tmp_path):
    (tmp_path / "oc_media.lock").write_text("")
    assert OutletLock(tmp_path, "oc_media").acquire()
