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
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

import scrapy
from scrapy.spidermiddlewares.httperror import HttpError

from media_monitor.archives.articleurls import looks_like_article
from media_monitor.archives.prefilter import could_be_on_topic
from media_monitor.archives.wayback import (
    DEFAULT_FILTERS,
    ArchiveFailure,
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
from media_monitor.crawling.archivepace import ARCHIVE_NOT_BEFORE, ARCHIVE_REQUEST
from media_monitor.crawling.failures import counted_failure
from media_monitor.crawling.requestmeta import ARCHIVE_URL, ARTICLE, CAPTURED_AT, FETCHED_FROM, SOURCE
from media_monitor.story.topic import load_topic
from media_monitor.story.window import DateWindow

WAYBACK = "wayback"
MAX_HOPS = 5
MAX_RATE_LIMIT_RETRIES = 2
GONE = (404, 410)
# Request meta of the archive route (the spider's own; no other component reads them).
PURPOSE = "monitor_archive_purpose"  # feed, sitemap (a source replay), listing, lookup (CDX), article (replay)
ORIGINAL = "monitor_archive_original"  # the URL the capture is of
HINTS = "monitor_archive_hints"
HOPS = "monitor_archive_hops"  # replay URLs met so far, for loop detection
TIMESTAMP = "monitor_archive_timestamp"  # the capture a listing gave for an article
FALLBACK = "monitor_archive_fallback"  # on a live article request: fall back to the archive when gone
RATE_RETRIES = "monitor_archive_rate_retries"
CDX_LAST_LINE = "monitor_archive_cdx_last_line"
MET = "monitor_archive_met"  # the original URLs of the captured redirects followed


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
    def archive_window(self) -> DateWindow:
        """The window of the captures asked for: captures of sources read until
        ``MONITOR_ARCHIVE_AFTER_DAYS`` after the window still list its articles."""
        after = timedelta(days=self.settings.getfloat("MONITOR_ARCHIVE_AFTER_DAYS", 28))
        until = self.window.until + after if self.window.until else None
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
                ARCHIVE_REQUEST: WAYBACK,
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
        return self.archive_request(query, self.parse_archive_cdx, purpose, **{ORIGINAL: url, **meta})

    def replay_request(self, replay: str, purpose: str, original: str, **meta) -> scrapy.Request:
        target = parse_replay_url(replay)
        extra: dict[str, Any] = {}
        if purpose == "article":
            captured = parse_timestamp(target.timestamp).isoformat(timespec="seconds") if target else None
            # Read by KeepWarc (the record's headers) and parse_article (the row's provenance).
            extra = {ARTICLE: True, FETCHED_FROM: WAYBACK, ARCHIVE_URL: replay, CAPTURED_AT: captured}
        return self.archive_request(replay, self.parse_archive_replay, purpose, **{ORIGINAL: original, **extra, **meta})

    def archive_requests(self) -> Iterable[scrapy.Request]:
        """The outlet's archive sources: its feeds' and sitemaps' captures, its captured URLs."""
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
        for capture in page.captures:
            if purpose in ("feed", "sitemap"):
                self.count("archive_source_captures")
                yield self.replay_request(
                    replay_url(capture.original, capture.timestamp, base_url=self.wayback_base),
                    purpose,
                    capture.original,
                )
            else:
                yield from self._listed(capture.original, capture.timestamp)
        if page.resume_key:
            args = meta["cdx_args"]
            yield self.cdx_request(
                original, purpose, **args, resume_key=page.resume_key, **{CDX_LAST_LINE: page.last_line}
            )

    def _listed(self, url: str, timestamp: str) -> Iterable[scrapy.Request]:
        """One URL of the archive's listing of the outlet: an article request, or nothing."""
        if not looks_like_article(url, self.outlet.archive_patterns or None):
            self.count("archive_not_articles")
            return
        self.count("archive_listed")
        hints = {"title": None, "published": None, "guid": None}
        for request in self.article_requests(url, hints):
            request.meta[TIMESTAMP] = timestamp
            yield from self._archived_article(request)

    def _lookup_found(self, captures, meta) -> Iterable[scrapy.Request]:
        """The capture to read of an article gone live: the first 200, else the first redirect."""
        chosen = next((c for c in captures if c.status == 200), None) or next(
            (c for c in captures if c.status and 300 <= c.status < 400), None
        )
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

    def _follow(self, response, follow_url: str, original: str | None, *, redirected: bool):
        meta = response.meta
        seen = [*meta.get(HOPS, []), response.url]
        if follow_url in seen:
            self.count("archive_redirect_loops")
            self.logger.warning("Archive redirect loop at %s", follow_url)
            return
        if len(seen) > MAX_HOPS:
            self.count("archive_too_many_hops")
            self.logger.warning("More than %d archive redirects from %s", MAX_HOPS, seen[0])
            return
        carried = {HINTS: meta.get(HINTS), HOPS: seen, "dont_filter": True}
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
            self.count("archive_prefiltered")
            return
        request.meta[FALLBACK] = True
        request.errback = self.live_article_failed
        yield request

    def live_article_failed(self, failure):
        request = failure.request
        response = getattr(failure.value, "response", None)
        if not (failure.check(HttpError) and response is not None and response.status in GONE):
            self.article_failed(failure)
            return
        self.count("archive_live_gone")
        original = request.url
        hints = request.cb_kwargs.get("hints") or {}
        timestamp = request.meta.get(TIMESTAMP)
        if timestamp:
            yield self.replay_request(
                replay_url(original, timestamp, base_url=self.wayback_base), "article", original, **{HINTS: hints}
            )
        else:
            yield self.cdx_request(original, "lookup", filters=(), collapse=None, **{HINTS: hints})

    # Failures ----------------------------------------------------------------------------------

    def _archive_failure(self, response: scrapy.http.Response, failure: ArchiveFailure):
        meta = response.meta
        retries = meta.get(RATE_RETRIES, 0)
        if failure.retryable and retries < MAX_RATE_LIMIT_RETRIES:
            self.count("archive_rate_limited" if failure.reason == Failure.RATE_LIMITED else "archive_retried")
            wait = min(failure.retry_after if failure.retry_after is not None else 60.0, self._max_retry_after)
            retry = response.request.replace(dont_filter=True)
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

    @cached_property
    def _max_retry_after(self) -> float:
        return self.settings.getfloat("MONITOR_MAX_RETRY_AFTER", 60)

    def archive_failed(self, failure) -> None:
        if not counted_failure(failure):
            return  # a replay URL another request of this run asked for already
        self.count("archive_failed")
        self.logger.error("Archive request failed: %s (%s)", failure.request.url, failure.value)
