"""One crawl: every selected outlet's spider (and GDELT discovery) in one Scrapy process,
recorded as a crawl run."""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from scrapy import signals
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from media_monitor.config.sources import load_sources, select_outlets, sources_path
from media_monitor.crawling.locks import OutletLock, lock_folder, mark_killed_runs
from media_monitor.storage.store import ArticleStore
from media_monitor.story.topic import load_topic

GDELT = "gdelt"
logger = logging.getLogger(__name__)


@dataclass
class CrawlJob:
    db: str | os.PathLike
    sources: str | os.PathLike | None = None
    outlets: list[str] = field(default_factory=list)  # empty: every outlet of the sources file
    topic: str | os.PathLike | None = None
    topic_filter: bool = True
    since: str | None = None  # date or UTC time, as DateWindow.from_bounds takes them
    until: str | None = None
    refresh: bool = False  # download known article URLs again
    job_dir: str | os.PathLike | None = None  # persist each spider's queue here, to resume
    gdelt: bool | None = None  # None: on when the crawl has a window
    archive: bool | None = None  # web archives (spiders/archive.py); None: on when the crawl has a window
    overrides: dict[str, str] = field(default_factory=dict)  # Scrapy settings

    @property
    def uses_gdelt(self) -> bool:
        return self.gdelt if self.gdelt is not None else bool(self.since or self.until)

    def settings(self) -> Settings:
        os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "media_monitor.settings")
        settings = get_project_settings()
        values = {
            "MONITOR_DB": str(self.db),
            "MONITOR_SOURCES": str(sources_path(self.sources)),
            "MONITOR_TOPIC_FILTER": self.topic_filter,
            "MONITOR_SINCE": self.since,
            "MONITOR_UNTIL": self.until,
            "MONITOR_REFRESH": self.refresh,
            # Read by the outlet spiders only with a window; None keeps the settings' default.
            **({"MONITOR_ARCHIVE": self.archive} if self.archive is not None else {}),
            # The source cache lives beside the database it serves.
            "HTTPCACHE_DIR": str(Path(self.db).resolve()) + "-httpcache",
        }
        if self.topic:
            values["MONITOR_TOPIC"] = str(self.topic)
        if (self.since or self.until) and "MONITOR_OUTLET_BUDGET" not in os.environ:
            # A backfill's time is the archives' pace (one request a second shared by every
            # outlet), not what an outlet makes it do: it runs for hours, by design.
            values["MONITOR_OUTLET_BUDGET"] = settings.getfloat("MONITOR_BACKFILL_BUDGET")
        for key, value in {**values, **self.overrides}.items():
            settings.set(key, value, priority="cmdline")
        return settings


def run_crawl(job: CrawlJob) -> int | None:
    """Crawl the job's outlets; return the run's id, or None when every outlet is being crawled
    by another process. Runs Twisted's reactor: once per process.

    A bad sources or topic file, or an outlet the sources file lacks, raises SourcesError or
    TopicError before anything is crawled. Each outlet is locked for the crawl (see
    ``media_monitor.crawling.locks``), and unlocked when its part of the run is recorded; a run
    left ``running`` by a killed crawl is recorded as ``interrupted`` first. Each outlet stops at
    its budget (``MONITOR_OUTLET_BUDGET``) and is then recorded ``partial``.
    SIGINT/SIGTERM stop it gracefully: requests in flight
    finish, their items are stored, and the run is recorded as ``interrupted``; with
    ``job_dir`` the next crawl resumes the rest.
    """
    outlets = select_outlets(load_sources(job.sources), job.outlets, sources_path(job.sources))
    topic_name = load_topic(job.topic).name  # fail before crawling if the topic file is bad

    spiders = [o.name for o in outlets] + ([GDELT] if job.uses_gdelt else [])
    locks = {name: OutletLock(lock_folder(job.db), name) for name in spiders}
    for name, lock in locks.items():
        if not lock.acquire():
            holder = lock.holder() or {}
            logger.warning(
                "%s is being crawled by process %s on %s: skipped", name, holder.get("pid"), holder.get("host")
            )
    spiders = [name for name in spiders if locks[name].held]
    if not spiders:
        return None

    settings = job.settings()
    store = ArticleStore.acquire(job.db)
    try:
        mark_killed_runs(store, lock_folder(job.db), set(spiders))
        store.upsert_outlets([o.as_row() for o in outlets if o.name in spiders])
        run_id = store.start_run(spiders, topic_name, job.topic_filter, job.since, job.until)
        settings.set("MONITOR_CRAWL_RUN_ID", run_id, priority="cmdline")
        process = CrawlerProcess(settings)
        crawlers = []
        for name in spiders:
            crawler = process.create_crawler(name)
            if job.job_dir:  # one queue per spider: Scrapy's JOBDIR holds one spider's state
                crawler.settings.set("JOBDIR", str(Path(job.job_dir) / name), priority="cmdline")
            # The outlet is free as soon as its part is recorded: a scheduler need not wait for
            # the slowest outlet of the run to crawl it again (media_monitor.operations.schedule).
            crawler.signals.connect(locks[name].release, signal=signals.spider_closed, weak=False)
            process.crawl(crawler)
            crawlers.append(crawler)
        process.start()
        stopped = any(c.stats.get_value("finish_reason") == "shutdown" for c in crawlers)
        store.finish_run(run_id, "interrupted" if stopped else None)
    finally:
        store.release()
        for lock in locks.values():
            lock.release()
    return run_id


def run_summary(db: str | os.PathLike, run_id: int) -> tuple[dict, list[dict]]:
    """The run's row and its per-outlet rows."""
    store = ArticleStore.acquire(db)
    try:
        run = store.db["crawl_runs"].get(run_id)
        rows = list(store.db["crawl_run_outlets"].rows_where("crawl_run_id = ?", [run_id], order_by="outlet"))
    finally:
        store.release()
    return run, rows
