"""One crawl: every selected outlet's spider in one Scrapy process, recorded as a crawl run."""

from __future__ import annotations

import os
from pathlib import Path

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings

from scraper.sources import load_sources, sources_path
from scraper.store import ArticleStore
from scraper.topic import load_topic


def crawl_settings(db: str | os.PathLike, sources: str | os.PathLike | None = None,
                   topic: str | os.PathLike | None = None, topic_filter: bool = True,
                   overrides: dict[str, str] | None = None) -> Settings:
    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "scraper.settings")
    settings = get_project_settings()
    settings.set("MONITOR_DB", str(db), priority="cmdline")
    settings.set("MONITOR_SOURCES", str(sources_path(sources)), priority="cmdline")
    if topic:
        settings.set("MONITOR_TOPIC", str(topic), priority="cmdline")
    settings.set("MONITOR_TOPIC_FILTER", topic_filter, priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def run_crawl(db: str | os.PathLike, sources: str | os.PathLike | None = None,
              outlets: list[str] | None = None, topic: str | os.PathLike | None = None,
              topic_filter: bool = True, overrides: dict[str, str] | None = None) -> int:
    """Crawl the outlets (all of the sources file when none are named); return the run's id.

    Runs the Twisted reactor, so it can be called once per process.
    """
    known = load_sources(sources)
    names = outlets or [o.name for o in known]
    unknown = sorted(set(names) - {o.name for o in known})
    if unknown:
        raise ValueError(f"no outlet named {', '.join(unknown)} in {sources_path(sources)}")
    topic_name = load_topic(topic).name  # fail before crawling if the topic file is bad

    settings = crawl_settings(db, sources, topic, topic_filter, overrides)
    store = ArticleStore.acquire(db)
    try:
        store.upsert_outlets([o.as_row() for o in known if o.name in names])
        run_id = store.start_run(names, topic_name, topic_filter)
        settings.set("MONITOR_CRAWL_RUN_ID", run_id, priority="cmdline")
        process = CrawlerProcess(settings, install_root_handler=True)
        for name in names:
            process.crawl(name)
        try:
            process.start()
            status = None
        except KeyboardInterrupt:
            status = "interrupted"
        store.finish_run(run_id, status)
    finally:
        store.release()
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
