"""One worker of a scaled-out crawl (``monitor worker``): the outlets' spiders, and GDELT
discovery for a window, on the shared Redis queue, pushing their items for the writer.

The worker is an ordinary crawl job with ``worker_settings`` on top: the same spiders and
stateless stages, a shared scheduler and dupefilter instead of the local ones, no database.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from scrapy.crawler import CrawlerProcess

from media_monitor.config.sources import load_sources, select_outlets, sources_path
from media_monitor.crawl import GDELT, CrawlJob
from media_monitor.scaleout.distributed import worker_settings
from media_monitor.story.topic import load_topic


def run_worker(
    redis_url: str,
    *,
    sources: str | os.PathLike | None = None,
    outlets: Sequence[str] = (),
    topic: str | os.PathLike | None = None,
    topic_filter: bool = True,
    since: str | None = None,
    until: str | None = None,
    gdelt: bool | None = None,
    archive: bool | None = None,
    idle_exit: float = 5.0,
    cache_dir: str | os.PathLike | None = None,
    key_prefix: str = "monitor",
    overrides: dict[str, str] | None = None,
) -> None:
    """Crawl the named outlets (default: every outlet) as a worker until the round's queue is
    done. Runs Twisted's reactor: once per process.

    A bad sources or topic file, or an outlet the sources file lacks, raises SourcesError or
    TopicError before Redis is touched. ``overrides`` are Scrapy settings, applied last.
    """
    names = [o.name for o in select_outlets(load_sources(sources), outlets, sources_path(sources))]
    load_topic(topic)  # the spiders load it again; a bad file fails here, before the queue
    job = CrawlJob(
        db="worker.db",  # unused: worker_settings leave the worker without a database
        sources=sources,
        outlets=names,
        topic=topic,
        topic_filter=topic_filter,
        since=since,
        until=until,
        gdelt=gdelt,
        archive=archive,
        overrides={
            **worker_settings(redis_url, key_prefix),
            "MONITOR_WORKER_IDLE_EXIT": idle_exit,
            "HTTPCACHE_DIR": str(Path(cache_dir or Path.home() / ".cache/media-monitor/httpcache")),
            **(overrides or {}),
        },
    )
    process = CrawlerProcess(job.settings())
    for name in names + ([GDELT] if job.uses_gdelt else []):
        process.crawl(name)
    process.start()
