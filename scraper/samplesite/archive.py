"""A stand-in web archive on 127.0.0.1: the Wayback Machine and Common Crawl, as their clients meet them.

One ``LocalSite`` serves four route families on one port, so a backfill is tested against real
HTTP without touching the real archives (the formats are those of recorded real answers):

- ``cdx``: the Internet Archive's CDX search, ``/cdx/search/cdx?url=…`` (``matchType``, ``from``/``to``,
  ``filter``, ``collapse``, ``limit``/``offset``, ``fl``, ``output=json``, ``showResumeKey``/``resumeKey``,
  ``resolveRevisits``);
- ``replay``: the Wayback Machine's ``/web/<timestamp><mode>/<url>``: mementos with ``Memento-Datetime``,
  ``Link``, ``x-archive-src`` and ``x-archive-orig-*``; captures that are redirects (their ``Location``
  rewritten to the same timestamp); a 302 to the nearest capture; never archived (404); excluded (403);
- ``cc-index``: Common Crawl's index server, ``/collinfo.json`` and ``/<CRAWL-ID>-index?url=…`` (JSON
  lines, pages, ``404`` when nothing matches);
- ``cc-data``: Common Crawl's WARC files, ``/crawl-data/…``, by byte range (``206``, no Content-Encoding).

An archive is a list of ``Capture``s. At start warcio writes them into WARC files in a temporary
folder (one for the Wayback Machine, one per Common Crawl crawl and subfolder) and the indexes are
read back from those files, as an indexer would: the digest is the base32 SHA-1 of the payload,
offset and length are those of the record's gzip member. So index and bytes agree by
construction, and a replay serves what the WARC holds.

The hard cases are knobs: blocked URLs, ``CdxQuirks`` (repeated lines, ``-`` lengths, junk lines,
short pages that still carry a resume key), a ``RateLimit`` per route family (429, ``Retry-After``
or not), faults scripted on a path (``add_fault``: a 5xx, S3's ``SlowDown``, a reset connection).
``request_log`` holds every request (family, target, ``Range``, ``User-Agent``, status).

The sample site's story in the archives is ``archive_scenario.karabakh_scenario``.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import json
import math
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email.message import Message
from email.utils import format_datetime
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from urllib.parse import parse_qs, quote, quote_plus, unquote, unquote_plus, urlencode, urljoin, urlsplit

from surt import surt
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from media_monitor.samplesite.server import (
    HERE,
    HTML,
    NOT_FOUND,
    PLACEHOLDER,
    RESET,
    TEXT,
    Answer,
    LocalSite,
)

IA = "ia"  # Capture.archive of the Wayback Machine; a Common Crawl capture names its crawl
IA_WARC = "ia/IA-STANDIN-20240101000000-00000.warc.gz"  # the replay's x-archive-src
ARCHIVE_OUTLETS = HERE / "archive_outlets.toml"
ARCHIVE_MANIFEST = HERE / "archive_manifest.toml"
ARCHIVE_PLACEHOLDER = "{{ARCHIVE_BASE}}"
FAMILIES = ("cdx", "replay", "cc-index", "cc-data")
LOCATION_STYLES = ("absolute", "path", "scheme-less")  # how the Wayback Machine writes a Location
CDX_FIELDS = ("urlkey", "timestamp", "original", "mimetype", "statuscode", "digest", "length")
CDX_TYPE = "text/plain;charset=UTF-8"
REPLAY_PATH = re.compile(r"^/web/(\d{1,14})([a-z]{2}_)?/(.+)$")
CC_INDEX_PATH = re.compile(r"^/(CC-MAIN-[\w-]+)-index$")
HTML_LANG = re.compile(rb"<html[^>]*\blang=\"([a-z]{2})")
LANGUAGE_CODES = {"en": "eng", "ru": "rus", "hy": "hye", "az": "aze"}  # CC's `languages` are ISO 639-3

# Bodies and headers of the real answers (docs: research notes A5, A6, B7, B8, C3).
BLOCKED_ERROR = (
    "org.archive.util.io.RuntimeIOException: org.archive.wayback.exception."
    "AdministrativeAccessControlException: Blocked Site Error"
)
CDX_BLOCKED = Answer(
    403, f"{BLOCKED_ERROR}\n".encode(), CDX_TYPE, {"x-archive-wayback-runtime-error": BLOCKED_ERROR, "x-ts": "403"}
)
REPLAY_BLOCKED = Answer(
    403,
    b'<!DOCTYPE html><html lang="en"><head><title>Wayback Machine</title></head><body>\n'
    b'<div id="error">\n\t<h2>Sorry.</h2>\n\t<p>This URL has been excluded from the Wayback Machine.</p></div>\n'
    b"</body></html>\n",
    HTML,
    {"x-ts": "403"},
)
NEVER_ARCHIVED = Answer(
    404,
    b'<!DOCTYPE html><html lang="en"><head><title>Wayback Machine</title></head><body>\n'
    b'<div id="error">\n<h2>Hrm.</h2>\n<p>The Wayback Machine has not archived that URL.</p>\n</div>\n'
    b"</body></html>\n",
    HTML,
    {"x-ts": "404"},
)
TOO_MANY_REQUESTS = (
    b"<html><body><h1>429 Too Many Requests</h1>\n"
    b"You have sent too many requests in a given amount of time.\n</body></html>\n"
)
S3_SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code>'
    b"<Message>Please reduce your request rate.</Message><RequestId>STANDIN</RequestId></Error>"
)


@dataclass(frozen=True)
class Capture:
    """What an archive's crawler got for ``url`` at ``timestamp``: one WARC record."""

    url: str
    timestamp: str  # 14 digits, UTC
    status: int = 200
    headers: tuple[tuple[str, str], ...] = (("Content-Type", HTML),)
    body: bytes = b""
    kind: str = "response"  # "revisit": the URL's last 200 capture, unchanged (status, headers and body unused)
    archive: str = IA  # or the id of a Common Crawl crawl in CRAWLS
    copies: int = 1  # index shards that list it: its CDX line repeats this many times


