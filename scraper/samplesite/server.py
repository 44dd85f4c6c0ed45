"""The sample sites' HTTP server, on 127.0.0.1 and an ephemeral port, and the bundled sample site.

One server for every local site: ``LocalSite`` runs a threading HTTP server in a background
thread, logs every request (path, status), answers conditional GETs (ETag) and writes the sources
file of its outlets; a site says how a path is answered by returning an ``Answer`` (``answer``, or
``answer_request`` for a site that reads request headers). Two sites use it: ``SampleSite``
below, and the generated site of ``generated.py`` (``GeneratedSite``).

``SampleSite`` serves the static files of ``site/``. ``{{BASE}}`` in any served file becomes the
server's origin, so feeds and canonical links hold absolute URLs whatever port the server got.
``site/_headers.toml`` sets per-path headers (a page served without a charset, say);
``/status/<code>`` answers with that status.

``/fault/<kind>/<page>`` serves ``site/faults/pages/<page>.html`` through one fault (see
``FAULTS``): a 429 with ``Retry-After`` or a 500/503 on the first request of a path and the page
after, a stall, a connection reset, a redirect loop or endless chain, a redirect to another
site, a body over any sane size limit, a truncated gzip body, a wrong or missing charset.
Stateful faults count requests per path (``SampleSite.fault_hits``), so run each test on a
fresh path or a fresh server. ``/fault/link-feed?to=URL&to=URL`` is an RSS feed linking to
the given URLs.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import mimetypes
import socket
import struct
import threading
import time
import tomllib
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from email.message import Message
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Self
from urllib.parse import parse_qs, quote, unquote, urlsplit
from xml.sax.saxutils import escape

HERE = Path(__file__).parent
SITE_DIR = HERE / "site"
OUTLETS_TEMPLATE = HERE / "outlets.toml"
MANIFEST = HERE / "manifest.toml"
PLACEHOLDER = b"{{BASE}}"
ALT_PLACEHOLDER = b"{{ALT_BASE}}"  # the same server as http://localhost:PORT: "another site"
GDELT_PATH = "/gdelt/api/v2/doc/doc"
GDELT_FIXTURE = HERE / "gdelt" / "artlist.json"
FAULTS = (
    "retry-after",  # 429 with Retry-After: 1 (or ?wait=N) on the first request, then the page
    "flaky-500",
    "flaky-503",  # that status on the first request, then the page
    "slow",  # headers and half the body, then a stall of FAULT_STALL seconds
    "reset",  # the connection is reset without an answer
    "loop",
    "loop-back",  # 302 to each other
    "chain",  # 302 to ?hop=n+1, without end
    "offsite",
    "offsite-target",  # 302 to the same path on {{ALT_BASE}} ("another site")
    "moved",
    "moved-here",  # 301 to /fault/moved-here/PAGE on the same site, which serves the page
    "huge",  # the page padded to HUGE_SIZE bytes
    "gzip-truncated",  # Content-Encoding: gzip, the compressed body cut at two thirds
    "wrong-charset",  # windows-1251 bytes declared as charset=utf-8
    "no-charset",  # windows-1251 bytes, no charset in the header nor the page
)
FAULT_STALL = 5.0
HUGE_SIZE = 2 * 1024 * 1024
HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
CONTENT_TYPES = {
    ".html": HTML,
    ".xml": "application/xml",
    ".rdf": "application/rdf+xml",
    ".txt": TEXT,
    ".json": "application/json",
}


@dataclass(frozen=True)
class Answer:
    """What the server sends for one request: a site builds it, the handler sends it."""

    status: int
    body: bytes = b""
    content_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)  # besides Content-Type and Content-Length
    etag: bool = False  # send the body's ETag, and a 304 to a GET that holds it (If-None-Match)
    stall: float = 0.0  # seconds to wait after half the body: the client's read timeout
    reset: bool = False  # reset the connection instead of answering


NOT_FOUND = Answer(404, b"<h1>Not found</h1>\n", HTML)
RESET = Answer(0, reset=True)  # no answer at all: logged with status 0


def redirect(status: int, location: str) -> Answer:
    return Answer(status, headers={"Location": location})


class _Handler(BaseHTTPRequestHandler):
    """Sends the answer of the server's site to each GET, and logs it in the site's log."""

    server: _Server

    @property
    def protocol_version(self) -> str:  # the site's: HTTP/1.1 keeps connections alive
        return self.server.site.protocol_version

    def do_GET(self) -> None:
        answer = self.server.site.answer_request(self.path, self.headers)
        status, body = answer.status, answer.body
        headers = {"Content-Type": answer.content_type} if answer.content_type else {}
        headers.update(answer.headers)  # a per-path Content-Type replaces the file type's
        if answer.etag:
            etag = f'"{hashlib.sha1(body).hexdigest()[:16]}"'
            if status == 200 and self.headers.get("If-None-Match") == etag:
                status, body, headers = 304, b"", {}
            headers["ETag"] = etag
        self.server.site.record(self.path, status)
        if answer.reset:
            self._reset()
        elif answer.stall:
            self._stall(status, headers, body, answer.stall)
        else:
            self._send_head(status, headers, len(body))
            self.wfile.write(body)

    def _send_head(self, status: int, headers: dict[str, str], length: int) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(length))
        self.end_headers()

    def _stall(self, status: int, headers: dict[str, str], body: bytes, seconds: float) -> None:
        """Headers and half the body, then nothing for ``seconds``: a read timeout."""
        try:
            self._send_head(status, headers, len(body))
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            time.sleep(seconds)
            self.wfile.write(body[len(body) // 2 :])
        except OSError:
            pass  # the client gave up first, as it should
        self.close_connection = True

    def _reset(self) -> None:
        """Close the connection with a TCP reset (SO_LINGER 0) before answering anything."""
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.rfile.close()
        self.connection.close()

    def log_message(self, format: str, *args) -> None:
        pass  # requests are logged with their status in the site's log


class _Server(ThreadingHTTPServer):
    """A threading HTTP server whose handler asks ``site`` for each answer."""

    daemon_threads = True

    def __init__(self, address: tuple[str, int], site: LocalSite):
        super().__init__(address, _Handler)
        self.site = site


class LocalSite(ABC):
    """A site served in a background thread: ``with Site(...) as site: site.base``. Subclasses
    answer paths (``answer``) and write the sources file of their outlets (``sources_toml``)."""

    protocol_version = "HTTP/1.0"  # one request a connection

    def __init__(self, host: str = "127.0.0.1", port: int = 0):
        self.log: list[tuple[str, int]] = []  # (path with query, status) of every request so far
        self._lock = threading.Lock()  # guards the log and a site's counters: a thread a request
        self._server = _Server((host, port), self)
        self.port = self._server.server_address[1]
        self.base = f"http://{host}:{self.port}"
        self._thread: threading.Thread | None = None

    @abstractmethod
    def answer(self, path: str, query: dict[str, list[str]]) -> Answer:
        """The answer to a GET of ``path`` (unquoted, without the query) with ``query``."""

    def answer_request(self, target: str, headers: Message) -> Answer:
        """The answer to a GET of ``target`` (path and query as sent) with these request headers.
        Sites answer by path and query alone (``answer``); one that reads a header (``Range``,
        ``Accept-Encoding``) or the raw target overrides this."""
        parts = urlsplit(target)
        return self.answer(unquote(parts.path), parse_qs(parts.query))

    @abstractmethod
    def sources_toml(self) -> str:
        """The sources file for this server's outlets."""

    def record(self, path: str, status: int) -> None:
        """Log a request: its path with query, and its status (0: the connection was reset)."""
        with self._lock:
            self.log.append((path, status))

    @property
    def requests(self) -> list[str]:
        """Paths (with query) requested so far, in order, robots.txt included."""
        return [path for path, _ in self.log]

    def write_sources(self, path: Path) -> Path:
        path.write_text(self.sources_toml(), encoding="utf-8")
        return path

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class SampleSite(LocalSite):
    """The bundled sample site: the files of ``root``, a GDELT stand-in and the fault endpoints."""

    def __init__(self, root: Path = SITE_DIR, host: str = "127.0.0.1", port: int = 0):
        super().__init__(host, port)
        self.root = root.resolve()
        headers_file = root / "_headers.toml"
        self.headers_for = tomllib.loads(headers_file.read_text("utf-8")) if headers_file.exists() else {}
        self.alt_base = f"http://localhost:{self.port}"
        self.fault_hits: dict[str, list[float]] = {}  # per /fault/ path: time.monotonic() of each request

    def fill(self, body: bytes) -> bytes:
        """``body`` with this server's origins in place of the placeholders."""
        return body.replace(PLACEHOLDER, self.base.encode()).replace(ALT_PLACEHOLDER, self.alt_base.encode())

    def sources_toml(self) -> str:
        return self.fill(OUTLETS_TEMPLATE.read_bytes()).decode("utf-8")

    def answer(self, path: str, query: dict[str, list[str]]) -> Answer:
        if path.startswith("/status/") and path[8:].isdigit():
            return Answer(int(path[8:]), b"status page\n", TEXT)
        if path == GDELT_PATH:
            return self._gdelt(query)
        if path == "/fault/link-feed":
            return self._link_feed(query.get("to", []))
        if path.startswith("/fault/"):
            return self._fault(path, query)
        file = self._resolve(path)
        if file is None:
            return NOT_FOUND
        content_type = CONTENT_TYPES.get(file.suffix, mimetypes.guess_type(file.name)[0] or "application/octet-stream")
        headers = {"Last-Modified": formatdate(file.stat().st_mtime, usegmt=True), **self.headers_for.get(path, {})}
        return Answer(200, self.fill(file.read_bytes()), content_type, headers, etag=True)

    def _gdelt(self, query: dict[str, list[str]]) -> Answer:
        """GDELT DOC 2.0 ``mode=ArtList&format=json``: the fixture's articles seen between
        ``startdatetime`` and ``enddatetime`` (YYYYMMDDHHMMSS), at most ``maxrecords``."""

        def arg(name, default=""):
            return query.get(name, [default])[0]

        if arg("mode").lower() != "artlist" or arg("format").lower() != "json" or not arg("query"):
            return Answer(400, b"query, mode=ArtList and format=json are required\n", TEXT)
        start, end = arg("startdatetime", "0" * 14), arg("enddatetime", "9" * 14)
        articles = json.loads(self.fill(GDELT_FIXTURE.read_bytes()))["articles"]
        seen = [a for a in articles if start <= a["seendate"][:8] + a["seendate"][9:15] <= end]
        body = json.dumps({"articles": seen[: int(arg("maxrecords", "75"))]} if seen else {}).encode()
        return Answer(200, body, "application/json; charset=utf-8")

    def _fault(self, path: str, query: dict[str, list[str]]) -> Answer:
        _, _, kind, page = path.split("/", 3) if path.count("/") >= 3 else ("", "", "", "")
        file = self.root / "faults" / "pages" / f"{page}.html"
        if kind not in FAULTS or "/" in page or not file.is_file():
            return NOT_FOUND
        with self._lock:
            hits = self.fault_hits.setdefault(path, [])
            hits.append(time.monotonic())
            first = len(hits) == 1
        body = self.fill(file.read_bytes())
        if kind == "retry-after" and first:
            return Answer(429, b"Too many requests\n", TEXT, {"Retry-After": query.get("wait", ["1"])[0]})
        if kind in ("flaky-500", "flaky-503") and first:
            return Answer(int(kind[-3:]), b"Try again later\n", TEXT)
        if kind == "slow":
            return Answer(200, body, HTML, stall=FAULT_STALL)
        if kind == "reset":
            return RESET
        if kind in ("loop", "loop-back"):
            other = "loop-back" if kind == "loop" else "loop"
            return redirect(302, f"{self.base}/fault/{other}/{page}")
        if kind == "chain":
            hop = int(query.get("hop", ["0"])[0]) + 1
            return redirect(302, f"{self.base}/fault/chain/{page}?hop={hop}")
        if kind == "moved":
            return redirect(301, f"{self.base}/fault/moved-here/{page}")
        if kind == "offsite":
            return redirect(302, f"{self.alt_base}/fault/offsite-target/{page}")
        if kind == "huge":
            padding = b"<!-- " + b"x" * max(HUGE_SIZE - len(body), 0) + b" -->\n"
            return Answer(200, body + padding, HTML)
        if kind == "gzip-truncated":
            packed = gzip.compress(body)
            return Answer(200, packed[: len(packed) * 2 // 3], HTML, {"Content-Encoding": "gzip"})
        if kind in ("wrong-charset", "no-charset"):
            recoded = body.decode("utf-8").encode("windows-1251")
            return Answer(200, recoded, HTML if kind == "wrong-charset" else "text/html")
        return Answer(200, body, HTML)  # a stateful fault after its first request, or the offsite target

    def _link_feed(self, links: list[str]) -> Answer:
        items = "".join(
            f"<item><title>Link {n}</title><link>{escape(link)}</link><guid>link-{n}-{quote(link, safe='')}</guid></item>"
            for n, link in enumerate(links)
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Links</title>'
            f"<link>{self.base}/</link>{items}</channel></rss>"
        ).encode()
        return Answer(200, body, "application/rss+xml; charset=utf-8")

    def _resolve(self, path: str) -> Path | None:
        candidate = (self.root / path.lstrip("/")).resolve()
        if self.root not in candidate.parents and candidate != self.root:
            return None  # no escaping the site folder
        if candidate.is_dir():
            candidate = candidate / "index.html"
        elif not candidate.exists() and not candidate.suffix:
            candidate = candidate.with_name(candidate.name + ".html")
        return candidate if candidate.is_file() else None
