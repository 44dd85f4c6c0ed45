"""The Internet Archive's Wayback Machine: its CDX index and its replay of captures.

The CDX server (``/cdx/search/cdx``) answers one space-separated line a capture,
``urlkey timestamp original mimetype statuscode digest length``, and pages with resume keys: with
``showResumeKey=true`` a page that has a next one ends with a blank line and the key. Replay
(``/web/<timestamp>id_/<url>``) serves a capture's original bytes; whether an answer is a
capture or the archive's own (a redirect to the nearest capture, "not archived", "excluded", a
rate limit) is told by ``Memento-Datetime``, never by the status: an archived 404 or 429 is
content, not an error to retry.

The shapes are those of real answers: the traffic edgi-govdata-archiving/wayback recorded from
web.archive.org (2023-24) and the CDX server's README (internetarchive/wayback). Nothing here
opens a connection.
"""

from __future__ import annotations

import email.utils
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from urllib.parse import unquote, urlencode, urljoin, urlsplit

from media_monitor.story.window import DateWindow

DEFAULT_BASE_URL = "https://web.archive.org"
# Only pages that were served as HTML: the capture of a redirect or an error is not an article.
DEFAULT_FILTERS = ("statuscode:200", "mimetype:text/html")
# As of 2023-11 the Wayback Machine sends no Retry-After with a 429; edgi's client waits 60 s.
DEFAULT_RATE_LIMIT_DELAY = 60.0
# How far the capture IA redirects to may lie from the time asked for (edgi's target_window).
DEFAULT_MAX_DISTANCE = timedelta(days=1)
REPLAY_MODE = "id_"  # the original bytes: no banner, no rewritten links

HeaderPairs = Mapping[str, str] | Iterable[tuple[str, str]]

_TIMESTAMP_FORMAT = "%Y%m%d%H%M%S"
# A timestamp shorter than 14 digits means the earliest moment it names (IA reads it so).
_TIMESTAMP_PADDING = "00000101000000"
_DEFAULT_PORT = (re.compile(r"^(http://[^:/]+):80(?=[/?#]|$)"), re.compile(r"^(https://[^:/]+):443(?=[/?#]|$)"))
# A URL a crawler took from a broken link: an e-mail or a data: URI behind "http://". The host
# must be a dotted name with a TLD (raw Unicode or punycode), an IPv4 address or a bracketed IPv6.
_URL_SHAPE = re.compile(
    r"^[a-z][a-z0-9+.-]*://"
    r"(?:[^/?#=&@:\s<>]+\.(?:[^\W\d_]{2,}|xn--[a-z0-9-]+)|\d{1,3}(?:\.\d{1,3}){3}|\[[0-9a-f:.]+\])"
    r"(?::\d+)?(?:[/?#]|$)",
    re.IGNORECASE,
)
_DATA_URI = re.compile(r"data:\w+/[\w.+-]+;base64", re.IGNORECASE)
# A replay URL, absolute, scheme-less or path-only: /web/<1-14 digits><mode>/<original URL>.
_REPLAY_URL = re.compile(r"^(?:(?:https?:)?//[^/]+)?/web/(\d{1,14})([a-z]{2}_)?/(.+)$", re.IGNORECASE | re.DOTALL)
_LINK = re.compile(r'<([^>]*)>((?:\s*;\s*[\w-]+\s*=\s*(?:"[^"]*"|[^;,]*))*)')
_LINK_PARAM = re.compile(r'([\w-]+)\s*=\s*(?:"([^"]*)"|([^;,]*))')
_ORIGINAL_HEADER_PREFIX = "x-archive-orig-"


class Failure(StrEnum):
    """Why the archive gave no capture; the values name the crawl's counters."""

    NOT_ARCHIVED = "not_archived"
    BLOCKED = "blocked"  # excluded from the archive at the site owner's request
    BLOCKED_BY_ROBOTS = "blocked_by_robots"
    RATE_LIMITED = "rate_limited"
    TRANSIENT = "transient"  # a server error of the archive: ask again later
    FAILED = "failed"  # an answer this module cannot use; asking again will not help


