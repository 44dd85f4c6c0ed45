"""Scale-out: crawl workers on one shared Redis queue (scrapy-redis), one writer.

Fetching, extraction, normalisation, window and topic stages are stateless and run in any
number of ``monitor worker`` processes; dedupe and store hold state and run in one
``monitor ingest`` process (``media_monitor.scaleout.ingest``), through the same pipeline classes.

Redis keys (prefix ``MONITOR_REDIS_PREFIX``, default ``monitor``):

- ``{p}:{spider}:requests`` (sorted set) and ``{p}:{spider}:dupefilter`` (set): scrapy-redis's
  shared scheduler queue and request fingerprints;
- ``{p}:{spider}:leases:{worker}`` (hash): requests a worker popped and has not finished
  (response handled and its items queued, or failed). A worker whose heartbeat key
  ``{p}:workers:{worker}`` expired is dead: another worker puts its leases back in the queue;
- ``{p}:{spider}:seeded``: set by the one worker that enqueues the spider's feeds and sitemaps
  for this round; deleted with the dupefilter when the round is over;
- ``{p}:items`` (list): normalised, on-topic items as JSON, for the writer;
  ``{p}:items:processing``: the writer's batch in progress (reliable queue);
- ``{p}:urls:known`` (set): URL keys with a final outcome, so a re-crawl skips them (the
  worker-side counterpart of ``media_monitor.crawling.urlmemory.UrlMemory``);
- ``{p}:tally:{spider}`` (hash): the workers' counters of the outlet's round (fetched, failed,
  off topic…, ``TALLIED``), added by each worker every ``TALLY_INTERVAL`` seconds and when it
  closes (a killed worker loses at most that interval's counts); the writer takes them when it stops
  and records the outlet's row of the run and its health, as a single-process crawl does.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import time
import uuid

import redis
from scrapy import signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest, NotConfigured
from scrapy_redis.queue import PriorityQueue

from media_monitor import compat
from media_monitor import settings as project
from media_monitor.crawling.urlmemory import CHECKED, needs_check
from media_monitor.normalise.urls import url_key
from media_monitor.pipelines.store import ARCHIVE_CAPTURE_COUNTERS
from media_monitor.storage.minhash import Signature

logger = logging.getLogger(__name__)
LEASE = "monitor_lease"
HEARTBEAT_TTL = 10  # seconds without a heartbeat before a worker counts as dead
TALLY_INTERVAL = 0.5  # seconds between a worker's additions to the round's counters
# What the writer needs of an item.
ITEM_FIELDS = (
    "outlet",
    "url",
    "met_urls",
    "fetched_at",
    "title",
    "published_candidates",
    "modified_raw",
    "authors",
    "agencies",
    "description",
    "canonical_link",
    "og_url",
    "declared_language",
    "site_name",
    "text",
    "feed_title",
    "feed_published",
    "feed_guid",
    "canonical_url",
    "published_at",
    "published_raw",
    "published_offset",
    "published_precision",
    "language",
    "language_source",
    "word_count",
    "content_hash",
    "title_key",
    "relevance",
    "matched_terms",
    "topic_status",
    "topic_reason",
    "text_signature",
    # Where the page's bytes came from, and the worker's WARC record of them (kept when the
    # worker has MONITOR_WARC_DIR: a worker has no database beside which to keep them).
    "fetched_from",
    "archive_url",
    "captured_at",
    "warc_file",
    "warc_offset",
    "warc_length",
)
FINAL_OUTCOMES = ("off_topic", "outside_window", "empty_pages")
# A worker's counters of an outlet's round, added up in ``{p}:tally:{outlet}`` for the writer,
# which records each outlet's part of the run with the store's own counts (new, duplicates…).
TALLIED = (
    "articles_fetched",
    "articles_failed",
    "sources_failed",
    "empty_pages",
    "off_topic",
    "dates_rejected",
    "skipped_known",
    "outside_window",
    "entries_outside_window",
    "links_listed",
    # The archives' listings and captures (run_counts: archive_listings, archive_captures).
    "archive_cdx_queries",
    "archive_cc_index_queries",
    *(f"archive_{key}" for key in ARCHIVE_CAPTURE_COUNTERS),
)


def tally_key(key_prefix: str, outlet: str) -> str:
    return f"{key_prefix}:tally:{outlet}"


def prefix(settings) -> str:
    return settings.get("MONITOR_REDIS_PREFIX") or "monitor"


def connect(url: str) -> redis.Redis:
    return redis.Redis.from_url(url)


def worker_id() -> str:
    return os.environ.get("MONITOR_WORKER_ID") or f"{socket.gethostname()}:{os.getpid()}"


def worker_settings(redis_url: str, key_prefix: str = "monitor") -> dict:
    """The Scrapy settings that turn a crawl into a worker of the shared queue."""
    return {
        "REDIS_URL": redis_url,
        "MONITOR_REDIS_PREFIX": key_prefix,
        "SCHEDULER": "scrapy_redis.scheduler.Scheduler",
        "DUPEFILTER_CLASS": "scrapy_redis.dupefilter.RFPDupeFilter",
        "SCHEDULER_PERSIST": True,
        "SCHEDULER_QUEUE_CLASS": "media_monitor.scaleout.distributed.LeasedQueue",
        "SCHEDULER_QUEUE_KEY": f"{key_prefix}:%(spider)s:requests",
        "SCHEDULER_DUPEFILTER_KEY": f"{key_prefix}:%(spider)s:dupefilter",
        "MONITOR_DB": "",  # a worker has no database
        # The project's components with the worker's changes: a setting given here replaces the
        # project's whole dict, so each is spelled from it (safety and faults stay).
        "DOWNLOADER_MIDDLEWARES": {
            **project.DOWNLOADER_MIDDLEWARES,
            "media_monitor.crawling.urlmemory.UrlMemory": None,
            "media_monitor.scaleout.distributed.RedisUrlMemory": 50,
        },
        "SPIDER_MIDDLEWARES": {**project.SPIDER_MIDDLEWARES, "media_monitor.scaleout.distributed.SeedOnce": 10},
        "EXTENSIONS": {**project.EXTENSIONS, "media_monitor.scaleout.distributed.WorkerCoordinator": 500},
        # The stateless stages; dedupe and store, which hold state, run in the writer.
        "ITEM_PIPELINES": {
            **project.ITEM_PIPELINES,
            "media_monitor.pipelines.dedupe.DedupePipeline": None,
            "media_monitor.pipelines.store.StorePipeline": None,
            "media_monitor.scaleout.distributed.RedisItemQueuePipeline": 300,
        },
    }


POP_AND_LEASE = """
local popped = redis.call('ZRANGE', KEYS[1], 0, 0)
if #popped == 0 then return false end
redis.call('ZREMRANGEBYRANK', KEYS[1], 0, 0)
redis.call('HSET', KEYS[2], ARGV[1], popped[1])
return popped[1]
"""


class LeasedQueue(PriorityQueue):
    """scrapy-redis's priority queue; a popped request is leased (kept in the worker's lease
    hash) until the worker has handled it, so a worker that dies loses no request."""

    def __init__(self, server, spider, key, serializer=None):
        super().__init__(server, spider, key, serializer)
        self.worker = worker_id()
        self.leases = lease_key(prefix(spider.settings), spider.name, self.worker)
        self._pop_and_lease = self.server.register_script(POP_AND_LEASE)

    def push(self, request):
        data = compat.encode_request(self, request)
        pipe = self.server.pipeline()
        pipe.zadd(self.key, {data: -request.priority})
        if request.meta.get(LEASE):  # a retry or redirect of a leased request: back in the queue
            pipe.hdel(self.leases, request.meta[LEASE])
        pipe.execute()

    def pop(self, timeout=0):
        # One round-trip, atomic: take the first request and lease it under a new id, as
        # popped (requeue() reads it back; a retry's push drops the lease by its id).
        lease = uuid.uuid4().hex
        data = self._pop_and_lease(keys=[self.key, self.leases], args=[lease])
        if not data:
            return None
        request = compat.decode_request(self, data)
        request.meta[LEASE] = lease
        return request


def lease_key(key_prefix: str, spider: str, worker: str) -> str:
    return f"{key_prefix}:{spider}:leases:{worker}"


def _release_lease(scraper, request) -> None:
    """Release a request's lease once Scrapy has handled its response or failure: callback or
    errback run, new requests enqueued, items through the pipelines (into Redis)."""
    coordinator = getattr(scraper.crawler, "monitor_coordinator", None)
    if coordinator is not None and request.meta.get(LEASE):
        coordinator.release(request.meta[LEASE])


def _release_after_scrape():
    from scrapy.core.scraper import Scraper

    compat.after_each_scrape(Scraper, _release_lease)


class WorkerCoordinator:
    """Heartbeat, lease release, recovery of dead workers' leases, and the end of a round:
    a worker stays open while the shared queue or any worker's leases hold requests, and closes
    once both have been empty for ``MONITOR_WORKER_IDLE_EXIT`` seconds."""

    def __init__(self, crawler):
        settings = crawler.settings
        if not settings.get("REDIS_URL"):
            raise NotConfigured("REDIS_URL is not set")
        self.crawler = crawler
        self.server = connect(settings.get("REDIS_URL"))
        self.prefix = prefix(settings)
        self.worker = worker_id()
        self.idle_exit = settings.getfloat("MONITOR_WORKER_IDLE_EXIT", 5.0)
        self.idle_since: float | None = None
        self._heartbeat = self._tallying = None
        self._tallied: dict[str, int] = {}  # what this worker has added to the round's counters
        crawler.monitor_coordinator = self
        _release_after_scrape()
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.spider_idle, signal=signals.spider_idle)
        # An idle worker looks for new requests (and checks whether the round is over) every
        # half second, not every 5 (Scrapy's heartbeat): one Redis round-trip per poll.
        from scrapy.core.engine import ExecutionEngine

        compat.set_engine_heartbeat(ExecutionEngine, 0.5)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @property
    def spider_name(self) -> str:
        return self.crawler.spider.name

    def beat(self) -> None:
        self.server.set(f"{self.prefix}:workers:{self.worker}", time.time(), ex=HEARTBEAT_TTL)

    def spider_opened(self, spider):
        from twisted.internet.task import LoopingCall

        self.leases = lease_key(self.prefix, spider.name, self.worker)
        self._heartbeat = LoopingCall(self.beat)
        self._heartbeat.start(2.0, now=True)
        self._tallying = LoopingCall(self.tally, spider)
        self._tallying.start(TALLY_INTERVAL, now=False)

    def spider_closed(self, spider, reason):
        for loop in (self._heartbeat, self._tallying):
            if loop and loop.running:
                loop.stop()
        if reason != "finished":  # stopped (SIGTERM) or failed: leases go back in the queue
            self.requeue(self.leases)
        self.tally(spider)  # before the heartbeat goes: the writer waits for live workers
        self.server.delete(f"{self.prefix}:workers:{self.worker}")

    def tally(self, spider) -> None:
        """Add to the round's counters what this worker counted since it last did."""
        stats = self.crawler.stats.get_stats()
        counts = {key: int(stats.get(f"monitor/{key}") or 0) for key in TALLIED}
        pipe = self.server.pipeline()
        for key, count in counts.items():
            if count != self._tallied.get(key, 0):
                pipe.hincrby(tally_key(self.prefix, spider.name), key, count - self._tallied.get(key, 0))
        if len(pipe):
            pipe.execute()
            self._tallied = counts

    def release(self, lease: str) -> None:
        self.server.hdel(self.leases, lease)

    def requeue(self, key: str) -> int:
        """Put the leased requests of ``key`` back in the shared queue; their number."""
        claimed = f"{key}:requeue:{self.worker}:{uuid.uuid4().hex[:8]}"
        try:
            self.server.rename(key, claimed)  # atomic: only one worker claims a dead one's leases
        except redis.ResponseError:
            return 0  # gone already
        leased = self.server.hvals(claimed)
        queue = PriorityQueue(self.server, self.crawler.spider, f"{self.prefix}:%(spider)s:requests")
        for data in leased:
            request = compat.decode_request(queue, data)
            request.dont_filter = True
            queue.server.zadd(queue.key, {compat.encode_request(queue, request): -request.priority})
        self.server.delete(claimed)
        if leased:
            logger.warning("Requeued %d requests leased by a stopped worker (%s)", len(leased), key)
        return len(leased)

    def spider_idle(self, spider):
        pattern = f"{self.prefix}:{spider.name}:leases:*"
        busy = False
        for key in self.server.scan_iter(match=pattern):
            key = key.decode()
            if ":requeue:" in key:
                busy = True
                continue
            owner = key.rsplit(":leases:", 1)[1]
            if owner == self.worker:
                busy = busy or bool(self.server.hlen(key))
            elif not self.server.exists(f"{self.prefix}:workers:{owner}"):
                self.requeue(key)
                busy = True
            elif self.server.hlen(key):
                busy = True
        queued = self.server.zcard(f"{self.prefix}:{spider.name}:requests")
        if busy or queued:
            self.idle_since = None
            raise DontCloseSpider
        now = time.monotonic()
        if self.idle_since is None:
            self.idle_since = now
        if now - self.idle_since < self.idle_exit:
            raise DontCloseSpider
        # The round is over: the next worker to start seeds a new one.
        self.server.delete(f"{self.prefix}:{spider.name}:seeded", f"{self.prefix}:{spider.name}:dupefilter")