@dataclass(frozen=True)
class Crawl:
    """A Common Crawl crawl as ``collinfo.json`` lists it (naive UTC times)."""

    id: str
    name: str
    start: str
    end: str


CRAWLS = (  # newest first, as collinfo.json lists them
    Crawl("CC-MAIN-2026-08", "February 2026 Index", "2026-02-06T10:12:41", "2026-02-19T23:05:12"),
    Crawl("CC-MAIN-2024-26", "June 2024 Index", "2024-06-12T20:09:05", "2024-06-26T00:30:11"),
    Crawl("CC-MAIN-2024-22", "May 2024 Index", "2024-05-17T20:49:41", "2024-05-31T00:54:15"),
    Crawl("CC-MAIN-2024-18", "April 2024 Index", "2024-04-12T11:32:22", "2024-04-25T19:19:32"),
    Crawl("CC-MAIN-2024-10", "February/March 2024 Index", "2024-02-20T20:49:12", "2024-03-05T12:11:40"),
)


@dataclass(frozen=True)
class RateLimit:
    """A token bucket for one route family: ``burst`` requests at once, ``per_second`` after."""

    per_second: float
    burst: int = 1
    retry_after: int | None = None  # seconds in Retry-After; None sends none, as the Wayback Machine


@dataclass(frozen=True)
class CdxQuirks:
    """Where the CDX answers stray from clean ones, as the Internet Archive's do."""

    repeat: int = 1  # every line this many times (times its capture's copies): shards merged
    dash_length_every: int = 0  # every n-th line of the index prints "-" as its length
    junk: tuple[str, ...] = ()  # raw 7-field lines merged into the index (bad URLs, bad timestamps)
    scan_cap: int = 0  # with showResumeKey, a page stops after scanning this many lines, key and all


@dataclass(frozen=True)
class ArchiveRequest:
    """One request the archive answered, for tests that check what a client sent."""

    family: str  # one of FAMILIES, "" for any other path
    target: str  # path and query as sent
    range: str | None
    user_agent: str | None
    status: int  # 0: the connection was reset
    at: float = field(default=0.0, compare=False)  # when it arrived (time.monotonic())

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query)


@dataclass(frozen=True)
class IndexEntry:
    """A capture as an index lists it, read back from the WARC file that holds it."""

    urlkey: str
    timestamp: str
    url: str
    mime: str
    status: str  # "-" for a revisit
    digest: str
    length: int
    offset: int
    filename: str  # relative to the archive's folder
    redirect: str = ""  # a 3xx's Location, resolved
    languages: str = ""
    encoding: str = ""

    @property
    def revisit(self) -> bool:
        return self.status == "-"

    def cdx_row(self) -> dict[str, str]:
        mime = "warc/revisit" if self.revisit else self.mime
        values = (self.urlkey, self.timestamp, self.url, mime, self.status, self.digest, str(self.length))
        return dict(zip(CDX_FIELDS, values, strict=True))

    def cc_row(self) -> dict[str, str]:
        row = {"urlkey": self.urlkey, "timestamp": self.timestamp, "url": self.url, "mime": self.mime}
        row |= {"mime-detected": self.mime, "status": self.status, "digest": self.digest}
        row |= {"length": str(self.length), "offset": str(self.offset), "filename": self.filename}
        if self.redirect:
            row["redirect"] = self.redirect
        if self.languages:
            row |= {"languages": self.languages, "encoding": self.encoding}
        return row


# Timestamps and dates ---------------------------------------------------------------------------


def warc_date(timestamp: str) -> str:
    t = timestamp
    return f"{t[:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}Z"


def parse_timestamp(timestamp: str) -> datetime:
    """A 1-14 digit timestamp as a UTC time, a short one at the start of its period."""
    return datetime.strptime(timestamp + "00000101000000"[len(timestamp) :], "%Y%m%d%H%M%S").replace(tzinfo=UTC)


def http_date(timestamp: str) -> str:
    return format_datetime(parse_timestamp(timestamp), usegmt=True)


def payload_digest(body: bytes) -> str:
    return base64.b32encode(hashlib.sha1(body).digest()).decode()


# Writing the WARC files, and indexing them --------------------------------------------------------


def _archived_headers(capture: Capture) -> list[tuple[str, str]]:
    """The capture's headers as its crawler received them: with Date and Content-Length."""
    headers = list(capture.headers)
    names = {name.lower() for name, _ in headers}
    if "date" not in names:
        headers.append(("Date", http_date(capture.timestamp)))
    if "content-length" not in names:
        headers.append(("Content-Length", str(len(capture.body))))
    return headers


