"""`monitor sources probe`: fetch each feed, sitemap and listing once and say what it holds.

For an operator with a network, before trusting a sources file: does each URL answer, does it
parse, how many items, how fresh is the newest? robots.txt is obeyed here as in crawls.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlsplit

import feedparser
import lxml.html
from lxml import etree
from protego import Protego

from media_monitor.config.sources import Outlet
from media_monitor.extraction.selectors import compile_selector
from media_monitor.normalise.dates import parse_published

MAX_BYTES = 10 * 1024 * 1024


@dataclass
class ProbeResult:
    outlet: str
    kind: str  # feed | sitemap | listing
    url: str
    status: int | None = None
    items: int = 0
    newest: str | None = None  # ISO UTC of the newest dated item
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and self.items > 0


class _Fetcher:
    def __init__(self, user_agent: str, timeout: float):
        self.user_agent, self.timeout = user_agent, timeout
        self._robots: dict[str, Protego | None] = {}

    def get(self, url: str) -> tuple[int, bytes]:
        request = urllib.request.Request(url, headers={"User-Agent": self.user_agent})
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return response.status, response.read(MAX_BYTES)

    def allowed(self, url: str) -> bool:
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            try:
                _, body = self.get(origin + "/robots.txt")
                self._robots[origin] = Protego.parse(body.decode("utf-8", "replace"))
            except (urllib.error.URLError, OSError, ValueError):
                self._robots[origin] = None  # no robots.txt: everything is allowed
        rules = self._robots[origin]
        return rules is None or rules.can_fetch(url, self.user_agent)


def _newest(raw_dates: list[str], tz: str) -> str | None:
    now = datetime.now(UTC)
    parsed = [parse_published(raw, tz, now).iso for raw in raw_dates if raw]
    parsed = [p for p in parsed if p]
    return max(parsed) if parsed else None


def _read_feed(body: bytes, outlet: Outlet) -> tuple[int, str | None]:
    feed = feedparser.parse(body)
    if not feed.entries:
        raise ValueError(f"not a feed ({feed.get('bozo_exception') or 'no entries'})")
    dates = [e.get("published") or e.get("updated") for e in feed.entries]
    return len(feed.entries), _newest(dates, outlet.timezone)


def _read_sitemap(body: bytes, outlet: Outlet) -> tuple[int, str | None]:
    root = etree.fromstring(body, etree.XMLParser(recover=True, resolve_entities=False, no_network=True))
    if root is None or etree.QName(root).localname not in ("urlset", "sitemapindex"):
        raise ValueError("not a sitemap")
    dates = root.xpath("//*[local-name()='lastmod' or local-name()='publication_date']/text()")
    return len(root), _newest(dates, outlet.timezone)


def _read_listing(body: bytes, outlet: Outlet, links: str, dates: str | None) -> tuple[int, str | None]:
    tree = lxml.html.document_fromstring(body)
    found = tree.xpath(compile_selector(links))
    return len(found), _newest(tree.xpath(compile_selector(dates)) if dates else [], outlet.timezone)


def _targets(outlet: Outlet):
    for url in outlet.feeds:
        yield "feed", url, lambda body, o=outlet: _read_feed(body, o)
    for url in outlet.sitemaps:
        yield "sitemap", url, lambda body, o=outlet: _read_sitemap(body, o)
    for listing in outlet.listings:
        url = listing.url.replace("{page}", str(listing.first_page)).replace(
            "{date}", datetime.now(UTC).strftime(listing.date_format)
        )
        yield "listing", url, lambda body, o=outlet, page=listing: _read_listing(body, o, page.links, page.dates)


def _probe_one(fetcher: _Fetcher, outlet: Outlet, kind: str, url: str, read) -> ProbeResult:
    result = ProbeResult(outlet.name, kind, url)
    try:
        if not fetcher.allowed(url):
            result.error = "disallowed by robots.txt"
            return result
        result.status, body = fetcher.get(url)
        result.items, result.newest = read(body)
    except urllib.error.HTTPError as exc:
        result.status, result.error = exc.code, f"HTTP {exc.code}"
    except (urllib.error.URLError, OSError) as exc:
        result.error = str(getattr(exc, "reason", exc))
    except (ValueError, etree.ParserError) as exc:
        result.error = str(exc)
    return result


def probe_outlets(outlets: list[Outlet], user_agent: str, timeout: float = 20, workers: int = 8) -> list[ProbeResult]:
    fetcher = _Fetcher(user_agent, timeout)
    jobs = [(outlet, *target) for outlet in outlets for target in _targets(outlet)]
    with ThreadPoolExecutor(max_workers=workers) as pool:
        return list(pool.map(lambda job: _probe_one(fetcher, *job), jobs))
