"""The writer of a scaled-out crawl: drains the workers' item list from Redis into SQLite in
batches, through the same ``DedupePipeline`` and ``StorePipeline`` the single-process crawl
uses, on a real Scrapy crawler.

Reliable queue: each item is moved (LMOVE) from ``{p}:items`` to ``{p}:items:processing``; the
processing list is emptied only after the batch is committed, and put back in the item list when
the writer starts, so a writer that dies loses nothing (an item delivered twice is stored once:
dedupe knows its URL key). Run one writer per database.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import ClassVar

import redis
from scrapy.crawler import CrawlerRunner
from scrapy.exceptions import DropItem

from media_monitor import compat
from media_monitor.config.sources import Outlet, load_sources
from media_monitor.crawling.heap import freeze_startup_heap
from media_monitor.items import ArticleItem
from media_monitor.normalise.urls import url_key
from media_monitor.pipelines.dedupe import DedupePipeline
from media_monitor.pipelines.store import StorePipeline, stored_as
from media_monitor.scaleout.distributed import connect, decode_item, tally_key
from media_monitor.spiders.base import ArticleSpider

logger = logging.getLogger(__name__)
INGEST = "ingest"
# Up to ARGV[1] items from the item list to the processing list, atomically, in one round-trip.
MOVE_MANY = """
local moved = {}
for i = 1, tonumber(ARGV[1]) do
  local item = redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT')
  if not item then break end
  moved[i] = item
end
return moved
"""


class IngestSpider(ArticleSpider):
    """Not a crawler: the spider the writer's pipelines run under. Its outlets are the sources
    file's; an item of an outlet not in it gets a minimal ``discovered`` one."""

    name = INGEST
    outlets: ClassVar[dict[str, Outlet]] = {}
    # outlet -> counters of its part of the run: the workers' (TALLIED) and the store's
    tallies: ClassVar[dict[str, Counter]] = {}

    def outlet_for(self, item) -> Outlet:
        name = item["outlet"]
        if name not in self.outlets:
            self.outlets[name] = Outlet(
                name=name,
                title=name,
                homepage=item["url"],
                language=item.get("language") or "en",
                country="",
                timezone="UTC",
                feeds=(),
                discovered=True,
            )
        return self.outlets[name]

    def run_tallies(self, stats: dict):
        """Each outlet the workers crawled or whose items were stored, not the writer itself."""
        for name, tally in sorted(self.tallies.items()):
            outlet = self.outlets.get(name)
            yield name, dict(tally), len(outlet.source_urls) if outlet else 0


@dataclass
class IngestResult:
    items: int = 0
    batches: int = 0
    run_id: int | None = None


