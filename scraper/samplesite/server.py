"""A static HTTP server for the sample site, on 127.0.0.1 and an ephemeral port.

``{{BASE}}`` in any served file becomes the server's origin, so feeds and canonical links hold
absolute URLs whatever port the server got. ``site/_headers.toml`` sets per-path headers (a page
served without a charset, say); ``/status/<code>`` answers with that status.
"""

from __future__ import annotations

import mimetypes
import threading
import tomllib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

HERE = Path(__file__).parent
SITE_DIR = HERE / "site"
OUTLETS_TEMPLATE = HERE / "outlets.toml"
MANIFEST = HERE / "manifest.toml"
PLACEHOLDER = b"{{BASE}}"
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
        path = unquote(urlsplit(self.path).path)
        if path.startswith("/status/") and path[8:].isdigit():
            self._send(int(path[8:]), b"status page\n", "text/plain; charset=utf-8")
            return
        file = self._resolve(path)
        if file is None:
            self._send(404, b"<h1>Not found</h1>\n", "text/html; charset=utf-8")
            return
        body = file.read_bytes().replace(PLACEHOLDER, self.server.base.encode("ascii"))
        content_type = CONTENT_TYPES.get(file.suffix, mimetypes.guess_type(file.name)[0] or "application/octet-stream")
        self._send(200, body, content_type, self.server.headers_for.get(path, {}))

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

    def _send(self, status: int, body: bytes, content_type: str, extra: dict | None = None) -> None:
        headers = {"Content-Type": content_type, **(extra or {})}
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        self.server.requests.append(self.path)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    base: str
    root: Path
    headers_for: dict[str, dict[str, str]]
    requests: list[str]


class SampleSite:
    """Serve the sample site in a background thread: ``with SampleSite() as site: site.base``."""

    def __init__(self, root: Path = SITE_DIR, host: str = "127.0.0.1", port: int = 0):
        self.server = _Server((host, port), _Handler)
        self.server.root = root.resolve()
        headers_file = root / "_headers.toml"
        self.server.headers_for = tomllib.loads(headers_file.read_text("utf-8")) if headers_file.exists() else {}
        self.server.requests = []
        self.base = f"http://{host}:{self.server.server_address[1]}"
        self.server.base = self.base
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def requests(self) -> list[str]:
        """Paths requested so far, in order (robots.txt included)."""
        return self.server.requests

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
        return OUTLETS_TEMPLATE.read_text("utf-8").replace("{{BASE}}", self.base)

    def write_sources(self, path: Path) -> Path:
        path.write_text(self.sources_toml(), encoding="utf-8")
        return path