class SeedOnce:
    """Spider middleware: of all the workers, only the one that sets the round's seed flag
    enqueues the spider's start requests (feeds, sitemaps, listings)."""

    def __init__(self, crawler):
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured("REDIS_URL is not set")
        self.crawler = crawler
        self.server = connect(crawler.settings.get("REDIS_URL"))
        self.prefix = prefix(crawler.settings)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_start(self, start):
        name = self.crawler.spider.name
        if not self.server.set(f"{self.prefix}:{name}:seeded", f"{worker_id()} {time.time()}", nx=True):
            logger.info("%s: seeded by another worker; taking requests from the shared queue", name)
            return
        async for request in start:
            yield request


class RedisUrlMemory:
    """A worker's ``UrlMemory``: an article URL whose key the writer (or a worker's drop) marked
    final in ``{p}:urls:known`` is not downloaded again, unless MONITOR_REFRESH."""

    def __init__(self, crawler):
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured("REDIS_URL is not set")
        self.crawler = crawler
        self.server = connect(crawler.settings.get("REDIS_URL"))
        self.known = f"{prefix(crawler.settings)}:urls:known"
        self.refresh = crawler.settings.getbool("MONITOR_REFRESH")
        crawler.url_memory = self  # what media_monitor.crawling.urlmemory.SkipKnownUrls asks
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def skips(self, request) -> bool:
        """Is this an article request whose URL is known (counted as skipped)?"""
        if not needs_check(request, self.refresh):
            return False
        if self.server.sismember(self.known, url_key(request.url)):
            self.crawler.stats.inc_value("monitor/skipped_known")
            return True
        request.meta[CHECKED] = request.url
        return False

    def process_request(self, request, spider=None):
        if self.skips(request):
            raise IgnoreRequest(f"already known: {request.url}")
        return None

    def item_dropped(self, item, response, exception, spider):
        if item.get("outcome") in FINAL_OUTCOMES:
            urls = item.get("met_urls") or [item["url"]]
            self.server.sadd(self.known, *[url_key(u) for u in urls])


class RedisItemQueuePipeline:
    """The last stage of a worker: the item, as JSON, onto the writer's Redis list."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.server = connect(crawler.settings.get("REDIS_URL"))
        self.key = f"{prefix(crawler.settings)}:items"

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("REDIS_URL"):
            raise NotConfigured("REDIS_URL is not set")
        return cls(crawler)

    def process_item(self, item):
        started = time.process_time()
        self.server.rpush(self.key, encode_item(item))
        self.crawler.stats.inc_value("monitor/queued_items")
        self.crawler.stats.inc_value("monitor/cpu/queue", time.process_time() - started)
        return item


def encode_item(item) -> bytes:
    return json.dumps(
        {k: item.get(k) for k in ITEM_FIELDS if item.get(k) is not None}, ensure_ascii=False, default=_json_value
    ).encode("utf-8")


def _json_value(value):
    return value.as_json() if isinstance(value, Signature) else str(value)


def decode_item(data: bytes) -> dict:
    item = json.loads(data)
    if item.get("text_signature"):
        item["text_signature"] = Signature.from_json(item["text_signature"])
    return item
