"""Keeping the bytes: every article response the spider reads, written to a WARC file.

``KeepWarc``, a spider middleware, writes each article response handed to the spider's callback
as a WARC ``response`` record (its ``request`` record after it) with warcio, into
``<database>-warc/`` (``MONITOR_WARC_DIR``), one gzipped file per crawl run and process:
``run-000042.warc.gz``, or ``<UTC time>-<host>-<pid>.warc.gz`` for a process without a run (a
scale-out worker, a bare ``scrapy crawl``). It puts the record's place (file, offset, length) and
the fetch time the record is dated with on the response meta, so that ``parse_article`` copies
them onto the item and the row names its record. ``monitor reextract`` reads the records back
(``read_page``, ``newest_places``) and rebuilds the responses (``KeptPage.response``).

What a record keeps: WARC-Target-URI is the URL fetched (after redirects), WARC-Date the fetch
time. The HTTP status line and headers are Scrapy's, and the body is the one the spider read:
decompressed (Scrapy drops the Content-Encoding it undid) and de-chunked, so the wire framing
that no longer describes it (Transfer-Encoding, Content-Length) is kept under
``X-Archive-Orig-`` names and Content-Length is the kept body's. Where the bytes came from is in
the monitor's own WARC headers (the standard's WARC-Refers-To-Date is for revisit records only):
``Monitor-Fetched-From`` (live, wayback, commoncrawl) always, and for an archived fetch
``Monitor-Archive-URL`` and ``Monitor-Captured-At``, the capture's own time.
"""

from __future__ import annotations

import functools
import http.client
import os
import socket
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit

from scrapy import Request, signals
from scrapy.exceptions import NotConfigured
from scrapy.http import Headers, TextResponse
from scrapy.responsetypes import responsetypes
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date, iso_date_to_datetime
from warcio.warcwriter import WARCWriter

from media_monitor import __version__
from media_monitor import settings as defaults  # a crawler built without the project settings
from media_monitor.crawling.requestmeta import (
    ARCHIVE_URL,
    ARTICLE,
    CAPTURED_AT,
    FETCHED_AT,
    FETCHED_FROM,
    LIVE,
    WARC_RECORD,
    page_from_record,
)

SUFFIX = ".warc.gz"
# The monitor's WARC headers, each for a request meta key of an archived fetch.
PROVENANCE_HEADERS = {
    FETCHED_FROM: "Monitor-Fetched-From",
    ARCHIVE_URL: "Monitor-Archive-URL",
    CAPTURED_AT: "Monitor-Captured-At",
}
ORIGINAL = "X-Archive-Orig-"


def warc_folder(db: str | os.PathLike | None, configured: str | os.PathLike | None = None) -> Path | None:
    """The WARC folder: ``configured`` (MONITOR_WARC_DIR), else ``<db>-warc`` beside the database;
    None for a process with neither (a scale-out worker without MONITOR_WARC_DIR)."""
    if configured:
        return Path(configured).resolve()
    return Path(f"{Path(db).resolve()}-warc") if db else None


@functools.cache
def warc_file_name(run_id: int | None) -> str:
    """This process's file: named after the crawl run, or after the time and the process when it
    has none. Cached, so every spider of the process writes the same file."""
    if run_id:
        return f"run-{int(run_id):06d}{SUFFIX}"
    started = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return f"{started}-{socket.gethostname()}-{os.getpid()}{SUFFIX}"


def http_headers(response) -> StatusAndHeaders:
    """The response's status line and headers, with the wire framing that does not describe the
    kept body renamed (module docstring)."""
    length = str(len(response.body))
    headers = []
    for name, values in response.headers.items():
        name = name.decode("latin-1")
        for value in (v.decode("latin-1") for v in values):
            stale = name.lower() == "transfer-encoding" or (name.lower() == "content-length" and value != length)
            headers.append((ORIGINAL + name if stale else name, value))
    if not any(name.lower() == "content-length" for name, _ in headers):
        headers.append(("Content-Length", length))
    status = f"{response.status} {http.client.responses.get(response.status, '')}".strip()
    return StatusAndHeaders(status, headers, protocol=response.protocol or "HTTP/1.1")


def _request_headers(request) -> StatusAndHeaders:
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, values in request.headers.items() for v in values]
    return StatusAndHeaders(f"{request.method} {target} HTTP/1.1", headers, is_http_request=True)


class WarcFile:
    """One WARC file, shared by the spiders of a process (``acquire``/``release``, as the store)."""

    _shared: ClassVar[dict[Path, tuple[WarcFile, int]]] = {}

    def __init__(self, path: Path):
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        # Appending: the records of a file of this name already there (an old folder beside a
        # new database) stay where their rows say.
        self.file = path.open("ab")
        self.writer = WARCWriter(self.file, gzip=True)
        info = {"software": f"media-monitor/{__version__}", "format": "WARC File Format 1.0"}
        self.writer.write_record(self.writer.create_warcinfo_record(path.name, info))

    @classmethod
    def acquire(cls, path: Path) -> WarcFile:
        warc, users = cls._shared.get(path) or (cls(path), 0)
        cls._shared[path] = (warc, users + 1)
        return warc

    def release(self) -> None:
        warc, users = self._shared[self.path]
        if users > 1:
            self._shared[self.path] = (warc, users - 1)
            return
        del self._shared[self.path]
        self.file.close()

    def write(self, response, fetched: datetime) -> dict:
        """Write the response (and its request); return the response record's place."""
        meta = response.meta
        warc_headers = {"WARC-Date": datetime_to_iso_date(fetched), PROVENANCE_HEADERS[FETCHED_FROM]: LIVE}
        warc_headers.update({header: meta[key] for key, header in PROVENANCE_HEADERS.items() if meta.get(key)})
        record = self.writer.create_warc_record(
            response.url,
            "response",
            payload=BytesIO(response.body),
            length=len(response.body),
            http_headers=http_headers(response),
            warc_headers_dict=warc_headers,
        )
        offset = self.file.tell()
        self.writer.write_record(record)
        length = self.file.tell() - offset
        request = self.writer.create_warc_record(
            response.url,
            "request",
            http_headers=_request_headers(response.request),
            warc_headers_dict={
                "WARC-Date": warc_headers["WARC-Date"],
                "WARC-Concurrent-To": record.rec_headers.get_header("WARC-Record-ID"),
            },
        )
        self.writer.write_record(request)
        # On disk before the row naming it can be committed.
        self.file.flush()
        return {"warc_file": self.path.name, "warc_offset": offset, "warc_length": length}


