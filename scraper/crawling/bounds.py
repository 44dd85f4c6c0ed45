"""Bounds on everything an outlet controls: one outlet cannot stop the monitoring of the others.

A feed, a sitemap or a listing decides how much the crawler fetches and parses. Left unbounded,
a sitemap index that always names a new sitemap kept a crawl running for ever (and `monitor
schedule` waiting on it), and a feed of 100,000 items queued hours of polite crawling. Each
bound below stops the outlet's part of the run there, counts ``monitor/bound_<name>`` (how much
it held back) and logs one WARNING the first time; the run's outlet row records them
(``bounds_hit``, ``bounds``), ``outlet_health`` keeps the run of bounded crawls and ``monitor
status --check`` flags an outlet bounded in ``BOUNDED_RUNS`` runs in a row.

- ``sitemaps``: sitemaps an outlet's indexes may name in one run (``MONITOR_MAX_SITEMAPS``);
- ``sitemap_depth``: indexes within indexes (``MONITOR_MAX_SITEMAP_DEPTH``);
- ``sitemap_entries``, ``feed_entries``: entries read from one sitemap, or one feed or listing
  page (``MONITOR_MAX_SITEMAP_ENTRIES``, ``MONITOR_MAX_FEED_ENTRIES``);
- ``listing_pages``: listing pages followed in one run (``MONITOR_MAX_LISTING_PAGES``);
- ``body_size``: a body larger than ``DOWNLOAD_MAXSIZE``, as downloaded or once decompressed;
- ``budget``: the outlet's wall-clock time in one run (``MONITOR_OUTLET_BUDGET``), after which
  ``OutletBudget`` closes its spider; the outlet is recorded ``partial`` with the reason.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from scrapy import signals
from scrapy.utils.defer import deferred_from_coro

logger = logging.getLogger(__name__)

PREFIX = "bound_"  # of the spider's counters, after "monitor/"
BUDGET = "budget"
BOUNDED_RUNS = 2  # runs in a row that hit a bound before `monitor status --check` flags the outlet


@dataclass(frozen=True)
class Bounds:
    """The limits of one outlet's part of a run, from the settings."""

    sitemaps: int = 500
    sitemap_depth: int = 3
    sitemap_entries: int = 50_000  # the sitemap protocol's own limit
    feed_entries: int = 1000
    listing_pages: int = 500
    body_size: int = 10 * 1024 * 1024
    budget: float = 3600.0

    @classmethod
    def from_settings(cls, settings) -> Bounds:
        return cls(
            sitemaps=settings.getint("MONITOR_MAX_SITEMAPS", cls.sitemaps),
            sitemap_depth=settings.getint("MONITOR_MAX_SITEMAP_DEPTH", cls.sitemap_depth),
            sitemap_entries=settings.getint("MONITOR_MAX_SITEMAP_ENTRIES", cls.sitemap_entries),
            feed_entries=settings.getint("MONITOR_MAX_FEED_ENTRIES", cls.feed_entries),
            listing_pages=settings.getint("MONITOR_MAX_LISTING_PAGES", cls.listing_pages),
            body_size=settings.getint("DOWNLOAD_MAXSIZE", cls.body_size),
            budget=settings.getfloat("MONITOR_OUTLET_BUDGET", cls.budget),
        )


def bounds_hit(tally: dict) -> dict[str, int]:
    """The bounds a run's counters (``monitor/…`` without the prefix) say were hit, and how much
    each held back."""
    return {key.removeprefix(PREFIX): int(n) for key, n in sorted(tally.items()) if key.startswith(PREFIX) and n}


def describe_bounds(hit: dict[str, int]) -> str | None:
    """'budget 1, sitemaps 634' for the outlet row's ``bounds`` column; None when none was hit."""
    return ", ".join(f"{name} {n}" for name, n in hit.items()) or None


class OutletBudget:
    """Closes a spider whose outlet has crawled for ``MONITOR_OUTLET_BUDGET`` seconds (0: never):
    its requests in flight finish, the rest are dropped, and the outlet is recorded ``partial``
    with the reason. The other spiders of the process go on."""

    def __init__(self, crawler, seconds: float):
        self.crawler, self.seconds = crawler, seconds
        self.timer = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler, Bounds.from_settings(crawler.settings).budget)

    def spider_opened(self, spider) -> None:
        if self.seconds > 0:
            from twisted.internet import reactor

            self.timer = reactor.callLater(self.seconds, self.spent, spider)

    def spent(self, spider) -> None:
        self.timer = None
        self.crawler.stats.set_value(f"monitor/{PREFIX}{BUDGET}", 1)
        logger.warning(
            "%s: budget of %gs spent, its crawl stops here (MONITOR_OUTLET_BUDGET)", spider.name, self.seconds
        )
        deferred_from_coro(self.crawler.engine.close_spider_async(reason="outlet_budget"))

    def spider_closed(self, spider) -> None:
        if self.timer is not None and self.timer.active():
            self.timer.cancel()
        self.timer = None