@dataclass(frozen=True)
class ArchiveFailure:
    """An answer of the archive's own that holds no capture."""

    reason: Failure
    status: int
    retry_after: float | None = None  # seconds to wait before asking again (rate limits, server errors)
    detail: str = ""

    @property
    def retryable(self) -> bool:
        return self.reason in (Failure.RATE_LIMITED, Failure.TRANSIENT)


# ---------------------------------------------------------------------------------------------
# Timestamps


def format_timestamp(moment: datetime) -> str:
    """The 14-digit UTC timestamp of an aware datetime (a naive one is taken as UTC)."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime(_TIMESTAMP_FORMAT)


def repair_timestamp(timestamp: str) -> str:
    """A CDX timestamp with its stray ``00`` month or day taken out.

    Some year-2000 captures carry a ``00`` inserted before the month or the day, which pushed
    the rest right and cut the seconds off (``2000000824173151`` was indexed as
    ``20000008241731``): drop the ``00`` and put zero seconds back, as edgi's client does.
    """
    if len(timestamp) != 14:
        return timestamp
    if timestamp[4:6] == "00":
        return f"{timestamp[:4]}{timestamp[6:]}00"
    if timestamp[6:8] == "00":
        return f"{timestamp[:6]}{timestamp[8:]}00"
    return timestamp


def parse_timestamp(timestamp: str) -> datetime:
    """The UTC moment a 1- to 14-digit timestamp names; ValueError when it names none."""
    if not (timestamp.isascii() and timestamp.isdigit() and 1 <= len(timestamp) <= 14):
        raise ValueError(f"not a Wayback timestamp: {timestamp!r}")
    padded = repair_timestamp(timestamp + _TIMESTAMP_PADDING[len(timestamp) :])
    return datetime.strptime(padded, _TIMESTAMP_FORMAT).replace(tzinfo=UTC)


def window_bounds(window: DateWindow) -> tuple[str | None, str | None]:
    """The CDX ``from`` and ``to`` of a window: both inclusive there, so ``to`` is the last
    second before the window's exclusive end."""
    since = format_timestamp(window.since) if window.since else None
    until = format_timestamp(window.until - timedelta(seconds=1)) if window.until else None
    return since, until


# ---------------------------------------------------------------------------------------------
# The CDX index


@dataclass(frozen=True)
class Capture:
    """One line of a CDX answer."""

    urlkey: str  # the SURT form of the URL: com,cnn)/
    timestamp: str  # 14 digits, UTC, repaired
    original: str  # the URL captured, without a default port
    mimetype: str  # text/html, warc/revisit, unk …
    status: int | None  # None on a revisit ("-")
    digest: str  # base32 SHA-1 of the payload
    length: int | None  # size of the compressed WARC record, not of the page; "-" is None

    @property
    def captured_at(self) -> datetime:
        return parse_timestamp(self.timestamp)

    @property
    def is_revisit(self) -> bool:
        """A revisit record: the payload is an earlier capture's, its status shows on replay."""
        return self.mimetype == "warc/revisit" or self.status is None

    @property
    def identity(self) -> tuple[str, str]:
        """Two lines are one capture when both match: IA lists http://www.zew.de/ and
        http://zew.de/ at the same second as two."""
        return self.timestamp, self.original

    def replay_url(self, base_url: str = DEFAULT_BASE_URL) -> str:
        return replay_url(self.original, self.timestamp, base_url=base_url)


@dataclass(frozen=True)
class CdxPage:
    """One page of a CDX answer."""

    captures: tuple[Capture, ...]
    resume_key: str | None  # None on the last page
    last_line: str | None  # pass it to the next page's parse: duplicates run across pages
    skipped: int = 0  # junk lines and malformed URLs left out
    blocked_by_robots: bool = False  # a line said RobotAccessControlException instead of a capture


