"""One pace for every request to a web archive, however many spiders and workers ask it.

The Wayback Machine and Common Crawl are shared, free services with rate limits of their own
(the Wayback Machine answers 429 and blocks a client that keeps going). Every spider of a crawl
asks them, so their pace cannot be a per-spider download delay: ``ArchivePace`` holds one clock
per archive host at class level, shared by all the crawlers of the process, and delays each
request marked with ``ARCHIVE_REQUEST`` so that at most one request per
``MONITOR_ARCHIVE_DELAY`` seconds reaches each archive host. An index query (``ARCHIVE_INDEX``:
a Wayback CDX search, a Common Crawl index page) also takes a slot of the host's index clock,
one per ``MONITOR_ARCHIVE_INDEX_DELAY`` seconds: the Internet Archive's hard limit on CDX
searches is 60 a minute and it asks clients to keep to 80% of it (edgi-govdata-archiving/wayback
sets its defaults so), where replays may go ten times as fast. A request may also name the
earliest time it may leave (``ARCHIVE_NOT_BEFORE``, a ``time.monotonic()`` value): a retry
after a rate limit waits out its ``Retry-After`` here.

Workers (``monitor worker``, on one machine or many) share the clocks through Redis when
``REDIS_URL`` is set: each clock is a Redis key, the slots taken by a Lua script on the Redis
server's clock (one clock for every machine, each reservation atomic), so N workers together
still keep the pace. If Redis cannot be reached the process falls back to its own clocks, with
one warning.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import ClassVar
from urllib.parse import urlsplit

import redis

# Request meta: the request goes to a web archive (its value names the archive, e.g. "wayback").
ARCHIVE_REQUEST = "monitor_archive_request"
# Request meta: the request is an index query (CDX search, Common Crawl index), paced by the
# host's index clock too.
ARCHIVE_INDEX = "monitor_archive_index"
# Request meta: the earliest time.monotonic() the request may be sent at.
ARCHIVE_NOT_BEFORE = "monitor_archive_not_before"
MAX_RESERVATIONS = 5  # slots a request may miss (its process too busy to wake on time) before it goes


logger = logging.getLogger(__name__)

# A clock: a name (the archive host, or "<host> index") and the seconds between its slots.
Clocks = Sequence[tuple[str, float]]

# KEYS: the clocks' next free slots (seconds on the Redis clock); ARGV[1]: the seconds the request
# must wait anyway (a Retry-After), then each clock's delay. The slot is the first time every
# clock allows; each clock's next one is its delay after it. Answers the seconds to wait, as a
# string (a Lua number would come back truncated to an integer).
_RESERVE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local at = now + tonumber(ARGV[1])
for _, key in ipairs(KEYS) do
  at = math.max(at, tonumber(redis.call('GET', key) or '0'))
end
for i, key in ipairs(KEYS) do
  redis.call('SET', key, tostring(at + tonumber(ARGV[i + 1])), 'EX', 3600)
end
return tostring(at - now)
"""


class SharedPace:
    """The archive clocks of every worker, kept in Redis under ``{prefix}:archive-pace:{clock}``."""

    def __init__(self, client: redis.Redis, prefix: str):
        self.prefix = prefix
        self.reserve_slot = client.register_script(_RESERVE)

    def reserve(self, clocks: Clocks, wait_at_least: float = 0.0) -> float:
        keys = [f"{self.prefix}:archive-pace:{name}" for name, _ in clocks]
        args = [repr(max(0.0, wait_at_least)), *(repr(delay) for _, delay in clocks)]
        return float(self.reserve_slot(keys=keys, args=args))


class ArchivePace:
    """Downloader middleware: spaces the requests to each archive host, process-wide."""

    # clock -> the monotonic time of its next free slot; one set for the whole process.
    _next_slot: ClassVar[dict[str, float]] = {}

    def __init__(self, crawler):
        self.crawler = crawler
        self.delay = max(0.0, crawler.settings.getfloat("MONITOR_ARCHIVE_DELAY"))
        self.index_delay = max(0.0, crawler.settings.getfloat("MONITOR_ARCHIVE_INDEX_DELAY", 1.25))
        url = crawler.settings.get("REDIS_URL")
        prefix = crawler.settings.get("MONITOR_REDIS_PREFIX") or "monitor"
        self.shared = SharedPace(redis.Redis.from_url(url), prefix) if url else None

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @classmethod
    def reserve(cls, clocks: Clocks, not_before: float = 0.0) -> float:
        """Take the first slot every clock allows; the seconds to wait until it."""
        now = time.monotonic()
        at = max(now, not_before, *(cls._next_slot.get(name, 0.0) for name, _ in clocks))
        for name, delay in clocks:
            cls._next_slot[name] = at + delay
        return at - now

    async def process_request(self, request, spider=None):
        if not request.meta.get(ARCHIVE_REQUEST):
            return None
        host = urlsplit(request.url).netloc.lower()
        # A download slot of its own: queued behind the outlet's pages in a shared slot (one
        # host, or a full slot), paced requests would leave it together.
        request.meta.setdefault("download_slot", f"archive {host}")
        not_before = request.meta.get(ARCHIVE_NOT_BEFORE) or 0.0
        clocks = [(host, self.delay)]
        if request.meta.get(ARCHIVE_INDEX):
            clocks.append((f"{host} index", self.index_delay))
        for _ in range(MAX_RESERVATIONS):
            wait = self._wait_for_slot(clocks, not_before)
            if wait <= 0:
                break
            self.crawler.stats.inc_value("monitor/archive_paced_seconds", wait)
            due = time.monotonic() + wait
            await asyncio.sleep(wait)
            # A busy process wakes its sleepers late and together: gone at once, they would
            # reach the archive in a burst. A slot missed by half a delay is given up for a new one.
            if time.monotonic() - due <= self.delay / 2:
                break
            self.crawler.stats.inc_value("monitor/archive_slots_missed")
        self.crawler.stats.inc_value("monitor/archive_requests_sent")
        return None

    def _wait_for_slot(self, clocks: Clocks, not_before: float) -> float:
        wait = self._shared_wait(clocks, not_before) if self.shared else None
        return self.reserve(clocks, not_before) if wait is None else wait

    def _shared_wait(self, clocks: Clocks, not_before: float) -> float | None:
        """The wait the shared pace gives, or None when Redis cannot be asked (then this process's
        own pace holds, and the operator is told once)."""
        try:
            return self.shared.reserve(clocks, not_before - time.monotonic())
        except redis.RedisError as exc:
            logger.warning("Archive pace not shared (Redis: %s): this process keeps its own", exc)
            self.shared = None
            return None
