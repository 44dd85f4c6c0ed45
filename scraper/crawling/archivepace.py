"""One pace for every request to a web archive in this process.

The Wayback Machine and Common Crawl are shared, free services with rate limits of their own
(the Wayback Machine answers 429 and blocks a client that keeps going). Every spider of a crawl
asks them, so their pace cannot be a per-spider download delay: ``ArchivePace`` holds one clock
per archive host at class level, shared by all the crawlers of the process, and delays each
request marked with ``ARCHIVE_REQUEST`` so that at most one request per
``MONITOR_ARCHIVE_DELAY`` seconds reaches each archive host. A request may also name the
earliest time it may leave (``ARCHIVE_NOT_BEFORE``, a ``time.monotonic()`` value): a retry
after a rate limit waits out its ``Retry-After`` here.

Workers on several machines (``monitor worker``) each have their own pacer, so N workers ask
an archive N times as often; a pace shared through Redis is left for later.
"""

from __future__ import annotations

import asyncio
import time
from typing import ClassVar
from urllib.parse import urlsplit

# Request meta: the request goes to a web archive (its value names the archive, e.g. "wayback").
ARCHIVE_REQUEST = "monitor_archive_request"
# Request meta: the earliest time.monotonic() the request may be sent at.
ARCHIVE_NOT_BEFORE = "monitor_archive_not_before"


class ArchivePace:
    """Downloader middleware: spaces the requests to each archive host, process-wide."""

    # host -> the monotonic time the next request to it may leave; one for the whole process.
    _next_slot: ClassVar[dict[str, float]] = {}

    def __init__(self, crawler):
        self.crawler = crawler
        self.delay = max(0.0, crawler.settings.getfloat("MONITOR_ARCHIVE_DELAY"))

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    @classmethod
    def reserve(cls, host: str, delay: float, not_before: float = 0.0) -> float:
        """Take the next slot for ``host``; the seconds to wait until it."""
        now = time.monotonic()
        at = max(now, not_before, cls._next_slot.get(host, 0.0))
        cls._next_slot[host] = at + delay
        return at - now

    async def process_request(self, request, spider=None):
        if not request.meta.get(ARCHIVE_REQUEST):
            return None
        host = urlsplit(request.url).netloc.lower()
        wait = self.reserve(host, self.delay, request.meta.get(ARCHIVE_NOT_BEFORE) or 0.0)
        if wait > 0:
            self.crawler.stats.inc_value("monitor/archive_paced_seconds", wait)
            await asyncio.sleep(wait)
        return None