def cdx_query_url(
    url: str,
    *,
    base_url: str = DEFAULT_BASE_URL,
    match_type: str | None = None,
    window: DateWindow | None = None,
    filters: Sequence[str] = DEFAULT_FILTERS,
    collapse: str | None = "urlkey",
    limit: int | None = None,
    resume_key: str | None = None,
) -> str:
    """The CDX search URL of one page of captures of ``url``.

    ``match_type``: exact (IA's default), prefix, host or domain. ``filters``:
    ``[!]field:regex``, matched against the whole field. ``collapse=urlkey`` keeps one capture a
    URL (adjacent lines only, and the index is sorted by URL). ``resume_key`` is the key the
    previous page ended with, sent as it came: it is already percent-encoded, so it goes out
    encoded twice, as edgi's client sends it and IA reads it.
    """
    params: list[tuple[str, str]] = [("url", url)]
    if match_type:
        params.append(("matchType", match_type))
    if limit is not None:
        params.append(("limit", str(limit)))
    since, until = window_bounds(window) if window else (None, None)
    if since:
        params.append(("from", since))
    if until:
        params.append(("to", until))
    params.extend(("filter", value) for value in filters)
    if collapse:
        params.append(("collapse", collapse))
    # resolveRevisits: IA gives a revisit its original's status and type where it can, so
    # that it passes the statuscode and mimetype filters like the capture it repeats.
    params += [("showResumeKey", "true"), ("resolveRevisits", "true")]
    if resume_key:
        params.append(("resumeKey", resume_key))
    return f"{base_url.rstrip('/')}/cdx/search/cdx?{urlencode(params)}"


def strip_default_port(url: str) -> str:
    """``http://www.nasa.gov:80/`` -> ``http://www.nasa.gov/`` (and :443 for https)."""
    for pattern in _DEFAULT_PORT:
        url = pattern.sub(r"\1", url)
    return url


def is_malformed_url(url: str) -> bool:
    """A captured "URL" that is no page: an e-mail, a data: URI, a path without a host."""
    return url.lower().startswith("mailto:") or bool(_DATA_URI.search(url)) or not _URL_SHAPE.match(url)


def parse_cdx_line(line: str) -> Capture | None:
    """A capture, or None for a line that is not one (junk, a malformed URL)."""
    fields = line.split(" ")
    if len(fields) != 7:
        return None
    urlkey, timestamp, original, mimetype, status, digest, length = fields
    if not (status == "-" or (status.isdigit() and len(status) == 3)):
        return None
    if not (length == "-" or length.isdigit()):
        return None
    timestamp = repair_timestamp(timestamp)
    try:
        parse_timestamp(timestamp)
    except ValueError:
        return None
    original = strip_default_port(original)
    if is_malformed_url(original):
        return None
    return Capture(
        urlkey=urlkey,
        timestamp=timestamp,
        original=original,
        mimetype=mimetype,
        status=None if status == "-" else int(status),
        digest=digest,
        length=None if length == "-" else int(length),
    )


