"""A hostile site: what an outlet could serve to stop all monitoring, served on 127.0.0.1.

Each path is one attack on the crawler's bounds (``media_monitor.crawling.bounds``); the
sources file makes each its own outlet, so a test sees it in that outlet's row of the run.

- ``/endless/<n>.xml``: a sitemap index naming ``FAN`` new indexes below it, for ever (every
  answer waits ``delay`` seconds, so that a crawl with no bound runs until its budget);
- ``/bomb.xml.gz``: a sitemap file of ``BOMB_SIZE`` bytes of gzip inflating to about a gigabyte
  of XML; ``/bomb-encoded.xml``: the same bytes served with ``Content-Encoding: gzip``;
- ``/huge-feed.xml``: an RSS feed of ``feed_items`` entries;
- ``/listing/<n>``: a listing whose pages never end;
- ``/bomb-page-feed.xml`` links to ``/bomb-page.html``, an article page whose gzip body inflates
  past any sane size limit;
- ``/port-feed.xml`` links to ``/to-port``, a redirect to the same host on another port
  (``other_port``);
- ``/charset-feed.xml`` links to ``/utf16-page.html``, an ASCII article page labelled
  ``charset=utf-16`` (of even length: it decodes as UTF-16, into garbage);
- ``/robots.txt``: the connection is reset (``robots_reset``), or an empty robots.txt.
"""

from __future__ import annotations

import functools
import gzip
import time

from media_monitor.samplesite.server import HTML, NOT_FOUND, RESET, TEXT, Answer, LocalSite, redirect

FAN = 2
BOMB_SIZE = 1024 * 1024  # bytes of gzip
OUTLETS = {  # name: (key, path)
    "endless_sitemap": ("sitemaps", "/endless/0.xml"),
    "bomb_sitemap": ("sitemaps", "/bomb.xml.gz"),
    "bomb_encoded_sitemap": ("sitemaps", "/bomb-encoded.xml"),
    "huge_feed": ("feeds", "/huge-feed.xml"),
    "bomb_page": ("feeds", "/bomb-page-feed.xml"),
    "port_redirect": ("feeds", "/port-feed.xml"),
    "charset_mislabel": ("feeds", "/charset-feed.xml"),
}
ARTICLE = (
    "<html><head><title>Peacekeepers leave Karabakh</title></head><body><article><h1>Peacekeepers leave "
    "Karabakh</h1><p>"
    + "Russian peacekeepers left their posts in Karabakh this week. " * 12
    + "</p></article></body></html>"
)


@functools.cache
def gzip_bomb(size: int = BOMB_SIZE) -> bytes:
    """About ``size`` bytes of gzip inflating to about 1000 times as much: a sitemap's opening
    tag, then blanks. Members of 1 MB of blanks each, one after the other (a gzip file may hold
    several), so that it is made in milliseconds."""
    head = gzip.compress(b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">')
    member = gzip.compress(b" " * (1024 * 1024))
    return head + member * max(1, (size - len(head)) // len(member))


def _rss(base: str, links: list[str]) -> bytes:
    items = "".join(f"<item><title>Item {n}</title><link>{base}{link}</link></item>" for n, link in enumerate(links))
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel><title>Hostile</title>'
        f"<link>{base}/</link>{items}</channel></rss>"
    ).encode()


class HostileSite(LocalSite):
    def __init__(self, host: str = "127.0.0.1", port: int = 0, delay: float = 0.0, feed_items: int = 100_000):
        super().__init__(host, port)
        self.delay, self.feed_items = delay, feed_items
        self.robots_reset = False
        self.other_port: int | None = None

    def answer(self, path: str, query: dict[str, list[str]]) -> Answer:
        if path == "/robots.txt":
            return RESET if self.robots_reset else Answer(200, b"", TEXT)
        if path.startswith("/endless/") and path.endswith(".xml"):
            time.sleep(self.delay)
            number = path.removeprefix("/endless/").removesuffix(".xml")
            entries = "".join(f"<sitemap><loc>{self.base}/endless/{number}-{n}.xml</loc></sitemap>" for n in range(FAN))
            body = f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'
            return Answer(200, body.encode(), "application/xml")
        if path == "/bomb.xml.gz":
            return Answer(200, gzip_bomb(), "application/x-gzip")
        if path == "/bomb-encoded.xml":
            return Answer(200, gzip_bomb(), "application/xml", {"Content-Encoding": "gzip"})
        if path == "/huge-feed.xml":
            return Answer(
                200, _rss(self.base, [f"/article/{n}" for n in range(self.feed_items)]), "application/rss+xml"
            )
        if path.startswith("/listing/"):
            page = int(path.removeprefix("/listing/") or 0)
            links = "".join(f'<a class="story" href="/article/{page}-{n}">Story</a>' for n in range(3))
            return Answer(200, f"<html><body>{links}</body></html>".encode(), HTML)
        if path.startswith("/article/"):
            return Answer(200, ARTICLE.encode(), HTML)
        if path == "/bomb-page-feed.xml":
            return Answer(200, _rss(self.base, ["/bomb-page.html"]), "application/rss+xml")
        if path == "/charset-feed.xml":
            return Answer(200, _rss(self.base, ["/utf16-page.html"]), "application/rss+xml")
        if path == "/utf16-page.html":
            body = ARTICLE.encode()
            return Answer(200, body + b" " * (len(body) % 2), "text/html; charset=utf-16")
        if path == "/port-feed.xml":
            return Answer(200, _rss(self.base, ["/to-port"]), "application/rss+xml")
        if path == "/to-port" and self.other_port:
            return redirect(302, f"http://127.0.0.1:{self.other_port}/article/moved")
        if path == "/bomb-page.html":
            return Answer(200, gzip_bomb(64 * 1024), HTML, {"Content-Encoding": "gzip"})
        return NOT_FOUND

    def sources_toml(self) -> str:
        blocks = [
            f'[[outlet]]\nname = "{name}"\ntitle = "{name}"\nhomepage = "{self.base}/"\nlanguage = "en"\n'
            f'country = "GE"\ntimezone = "UTC"\n{key} = ["{self.base}{path}"]\n'
            for name, (key, path) in OUTLETS.items()
        ]
        blocks.append(
            f'[[outlet]]\nname = "endless_listing"\ntitle = "endless_listing"\nhomepage = "{self.base}/"\n'
            f'language = "en"\ncountry = "GE"\ntimezone = "UTC"\n'
            f'[[outlet.listings]]\nurl = "{self.base}/listing/{{page}}"\nlinks = "a.story"\nmax_pages = 100000\n'
        )
        return "\n".join(blocks)