def _common_crawl_headers(capture: Capture) -> list[tuple[str, str]]:
    """Common Crawl's layout: the payload stored decoded, the origin's gzip encoding and length
    kept as X-Crawler-* headers (every text page is fetched gzipped here)."""
    headers = [(name, value) for name, value in _archived_headers(capture) if name.lower() != "content-length"]
    content_type = dict((name.lower(), value) for name, value in headers).get("content-type", "")
    if capture.status == 200 and content_type.startswith(("text/", "application/xml")):
        headers.append(("X-Crawler-Content-Encoding", "gzip"))
        headers.append(("X-Crawler-Content-Length", str(len(gzip.compress(capture.body, mtime=0)))))
    return [*headers, ("Content-Length", str(len(capture.body)))]


def _http_headers(capture: Capture) -> StatusAndHeaders:
    layout = _archived_headers if capture.archive == IA else _common_crawl_headers
    status_line = f"{capture.status} {HTTPStatus(capture.status).phrase}"
    return StatusAndHeaders(status_line, layout(capture), protocol="HTTP/1.1")


def _record(writer: WARCWriter, capture: Capture, original: Capture | None):
    warc_headers = {"WARC-Date": warc_date(capture.timestamp), "WARC-IP-Address": "127.0.0.1"}
    if capture.kind == "response":
        return writer.create_warc_record(
            capture.url,
            "response",
            payload=BytesIO(capture.body),
            http_headers=_http_headers(capture),
            warc_headers_dict=warc_headers,
        )
    if original is None:
        raise ValueError(f"the revisit of {capture.url} at {capture.timestamp} follows no 200 capture of it")
    return writer.create_revisit_record(
        capture.url,
        digest=f"sha1:{payload_digest(original.body)}",
        refers_to_uri=original.url,
        refers_to_date=warc_date(original.timestamp),
        http_headers=_http_headers(original),
        warc_headers_dict=warc_headers,
    )