def parse_cdx_page(body: str | bytes, previous_line: str | None = None) -> CdxPage:
    """The captures of one CDX answer body and the key of the next page.

    A line equal to the one before it is dropped: IA repeats a capture once for each index
    shard that holds it (up to four times), and the run can start on the previous page, whose
    ``last_line`` is ``previous_line``. A blank line ends the captures; the key follows it.
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    lines = [line.rstrip("\r") for line in text.split("\n")]
    captures: list[Capture] = []
    resume_key = None
    skipped = 0
    blocked_by_robots = False
    for index, line in enumerate(lines):
        if not line.strip():
            resume_key = next((key.strip() for key in lines[index + 1 :] if key.strip()), None)
            break
        if line == previous_line:
            continue
        previous_line = line
        capture = parse_cdx_line(line)
        if capture is None:
            skipped += 1
            blocked_by_robots = blocked_by_robots or "RobotAccessControlException" in line
        else:
            captures.append(capture)
    return CdxPage(tuple(captures), resume_key, previous_line, skipped, blocked_by_robots)


def cdx_failure(status: int, headers: HeaderPairs, body: str | bytes, *, now: datetime) -> ArchiveFailure | None:
    """Why a CDX answer holds no captures, or None when it is a page of them.

    IA answers an excluded site with a 403 naming ``AdministrativeAccessControlException``, a
    site whose robots.txt forbids it with ``RobotAccessControlException``: neither is worth
    asking again.
    """
    if status < 400:
        return None
    pairs = _pairs(headers)
    text = _text(body)
    runtime_error = header_value(pairs, "x-archive-wayback-runtime-error") or ""
    said = f"{runtime_error}\n{text}"
    if "AdministrativeAccessControlException" in said:
        return ArchiveFailure(Failure.BLOCKED, status, detail=runtime_error or text[:200])
    if "RobotAccessControlException" in said:
        return ArchiveFailure(Failure.BLOCKED_BY_ROBOTS, status, detail=runtime_error or text[:200])
    return _status_failure(status, pairs, now, text)


# ---------------------------------------------------------------------------------------------
# Replay URLs and headers


@dataclass(frozen=True)
class ReplayTarget:
    """What a replay URL asks for."""

    timestamp: str  # 1-14 digits
    mode: str  # "id_", "" (view mode), "js_", "cs_", "im_" …
    original: str

    @property
    def captured_at(self) -> datetime:
        return parse_timestamp(self.timestamp)


def replay_url(original: str, timestamp: str, *, base_url: str = DEFAULT_BASE_URL, mode: str = REPLAY_MODE) -> str:
    """``<base>/web/<timestamp>id_/<original>``: the original URL goes in raw, query and all."""
    return f"{base_url.rstrip('/')}/web/{timestamp}{mode}/{original}"


def absolute_location(location: str, response_url: str) -> str:
    """A ``Location`` made absolute against the URL that answered it.

    IA sends it absolute, path-only (``/web/…``) or scheme-less (``//web.archive.org/web/…``).
    Only the scheme and host are taken from the response's URL: ``urljoin`` would also resolve
    ``..`` inside the original URL that follows ``/web/<ts>id_/``.
    """
    base = urlsplit(response_url)
    if location.startswith("//"):
        return f"{base.scheme}:{location}"
    if location.startswith("/"):
        return f"{base.scheme}://{base.netloc}{location}"
    if urlsplit(location).scheme:
        return location
    return urljoin(response_url, location)


def parse_replay_url(url: str, response_url: str | None = None) -> ReplayTarget | None:
    """The timestamp, mode and original URL of a replay URL in any of the forms a ``Location``
    takes (made absolute against ``response_url`` when given); None for another URL.

    An original that arrives percent-encoded as a whole (``http%3A%2F%2F…``) is decoded once;
    one with an encoded query is left alone.
    """
    match = _REPLAY_URL.match(absolute_location(url, response_url) if response_url else url)
    if not match:
        return None
    timestamp, mode, original = match.group(1), match.group(2) or "", match.group(3)
    if original.lower().startswith(("http%3a", "https%3a")):
        original = unquote(original)
    return ReplayTarget(timestamp, mode, strip_default_port(original))


def with_mode(url: str, mode: str = REPLAY_MODE) -> str:
    """The same replay URL in another mode: IA's ``Link`` header and view-mode pages point to
    view-mode URLs (``/web/20180808104500/…``); the crawl wants ``id_``."""
    match = _REPLAY_URL.match(url)
    if not match:
        raise ValueError(f"not a replay URL: {url!r}")
    return f"{url[: match.end(1)]}{mode}{url[match.end(2) if match.group(2) else match.end(1) :]}"


def parse_memento_datetime(value: str | None) -> datetime | None:
    """``Memento-Datetime: Wed, 08 Aug 2018 10:45:00 GMT`` as an aware UTC datetime."""
    if not value:
        return None
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class MementoLink:
    """One link of a memento's ``Link`` header."""

    url: str
    rel: str  # original, timemap, timegate, memento, "first memento", "prev memento" …
    datetime: datetime | None = None


def parse_link_header(value: str | None) -> dict[str, MementoLink]:
    """The links of a ``Link`` header by their ``rel``.

    IA writes some URLs with ``&amp;`` for ``&`` (``…authorize?response_type=cookie&amp;
    client_id=…``); only that entity is undone, since a URL may well hold ``&copy=`` as a
    parameter.
    """
    links: dict[str, MementoLink] = {}
    for match in _LINK.finditer(value or ""):
        params = {
            name.lower(): quoted if quoted else bare.strip()
            for name, quoted, bare in _LINK_PARAM.findall(match.group(2))
        }
        rel = " ".join(params.get("rel", "").split())
        if rel and rel not in links:
            url = match.group(1).strip().replace("&amp;", "&")
            links[rel] = MementoLink(url, rel, parse_memento_datetime(params.get("datetime")))
    return links


def header_value(headers: HeaderPairs, name: str) -> str | None:
    """The first value of a header, whatever the case of its name."""
    wanted = name.lower()
    return next((value for key, value in _pairs(headers) if key.lower() == wanted), None)


def archived_headers(headers: HeaderPairs) -> tuple[tuple[str, str], ...]:
    """The captured response's own headers: ``x-archive-orig-*`` without the prefix (repeated
    ones stay repeated), and ``Content-Type``, which IA passes on unprefixed. The original
    ``Content-Encoding`` is lost: IA serves the payload decoded or encodes it anew."""
    archived = [
        (key[len(_ORIGINAL_HEADER_PREFIX) :], value)
        for key, value in _pairs(headers)
        if key.lower().startswith(_ORIGINAL_HEADER_PREFIX) and key.lower() != "x-archive-orig-content-type"
    ]
    content_type = header_value(headers, "content-type")
    if content_type is not None:
        archived.append(("Content-Type", content_type))
    return tuple(archived)


# ---------------------------------------------------------------------------------------------
# Replay answers


@dataclass(frozen=True)
class Memento:
    """A capture: the archived response, whatever its status (an archived 404, 429 or 503 is
    what the site said then, not a reason to retry)."""

    status: int
    captured_at: datetime | None
    original: str | None  # Link rel="original": the URL captured (http/https or www may differ)
    headers: tuple[tuple[str, str], ...]  # the archived ones, with Location made historical
    redirect_to: str | None = None  # a captured redirect: where the site sent the browser then
    follow_url: str | None = None  # and the replay URL of that target, in id_ mode

    @property
    def is_redirect(self) -> bool:
        return 300 <= self.status < 400 and self.redirect_to is not None


@dataclass(frozen=True)
class NearestCapture:
    """No capture at the time asked: IA redirects to the nearest one, which may be days or
    months away and of another variant of the URL (http for https)."""

    follow_url: str  # absolute replay URL, id_ mode
    timestamp: str
    original: str
    distance: timedelta | None  # from the time asked; None when the request named no time
    within_reach: bool  # distance <= the allowed distance


def retry_after_seconds(value: str | None, now: datetime) -> float | None:
    """``Retry-After`` in seconds (never negative): a number of seconds or an HTTP date;
    None when absent or unreadable."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if text.lstrip("-").isdigit():
        return max(0.0, float(text))
    moment = parse_memento_datetime(text)
    return None if moment is None else max(0.0, (moment - now).total_seconds())


def classify_replay(
    status: int,
    headers: HeaderPairs,
    body_prefix: str | bytes,
    *,
    request_url: str,
    now: datetime,
    max_distance: timedelta = DEFAULT_MAX_DISTANCE,
) -> Memento | NearestCapture | ArchiveFailure:
    """What a replay answer is, from its status, headers and the start of its body.

    With ``Memento-Datetime`` it is a capture, whatever the status. Without it, the archive
    speaks for itself: a 3xx is a redirect to the nearest capture, a 404 "not archived", a 403
    (or a page saying "URL has been excluded") a blocked URL, a 429 a rate limit (IA sends no
    ``Retry-After``: wait ``DEFAULT_RATE_LIMIT_DELAY``), a 5xx a server error to retry.
    """
    pairs = _pairs(headers)
    asked = parse_replay_url(request_url)
    location = header_value(pairs, "location")
    follow = absolute_location(location, request_url) if location else None
    memento_datetime = header_value(pairs, "memento-datetime")
    if memento_datetime is not None:
        return _memento(status, pairs, memento_datetime, follow, asked)
    if 300 <= status < 400:
        target = parse_replay_url(follow) if follow else None
        if follow is None or target is None:
            return ArchiveFailure(Failure.FAILED, status, detail=f"redirect to {location!r}, not to a capture")
        distance = _distance(asked, target)
        return NearestCapture(
            follow_url=with_mode(follow),
            timestamp=target.timestamp,
            original=target.original,
            distance=distance,
            within_reach=distance is not None and distance <= max_distance,
        )
    text = _text(body_prefix)
    runtime_error = header_value(pairs, "x-archive-wayback-runtime-error") or ""
    if "AdministrativeAccessControlException" in runtime_error or "URL has been excluded" in text:
        return ArchiveFailure(Failure.BLOCKED, status, detail=runtime_error)
    if "RobotAccessControlException" in runtime_error or (status == 403 and "robots.txt" in text):
        return ArchiveFailure(Failure.BLOCKED_BY_ROBOTS, status, detail=runtime_error)
    if status == 403:
        return ArchiveFailure(Failure.BLOCKED, status, detail=runtime_error)
    if status == 404 or "ResourceNotInArchiveException" in runtime_error:
        return ArchiveFailure(Failure.NOT_ARCHIVED, status, detail=runtime_error)
    if status < 300:
        return ArchiveFailure(Failure.FAILED, status, detail="an answer without Memento-Datetime")
    return _status_failure(status, pairs, now, runtime_error)


def _memento(
    status: int, pairs: list[tuple[str, str]], memento_datetime: str, follow: str | None, asked: ReplayTarget | None
) -> Memento:
    links = parse_link_header(header_value(pairs, "link"))
    captured_at = parse_memento_datetime(memento_datetime) or (asked.captured_at if asked else None)
    original = links["original"].url if "original" in links else (asked.original if asked else None)
    headers = archived_headers(pairs)
    if not (300 <= status < 400 and follow):
        return Memento(status, captured_at, original, headers)
    # IA rewrites a captured Location into a replay URL at the same timestamp: the historical
    # target is the original URL inside it.
    target = parse_replay_url(follow)
    redirect_to = target.original if target else follow
    if not any(key.lower() == "location" for key, _ in headers):
        headers = (*headers, ("Location", redirect_to))
    return Memento(status, captured_at, original, headers, redirect_to, with_mode(follow) if target else None)


def _distance(asked: ReplayTarget | None, target: ReplayTarget) -> timedelta | None:
    if asked is None:
        return None
    try:
        return abs(target.captured_at - asked.captured_at)
    except ValueError:
        return None


def _status_failure(status: int, headers: HeaderPairs, now: datetime, detail: str) -> ArchiveFailure:
    """An error status the archive gave about itself: a rate limit, a server error, or else."""
    retry_after = retry_after_seconds(header_value(headers, "retry-after"), now)
    if status == 429:
        delay = DEFAULT_RATE_LIMIT_DELAY if retry_after is None else retry_after
        return ArchiveFailure(Failure.RATE_LIMITED, status, delay, detail[:200])
    if status >= 500:
        return ArchiveFailure(Failure.TRANSIENT, status, retry_after, detail[:200])
    return ArchiveFailure(Failure.FAILED, status, detail=detail[:200])


def _pairs(headers: HeaderPairs) -> list[tuple[str, str]]:
    return list(headers.items()) if isinstance(headers, Mapping) else list(headers)


def _text(body: str | bytes) -> str:
    return body.decode("utf-8", "replace") if isinstance(body, bytes) else body
