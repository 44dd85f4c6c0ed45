"""Common Crawl: the list of crawls, its index server, and WARC records fetched by byte range.

``collinfo.json`` lists the crawls (newest first) with the time each ran; each crawl has an
index (``<cdx-api>?url=…&output=json``) that answers JSON Lines, one capture a line, naming the
WARC file, offset and length of the record that holds it. A record is fetched from the data
host with a ``Range`` header and comes back as one gzip member, parsed here with warcio.

The shapes are those of real answers, as cocrawler/cdx_toolkit recorded them (2025), and of
pywb, which the index server runs. Nothing here opens a connection.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from io import BytesIO
from urllib.parse import urlencode

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeadersParserException

from media_monitor.archives.wayback import parse_timestamp
from media_monitor.story.window import DateWindow

DEFAULT_INDEX_URL = "https://index.commoncrawl.org"
DEFAULT_DATA_URL = "https://data.commoncrawl.org"
# The index's own field names (IA's are statuscode and mimetype).
DEFAULT_FILTERS = ("status:200", "mime:text/html")
_GZIP_MAGIC = b"\x1f\x8b"


class CommonCrawlError(ValueError):
    """An answer of Common Crawl's that cannot be read as what was asked."""


class RecordError(CommonCrawlError):
    """A fetched body that is not one whole WARC response record."""

    def __init__(self, message: str, *, throttled: bool = False):
        super().__init__(message)
        self.throttled = throttled  # S3 said SlowDown: wait before the next fetch


@dataclass(frozen=True)
class Crawl:
    """One crawl of ``collinfo.json``."""

    id: str  # CC-MAIN-2024-18; old ones are irregular (CC-MAIN-2008-2009)
    name: str
    cdx_api: str  # its index's URL
    start: datetime  # UTC, the first capture
    end: datetime  # UTC, the last capture


@dataclass(frozen=True)
class CrawlCapture:
    """One line of an index answer."""

    urlkey: str
    timestamp: str  # 14 digits, UTC
    url: str
    mime: str
    status: int | None
    digest: str
    filename: str  # crawl-data/<crawl>/segments/<segment>/{warc|crawldiagnostics}/<name>.warc.gz
    offset: int
    length: int
    redirect: str | None = None  # a 3xx capture's target
    languages: tuple[str, ...] = ()  # ISO 639-3, as CLD2 guessed them (200 HTML captures only)

    @property
    def captured_at(self) -> datetime:
        return parse_timestamp(self.timestamp)

    @property
    def range_header(self) -> str:
        return record_range(self.offset, self.length)

    def data_url(self, base_url: str = DEFAULT_DATA_URL) -> str:
        return f"{base_url.rstrip('/')}/{self.filename}"


@dataclass(frozen=True)
class IndexPage:
    """One page of an index answer."""

    captures: tuple[CrawlCapture, ...]
    last: bool  # nothing after it: the index has no captures, or the page asked is past the end


@dataclass(frozen=True)
class ArchivedRecord:
    """The HTTP response a WARC record holds."""

    target_uri: str
    captured_at: datetime  # WARC-Date, UTC
    status: int
    headers: tuple[tuple[str, str], ...]  # CC stores the payload decoded and renames the
    # original Content-Encoding and Content-Length to X-Crawler-*
    payload: bytes


def collinfo_url(index_url: str = DEFAULT_INDEX_URL) -> str:
    """The list of crawls: it changes once a month, so CC asks clients to keep it a while."""
    return f"{index_url.rstrip('/')}/collinfo.json"


def parse_collinfo(body: str | bytes) -> tuple[Crawl, ...]:
    """The crawls of ``collinfo.json``; an entry without its times or index is left out, since
    it cannot be placed in a window or asked."""
    try:
        entries = json.loads(body)
    except ValueError as exc:
        raise CommonCrawlError(f"collinfo.json is not JSON: {exc}") from exc
    if not isinstance(entries, list):
        raise CommonCrawlError("collinfo.json is not a list of crawls")
    crawls = []
    for entry in entries:
        if not isinstance(entry, dict) or not all(entry.get(key) for key in ("id", "cdx-api", "from", "to")):
            continue
        try:
            start, end = _utc(entry["from"]), _utc(entry["to"])
        except ValueError:
            continue
        crawls.append(Crawl(entry["id"], entry.get("name") or entry["id"], entry["cdx-api"], start, end))
    return tuple(crawls)


def crawls_in(crawls: Iterable[Crawl], window: DateWindow, *, after: timedelta = timedelta(0)) -> tuple[Crawl, ...]:
    """The crawls that ran during the window, or up to ``after`` past its end: an article of
    the window is usually first crawled weeks after it was published."""
    widened = DateWindow(window.since, window.until + after if window.until else None)
    # ``to`` is the last capture, inside the crawl: one second more makes the span [start, end).
    return tuple(crawl for crawl in crawls if widened.overlaps(crawl.start, crawl.end + timedelta(seconds=1)))


def index_query_url(
    crawl: Crawl,
    url: str,
    *,
    match_type: str | None = None,
    filters: Sequence[str] = DEFAULT_FILTERS,
    page: int | None = None,
    show_num_pages: bool = False,
) -> str:
    """The index URL of one page of ``url``'s captures in a crawl, or of its page count with
    ``show_num_pages``. Filters use the index's names: ``status:200``, ``mime:text/html``,
    ``~url:…``, ``!status:404``."""
    params: list[tuple[str, str]] = [("url", url), ("output", "json")]
    if match_type:
        params.append(("matchType", match_type))
    params.extend(("filter", value) for value in filters)
    if page is not None:
        params.append(("page", str(page)))
    if show_num_pages:
        params.append(("showNumPages", "true"))
    return f"{crawl.cdx_api}?{urlencode(params)}"