class KeepWarc:
    """Spider middleware: each article response the callback will read, into this process's
    WARC file, its place and fetch time on the response meta (``WARC_RECORD``, ``FETCHED_AT``)."""

    def __init__(self, crawler, folder: Path):
        self.path = folder / warc_file_name(crawler.settings.getint("MONITOR_CRAWL_RUN_ID") or None)
        self.warc: WarcFile | None = None  # opened with the first page: a crawl that reads none writes no file
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        # A Common Crawl page is rebuilt from its record by the spider, past this middleware.
        crawler.signals.connect(self.process_spider_input, signal=page_from_record)

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        folder = warc_folder(settings.get("MONITOR_DB"), settings.get("MONITOR_WARC_DIR"))
        if not settings.getbool("MONITOR_KEEP_WARC", defaults.MONITOR_KEEP_WARC):
            raise NotConfigured("MONITOR_KEEP_WARC is off")
        if folder is None:
            raise NotConfigured("neither MONITOR_WARC_DIR nor MONITOR_DB is set")
        return cls(crawler, folder)

    def process_spider_input(self, response) -> None:
        # Sources are not kept, nor a page that is not text: parse_article skips it (no row).
        if not response.meta.get(ARTICLE) or not isinstance(response, TextResponse):
            return
        if self.warc is None:
            self.warc = WarcFile.acquire(self.path)
        fetched = datetime.now(UTC).replace(microsecond=0)
        response.meta[WARC_RECORD] = self.warc.write(response, fetched)
        response.meta[FETCHED_AT] = fetched.isoformat()

    def spider_closed(self, spider) -> None:
        if self.warc is not None:
            self.warc.release()
            self.warc = None


@dataclass(frozen=True)
class KeptPage:
    """A response record read back: what ``KeepWarc`` wrote, and where."""

    url: str
    place: dict  # {"warc_file", "warc_offset", "warc_length"}
    fetched_at: str  # the WARC-Date, ISO 8601 UTC
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    provenance: dict  # the archived fetch's request meta (FETCHED_FROM, ARCHIVE_URL, CAPTURED_AT)

    def response(self):
        """The response as the spider read it, with the meta of its fetch and of its record."""
        headers = Headers(self.headers)
        meta = {ARTICLE: True, FETCHED_AT: self.fetched_at, WARC_RECORD: self.place, **self.provenance}
        cls = responsetypes.from_args(headers=headers, url=self.url, body=self.body)
        return cls(self.url, status=self.status, headers=headers, body=self.body, request=Request(self.url, meta=meta))


def _kept_page(record, place: dict) -> KeptPage:
    warc = record.rec_headers
    date = iso_date_to_datetime(warc.get_header("WARC-Date"), tz_aware=True)
    return KeptPage(
        url=warc.get_header("WARC-Target-URI"),
        place=place,
        fetched_at=date.isoformat(timespec="seconds"),
        status=int(record.http_headers.get_statuscode()),
        headers=list(record.http_headers.headers),
        body=record.content_stream().read(),
        provenance={
            key: warc.get_header(header) for key, header in PROVENANCE_HEADERS.items() if warc.get_header(header)
        },
    )


def read_page(folder: Path, place: dict) -> KeptPage | None:
    """The response record at ``place`` in ``folder``; None when there is none there (a missing
    file, or an offset that is no record's start in a rewritten file)."""
    try:
        with (folder / place["warc_file"]).open("rb") as file:
            file.seek(place["warc_offset"])
            record = next(iter(ArchiveIterator(file)), None)
            # Bytes in the middle of a record can read as an old ARC record: only a WARC response is one.
            found = record is not None and record.format == "warc" and record.rec_type == "response"
            return _kept_page(record, place) if found else None
    except (OSError, ArchiveLoadFailed, zlib.error, ValueError):
        return None


def newest_places(folder: Path) -> dict[str, dict]:
    """Every URL with a response record in the folder's files, and the place of its newest."""
    newest: dict[str, tuple[str, dict]] = {}
    for path in sorted(folder.glob(f"*{SUFFIX}")):
        with path.open("rb") as file:
            records = ArchiveIterator(file)
            for record in records:
                if record.rec_type != "response":
                    continue
                url, date = record.rec_headers.get_header("WARC-Target-URI"), record.rec_headers.get_header("WARC-Date")
                place = {
                    "warc_file": path.name,
                    "warc_offset": records.get_record_offset(),
                    "warc_length": records.get_record_length(),
                }
                if url not in newest or date >= newest[url][0]:
                    newest[url] = (date, place)
    return {url: place for url, (_, place) in newest.items()}
