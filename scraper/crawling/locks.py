"""One crawl of an outlet at a time, across processes, surviving crashes and reboots.

A lock is an exclusive ``flock`` on an open file beside the database (``monitor.db-locks/NAME.lock``),
held for the crawl's life. The operating system drops it when the process ends, however it ends:
a dead process holds nothing, whatever pid its file names (after a reboot or a container
restart that pid may be a live process, even the new crawl itself), and of two processes that
try at once exactly one wins. The file's text (pid, host, start time) only says who holds it,
for the message of the one that is refused.

``scrapy crawl NAME``, which bypasses ``monitor crawl``, takes the same lock through the
``CrawlLock`` extension.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import socket
import time
from pathlib import Path
from typing import IO

from scrapy import signals
from scrapy.exceptions import CloseSpider, NotConfigured

from media_monitor.storage.store import ArticleStore

logger = logging.getLogger(__name__)


class OutletLock:
    def __init__(self, folder: str | os.PathLike, outlet: str):
        self.path = Path(folder) / f"{outlet}.lock"
        self._file: IO[str] | None = None

    @property
    def held(self) -> bool:
        return self._file is not None

    def holder(self) -> dict | None:
        """Who took the lock last (pid, host, started), as its file says."""
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None

    def acquire(self) -> bool:
        """Take the lock; False when another process holds it."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        while True:
            file = open(self.path, "a+")  # noqa: SIM115 -- held open for the crawl's life; "a+" never truncates a holder's record
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                file.close()
                return False
            if _same_file(file, self.path):
                break
            # The holder released (and removed) the file between our open and our flock: the
            # lock we got is on a file no one else will open. Try the path's new file.
            file.close()
        file.seek(0)
        file.truncate()
        json.dump({"pid": os.getpid(), "host": socket.gethostname(), "started": time.time()}, file)
        file.flush()
        self._file = file
        return True

    def release(self) -> None:
        if self._file is not None:
            self.path.unlink(missing_ok=True)  # removed while still locked: see acquire's check
            self._file.close()
            self._file = None

    def taken_elsewhere(self) -> bool:
        """Whether another process holds the lock now (a probe: a shared lock taken and dropped)."""
        try:
            file = open(self.path)  # noqa: SIM115
        except FileNotFoundError:
            return False
        with file:
            try:
                fcntl.flock(file, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            return False


def _same_file(file: IO[str], path: Path) -> bool:
    try:
        return os.stat(path).st_ino == os.fstat(file.fileno()).st_ino
    except FileNotFoundError:
        return False


def lock_folder(db: str | os.PathLike) -> Path:
    return Path(str(Path(db).resolve()) + "-locks")


def mark_killed_runs(store: ArticleStore, folder: str | os.PathLike, held: set[str]) -> list[int]:
    """Record as ``interrupted`` each run still ``running`` whose process is gone: none of its
    outlets is locked by another process, and one at least shows that a crawl of it ended
    without releasing its lock — this process holds it now (``held``), or its lock file was left
    behind. (The writer of a scale-out, which locks nothing, leaves no such trace: its live run
    is not taken for a killed one.) Return their ids."""

    def free(name: str) -> bool:
        return name in held or not OutletLock(folder, name).taken_elsewhere()

    def left_behind(name: str) -> bool:
        return name in held or OutletLock(folder, name).path.exists()

    killed = [
        run_id for run_id, outlets in store.running_runs() if all(map(free, outlets)) and any(map(left_behind, outlets))
    ]
    for run_id in killed:
        store.finish_killed_run(run_id)
        logger.warning("Crawl run %s was killed before it finished: recorded as interrupted", run_id)
    return killed


class CrawlLock:
    """The outlet lock for a crawl started as ``scrapy crawl NAME``: taken as the crawler is
    built, released when the spider closes. Off when ``monitor crawl`` (``CrawlJob``, which sets
    MONITOR_CRAWL_RUN_ID) holds the locks already, for a worker without a database, and for a
    crawler that runs no engine (the scale-out writer, ``reextract``): they crawl nothing."""

    def __init__(self, crawler, lock: OutletLock):
        self.lock = lock
        self.refused = not lock.acquire()
        if self.refused:
            holder = lock.holder() or {}
            logger.warning(
                "%s is being crawled by process %s on %s: skipped",
                crawler.spidercls.name,
                holder.get("pid"),
                holder.get("host"),
            )
            # No store stage: it would record a run for a crawl that does not happen. The
            # pipelines are built after the extensions, from these (not yet frozen) settings.
            crawler.settings.set("ITEM_PIPELINES", {}, priority=100)
        else:
            store = ArticleStore.acquire(crawler.settings["MONITOR_DB"])
            try:
                mark_killed_runs(store, lock.path.parent, {crawler.spidercls.name})
            finally:
                store.release()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        db = crawler.settings.get("MONITOR_DB")
        # Crawler.crawl() creates the spider before the extensions; a crawler built to run no
        # engine (compat.apply_crawler_settings) has none yet. No message: no warning logged.
        if not db or crawler.settings.get("MONITOR_CRAWL_RUN_ID") or crawler.spider is None:
            raise NotConfigured
        return cls(crawler, OutletLock(lock_folder(db), crawler.spidercls.name))

    def spider_opened(self, spider):
        if self.refused:
            raise CloseSpider("outlet_locked")

    def spider_closed(self, spider):
        self.lock.release()