def write_warc(path: Path, captures: Iterable[Capture]) -> None:
    """One gzipped WARC file: a warcinfo record, then the captures in time order."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        writer = WARCWriter(out, gzip=True)
        writer.write_record(writer.create_warcinfo_record(path.name, {"software": "media-monitor stand-in archive"}))
        last_ok: dict[str, Capture] = {}  # URL -> its last 200 capture, which a revisit repeats
        for capture in sorted(captures, key=lambda c: c.timestamp):
            writer.write_record(_record(writer, capture, last_ok.get(capture.url)))
            if capture.kind == "response" and capture.status == 200:
                last_ok[capture.url] = capture


def _entry(record, payload: bytes, filename: str, offset: int, length: int) -> IndexEntry:
    url = record.rec_headers.get_header("WARC-Target-URI")
    http = record.http_headers
    status = "-" if record.rec_type == "revisit" else http.get_statuscode()
    mime = (http.get_header("Content-Type") or "unk").split(";")[0].strip()
    location = http.get_header("Location") if status.startswith("3") else None
    language = HTML_LANG.search(payload) if status == "200" and mime == "text/html" else None
    charset = re.search(r"charset=([\w-]+)", http.get_header("Content-Type") or "")
    return IndexEntry(
        urlkey=surt(url),
        timestamp=re.sub(r"\D", "", record.rec_headers.get_header("WARC-Date"))[:14],
        url=url,
        mime=mime,
        status=status,
        digest=record.rec_headers.get_header("WARC-Payload-Digest").removeprefix("sha1:"),
        length=length,
        offset=offset,
        filename=filename,
        redirect=urljoin(url, location) if location else "",
        languages=LANGUAGE_CODES.get(language[1].decode(), "") if language else "",
        encoding=(charset[1].upper() if charset else "UTF-8") if language else "",
    )


def index_warc(folder: Path, filename: str) -> list[IndexEntry]:
    """The index lines of one WARC file: its response and revisit records, where they lie."""
    entries = []
    with (folder / filename).open("rb") as stream:
        records = ArchiveIterator(stream)
        for record in records:
            if record.rec_type in ("response", "revisit"):
                payload = record.content_stream().read()
                offset, length = records.get_record_offset(), records.get_record_length()
                entries.append(_entry(record, payload, filename, offset, length))
    return entries


def _crawl(crawl_id: str) -> Crawl:
    for crawl in CRAWLS:
        if crawl.id == crawl_id:
            return crawl
    raise ValueError(f"{crawl_id!r} is not a crawl of CRAWLS (nor {IA!r})")


def warc_name(capture: Capture) -> str:
    """The WARC file of a capture: the Wayback Machine's one, or Common Crawl's layout
    (3xx/4xx/5xx in crawldiagnostics/, robots.txt in robotstxt/)."""
    if capture.archive == IA:
        return IA_WARC
    crawl = _crawl(capture.archive)
    start = datetime.fromisoformat(crawl.start).replace(tzinfo=UTC)
    if urlsplit(capture.url).path == "/robots.txt":
        kind = "robotstxt"
    else:
        kind = "warc" if capture.kind == "revisit" or capture.status == 200 else "crawldiagnostics"
    stamp = start.strftime("%Y%m%d%H%M%S")
    segment = f"{int(start.timestamp()) * 1000}.11"
    return f"crawl-data/{crawl.id}/segments/{segment}/{kind}/CC-MAIN-{stamp}-{stamp}-00000.warc.gz"


@dataclass
class _Fault:
    """A scripted fault: the next ``left`` requests under ``prefix`` get ``status``."""

    prefix: str
    status: int
    left: int


# Selecting index lines: the parameters both index servers share ---------------------------------


def url_match(url: str, match_type: str | None) -> tuple[str, Callable[[str], bool]]:
    """The SURT key of a query's ``url`` and a test of an urlkey against it (``matchType`` exact,
    prefix, host or domain; ``foo.com/*`` means prefix, ``*.foo.com`` domain)."""
    if url.endswith("*") and not match_type:
        url, match_type = url[:-1], "prefix"
    if url.startswith("*.") and not match_type:
        url, match_type = url[2:], "domain"
    key = surt(url)
    host = key.split(")")[0]
    if match_type == "prefix":
        return key, lambda urlkey: urlkey.startswith(key)
    if match_type == "host":
        return key, lambda urlkey: urlkey.split(")")[0] == host
    if match_type == "domain":
        return key, lambda urlkey: urlkey.split(")")[0] == host or urlkey.startswith(host + ",")
    return key, lambda urlkey: urlkey == key


def in_period(rows: Iterable[dict[str, str]], query: Mapping[str, list[str]]) -> list[dict[str, str]]:
    """Rows between ``from`` and ``to`` (1-14 digits, both inclusive)."""
    start = query.get("from", [""])[0].ljust(14, "0")
    end = query.get("to", [""])[0].ljust(14, "9")
    return [row for row in rows if start <= row["timestamp"] <= end]


def row_filter(spec: str) -> Callable[[dict[str, str]], bool]:
    """``filter=[!][~|=]field:value``: a regex matching the whole field (``~`` a substring, ``=``
    the exact value), ``!`` inverts it. ValueError on a bad spec."""
    parsed = re.fullmatch(r"([!~=]*)([\w-]+):(.*)", spec)
    if not parsed:
        raise ValueError(f"bad filter {spec!r}")
    ops, name, value = parsed.groups()
    if "~" in ops:
        test = lambda field: value in field  # noqa: E731
    elif "=" in ops:
        test = lambda field: field == value  # noqa: E731
    else:
        pattern = re.compile(value)
        test = lambda field: pattern.fullmatch(field) is not None  # noqa: E731
    invert = "!" in ops
    return lambda row: test(row.get(name, "")) != invert


def same_line(kept: dict[str, str], row: dict[str, str], specs: Sequence[str]) -> bool:
    """Whether ``collapse=field[:N]`` drops ``row`` after ``kept``: a field (its first N
    characters) equal to that of the line kept before it."""
    for spec in specs:
        name, _, width = spec.partition(":")
        cut = int(width) if width.isdigit() else None
        if row.get(name, "")[:cut] == kept.get(name, "")[:cut]:
            return True
    return False


def collapse(rows: Iterable[dict[str, str]], specs: Sequence[str]) -> list[dict[str, str]]:
    """The rows that ``collapse`` keeps: adjacent lines only, as the real servers."""
    kept: list[dict[str, str]] = []
    for row in rows:
        if not (kept and same_line(kept[-1], row, specs)):
            kept.append(row)
    return kept


def resume_key(row: dict[str, str], ordinal: int) -> str:
    """The opaque, percent-encoded key of a page's next line: its urlkey, timestamp and place
    among the lines that share both."""
    return quote_plus(f"{row['urlkey']} {row['timestamp']}!{ordinal}", safe="")


def resume_position(rows: Sequence[dict[str, str]], key: str) -> int:
    """Where a resume key points in ``rows``; the key may arrive decoded once more or not (a
    decoded key holds a space, an encoded one never does)."""
    decoded = key if " " in key else unquote_plus(key)
    try:
        urlkey, rest = decoded.rsplit(" ", 1)
        timestamp, ordinal = rest.split("!")
        skip = int(ordinal)
    except ValueError:
        raise ValueError(f"bad resumeKey {key!r}") from None
    position = next((i for i, row in enumerate(rows) if _place(row) >= (urlkey, timestamp)), len(rows))
    while skip and position < len(rows) and _place(rows[position]) == (urlkey, timestamp):
        position, skip = position + 1, skip - 1
    return position


def _place(row: dict[str, str]) -> tuple[str, str]:
    return row["urlkey"], row["timestamp"]


def _ordinal(rows: Sequence[dict[str, str]], position: int) -> int:
    """How many lines before ``position`` share its urlkey and timestamp."""
    count = 0
    while count < position and _place(rows[position - count - 1]) == _place(rows[position]):
        count += 1
    return count


def _arg(query: Mapping[str, list[str]], name: str, default: str = "") -> str:
    return query.get(name, [default])[0]


def fill_bases(body: bytes, live_base: str, archive_base: str = "") -> bytes:
    """``body`` with the live site's and the archive's base URLs in place of their placeholders."""
    return body.replace(PLACEHOLDER, live_base.encode()).replace(ARCHIVE_PLACEHOLDER.encode(), archive_base.encode())


class _Bucket:
    """A token bucket: ``take`` says whether one more request is allowed now."""

    def __init__(self, limit: RateLimit):
        self.limit = limit
        self.tokens = float(limit.burst)
        self.refilled = time.monotonic()

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.limit.burst, self.tokens + (now - self.refilled) * self.limit.per_second)
        self.refilled = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


def route_family(path: str) -> str:
    if path.startswith("/cdx/"):
        return "cdx"
    if path.startswith("/web/"):
        return "replay"
    if path.startswith("/crawl-data/"):
        return "cc-data"
    if path == "/collinfo.json" or CC_INDEX_PATH.match(path):
        return "cc-index"
    return ""


class ArchiveSite(LocalSite):
    """The stand-in archive: ``with ArchiveSite(captures) as archive: archive.base``.

    ``blocked``: URL prefixes excluded from the Wayback Machine (403 in CDX and replay).
    ``limits``: a ``RateLimit`` per route family (``FAMILIES``). ``location_style``: how the
    Wayback Machine writes the Locations it makes: "absolute", "path" (``/web/…``) or
    "scheme-less" (``//host/web/…``). ``cc_page_lines``: index lines a Common Crawl page covers.
    ``live_base``: the origin that ``{{BASE}}`` stands for in the sources file.
    """

    def __init__(
        self,
        captures: Iterable[Capture],
        *,
        blocked: Iterable[str] = (),
        cdx: CdxQuirks = CdxQuirks(),
        limits: Mapping[str, RateLimit] | None = None,
        location_style: str = "absolute",
        cc_page_lines: int = 15000,
        live_base: str = "",
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        if set(limits or {}) - set(FAMILIES) or location_style not in LOCATION_STYLES:
            raise ValueError(f"limits are for {FAMILIES}, location styles are {LOCATION_STYLES}")
        super().__init__(host, port)
        captures = list(captures)
        self.quirks = cdx
        self.live_base = live_base
        self.location_style = location_style
        self.cc_page_lines = cc_page_lines
        self.blocked = tuple(surt(url) for url in blocked)
        self.request_log: list[ArchiveRequest] = []
        self._buckets = {family: _Bucket(limit) for family, limit in (limits or {}).items()}
        self._faults: list[_Fault] = []
        self._folder = tempfile.TemporaryDirectory(prefix="standin-archive-")
        self.folder = Path(self._folder.name)
        entries = self._write_and_index(captures)
        self._index_wayback(entries.pop(IA_WARC, []), captures)
        self._index_common_crawl(entries)

    # Building the indexes ---------------------------------------------------------------------

    def _write_and_index(self, captures: list[Capture]) -> dict[str, list[IndexEntry]]:
        files: dict[str, list[Capture]] = {}
        for capture in captures:
            files.setdefault(warc_name(capture), []).append(capture)
        for name, group in files.items():
            write_warc(self.folder / name, group)
        return {name: index_warc(self.folder, name) for name in files}

    def _index_wayback(self, entries: list[IndexEntry], captures: list[Capture]) -> None:
        entries.sort(key=lambda e: (e.urlkey, e.timestamp, e.url))
        self._by_urlkey: dict[str, list[IndexEntry]] = {}
        self._originals: dict[tuple[str, str], IndexEntry] = {}  # (urlkey, digest) -> the 200 a revisit repeats
        for entry in entries:
            self._by_urlkey.setdefault(entry.urlkey, []).append(entry)
            if entry.status == "200":
                self._originals.setdefault((entry.urlkey, entry.digest), entry)
        copies = {(c.url, c.timestamp): c.copies for c in captures if c.archive == IA}
        quirks, rows = self.quirks, []
        for number, entry in enumerate(entries, start=1):
            row = entry.cdx_row()
            if quirks.dash_length_every and number % quirks.dash_length_every == 0:
                row["length"] = "-"
            rows += [row] * (copies[entry.url, entry.timestamp] * quirks.repeat)
        rows += [dict(zip(CDX_FIELDS, line.split(" "), strict=True)) for line in quirks.junk]
        self._cdx_rows = sorted(rows, key=_place)

    def _index_common_crawl(self, entries: dict[str, list[IndexEntry]]) -> None:
        self._cc_rows: dict[str, list[dict[str, str]]] = {crawl.id: [] for crawl in CRAWLS}
        for name, file_entries in entries.items():
            self._cc_rows[name.split("/")[1]] += [entry.cc_row() for entry in file_entries]
        for rows in self._cc_rows.values():
            rows.sort(key=_place)
        self._cc_files = {name: self.folder / name for name in entries}

    # Serving ----------------------------------------------------------------------------------

    def answer(self, path: str, query: dict[str, list[str]]) -> Answer:
        """The answer to ``path`` and ``query`` with no request headers (no Range, no gzip)."""
        target = quote(path, safe="/:") + (f"?{urlencode(query, doseq=True)}" if query else "")
        return self.answer_request(target, Message())

    def answer_request(self, target: str, headers: Message) -> Answer:
        """A scripted fault first, then the route family's rate limit, then the answer; logged."""
        arrived = time.monotonic()
        path = unquote(urlsplit(target).path)
        family = route_family(path)
        answer = self._scripted_fault(path, family) or self._throttled(family)
        if answer is None:
            answer = self._encoded(self._route(family, path, target, headers), family, target, headers)
        with self._lock:
            self.request_log.append(
                ArchiveRequest(family, target, headers.get("Range"), headers.get("User-Agent"), answer.status, arrived)
            )
        return answer

    def _route(self, family: str, path: str, target: str, headers: Message) -> Answer:
        query = parse_qs(urlsplit(target).query)
        if family == "cdx" and path == "/cdx/search/cdx":
            return self._cdx(query)
        if family == "replay":
            return self._replay(target)
        if family == "cc-index":
            return self._collinfo() if path == "/collinfo.json" else self._cc_index(path, query)
        if family == "cc-data":
            return self._cc_data(path.lstrip("/"), headers.get("Range"))
        return NOT_FOUND

    def _encoded(self, answer: Answer, family: str, target: str, headers: Message) -> Answer:
        """Gzipped when the client accepts it, as the archives send; never the WARC bytes, which
        Common Crawl serves as they lie (a client must not decode them twice)."""
        wanted = "gzip" in headers.get("Accept-Encoding", "")
        refused = family == "cdx" and _arg(parse_qs(urlsplit(target).query), "gzip") == "false"
        if family == "cc-data" or not wanted or refused or not answer.body:
            return answer
        return replace(answer, body=gzip.compress(answer.body), headers={**answer.headers, "Content-Encoding": "gzip"})

    # Faults and rate limits -------------------------------------------------------------------

    def add_fault(self, path_prefix: str, status: int, times: int = 1) -> None:
        """The next ``times`` requests whose path starts with ``path_prefix`` get ``status``
        (0: the connection is reset; 503 under /crawl-data/: S3's SlowDown)."""
        with self._lock:
            self._faults.append(_Fault(path_prefix, status, times))

    def _scripted_fault(self, path: str, family: str) -> Answer | None:
        with self._lock:
            fault = next((f for f in self._faults if path.startswith(f.prefix) and f.left > 0), None)
            if fault is None:
                return None
            fault.left -= 1
        status = fault.status
        if status == 0:
            return RESET
        if family == "cc-data" and status == 503:
            return Answer(503, S3_SLOW_DOWN, "application/xml", {"Server": "AmazonS3"})
        phrase = HTTPStatus(status).phrase
        return Answer(status, f"<html><body><h1>{status} {phrase}</h1></body></html>\n".encode(), HTML)

    def _throttled(self, family: str) -> Answer | None:
        bucket = self._buckets.get(family)
        with self._lock:
            if bucket is None or bucket.take():
                return None
        retry_after = {"Retry-After": str(bucket.limit.retry_after)} if bucket.limit.retry_after is not None else {}
        if family == "cc-data":
            return Answer(503, S3_SLOW_DOWN, "application/xml", {"Server": "AmazonS3", **retry_after})
        return Answer(429, TOO_MANY_REQUESTS, "text/html", {"Cache-Control": "no-cache", **retry_after})

    # The Wayback Machine's CDX server ---------------------------------------------------------

    def _cdx(self, query: dict[str, list[str]]) -> Answer:
        url = _arg(query, "url")
        if not url:
            return Answer(400, b"Bad Request: missing url\n", CDX_TYPE)
        key, matches = url_match(url, _arg(query, "matchType") or None)
        if self._is_blocked(key):
            return CDX_BLOCKED
        rows = in_period(
            (r for r in self._cdx_rows if matches(r["urlkey"]) and not self._is_blocked(r["urlkey"])), query
        )
        if _arg(query, "resolveRevisits") == "true":
            rows = [self._resolved(row) for row in rows]
        try:
            lines, next_key = self._cdx_page(rows, query)
        except (ValueError, re.error) as error:
            return Answer(400, f"Bad Request: {error}\n".encode(), CDX_TYPE)
        fields = [name for name in _arg(query, "fl").split(",") if name in CDX_FIELDS] or list(CDX_FIELDS)
        body = self._cdx_body([[row[name] for name in fields] for row in lines], fields, next_key, query)
        return Answer(200, body, CDX_TYPE, {"X-location": "cdx", "x-ts": "200", "X-RL": "0"})

    def _resolved(self, row: dict[str, str]) -> dict[str, str]:
        """``resolveRevisits=true``: a revisit line with its original's type and status (and its
        own, small length), so that it passes the filters the capture it repeats passes."""
        original = self._originals.get((row["urlkey"], row["digest"]))
        if row["mimetype"] != "warc/revisit" or original is None:
            return row
        return {**row, "mimetype": original.mime, "statuscode": original.status}

    def _cdx_page(self, rows: list[dict[str, str]], query: dict[str, list[str]]) -> tuple[list[dict], str]:
        """One page of lines, and the resume key of the next page ("" if none or not asked)."""
        tests = [row_filter(spec) for spec in query.get("filter", [])]
        specs = query.get("collapse", [])
        limit = int(_arg(query, "limit", "0") or 0)
        paged = _arg(query, "showResumeKey") == "true"
        resume = _arg(query, "resumeKey")
        start = resume_position(rows, resume) if resume else 0
        skip = 0 if resume else int(_arg(query, "offset", "0") or 0)  # the key already counts the offset
        stop = limit if limit > 0 else None
        cap = self.quirks.scan_cap if paged and self.quirks.scan_cap else None
        lines, kept, position = [], None, start
        while position < len(rows) and len(lines) != stop and position - start != cap:
            row, position = rows[position], position + 1
            if not all(test(row) for test in tests) or (kept and same_line(kept, row, specs)):
                continue
            kept = row
            if skip:
                skip -= 1
            else:
                lines.append(row)
        if limit < 0:
            return lines[limit:], ""
        more = paged and position < len(rows)
        return lines, resume_key(rows[position], _ordinal(rows, position)) if more else ""

    @staticmethod
    def _cdx_body(values: list[list[str]], fields: list[str], next_key: str, query: dict[str, list[str]]) -> bytes:
        if _arg(query, "output") == "json":
            table = [fields, *values, *([[], [next_key]] if next_key else [])] if values or next_key else []
            return json.dumps(table).encode()
        text = "".join(" ".join(line) + "\n" for line in values)
        return (text + (f"\n{next_key}\n" if next_key else "")).encode()

    def _is_blocked(self, urlkey: str) -> bool:
        return any(urlkey.startswith(prefix) for prefix in self.blocked)

    # Wayback replay ---------------------------------------------------------------------------

    def _replay(self, target: str) -> Answer:
        parsed = REPLAY_PATH.match(target)
        if not parsed:
            return NEVER_ARCHIVED
        timestamp, mode, url = parsed[1], parsed[2] or "", parsed[3]
        if url.startswith(("http%3A", "https%3A")):
            url = unquote(url)  # sent percent-encoded: decoded once
        elif "://" not in url:
            url = "http://" + url
        urlkey = surt(url)
        if self._is_blocked(urlkey):
            return REPLAY_BLOCKED
        captures = self._by_urlkey.get(urlkey)
        if not captures:
            return NEVER_ARCHIVED
        exact = [c for c in captures if c.timestamp == timestamp]
        if not exact:
            return self._nearest(captures, timestamp, mode)
        chosen = next((c for c in exact if c.url == url), exact[0])
        return self._memento(chosen, captures, mode)

    def _wayback_url(self, timestamp: str, mode: str, url: str) -> str:
        path = f"/web/{timestamp}{mode}/{url}"
        if self.location_style == "path":
            return path
        if self.location_style == "scheme-less":
            return f"//{urlsplit(self.base).netloc}{path}"
        return self.base + path

    def _nearest(self, captures: list[IndexEntry], timestamp: str, mode: str) -> Answer:
        """No capture at that time: a redirect (not a memento) to the nearest one."""
        wanted = parse_timestamp(timestamp)
        nearest = min(captures, key=lambda c: abs(parse_timestamp(c.timestamp) - wanted))
        headers = {
            "Location": self._wayback_url(nearest.timestamp, mode, nearest.url),
            "x-archive-redirect-reason": f"found capture at {nearest.timestamp}",
            "x-ts": "302",
        }
        return Answer(302, b"", TEXT, headers)

    def _memento(self, entry: IndexEntry, captures: list[IndexEntry], mode: str) -> Answer:
        source = self._originals.get((entry.urlkey, entry.digest), entry) if entry.revisit else entry
        status, archived, payload = self._read(source)
        headers = {
            "Memento-Datetime": http_date(entry.timestamp),
            "Link": self._link(entry, captures),
            "x-archive-src": entry.filename,
            "x-ts": str(status),
            "X-RL": "0",
        }
        for name, value in archived:
            headers[f"x-archive-orig-{name.lower()}"] = value
            if name.lower() == "content-type":
                headers["Content-Type"] = value
            if name.lower() == "location" and 300 <= status < 400:
                headers["Location"] = self._wayback_url(entry.timestamp, mode, urljoin(entry.url, value))
        return Answer(status, payload, headers=headers)

    def _read(self, entry: IndexEntry) -> tuple[int, list[tuple[str, str]], bytes]:
        """Status, headers and payload of the record at the entry's offset in its WARC file."""
        with (self.folder / entry.filename).open("rb") as warc:
            warc.seek(entry.offset)
            member = warc.read(entry.length)
        record = next(iter(ArchiveIterator(BytesIO(member))))
        return int(record.http_headers.get_statuscode()), record.http_headers.headers, record.content_stream().read()

    def _link(self, entry: IndexEntry, captures: list[IndexEntry]) -> str:
        """The memento's Link header: original, timemap, timegate and its neighbours in time."""
        times = sorted({c.timestamp: c for c in captures}.values(), key=lambda c: c.timestamp)
        here = next(i for i, c in enumerate(times) if c.timestamp == entry.timestamp)
        links = [
            f'<{entry.url}>; rel="original"',
            f'<{self.base}/web/timemap/link/{entry.url}>; rel="timemap"; type="application/link-format"',
            f'<{self.base}/web/{entry.url}>; rel="timegate"',
        ]
        neighbours = [("first memento", 0), ("prev memento", here - 1), ("memento", here)]
        neighbours += [("next memento", here + 1), ("last memento", len(times) - 1)]
        for rel, i in neighbours:
            if 0 <= i < len(times) and (rel == "memento" or i != here):
                c = times[i]
                links.append(
                    f'<{self.base}/web/{c.timestamp}/{c.url}>; rel="{rel}"; datetime="{http_date(c.timestamp)}"'
                )
        return ", ".join(links)

    # Common Crawl -----------------------------------------------------------------------------

    def _collinfo(self) -> Answer:
        crawls = [
            {
                "id": c.id,
                "name": c.name,
                "timegate": f"{self.base}/{c.id}/",
                "cdx-api": f"{self.base}/{c.id}-index",
                "from": c.start,
                "to": c.end,
            }
            for c in CRAWLS
        ]
        return Answer(200, json.dumps(crawls, indent=1).encode(), "application/json")

    def _cc_index(self, path: str, query: dict[str, list[str]]) -> Answer:
        rows = self._cc_rows.get(CC_INDEX_PATH.match(path)[1])
        url = _arg(query, "url")
        if rows is None:
            return NOT_FOUND
        if not url:
            return Answer(400, b"url query arg is required\n", TEXT)
        _, matches = url_match(url, _arg(query, "matchType") or None)
        rows = in_period((r for r in rows if matches(r["urlkey"])), query)
        pages = math.ceil(len(rows) / self.cc_page_lines)
        if _arg(query, "showNumPages") == "true":
            blocks = math.ceil(len(rows) / max(self.cc_page_lines // 5, 1))
            return Answer(200, json.dumps({"pages": pages, "pageSize": 5, "blocks": blocks}).encode(), "text/x-ndjson")
        if _arg(query, "page"):
            page = int(_arg(query, "page")) if _arg(query, "page").isdigit() else -1
            if not 0 <= page < max(pages, 1):
                message = f"Page {page} invalid: First Page is 0, Last Page is {max(pages - 1, 0)}"
                return Answer(400, json.dumps({"message": message}).encode(), "application/json")
            rows = rows[page * self.cc_page_lines : (page + 1) * self.cc_page_lines]
        return self._cc_lines(rows, url, query)

    @staticmethod
    def _cc_lines(rows: list[dict[str, str]], url: str, query: dict[str, list[str]]) -> Answer:
        try:
            tests = [row_filter(spec) for spec in query.get("filter", [])]
            limit = int(_arg(query, "limit", "0") or 0)
        except (ValueError, re.error) as error:
            return Answer(400, json.dumps({"message": str(error)}).encode(), "application/json")
        rows = collapse([r for r in rows if all(test(r) for test in tests)], query.get("collapse", []))
        rows = rows[:limit] if limit > 0 else rows
        if not rows:
            return Answer(404, json.dumps({"message": f"No Captures found for: {url}"}).encode(), "application/json")
        fields = [name for name in _arg(query, "fl").split(",") if name]
        rows = [{k: v for k, v in r.items() if k in fields} for r in rows] if fields else rows
        if _arg(query, "output") == "json":
            lines = [json.dumps(r) for r in rows]
        else:
            lines = [f"{r.get('urlkey', '')} {r.get('timestamp', '')} {json.dumps(r)}" for r in rows]
        return Answer(200, "".join(line + "\n" for line in lines).encode(), "text/x-ndjson")

    def _cc_data(self, filename: str, byte_range: str | None) -> Answer:
        """A WARC file as S3 serves it: a byte range gets 206, no Content-Encoding ever."""
        file = self._cc_files.get(filename)
        if file is None:
            return Answer(404, b"<Error><Code>NoSuchKey</Code></Error>", "application/xml", {"Server": "AmazonS3"})
        data = file.read_bytes()
        headers = {"Accept-Ranges": "bytes", "Server": "AmazonS3", "ETag": f'"{hashlib.md5(data).hexdigest()}"'}
        if not byte_range:
            return Answer(200, data, "application/octet-stream", headers)
        span = _byte_span(byte_range, len(data))
        if span is None:
            invalid = (
                b"<Error><Code>InvalidRange</Code><Message>The requested range is not satisfiable</Message></Error>"
            )
            return Answer(416, invalid, "application/xml", {**headers, "Content-Range": f"bytes */{len(data)}"})
        first, last = span
        headers["Content-Range"] = f"bytes {first}-{last}/{len(data)}"
        return Answer(206, data[first : last + 1], "application/octet-stream", headers)

    # The sources file -------------------------------------------------------------------------

    def sources_toml(self) -> str:
        """``archive_outlets.toml`` with the live site's and this archive's origins."""
        return fill_bases(ARCHIVE_OUTLETS.read_bytes(), self.live_base, self.base).decode("utf-8")

    def stop(self) -> None:
        super().stop()
        self._folder.cleanup()


def _byte_span(header: str, size: int) -> tuple[int, int] | None:
    """The first range of ``Range: bytes=a-b`` (or ``a-``, ``-n``) within ``size`` bytes; None
    when it cannot be satisfied."""
    parsed = re.fullmatch(r"bytes=(\d*)-(\d*)(?:,.*)?", header.strip())
    if not parsed or parsed[1] == parsed[2] == "":
        return None
    if parsed[1] == "":
        first, last = max(size - int(parsed[2]), 0), size - 1
    else:
        first, last = int(parsed[1]), min(int(parsed[2]) if parsed[2] else size - 1, size - 1)
    return (first, last) if first <= last and first < size else None
