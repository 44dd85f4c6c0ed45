"""A static HTTP server for the sample site, on 127.0.0.1 and an ephemeral port.

``{{BASE}}`` in any served file becomes the server's origin, so feeds and canonical links hold
absolute URLs whatever port the server got. ``site/_headers.toml`` sets per-path headers (a page
served without a charset, say); ``/status/<code>`` answers with that status.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import threading
import tomllib
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

HERE = Path(__file__).parent
SITE_DIR = HERE / "site"
OUTLETS_TEMPLATE = HERE / "outlets.toml"
MANIFEST = HERE / "manifest.toml"
PLACEHOLDER = b"{{BASE}}"
ALT_PLACEHOLDER = b"{{ALT_BASE}}"  # the same server as http://localhost:PORT: "another site"
GDELT_PATH = "/gdelt/api/v2/doc/doc"
GDELT_FIXTURE = HERE / "gdelt" / "artlist.json"
CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".xml": "application/xml",
    ".rdf": "application/rdf+xml",
    ".txt": "text/plain; charset=utf-8",
    ".json": "application/json",
}


class _Handler(BaseHTTPRequestHandler):
    server: "_Server"

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        parts = urlsplit(self.path)
        path = unquote(parts.path)
        if path.startswith("/status/") and path[8:].isdigit():
            self._send(int(path[8:]), b"status page\n", "text/plain; charset=utf-8")
            return
        if path == GDELT_PATH:
            self._send_gdelt(parse_qs(parts.query))
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
        headers = {"ETag": etag, "Last-Modified": formatdate(file.stat().st_mtime, usegmt=True),
                   **self.server.headers_for.get(path, {})}
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

    def start(self) -> "SampleSite":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self) -> "SampleSite":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def sources_toml(self) -> str:
        """The sources file for this server's outlets."""
        return self.server.fill(OUTLETS_TEMPLATE.read_bytes()).decode("utf-8")

    def write_sources(self, path: Path) -> Path:
        path.write_text(self.sources_toml(), encoding="utf-8")
        return path