class Ingest:
    def __init__(self, redis_url: str, settings, batch: int = 200, key_prefix: str = "monitor", linger: float = 0.5):
        self.server = connect(redis_url)
        self.items_key, self.processing = f"{key_prefix}:items", f"{key_prefix}:items:processing"
        self.known_key = f"{key_prefix}:urls:known"
        self.workers_pattern = f"{key_prefix}:workers:*"
        self.batch, self.linger = batch, linger
        self.tally_pattern = tally_key(key_prefix, "*")
        self._move_many = self.server.register_script(MOVE_MANY)
        settings.set("MONITOR_BATCH_SIZE", max(batch, settings.getint("MONITOR_BATCH_SIZE")), priority="cmdline")
        IngestSpider.outlets = {o.name: o for o in load_sources(settings.get("MONITOR_SOURCES"))}
        self.run_open = False
        if settings.get("TWISTED_REACTOR"):  # the crawler checks for it; the reactor never runs here
            from scrapy.utils.reactor import install_reactor, is_reactor_installed

            if not is_reactor_installed():
                install_reactor(settings.get("TWISTED_REACTOR"))
        runner = CrawlerRunner(settings)
        self.crawler = runner.create_crawler(IngestSpider)
        compat.apply_crawler_settings(self.crawler)
        self.crawler.spider = compat.create_spider(self.crawler)
        self.stages = [DedupePipeline.from_crawler(self.crawler), StorePipeline.from_crawler(self.crawler)]
        self.result = IngestResult()

    def stat(self, key: str):
        return self.crawler.stats.get_value(f"monitor/{key}", 0)

    def _workers_alive(self) -> bool:
        return any(True for _ in self.server.scan_iter(match=self.workers_pattern, count=100))

    def run(self, idle_exit: float | None = None, wait_for_workers: bool = True) -> IngestResult:
        """Drain until the item list has been empty for ``idle_exit`` seconds (and, with
        ``wait_for_workers``, no worker is alive); None: until interrupted."""
        store = self._open_run()
        freeze_startup_heap()
        recovered = 0
        while self.server.lmove(self.processing, self.items_key, "RIGHT", "LEFT"):
            recovered += 1
        if recovered:
            logger.warning("Re-queued %d items of an interrupted batch", recovered)
        self._publish_known(store)
        idle_since = time.monotonic()
        # How long one blocking wait lasts: short enough that the writer exits within a
        # fraction of idle_exit once the workers are done.
        poll = 1.0 if idle_exit is None else max(0.1, min(1.0, idle_exit / 4))
        try:
            while True:
                first = self.server.blmove(self.items_key, self.processing, poll, "LEFT", "RIGHT")
                if first is None:
                    if self._round_over():
                        if not self.run_open:  # a round whose items were all known: no batch
                            store = self._open_run()
                        self._close_run()
                    idle = idle_exit is not None and time.monotonic() - idle_since >= idle_exit
                    if idle and not (wait_for_workers and self._workers_alive()):
                        break
                    continue
                if not self.run_open:
                    store = self._open_run()
                batch = self._fill([first])
                known = self._process(batch)
                store.commit()
                pipe = self.server.pipeline()
                pipe.delete(self.processing)
                if known:
                    pipe.sadd(self.known_key, *known)
                pipe.execute()
                self.result.items += len(batch)
                self.result.batches += 1
                idle_since = time.monotonic()
        finally:
            if self.run_open:
                self._close_run()
        return self.result

    def _round_over(self) -> bool:
        """Have workers closed a round (their tallies wait) and none is running? The writer
        then records it as a crawl run; the next item or round opens the next run."""
        return (
            any(b":claimed:" not in key for key in self.server.scan_iter(match=self.tally_pattern))
            and not self._workers_alive()
        )

    def _open_run(self):
        """Open the stages and a new crawl run, as the next `monitor crawl` would; its store."""
        IngestSpider.tallies = defaultdict(Counter)
        for stage in self.stages:
            stage.open_spider()
        self.run_open = True
        self.result.run_id = self.stages[1].run_id
        return self.stages[0].store

    def _close_run(self) -> None:
        """Record the crawl run: each outlet's row (the workers' tallies with the store's
        counts) and health, as `monitor crawl` does when it ends."""
        self._take_tallies()
        for stage in reversed(self.stages):
            stage.close_spider()
        self.run_open = False
        logger.info("Crawl run %s recorded", self.result.run_id)

    def _take_tallies(self) -> None:
        """The workers' counters of each outlet's round, into the spider's tallies (each
        hash is claimed by a rename, so that a counter is never added twice)."""
        for key in self.server.scan_iter(match=self.tally_pattern):
            key = key.decode()
            if ":claimed:" in key:
                continue
            claimed = f"{key}:claimed:{uuid.uuid4().hex[:8]}"
            try:
                self.server.rename(key, claimed)
            except redis.ResponseError:
                continue  # taken by another writer
            tally = IngestSpider.tallies[key.rsplit(":tally:", 1)[1]]
            for field, value in self.server.hgetall(claimed).items():
                tally[field.decode()] += int(value)
            self.server.delete(claimed)

    def _fill(self, batch: list[bytes]) -> list[bytes]:
        """Move more items into the batch, up to ``batch`` of them, waiting at most ``linger``
        seconds for the workers to queue them: a commit (and its Redis round-trips) per many
        items, not per item, while the workers keep the list just non-empty. Whatever the list
        holds moves in one round-trip (MOVE_MANY)."""
        deadline = time.monotonic() + self.linger
        while len(batch) < self.batch:
            moved = self._move_many(keys=[self.items_key, self.processing], args=[self.batch - len(batch)])
            if moved:
                batch.extend(moved)
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0.01:
                break
            data = self.server.blmove(self.items_key, self.processing, remaining, "LEFT", "RIGHT")
            if data is None:
                break
            batch.append(data)
        return batch

    def _process(self, batch: list[bytes]) -> list[str]:
        """Items through dedupe and store; the URL keys to mark known (as UrlMemory would)."""
        store = self.stages[0].store
        known: list[str] = []
        for data in batch:
            item = ArticleItem(**decode_item(data))
            self.crawler.stats.inc_value("monitor/articles_fetched")
            urls = (item.get("met_urls") or [item["url"]]) + [item["canonical_url"]]
            tally = IngestSpider.tallies[item["outlet"]]
            try:
                for stage in self.stages:
                    item = stage.process_item(item)
            except DropItem:
                store.remember_urls(urls, item.get("article_id"), item.get("outcome") or "duplicate")
                tally[item.get("outcome") or "duplicates"] += 1
            else:
                store.remember_urls(urls, item["article_id"], "duplicate" if item.get("duplicate_of") else "stored")
                tally[stored_as(item)] += 1
            known.extend(url_key(u) for u in urls)
        return known

    def _publish_known(self, store, chunk: int = 5000) -> None:
        """Every final URL outcome of the database into the workers' known set."""
        keys = (
            [
                row[0]
                for row in store.db.execute("select url_key from urls where outcome not in ('server_error')").fetchall()
            ]
            if "urls" in store.db.table_names()
            else []
        )
        for i in range(0, len(keys), chunk):
            self.server.sadd(self.known_key, *keys[i : i + chunk])
