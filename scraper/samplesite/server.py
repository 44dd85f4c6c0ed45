"""A static HTTP server for the sample site, on 127.0.0.1 and an ephemeral port.

``{{BASE}}`` in any served file becomes the server's origin, so feeds and canonical links hold
absolute URLs whatever port the server got. ``site/_headers.toml`` sets per-path headers (a page
served without a charset, say); ``/status/<code>`` answers with that status.

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
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
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
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".rdf": "application/rdf+xml",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        if path.startswith("/status/") and path[8:].isdigit():
            self._send(int(path[8:]), b"status page\n", "text/plain; charset=utf-8")
            return
        if path == GDELT_PATH:
            self._send_gdelt(parse_qs(parts.query))
            return
        if path == "/fault/link-feed":
            self._send_link_feed(parse_qs(parts.query).get("to", []))
            return
        if path.startswith("/fault/"):
            self._send_fault(path, parse_qs(parts.query))
            return
        file = self._resolve(path)
        if file is None:
            self._send(404, b"<h1>Not found</h1>\n", "text/html; charset=utf-8")
            return
        body = self.server.fill(file.read_bytes())
        etag = f'"{hashlib.sha1(body).hexdigest()[:16]}"'
        if self.headers.get("If-None-Match") == etag:
            self._send(304, b"", None, {"ETag": etag})
            return
        content_type = CONTENT_TYPES.get(file.suffix, mimetypes.guess_type(file.name)[0] or "application/octet-stream")
        headers = {
            "ETag": etag,
            "Last-Modified": formatdate(file.stat().st_mtime, usegmt=True),
            **self.server.headers_for.get(path, {}),
        }
        self._send(200, body, content_type, headers)

    def _send_gdelt(self, query: dict[str, list[str]]) -> None:
        """GDELT DOC 2.0 ``mode=ArtList&format=json``: the fixture's articles seen between
        ``startdatetime`` and ``enddatetime`` (YYYYMMDDHHMMSS), at most ``maxrecords``."""

        def arg(name, default=""):
            return query.get(name, [default])[0]

        if arg("mode").lower() != "artlist" or arg("format").lower() != "json" or not arg("query"):
            self._send(400, b"query, mode=ArtList and format=json are required\n", "text/plain; charset=utf-8")
            return
        start, end = arg("startdatetime", "0" * 14), arg("enddatetime", "9" * 14)
        articles = json.loads(self.server.fill(GDELT_FIXTURE.read_bytes()))["articles"]
        seen = [a for a in articles if start <= a["seendate"][:8] + a["seendate"][9:15] <= end]
        body = json.dumps({"articles": seen[: int(arg("maxrecords", "75"))]} if seen else {}).encode()
        self._send(200, body, "application/json; charset=utf-8")

    def _send_fault(self, path: str, query: dict[str, list[str]]) -> None:
        _, _, kind, page = path.split("/", 3) if path.count("/") >= 3 else ("", "", "", "")
        file = self.server.root / "faults" / "pages" / f"{page}.html"
        if kind not in FAULTS or "/" in page or not file.is_file():
            self._send(404, b"<h1>Not found</h1>\n", "text/html; charset=utf-8")
            return
        with self.server.lock:
            hits = self.server.fault_hits.setdefault(path, [])
            hits.append(time.monotonic())
            first = len(hits) == 1
        body = self.server.fill(file.read_bytes())
        html = "text/html; charset=utf-8"
        if kind == "retry-after" and first:
            wait = query.get("wait", ["1"])[0]
            self._send(429, b"Too many requests\n", "text/plain; charset=utf-8", {"Retry-After": wait})
        elif kind in ("flaky-500", "flaky-503") and first:
            self._send(int(kind[-3:]), b"Try again later\n", "text/plain; charset=utf-8")
        elif kind == "slow":
            self._stall(body)
        elif kind == "reset":
            self._reset()
        elif kind in ("loop", "loop-back"):
            other = "loop-back" if kind == "loop" else "loop"
            self._send(302, b"", None, {"Location": f"{self.server.base}/fault/{other}/{page}"})
        elif kind == "chain":
            hop = int(query.get("hop", ["0"])[0]) + 1
            self._send(302, b"", None, {"Location": f"{self.server.base}/fault/chain/{page}?hop={hop}"})
        elif kind == "moved":
            self._send(301, b"", None, {"Location": f"{self.server.base}/fault/moved-here/{page}"})
        elif kind == "offsite":
            self._send(302, b"", None, {"Location": f"{self.server.alt_base}/fault/offsite-target/{page}"})
        elif kind == "huge":
            padding = b"<!-- " + b"x" * max(HUGE_SIZE - len(body), 0) + b" -->\n"
            self._send(200, body + padding, html)
        elif kind == "gzip-truncated":
            packed = gzip.compress(body)
            self._send(200, packed[: len(packed) * 2 // 3], html, {"Content-Encoding": "gzip"})
        elif kind in ("wrong-charset", "no-charset"):
            recoded = body.decode("utf-8").encode("windows-1251")
            self._send(200, recoded, html if kind == "wrong-charset" else "text/html")
        else:  # a stateful fault after its first request, or the offsite target
            self._send(200, body, html)

    def _stall(self, body: bytes) -> None:
        """Headers and half the body, then nothing for FAULT_STALL seconds: a read timeout."""
        self.server.log.append((self.path, 200))
        try:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            time.sleep(FAULT_STALL)
            self.wfile.write(body[len(body) // 2 :])
        except OSError:
            pass  # the client gave up first, as it should
        self.close_connection = True

    def _reset(self) -> None:
        """Close the connection with a TCP reset (SO_LINGER 0) before answering anything."""
        self.server.log.append((self.path, 0))
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.close_connection = True
        self.rfile.close()
        self.connection.close()

    def _send_link_feed(self, links: list[str]) -> None:
        items = "".join(
            f"<item><title>Link {n}</title><link>{escape(link)}</link><guid>link-{n}-{quote(link, safe='')}</guid></item>"
            for n, link in enumerate(links)
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Links</title>'
            f"<link>{self.server.base}/</link>{items}</channel></rss>"
        ).encode()
        self._send(200, body, "application/rss+xml; charset=utf-8")

    def _resolve(self, path: str) -> Path | None:
        root = self.server.root
        candidate = (root / path.lstrip("/")).resolve()
        if root not in candidate.parents and candidate != root:
            return None  # no escaping the site folder
        if candidate.is_dir():
            candidate = candidate / "index.html"
        elif not candidate.exists() and not candidate.suffix:
            candidate = candidate.with_name(candidate.name + ".html")
        return candidate if candidate.is_file() else None

    def _send(self, status: int, body: bytes, content_type: str | None, extra: dict | None = None) -> None:
        headers = {"Content-Type": content_type, **(extra or {})} if content_type else dict(extra or {})
        self.server.log.append((self.path, status))
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        pass  # requests are logged with their status in server.log


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    base: str
    root: Path
    alt_base: str
    headers_for: dict[str, dict[str, str]]
    log: list[tuple[str, int]]
    fault_hits: dict[str, list[float]]
    lock: threading.Lock

    def fill(self, body: bytes) -> bytes:
        return body.replace(PLACEHOLDER, self.base.encode()).replace(ALT_PLACEHOLDER, self.alt_base.encode())


class SampleSite:
    """Serve the sample site in a background thread: ``with SampleSite() as site: site.base``."""

    def __init__(self, root: Path = SITE_DIR, host: str = "127.0.0.1", port: int = 0):
        self.server = _Server((host, port), _Handler)
        self.server.root = root.resolve()
        headers_file = root / "_headers.toml"
        self.server.headers_for = tomllib.loads(headers_file.read_text("utf-8")) if headers_file.exists() else {}
        self.server.log = []
        self.server.fault_hits, self.server.lock = {}, threading.Lock()
        self.base = f"http://{host}:{self.server.server_address[1]}"
        self.alt_base = f"http://localhost:{self.server.server_address[1]}"
        self.server.base, self.server.alt_base = self.base, self.alt_base
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def requests(self) -> list[str]:
        """Paths (with query) requested so far, in order, robots.txt included."""
        return [path for path, _ in self.server.log]

    @property
    def log(self) -> list[tuple[str, int]]:
        """(path, status) of every request so far."""
        return self.server.log

    @property
    def fault_hits(self) -> dict[str, list[float]]:
        """Per /fault/ path: the time (time.monotonic) of each request."""
        return self.server.fault_hits

    def start(self) -> SampleSite:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> SampleSite:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def sources_toml(self) -> str:
        """The sources file for this server's outlets."""
        return self.server.fill(OUTLETS_TEMPLATE.read_bytes()).decode("utf-8")

    def write_sources(self, path: Path) -> Path:
        path.write_text(self.sources_toml(), encoding="utf-8")
        return path
