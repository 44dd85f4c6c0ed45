"""Remember every article URL the crawler met and what came of it; skip it next time.

A downloader middleware: before an article request goes out, its canonicalised URL is looked
up in the ``urls`` table, and a URL with a final answer (stored, a copy, off topic, outside the
window, empty, gone) is not downloaded again unless the crawl asks for ``--refresh``
(``MONITOR_REFRESH``). ``SkipKnownUrls`` asks the same memory as the spider yields each article
request, so a known URL is dropped before it costs a trip through the scheduler and the
downloader's machinery; the downloader middleware still sees what the spider did not yield
(a redirect's target). A server error (after Scrapy's retries) is asked again by a run at least
``MONITOR_RETRY_SERVER_ERRORS_AFTER`` seconds later; time-outs by the next run. The outcomes are written from Scrapy's item and error signals, so the spiders and
pipelines need not know about it.
"""

from __future__ import annotations

from datetime import UTC, datetime

from scrapy import Request, signals
from scrapy.exceptions import IgnoreRequest, NotConfigured

from media_monitor import settings as defaults
from media_monitor.crawling.requestmeta import ARTICLE
from media_monitor.normalise.urls import url_key
from media_monitor.storage.store import ArticleStore

GONE_STATUSES = (404, 410)
SERVER_ERROR = "server_error"
# Request meta: the URL a memory found unknown, so that the downloader middleware does not ask
# again for the request SkipKnownUrls let through (a redirect, with another URL, is asked).
CHECKED = "monitor_checked_url"


def needs_check(request, refresh: bool) -> bool:
    """Is this a first try of an article request not yet found unknown at its URL?"""
    meta = request.meta
    return bool(not refresh and meta.get(ARTICLE) and not meta.get("retry_times") and meta.get(CHECKED) != request.url)


class UrlMemory:
    def __init__(self, crawler):
        self.crawler = crawler
        self.refresh = crawler.settings.getbool("MONITOR_REFRESH")
        self.retry_errors_after = crawler.settings.getfloat(
            "MONITOR_RETRY_SERVER_ERRORS_AFTER", defaults.MONITOR_RETRY_SERVER_ERRORS_AFTER
        )
        self.store: ArticleStore | None = None
        crawler.url_memory = self  # what SkipKnownUrls asks
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.item_scraped, signal=signals.item_scraped)
        crawler.signals.connect(self.item_dropped, signal=signals.item_dropped)
        crawler.signals.connect(self.spider_error, signal=signals.spider_error)

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("MONITOR_DB"):
            raise NotConfigured("MONITOR_DB is not set")
        return cls(crawler)

    def spider_opened(self, spider):
        settings = self.crawler.settings
        self.store = ArticleStore.acquire(settings.get("MONITOR_DB"), settings.getint("MONITOR_BATCH_SIZE", 50))

    def spider_closed(self, spider):
        self.store.release()

    def process_request(self, request, spider=None):
        if not request.meta.get(ARTICLE) or request.meta.get("retry_times"):
            return None
        url = url_key(request.url)
        # Another URL of an article already requested in this run (a tracking-tagged link), or
        # one that two spiders meet (an outlet's and GDELT's): one download is enough.
        if url in self.store.requested_this_run:
            self.crawler.stats.inc_value("monitor/duplicates")
            raise IgnoreRequest(f"requested by another spider of this run: {request.url}")
        if self.skips(request, url):
            raise IgnoreRequest(f"already known: {request.url}")
        self.store.requested_this_run.add(url)
        return None

    def skips(self, request, key: str | None = None) -> bool:
        """Is this an article request whose URL has a final answer from an earlier run
        (counted as skipped)? Another URL of an article requested in this run is left to
        ``process_request``, which counts it as a duplicate, whether or not the article has
        been stored by the time the spider yields it."""
        if not needs_check(request, self.refresh):
            return False
        key = key or url_key(request.url)
        if key in self.store.requested_this_run:
            return False
        known = self.store.url_outcome(key)
        if known and not self._worth_retrying(*known):
            self.crawler.stats.inc_value("monitor/skipped_known")
            return True
        request.meta[CHECKED] = request.url
        return False

    def _worth_retrying(self, outcome: str, last_seen_at: str) -> bool:
        """A server error is asked again once it is old enough: the outage may be over."""
        if outcome != SERVER_ERROR:
            return False
        age = datetime.now(UTC) - datetime.fromisoformat(last_seen_at)
        return age.total_seconds() >= self.retry_errors_after

    def process_response(self, request, response, spider=None):
        # Called once Scrapy's retries are spent: the final answer.
        if request.meta.get(ARTICLE) and response.status in GONE_STATUSES:
            self.store.remember_urls([request.url], None, "gone")
        elif request.meta.get(ARTICLE) and response.status >= 500:
            self.store.remember_urls([request.url], None, SERVER_ERROR)
        return response

    def item_scraped(self, item, response, spider):
        self.store.remember_urls(
            item["met_urls"] + [item["canonical_url"]],
            item["article_id"],
            "duplicate" if item.get("duplicate_of") else "stored",
        )

    def item_dropped(self, item, response, exception, spider):
        if item.get("outcome"):
            self.store.remember_urls(item.get("met_urls") or [item["url"]], item.get("article_id"), item["outcome"])

    def spider_error(self, failure, response, spider):
        """A page that breaks the spider counts as failed (and is tried again next run)."""
        if response is not None and response.meta.get(ARTICLE):
            self.crawler.stats.inc_value("monitor/articles_failed")


class SkipKnownUrls:
    """Spider middleware: drops the article requests the crawl's URL memory (``UrlMemory``, or a
    worker's ``RedisUrlMemory``) would skip, as the spider yields them. A request that reaches
    the downloader costs Scrapy ~1 ms of CPU (scheduler, engine, middlewares, the failure of an
    ignored request), which made most of a re-crawl's cost."""

    def __init__(self, crawler):
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _keep(self, entry) -> bool:
        memory = getattr(self.crawler, "url_memory", None)
        return memory is None or not isinstance(entry, Request) or not memory.skips(entry)

    def process_spider_output(self, response, result, spider=None):
        return (entry for entry in result if self._keep(entry))

    async def process_spider_output_async(self, response, result, spider=None):
        async for entry in result:
            if self._keep(entry):
                yield entry
