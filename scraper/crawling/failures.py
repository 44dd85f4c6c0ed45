"""Why a request failed: the failure types the crawling components raise, and how a failure
is told from a skip and described in one line (a leaf module: it imports nothing of the
project's)."""

from __future__ import annotations

from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError


class CountedFailure(IgnoreRequest):
    """A request given up for a reason that is a failure of the crawl (counted), not a skip."""


class RedirectFailed(CountedFailure):
    """A redirect loop, or a redirect off the outlet's domains."""


class BrokenResponse(CountedFailure):
    """A response that arrived but cannot be trusted whole (a truncated gzip body)."""


def describe(exception: BaseException) -> str:
    """A short, readable cause for a download failure."""
    name = type(exception).__name__
    # twisted's ResponseNeverReceived and ResponseFailed list their causes; Scrapy wraps them.
    reasons = getattr(exception, "reasons", None) or getattr(exception.__cause__, "reasons", None)
    if reasons:
        text = "; ".join(
            f"{r.type.__name__}: {r.getErrorMessage()}" if hasattr(r, "getErrorMessage") else str(r) for r in reasons
        )
        name = type(exception.__cause__).__name__ if exception.__cause__ is not None else name
    else:
        text = str(exception)
    if name in ("DownloadTimeoutError", "TimeoutError", "TCPTimedOutError") or "took longer than" in text:
        return f"read timeout ({text})" if text else "read timeout"
    if name in (
        "ResponseNeverReceived",
        "ConnectionLost",
        "ConnectionDone",
        "ResponseFailed",
        "DownloadFailedError",
        "ConnectionResetError",
    ):
        return f"connection closed or reset before a complete response ({text or name})"
    if name == "DownloadCancelledError":
        return f"over the size limit: {text}" if "max size" in text else (text or "download cancelled")
    if name in ("CannotResolveHostError", "DNSLookupError"):
        return f"DNS lookup failed ({text})"
    if name in ("DownloadConnectionRefusedError", "ConnectionRefusedError"):
        return "connection refused"
    return f"{name}: {text}" if text else name


class BodyTooLarge(CountedFailure):
    """A body larger than ``DOWNLOAD_MAXSIZE`` once decompressed (a gzip bomb, or only big)."""


class UnsafeRequest(CountedFailure):
    """A request the crawler refuses to send: a scheme other than http(s), or an address."""


# IgnoreRequest messages of Scrapy's that are failures to count, not skips (robots.txt, the
# UrlMemory's "already known"/"requested by another spider" skips stay uncounted).
FAILED_IGNORES = ("max redirections reached", "Filtered offsite request")


def counted_failure(failure) -> bool:
    """Does a request's failure count as failed? Errors and HTTP errors do; of the
    ``IgnoreRequest`` family only redirect loops and offsite redirects, unsafe URLs and broken
    responses do (``CountedFailure``, and Scrapy's redirect limit)."""
    if not failure.check(IgnoreRequest) or failure.check(HttpError, CountedFailure):
        return True
    return str(failure.value).startswith(FAILED_IGNORES)


def failure_reason(failure) -> str:
    """A short, readable cause of a failed request, for the log line."""
    if failure.check(HttpError):
        return f"HTTP {failure.value.response.status}"
    if failure.check(IgnoreRequest):
        return str(failure.value) or type(failure.value).__name__
    return describe(failure.value)