def parse_num_pages(body: str | bytes) -> int:
    """The page count of a ``showNumPages=true`` answer: ``{"pages": 4, "pageSize": 5, "blocks": 38}``."""
    try:
        answer = json.loads(body)
    except ValueError as exc:
        raise CommonCrawlError(f"page count is not JSON: {exc}") from exc
    pages = answer.get("pages") if isinstance(answer, dict) else answer
    if not isinstance(pages, int) or isinstance(pages, bool) or pages < 0:
        raise CommonCrawlError(f"no page count in {answer!r}")
    return pages


def parse_index_answer(status: int, body: str | bytes, page: int = 0) -> IndexPage:
    """The captures of one index answer.

    A 404 saying "No Captures found" (``message``, or ``error`` from older pywb) is an empty
    index; a 400 on a page after the first is the end of the pages (pywb: "Page 10 invalid:
    First Page is 0, Last Page is 9"). Any other error is raised: a 404 for an unknown crawl,
    a 400 on the first page, or what the caller left unhandled (429, 503).
    """
    text = body.decode("utf-8", "replace") if isinstance(body, bytes) else body
    if status == 404 and "No Captures found" in _error_message(text):
        return IndexPage((), last=True)
    if status == 400 and page > 0:
        return IndexPage((), last=True)
    if status != 200:
        raise CommonCrawlError(f"index answered {status}: {text[:200]}")
    captures = (_index_capture(line) for line in text.splitlines() if line.strip())
    return IndexPage(tuple(capture for capture in captures if capture is not None), last=False)


def record_range(offset: int, length: int) -> str:
    """The ``Range`` header of a record: both ends inclusive."""
    return f"bytes={offset}-{offset + length - 1}"


def parse_record(body: bytes) -> ArchivedRecord:
    """The response held by a fetched record: one gzip member with one WARC record in it.

    S3 answers a throttled fetch with an XML ``<Error><Code>SlowDown</Code>…`` body, which warcio
    would misread as a malformed record; a body that is not gzip is refused first, and one cut
    short (its gzip member unfinished) too, since warcio would return a truncated payload.
    """
    if not body.startswith(_GZIP_MAGIC):
        throttled = b"SlowDown" in body[:512]
        what = "S3 asked to slow down (SlowDown)" if throttled else f"starts {body[:40]!r}"
        raise RecordError(f"not a gzipped WARC record: {what}", throttled=throttled)
    # Inflated once here only to see that the member ends; warcio inflates it again to parse.
    decompressor = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        decompressor.decompress(body)
    except zlib.error as exc:
        raise RecordError(f"the record's gzip member is damaged: {exc}") from exc
    if not decompressor.eof:
        raise RecordError(f"the record is cut short: its gzip member does not end in {len(body)} bytes")
    try:
        record = next(iter(ArchiveIterator(BytesIO(body))), None)
        if record is None:
            raise RecordError("the body holds no WARC record")
        return _response(record)
    except (ArchiveLoadFailed, StatusAndHeadersParserException) as exc:
        raise RecordError(f"not a WARC record: {exc}") from exc


def _response(record: ArcWarcRecord) -> ArchivedRecord:
    if record.rec_type != "response" or record.http_headers is None:
        raise RecordError(f"a WARC {record.rec_type} record, not a response")
    target_uri = record.rec_headers.get_header("WARC-Target-URI")
    warc_date = record.rec_headers.get_header("WARC-Date")
    status = record.http_headers.get_statuscode()
    if not target_uri or not warc_date or not (status and status.isdigit()):
        raise RecordError("a response record without its target URI, date or HTTP status")
    try:
        captured_at = _utc(warc_date)
    except ValueError as exc:
        raise RecordError(f"unreadable WARC-Date {warc_date!r}") from exc
    return ArchivedRecord(
        target_uri=target_uri,
        captured_at=captured_at,
        status=int(status),
        headers=tuple((name, value) for name, value in record.http_headers.headers),
        payload=record.content_stream().read(),
    )


def _index_capture(line: str) -> CrawlCapture | None:
    """A capture of one JSON line (all its values are strings), or None for a line that is
    not one, names no record, or is a robots.txt fetch (CC keeps those in robotstxt/ WARCs)."""
    try:
        fields = json.loads(line)
    except ValueError:
        return None
    if not isinstance(fields, dict) or "/robotstxt/" in str(fields.get("filename", "")):
        return None
    try:
        parse_timestamp(fields["timestamp"])
        status = fields.get("status", "-")
        return CrawlCapture(
            urlkey=fields["urlkey"],
            timestamp=fields["timestamp"],
            url=fields["url"],
            mime=fields.get("mime", ""),
            status=int(status) if str(status).isdigit() else None,
            digest=fields.get("digest", ""),
            filename=fields["filename"],
            offset=int(fields["offset"]),
            length=int(fields["length"]),
            redirect=fields.get("redirect"),
            languages=tuple(code for code in fields.get("languages", "").split(",") if code),
        )
    except (KeyError, TypeError, ValueError):
        return None


def _error_message(text: str) -> str:
    try:
        answer = json.loads(text)
    except ValueError:
        return text
    if isinstance(answer, dict):
        return str(answer.get("message") or answer.get("error") or "")
    return text


def _utc(value: str) -> datetime:
    """collinfo's naive ISO times are UTC; WARC-Date ends in Z."""
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
