"""Downloader middlewares that let a crawl survive faulty servers: each fault ends in a log line
and a counted failure (or a retry that succeeds), never in a wrong row or a silent drop.

- ``RetryAfter`` (just outside Scrapy's RetryMiddleware): a 429 or 503 with ``Retry-After``
  waits that long (at most ``MONITOR_MAX_RETRY_AFTER`` seconds) before RetryMiddleware
  retries; every retried status or error gets a WARNING naming the attempt.
- ``TruncatedBody`` (just outside HttpCompressionMiddleware): a gzip body that ends before
  the end of its gzip stream is retried, then failed. Scrapy's gunzip would silently hand over
  the part that arrived, and a cut article would be stored as if it were whole.
- ``RedirectGuard`` (just outside RedirectMiddleware): a redirect back to a URL already on the
  request's redirect path (a loop), off the spider's ``allowed_domains``, or to a port of an
  outlet's host other than those it is configured at (80 and 443 aside), fails the request
  here, where its errback sees it. Followed, the offsite filter or the duplicate filter would
  drop the redirected request at scheduling time, without an errback: uncounted.
- ``CountedDecompression`` (in place of HttpCompressionMiddleware): a body that inflates past
  ``DOWNLOAD_MAXSIZE`` fails its request as ``BodyTooLarge``; Scrapy's middleware ignored it
  with a warning, and the errback did not count it.
- ``OneLineRobotsErrors`` (an extension): a ``robots.txt`` that cannot be fetched is one
  WARNING line instead of Scrapy's ERROR with a 50-line traceback, its retries and their
  give-up line (the host is then crawled as if it had none, as Scrapy does).

The failures are raised as ``CountedFailure`` (an ``IgnoreRequest``, so nothing retries or
logs a traceback for them); ``media_monitor.spiders.base.ArticleSpider`` counts them, unlike the skips
(robots.txt, already-known URLs) that are plain ``IgnoreRequest``.
"""

from __future__ import annotations

import asyncio
import logging
import zlib
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

from scrapy.downloadermiddlewares.httpcompression import HttpCompressionMiddleware
from scrapy.downloadermiddlewares.retry import get_retry_request
from scrapy.exceptions import IgnoreRequest
from scrapy.utils.misc import load_object
from w3lib.url import safe_url_string

from media_monitor.crawling.failures import BodyTooLarge, BrokenResponse, RedirectFailed, UnsafeRequest, describe
from media_monitor.crawling.safety import refused_host_reason

logger = logging.getLogger(__name__)

REDIRECT_STATUSES = (301, 302, 303, 307, 308)
DEFAULT_MAX_RETRY_AFTER = 60.0


