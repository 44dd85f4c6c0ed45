"""History from the Wayback Machine: what an outlet published in the window, found and read
through its captures when the live site no longer has it (a redesign, a purge).

``ArchiveDiscovery`` is mixed into ``OutletSpider``. With a date window and ``MONITOR_ARCHIVE``
on (and ``MONITOR_WAYBACK_URL`` set) it adds to the outlet's live sources:

- time travel: a CDX query for each configured feed and sitemap (exact URL, the window to
  ``MONITOR_ARCHIVE_AFTER_DAYS`` after it, status 200, one capture a digest); each capture's
  ``id_`` replay is read by the spider's own ``parse_feed``/``parse_sitemap``, so the window
  skips entries as it does live. A replayed sitemap index leads to its sitemaps' replays at the
  same timestamp (the archive redirects to the nearest capture).
- the archive's listing: a prefix CDX query on the homepage for the window (HTML, status 200,
  one line a URL, resume-key pages), keeping the URLs ``looks_like_article`` accepts (the
  outlet's ``archive_patterns``, else the generic rules).

An entry whose title or slug ``could_be_on_topic`` rejects is not fetched
(``monitor/archive_prefiltered``). An article found so is requested live first; a 404/410
falls back to the archive: the capture the listing gave, or else the first 200 capture a CDX
look-up finds (a captured redirect when there is none), replayed in ``id_`` mode and read by
``parse_article`` with the provenance meta (fetched_from "wayback", the replay URL, the capture
time). The publication time is read from the archived page, never taken from the capture.
Redirects (captured ones, or to the nearest capture) are followed by hand, at most
``MAX_HOPS``, a loop refused; rate limits wait out ``Retry-After`` (or 60 s, at most
``MONITOR_MAX_RETRY_AFTER``) twice at most. Every archive request is paced process-wide by
``media_monitor.crawling.archivepace.ArchivePace``. Counters: ``monitor/archive_*``.

Common Crawl (with ``MONITOR_CC_INDEX_URL`` set, a window and ``MONITOR_ARCHIVE`` on): the
spider reads ``collinfo.json`` once, and for each crawl that ran in the window (or up to
``MONITOR_ARCHIVE_AFTER_DAYS`` after it) pages through a prefix query of the homepage in that
crawl's index (status 200, text/html, ``page=0, 1, …`` until the index says the last is past).
A URL the Wayback listing already asked for is skipped (``monitor/archive_cc_known``); the others
go through ``looks_like_article`` and the pre-filter as above, and are asked live first. An
article gone live (404/410), however found, whose URL an index listed and that the Wayback
listing gave no capture of (nor, later, a CDX look-up) is read from Common Crawl: the capture's
WARC record is fetched by ``Range`` from ``MONITOR_CC_DATA_URL`` and its
payload is read by ``parse_article`` as the page at its target URI, with fetched_from
"commoncrawl", the record as its archive URL (``<data URL of the WARC file>#<offset>,<length>``)
and the record's WARC-Date as the capture time; KeepWarc keeps it in the run's WARC file too
(the ``page_from_record`` signal), so ``monitor reextract`` reads it without the network. A throttled fetch (S3's SlowDown) is not retried: it is counted
(``monitor/archive_throttled``) and failed, as every other failure (``monitor/archive_cc_failed``).
Counters: ``monitor/archive_cc_*``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

import scrapy
from scrapy.http import HtmlResponse
from scrapy.spidermiddlewares.httperror import HttpError

from media_monitor.archives.articleurls import looks_like_article
from media_monitor.archives.commoncrawl import (
    CommonCrawlError,
    CrawlCapture,
    RecordError,
    collinfo_url,
    crawls_in,
    index_query_url,
    parse_collinfo,
    parse_index_answer,
    parse_record,
)
from media_monitor.archives.prefilter import could_be_on_topic
from media_monitor.archives.sourcecaptures import CaptureChain, listed_dates
from media_monitor.archives.wayback import (
    DEFAULT_FILTERS,
    ArchiveFailure,
    Capture,
    Failure,
    Memento,
    NearestCapture,
    cdx_failure,
    cdx_query_url,
    classify_replay,
    parse_cdx_page,
    parse_replay_url,
    parse_timestamp,
    replay_url,
)
from media_monitor.crawling.archivepace import ARCHIVE_INDEX, ARCHIVE_NOT_BEFORE, ARCHIVE_REQUEST
from media_monitor.crawling.failures import counted_failure
from media_monitor.crawling.requestmeta import (
    ARCHIVE_URL,
    ARTICLE,
    CAPTURED_AT,
    FETCHED_FROM,
    SOURCE,
    page_from_record,
)
from media_monitor.normalise.dates import parse_published
from media_monitor.story.topic import load_topic
from media_monitor.story.window import DateWindow

WAYBACK = "wayback"
COMMONCRAWL = "commoncrawl"
MAX_HOPS = 5
MAX_RATE_LIMIT_RETRIES = 2
GONE = (404, 410)
# Request meta of the archive route (the spider's own; no other component reads them).
PURPOSE = "monitor_archive_purpose"  # feed, sitemap (a source replay), listing, lookup (CDX), article (replay)
ORIGINAL = "monitor_archive_original"  # the URL the capture is of
HINTS = "monitor_archive_hints"
HOPS = "monitor_archive_hops"  # replay URLs met so far, for loop detection
FALLBACK = "monitor_archive_fallback"  # on a live article request: fall back to the archive when gone
RATE_RETRIES = "monitor_archive_rate_retries"
CDX_LAST_LINE = "monitor_archive_cdx_last_line"
MET = "monitor_archive_met"  # the original URLs of the captured redirects followed
CC_CRAWL = "monitor_archive_cc_crawl"  # the Crawl an index query asks
CC_PAGE = "monitor_archive_cc_page"  # the index page asked
CC_CAPTURE = "monitor_archive_cc_capture"  # on a record request: the CrawlCapture it reads
CHAIN = "monitor_archive_chain"  # on a source replay: the configured feed or sitemap whose captures it reads
CHAIN_AT = "monitor_archive_chain_at"  # the index of the capture in that source's list


def _header_pairs(response: scrapy.http.Response) -> list[tuple[str, str]]:
    return [
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in response.headers.items()
        for value in values
    ]


class ArchiveDiscovery:
    """Mixin for ``OutletSpider``: the Wayback route (see the module's docstring)."""

    @cached_property
    def wayback_base(self) -> str:
        return (self.settings.get("MONITOR_WAYBACK_URL") or "").rstrip("/")

    @cached_property
    def uses_archive(self) -> bool:
        return bool(self.settings.getbool("MONITOR_ARCHIVE", True) and self.wayback_base and not self.window.is_open)

    @cached_property
    def cc_index_base(self) -> str:
        return (self.settings.get("MONITOR_CC_INDEX_URL") or "").rstrip("/")

    @cached_property
    def uses_commoncrawl(self) -> bool:
        return bool(
            self.settings.getbool("MONITOR_ARCHIVE", True)
            and self.cc_index_base
            and self.settings.get("MONITOR_CC_DATA_URL")
            and not self.window.is_open
        )

    @cached_property
    def archive_listed_urls(self) -> set[str]:
        """The article URLs an archive's listing has led to in this spider (either archive)."""
        return set()

    @cached_property
    def wayback_listed(self) -> dict[str, str]:
        """The capture (timestamp) the Wayback listing of the host gave for each URL: the first
        200 in the window. An article gone live, however found, is replayed from it."""
        return {}

    @cached_property
    def prefiltered_urls(self) -> set[str]:
        return set()

    @cached_property
    def source_captures(self) -> dict[str, list[Capture]]:
        """The captures of each configured feed and sitemap, in time order (every CDX page)."""
        return {}

    @cached_property
    def source_chains(self) -> dict[str, CaptureChain]:
        """Which of a configured source's captures to read, once they are all listed."""
        return {}

    @cached_property
    def cc_captures(self) -> dict[str, CrawlCapture]:
        """A Common Crawl capture of each URL its indexes listed: an article gone live, however
        found, is read from it when the Wayback Machine has none."""
        return {}

    @cached_property
    def archive_after(self) -> timedelta:
        return timedelta(days=self.settings.getfloat("MONITOR_ARCHIVE_AFTER_DAYS", 28))

    @cached_property
    def archive_window(self) -> DateWindow:
        """The window of the captures asked for: captures of sources read until
        ``MONITOR_ARCHIVE_AFTER_DAYS`` after the window still list its articles."""
        until = self.window.until + self.archive_after if self.window.until else None
        return DateWindow(self.window.since, until)

    @cached_property
    def archive_topic(self):
        if not self.settings.getbool("MONITOR_TOPIC_FILTER", True):
            return None
        return load_topic(self.settings.get("MONITOR_TOPIC"))

    # Requests ----------------------------------------------------------------------------------

    def archive_request(self, url: str, callback, purpose: str, **meta) -> scrapy.Request:
        return scrapy.Request(
            url,
            callback=callback,
            errback=self.archive_failed,
            dont_filter=meta.pop("dont_filter", False),
            meta={
                ARCHIVE_REQUEST: meta.pop("archive", WAYBACK),
                PURPOSE: purpose,
                "dont_cache": True,
                "dont_redirect": True,
                "dont_retry": True,
                "handle_httpstatus_all": True,
                "allow_offsite": True,  # the archive is no domain of the outlet's
                **meta,
            },
        )

    def cdx_request(self, url: str, purpose: str, *, match_type=None, filters=DEFAULT_FILTERS, collapse=None, **meta):
        query = cdx_query_url(
            url,
            base_url=self.wayback_base,
            match_type=match_type,
            window=self.archive_window,
            filters=filters,
            collapse=collapse,
            resume_key=meta.pop("resume_key", None),
        )
        meta.setdefault("cdx_args", {"match_type": match_type, "filters": filters, "collapse": collapse})
        return self.archive_request(
            query, self.parse_archive_cdx, purpose, **{ORIGINAL: url, ARCHIVE_INDEX: True, **meta}
        )

    def replay_request(self, replay: str, purpose: str, original: str, **meta) -> scrapy.Request:
        target = parse_replay_url(replay)
        extra: dict[str, Any] = {}
        if purpose == "article":
            captured = parse_timestamp(target.timestamp).isoformat(timespec="seconds") if target else None
            # Read by KeepWarc (the record's headers) and parse_article (the row's provenance).
            extra = {ARTICLE: True, FETCHED_FROM: WAYBACK, ARCHIVE_URL: replay, CAPTURED_AT: captured}
        return self.archive_request(replay, self.parse_archive_replay, purpose, **{ORIGINAL: original, **extra, **meta})

    def archive_requests(self) -> Iterable[scrapy.Request]:
        """The outlet's archive sources: its feeds' and sitemaps' captures, its captured URLs
        (the Wayback Machine's), and Common Crawl's list of crawls."""
        if self.uses_commoncrawl:
            yield self.archive_request(
                collinfo_url(self.cc_index_base), self.parse_cc_collinfo, "collinfo", archive=COMMONCRAWL
            )
        if not self.uses_archive:
            return
        for url in self.outlet.feeds:
            yield self.cdx_request(url, "feed", filters=("statuscode:200",), collapse="digest")
        for url in self.outlet.sitemaps:
            yield self.cdx_request(url, "sitemap", filters=("statuscode:200",), collapse="digest")
        yield self.cdx_request(self.outlet.homepage, "listing", match_type="prefix", collapse="urlkey")

    # The CDX index -----------------------------------------------------------------------------

    def parse_archive_cdx(self, response: scrapy.http.Response):
        meta = response.meta
        self.count("archive_cdx_queries")
        failure = cdx_failure(response.status, _header_pairs(response), response.body, now=datetime.now(UTC))
        if failure is not None:
            yield from self._archive_failure(response, failure)
            return
        page = parse_cdx_page(response.body, meta.get(CDX_LAST_LINE))
        purpose, original = meta[PURPOSE], meta[ORIGINAL]
        if purpose == "lookup":
            yield from self._lookup_found(page.captures, meta)
            return  # the first page holds the window's first captures
        if purpose in ("feed", "sitemap"):
            self.count("archive_source_captures", len(page.captures))
            self.source_captures.setdefault(original, []).extend(page.captures)
        else:
            for capture in page.captures:
                yield from self._listed(capture.original, capture.timestamp)
        if page.resume_key:
            args = meta["cdx_args"]
            yield self.cdx_request(
                original, purpose, **args, resume_key=page.resume_key, **{CDX_LAST_LINE: page.last_line}
            )
        elif purpose in ("feed", "sitemap") and self.source_captures.get(original):
            captures = self.source_captures[original]
            self.source_chains[original] = CaptureChain([capture.captured_at for capture in captures])
            yield self._source_replay(purpose, original, 0)

    def _source_replay(self, purpose: str, source: str, index: int) -> scrapy.Request:
        """The replay of a configured source's capture number ``index``: read one after another,
        each choosing the next (``CaptureChain``), so the captures that can list nothing new
        are not fetched."""
        capture = self.source_captures[source][index]
        self.count("archive_source_captures_read")
        replay = replay_url(capture.original, capture.timestamp, base_url=self.wayback_base)
        return self.replay_request(replay, purpose, capture.original, **{CHAIN: source, CHAIN_AT: index})

    def _next_source_replay(self, meta: dict, body: bytes = b"") -> Iterable[scrapy.Request]:
        """After a source capture was read (``body``) or could not be: the next one worth reading."""
        source = meta.get(CHAIN)
        if source is None:
            return  # a sitemap of a replayed index: its index's capture goes on
        dates = (parse_published(raw, self.outlet.timezone, self.started_at).utc for raw in listed_dates(body))
        following = self.source_chains[source].read(meta[CHAIN_AT], [date for date in dates if date is not None])
        if following is not None:
            yield self._source_replay(meta[PURPOSE], source, following)

    def _listed(self, url: str, timestamp: str) -> Iterable[scrapy.Request]:
        """One URL of the archive's listing of the outlet: an article request, or nothing."""
        self.wayback_listed.setdefault(url, timestamp)
        if not looks_like_article(url, self.outlet.archive_patterns or None):
            self.count("archive_not_articles")
            return
        self.count("archive_listed")
        self.archive_listed_urls.add(url)
        hints = {"title": None, "published": None, "guid": None}
        for request in self.article_requests(url, hints):
            yield from self._archived_article(request)

    def _lookup_found(self, captures, meta) -> Iterable[scrapy.Request]:
        """The capture to read of an article gone live: the first 200, else the first redirect."""
        chosen = next((c for c in captures if c.status == 200), None) or next(
            (c for c in captures if c.status and 300 <= c.status < 400), None
        )
        capture = self.cc_captures.get(meta[ORIGINAL])
        if chosen is None and capture is not None:
            yield self.cc_record_request(capture, meta[ORIGINAL], meta[HINTS])
            return
        if chosen is None:
            self.count("archive_not_archived")
            self.logger.info("No capture of %s in the archive", meta[ORIGINAL])
            return
        replay = replay_url(chosen.original, chosen.timestamp, base_url=self.wayback_base)
        yield self.replay_request(replay, "article", meta[ORIGINAL], **{HINTS: meta[HINTS]})

    # Replays -----------------------------------------------------------------------------------

    def parse_archive_replay(self, response: scrapy.http.Response):
        verdict = classify_replay(
            response.status,
            _header_pairs(response),
            response.body[:4096],
            request_url=response.url,
            now=datetime.now(UTC),
        )
        if isinstance(verdict, ArchiveFailure):
            yield from self._archive_failure(response, verdict)
        elif isinstance(verdict, NearestCapture):
            yield from self._follow(response, verdict.follow_url, verdict.original, redirected=False)
        elif verdict.is_redirect and verdict.follow_url:
            yield from self._follow(response, verdict.follow_url, verdict.redirect_to, redirected=True)
        elif verdict.status != 200:
            self.count("archive_error_captures")  # an archived 404 or 503: what the site said then
            self.logger.info("The capture %s is an archived %d", response.url, verdict.status)
            yield from self._next_source_replay(response.meta)
        else:
            yield from self._memento(response, verdict)

    def _memento(self, response: scrapy.http.Response, memento: Memento):
        meta = response.meta
        original = meta[ORIGINAL]
        # The page as it was, at its own URL: links resolve against it and the row's URL is it.
        page = response.replace(url=original)
        purpose = meta[PURPOSE]
        if purpose == "article":
            if memento.captured_at:
                meta[CAPTURED_AT] = memento.captured_at.isoformat(timespec="seconds")
            self.count("archive_articles_fetched")
            meta["redirect_urls"] = meta.get(MET, [])  # parse_article's met_urls: the site's redirects then
            yield from self.parse_article(page, meta.get(HINTS) or {})
            return
        target = parse_replay_url(response.url)
        timestamp = target.timestamp if target else ""
        parsed = self.parse_feed(page) if purpose == "feed" else self.parse_sitemap(page)
        for result in parsed:
            if not isinstance(result, scrapy.Request):
                yield result
            elif result.meta.get(ARTICLE):
                yield from self._archived_article(result)
            elif result.meta.get(SOURCE) and result.callback == self.parse_sitemap:
                # A sitemap of a replayed index: its capture at the same time (or the nearest).
                child = replay_url(result.url, timestamp, base_url=self.wayback_base)
                yield self.replay_request(child, "sitemap", result.url)
        yield from self._next_source_replay(meta, page.body)

    def _follow(self, response, follow_url: str, original: str | None, *, redirected: bool):
        meta = response.meta
        seen = [*meta.get(HOPS, []), response.url]
        if follow_url in seen:
            self.count("archive_redirect_loops")
            self.logger.warning("Archive redirect loop at %s", follow_url)
            yield from self._next_source_replay(meta)
            return
        if len(seen) > MAX_HOPS:
            self.count("archive_too_many_hops")
            self.logger.warning("More than %d archive redirects from %s", MAX_HOPS, seen[0])
            yield from self._next_source_replay(meta)
            return
        carried = {HINTS: meta.get(HINTS), HOPS: seen, "dont_filter": True}
        if CHAIN in meta:
            carried.update({CHAIN: meta[CHAIN], CHAIN_AT: meta[CHAIN_AT]})
        # The site's own redirect, captured: the article met its old URL too.
        carried[MET] = [*meta.get(MET, []), meta[ORIGINAL]] if redirected else meta.get(MET, [])
        yield self.replay_request(follow_url, meta[PURPOSE], original or meta[ORIGINAL], **carried)

    # Articles found through the archive -------------------------------------------------------

    def _archived_article(self, request: scrapy.Request) -> Iterable[scrapy.Request]:
        """An article request a capture led to: pre-filtered, then asked live with the
        archive as its fall-back."""
        hints = request.cb_kwargs.get("hints") or {}
        topic = self.archive_topic
        if topic is not None and not could_be_on_topic(
            topic, title=hints.get("title"), url=request.url, language=self.outlet.language
        ):
            if request.url not in self.prefiltered_urls:  # the same entry in many captures counts once
                self.prefiltered_urls.add(request.url)
                self.count("archive_prefiltered")
            return
        request.meta[FALLBACK] = True
        request.callback = self.parse_live_article
        request.errback = self.live_article_failed
        yield request

    def parse_live_article(self, response: scrapy.http.Response, hints: dict[str, Any]):
        """The live answer to an article the archives listed: the article, unless the site now
        answers with something else (a "page not found" with status 200, its homepage): then
        the archived copy is read instead."""
        items = list(self.parse_article(response, hints))
        if all(self._has_article(item, response) for item in items):
            yield from items
            return
        self.count("archive_live_no_article")
        self.logger.info("No article live at %s any more: reading the archived copy", response.url)
        first = (response.meta.get("redirect_urls") or [response.url])[0]
        yield from self._from_archive(first, hints)

    def _has_article(self, item: Any, response: scrapy.http.Response) -> bool:
        if isinstance(item, scrapy.Request):
            return True
        landed = response.url.split("?")[0].rstrip("/")
        if landed == self.outlet.homepage.split("?")[0].rstrip("/"):
            return False  # old URLs redirected to the front page
        return len((item.get("text") or "").split()) >= self._min_words

    @cached_property
    def _min_words(self) -> int:
        return self.settings.getint("MONITOR_MIN_WORDS", 30)

    def live_article_failed(self, failure):
        request = failure.request
        response = getattr(failure.value, "response", None)
        if not (failure.check(HttpError) and response is not None and response.status in GONE):
            self.article_failed(failure)
            return
        self.count("archive_live_gone")
        yield from self._from_archive(request.url, request.cb_kwargs.get("hints") or {})

    def _from_archive(self, original: str, hints: dict) -> Iterable[scrapy.Request]:
        """An article gone from the live site, read from the archives: the capture the Wayback
        listing gave, else Common Crawl's, else the first a CDX look-up finds."""
        timestamp = self.wayback_listed.get(original)
        capture = self.cc_captures.get(original)
        if timestamp:
            yield self.replay_request(
                replay_url(original, timestamp, base_url=self.wayback_base), "article", original, **{HINTS: hints}
            )
        elif capture is not None:
            yield self.cc_record_request(capture, original, hints)
        else:
            yield self.cdx_request(original, "lookup", filters=(), collapse=None, **{HINTS: hints})

    # Common Crawl ------------------------------------------------------------------------------

    def cc_index_request(self, crawl, page: int) -> scrapy.Request:
        url = index_query_url(crawl, self.outlet.homepage, match_type="prefix", page=page)
        return self.archive_request(
            url,
            self.parse_cc_index,
            "cc-index",
            archive=COMMONCRAWL,
            **{CC_CRAWL: crawl, CC_PAGE: page, ARCHIVE_INDEX: True},
        )

    def parse_cc_collinfo(self, response: scrapy.http.Response):
        try:
            crawls = parse_collinfo(response.body) if response.status == 200 else None
        except CommonCrawlError as exc:
            crawls, problem = None, str(exc)
        else:
            problem = f"status {response.status}"
        if crawls is None:
            self.count("archive_cc_failed")
            self.logger.warning("Common Crawl's list of crawls not read: %s (%s)", response.url, problem)
            return
        for crawl in crawls_in(crawls, self.window, after=self.archive_after):
            self.count("archive_cc_crawls")
            yield self.cc_index_request(crawl, 0)

    def parse_cc_index(self, response: scrapy.http.Response):
        meta = response.meta
        page_number = meta[CC_PAGE]
        self.count("archive_cc_index_queries")
        try:
            page = parse_index_answer(response.status, response.body, page_number)
        except CommonCrawlError as exc:
            self.count("archive_cc_failed")
            self.logger.warning("Common Crawl index not read: %s (%s)", response.url, exc)
            return
        for capture in page.captures:
            yield from self._cc_listed(capture)
        if not page.last and page.captures:
            yield self.cc_index_request(meta[CC_CRAWL], page_number + 1)

    def _cc_listed(self, capture: CrawlCapture) -> Iterable[scrapy.Request]:
        """One capture of a crawl's index: an article request, or nothing."""
        url = capture.url
        self.cc_captures.setdefault(url, capture)
        if url in self.archive_listed_urls:
            self.count("archive_cc_known")
            return
        if not looks_like_article(url, self.outlet.archive_patterns or None):
            self.count("archive_cc_not_articles")
            return
        self.count("archive_cc_listed")
        self.archive_listed_urls.add(url)
        hints = {"title": None, "published": None, "guid": None}
        for request in self.article_requests(url, hints):
            yield from self._archived_article(request)

    def cc_record_request(self, capture: CrawlCapture, original: str, hints: dict) -> scrapy.Request:
        data_url = capture.data_url(self.settings.get("MONITOR_CC_DATA_URL"))
        request = self.archive_request(
            data_url,
            self.parse_cc_record,
            "cc-record",
            archive=COMMONCRAWL,
            dont_filter=True,  # one WARC file holds many records: the Range tells them apart
            **{ORIGINAL: original, HINTS: hints, CC_CAPTURE: capture},
        )
        request.headers["Range"] = capture.range_header
        return request

    def parse_cc_record(self, response: scrapy.http.Response):
        meta = response.meta
        capture: CrawlCapture = meta[CC_CAPTURE]
        try:
            if response.status not in (200, 206):
                raise RecordError(f"the data host answered {response.status}", throttled=response.status in (429, 503))
            record = parse_record(response.body)
        except RecordError as exc:
            self.count("archive_throttled" if exc.throttled else "archive_cc_failed")
            self.logger.info("Common Crawl record of %s not read: %s", meta[ORIGINAL], exc)
            return
        if record.status != 200:
            self.count("archive_error_captures")
            self.logger.info("The Common Crawl record of %s is an archived %d", meta[ORIGINAL], record.status)
            return
        self.count("archive_cc_articles_fetched")
        request = response.request.replace(url=record.target_uri)
        request.meta.update(
            {
                ARTICLE: True,
                FETCHED_FROM: COMMONCRAWL,
                ARCHIVE_URL: f"{response.url}#{capture.offset},{capture.length}",
                CAPTURED_AT: record.captured_at.isoformat(timespec="seconds"),
            }
        )
        page = HtmlResponse(
            record.target_uri, status=200, headers=list(record.headers), body=record.payload, request=request
        )
        self.crawler.signals.send_catch_log(page_from_record, response=page)  # its bytes kept in the run's WARC
        yield from self.parse_article(page, meta.get(HINTS) or {})

    # Failures ----------------------------------------------------------------------------------

    def _archive_failure(self, response: scrapy.http.Response, failure: ArchiveFailure):
        meta = response.meta
        retries = meta.get(RATE_RETRIES, 0)
        if failure.retryable and retries < MAX_RATE_LIMIT_RETRIES:
            self.count("archive_rate_limited" if failure.reason == Failure.RATE_LIMITED else "archive_retried")
            wait = min(failure.retry_after if failure.retry_after is not None else 60.0, self._max_retry_after)
            retry = response.request.replace(dont_filter=True)
            retry.meta.pop("download_latency", None)  # the answer's, not the retry's
            retry.meta[RATE_RETRIES] = retries + 1
            retry.meta[ARCHIVE_NOT_BEFORE] = time.monotonic() + wait
            yield retry
            return
        if failure.reason == Failure.NOT_ARCHIVED:
            self.count("archive_not_archived")
        elif failure.reason in (Failure.BLOCKED, Failure.BLOCKED_BY_ROBOTS):
            self.count("archive_blocked")
        else:
            self.count("archive_failed")
        self.logger.info("Archive: %s for %s (%s)", failure.reason.value, meta.get(ORIGINAL), response.url)
        yield from self._next_source_replay(meta)

    @cached_property
    def _max_retry_after(self) -> float:
        return self.settings.getfloat("MONITOR_MAX_RETRY_AFTER", 60)

    def archive_failed(self, failure):
        if not counted_failure(failure):
            return  # a replay URL another request of this run asked for already
        self.count("archive_failed")
        self.logger.error("Archive request failed: %s (%s)", failure.request.url, failure.value)
        yield from self._next_source_replay(failure.request.meta)
