"""What the stages share: CPU timing, counting and dropping, the store they open."""

from __future__ import annotations

import functools
import time

from scrapy.exceptions import DropItem, NotConfigured

from media_monitor import settings as defaults  # a crawler built without the project settings
from media_monitor.storage.store import ArticleStore


def timed(stage: str):
    """Adds the CPU time of a stage's ``process_item`` to the ``monitor/cpu/<stage>`` stat, so
    that a crawl says where its CPU went (bench/crawl.py reads it)."""

    def decorate(process_item):
        @functools.wraps(process_item)
        def timed_process_item(self, item):
            started = time.process_time()
            try:
                return process_item(self, item)
            finally:
                self.stats.inc_value(f"monitor/cpu/{stage}", time.process_time() - started)

        return timed_process_item

    return decorate


class CountingStage:
    """A stage that counts in the crawl's stats and names the outcome of what it drops."""

    def count(self, key: str, by: int = 1) -> None:
        self.stats.inc_value(f"monitor/{key}", by)

    def drop(self, item, outcome: str, message: str, log_level: str = "INFO"):
        item["outcome"] = outcome
        self.count(outcome)
        raise DropItem(message, log_level=log_level)


class StoreStage(CountingStage):
    """A stage that reads or writes the database: the process's shared store, opened with
    the spider and released when it closes."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.settings = crawler.settings
        self.store: ArticleStore | None = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("MONITOR_DB"):
            raise NotConfigured("MONITOR_DB is not set")
        return cls(crawler)

    def open_spider(self):
        self.store = ArticleStore.acquire(
            self.settings.get("MONITOR_DB"), self.settings.getint("MONITOR_BATCH_SIZE", defaults.MONITOR_BATCH_SIZE)
        )

    def close_spider(self):
        self.store.release()