def retry_after_seconds(value: bytes | str | None, now: datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` header asks for (delta-seconds or an HTTP date); None if unusable."""
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else str(value)
    text = text.strip()
    if not text:
        return None
    try:
        seconds = float(text)
    except ValueError:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - (now or datetime.now(UTC))).total_seconds()
    if seconds != seconds:  # NaN
        return None
    return max(seconds, 0.0)


class RetryAfter:
    """Honours ``Retry-After`` and logs every retry with its cause and attempt number."""

    def __init__(self, crawler):
        settings = crawler.settings
        self.crawler = crawler
        self.max_wait = settings.getfloat("MONITOR_MAX_RETRY_AFTER", DEFAULT_MAX_RETRY_AFTER)
        self.enabled = settings.getbool("RETRY_ENABLED", True)
        self.max_retry_times = settings.getint("RETRY_TIMES")
        self.retry_codes = {int(code) for code in settings.getlist("RETRY_HTTP_CODES")}
        self.retry_exceptions = tuple(
            load_object(e) if isinstance(e, str) else e for e in settings.getlist("RETRY_EXCEPTIONS")
        )

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _attempts(self, request) -> tuple[int, int]:
        return request.meta.get("retry_times", 0) + 1, request.meta.get("max_retry_times", self.max_retry_times)

    def _will_retry(self, request) -> bool:
        retry, limit = self._attempts(request)
        return self.enabled and not request.meta.get("dont_retry") and retry <= limit

    async def process_response(self, request, response, spider=None):
        if response.status not in self.retry_codes or not self._will_retry(request):
            return response
        retry, limit = self._attempts(request)
        wait = retry_after_seconds(response.headers.get(b"Retry-After")) if response.status in (429, 503) else None
        if wait:
            asked = wait
            wait = min(wait, self.max_wait)
            self.crawler.stats.inc_value("monitor/retry_after_waits")
            logger.warning(
                "HTTP %d with Retry-After %gs from %s: waiting %gs, then retrying (retry %d of %d)",
                response.status,
                asked,
                request.url,
                wait,
                retry,
                limit,
            )
            await asyncio.sleep(wait)
        else:
            logger.log(
                _retry_level(request),
                "HTTP %d from %s: retrying (retry %d of %d)",
                response.status,
                request.url,
                retry,
                limit,
            )
        self.crawler.stats.inc_value("monitor/retries")
        return response

    def process_exception(self, request, exception, spider=None):
        reason = refused_host_reason(request.url)
        if reason:
            raise UnsafeRequest(reason)
        if isinstance(exception, self.retry_exceptions) and self._will_retry(request):
            retry, limit = self._attempts(request)
            self.crawler.stats.inc_value("monitor/retries")
            logger.log(
                _retry_level(request),
                "%s for %s: retrying (retry %d of %d)",
                describe(exception),
                request.url,
                retry,
                limit,
            )
        return None


def is_robots_txt(url: object) -> bool:
    """Is this (a request's, or its URL) a robots.txt, which ``OneLineRobotsErrors`` reports?"""
    return urlsplit(str(getattr(url, "url", url))).path == "/robots.txt"


def _retry_level(request) -> int:
    return logging.DEBUG if is_robots_txt(request) else logging.WARNING


def gzip_is_complete(body: bytes, limit: int = 0) -> bool | None:
    """Does a gzip body reach the end of its stream? None when it is not gzip or too large to
    check here (HttpCompressionMiddleware then judges it)."""
    decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
    size = 0
    data = body
    try:
        while data:
            chunk = decompressor.decompress(data, 65536)
            size += len(chunk)
            if limit and size > limit:
                return None
            data = decompressor.unconsumed_tail
            if decompressor.eof:
                return True
        while not decompressor.eof:
            chunk = decompressor.decompress(b"", 65536)
            if not chunk:
                break
            size += len(chunk)
            if limit and size > limit:
                return None
    except zlib.error:
        return False
    return decompressor.eof


class TruncatedBody:
    """Retries, then fails, a response whose gzip body stops before the end of its stream."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.limit = crawler.settings.getint("DOWNLOAD_MAXSIZE")

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        encoding = b",".join(response.headers.getlist(b"Content-Encoding")).lower()
        if b"gzip" not in encoding or not response.body or response.status in REDIRECT_STATUSES:
            return response
        complete = gzip_is_complete(response.body, self.limit)
        if complete is not False:
            return response
        self.crawler.stats.inc_value("monitor/truncated_bodies")
        reason = f"truncated gzip body ({len(response.body)} bytes received, the gzip stream does not end)"
        attempt = request.meta.get("retry_times", 0) + 1
        retry = get_retry_request(request, spider=self.crawler.spider, reason=reason)
        if retry is not None:
            logger.warning(
                "%s from %s: retrying (retry %d of %d)",
                reason,
                request.url,
                attempt,
                request.meta.get("max_retry_times", self.crawler.settings.getint("RETRY_TIMES")),
            )
            return retry
        raise BrokenResponse(reason)


WEB_PORTS = frozenset({80, 443})  # http to https on one host is no change of site


def default_port(parts) -> int:
    return parts.port or (443 if parts.scheme == "https" else 80)


def configured_ports(outlet) -> dict[str, set[int]]:
    """The ports each host of an outlet is configured at (homepage, feeds, sitemaps, listings)."""
    ports: dict[str, set[int]] = {}
    for url in (outlet.homepage, *outlet.source_urls):
        parts = urlsplit(url)
        if parts.hostname:
            ports.setdefault(parts.hostname.lower(), set()).add(default_port(parts))
    return ports


def _host_allowed(host: str, allowed_domains) -> bool:
    host = (host or "").lower()
    return any(host == d or host.endswith("." + d) for d in (str(d).lower() for d in allowed_domains if d))


class RedirectGuard:
    """Fails a redirect that loops or leaves the outlet's domains, so it is counted."""

    def __init__(self, crawler):
        self.crawler = crawler
        self.enabled = crawler.settings.getbool("REDIRECT_ENABLED", True)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_response(self, request, response, spider=None):
        if (
            not self.enabled
            or response.status not in REDIRECT_STATUSES
            or request.meta.get("dont_redirect")
            or b"Location" not in response.headers
            or response.status in request.meta.get("handle_httpstatus_list", ())
            or request.meta.get("handle_httpstatus_all")
        ):
            return response
        location = response.headers[b"Location"].decode("latin-1")
        target = safe_url_string(urljoin(request.url, location))
        path = [*request.meta.get("redirect_urls", []), request.url]
        if target in path:
            self.crawler.stats.inc_value("monitor/redirect_loops")
            raise RedirectFailed(
                f"redirect loop: {request.url} redirects back to {target} after {len(path)} request(s)"
            )
        spider = self.crawler.spider
        allowed = getattr(spider, "allowed_domains", None)
        if allowed and not request.dont_filter and not request.meta.get("allow_offsite"):
            host = urlsplit(target).hostname or ""
            if not _host_allowed(host, allowed):
                self.crawler.stats.inc_value("monitor/offsite_redirects")
                raise RedirectFailed(
                    f"redirect to another site not followed: {request.url} -> {target} "
                    f"({host} is not among the outlet's domains {', '.join(allowed)})"
                )
        outlet = getattr(spider, "outlet", None)
        if outlet is not None and not request.meta.get("allow_offsite"):
            parts = urlsplit(target)
            ports = configured_ports(outlet).get((parts.hostname or "").lower())
            if ports is not None and default_port(parts) not in ports | WEB_PORTS:
                self.crawler.stats.inc_value("monitor/offsite_redirects")
                raise RedirectFailed(
                    f"redirect to another port not followed: {request.url} -> {target} "
                    f"(the outlet is configured at {parts.hostname} on port {', '.join(map(str, sorted(ports)))})"
                )
        return response


class CountedDecompression(HttpCompressionMiddleware):
    """Scrapy's decompression, whose one refusal (a body inflating past ``DOWNLOAD_MAXSIZE``)
    fails the request where its errback counts it."""

    def process_response(self, request, response, spider=None):
        try:
            return super().process_response(request, response)
        except IgnoreRequest:
            limit = request.meta.get("download_maxsize", self._max_size)
            raise BodyTooLarge(
                f"over the size limit once decompressed: {len(response.body)} bytes compressed, "
                f"more than {limit} bytes decompressed"
            ) from None


class _RobotsErrorLine(logging.Filter):
    """Rewrites Scrapy's "Error downloading <robots.txt>" record as one WARNING line, and drops
    RetryMiddleware's "Gave up retrying" of a robots.txt, which that line reports."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args if isinstance(record.args, dict) else {}
        if str(record.msg).startswith("Gave up retrying") and is_robots_txt(args.get("request")):
            return False
        if record.exc_info and "f_exception" in args:
            record.msg = "robots.txt not read for %s (%s): crawled as if it had none"
            record.args = (args.get("request"), describe(args["f_exception"]))
            record.levelno, record.levelname = logging.WARNING, "WARNING"
            record.exc_info, record.exc_text = None, None
        return True


ROBOTS_ERROR_LINE = _RobotsErrorLine()


class OneLineRobotsErrors:
    """Installs ``_RobotsErrorLine`` on Scrapy's robots.txt and retry loggers (once per process)."""

    @classmethod
    def from_crawler(cls, crawler):
        for name in ("scrapy.downloadermiddlewares.robotstxt", "scrapy.downloadermiddlewares.retry"):
            logging.getLogger(name).addFilter(ROBOTS_ERROR_LINE)
        return cls()
