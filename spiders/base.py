"""Generic spiders. An outlet is a declaration: its entry in the sources file fills ``outlet``.

``FeedSpider`` reads RSS 2.0, RSS 1.0 and Atom; ``SitemapSpider`` reads sitemap indexes,
sitemaps and Google news sitemaps; ``ListingSpider`` pages through tag, section and archive
pages. All hand each article URL to ``ArticleSpider.parse_article`` with what the source said
of it. Spiders yield raw values only; the pipelines parse dates, detect languages, dedupe and
write. With a date window (``--since/--until``) they skip what the source itself dates outside
it, so a backfill downloads little beyond the window's articles.

An outlet that needs more (a different link, a page quirk) is a small subclass in this package
with ``name`` set to the outlet's name, overriding a hook: ``article_requests`` or
``page_values``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, date, datetime
from functools import cached_property
from typing import Any
from xml.sax import SAXException

import feedparser
import scrapy
from lxml import etree
from scrapy.spidermiddlewares.httperror import HttpError

from media_monitor.config.sources import Listing, Outlet
from media_monitor.crawling.bounds import PREFIX, Bounds
from media_monitor.crawling.failures import BodyTooLarge, counted_failure, failure_reason
from media_monitor.crawling.feedhead import feed_head
from media_monitor.crawling.requestmeta import (
    ARCHIVE_URL,
    ARTICLE,
    CAPTURED_AT,
    FETCHED_AT,
    FETCHED_FROM,
    LIVE,
    SOURCE,
    WARC_RECORD,
)
from media_monitor.crawling.xmlstream import XmlEntries, local_name
from media_monitor.extraction.encoding import read_text
from media_monitor.extraction.oversize import MAX_PAGE_CHARS, bounded_html
from media_monitor.extraction.page import extract_page
from media_monitor.extraction.selectors import compile_selector
from media_monitor.items import ArticleItem
from media_monitor.spiders.archive import ArchiveDiscovery
from media_monitor.story.window import DateWindow, days_in


class ArticleSpider(scrapy.Spider):
    """Turns an article page into an ``ArticleItem``; counts what could not be fetched."""

    outlet: Outlet

    def outlet_for(self, item) -> Outlet:
        """The outlet an item belongs to (a discovery spider serves many)."""
        return self.outlet

    def run_tallies(self, stats: dict) -> Iterable[tuple[str, dict, int]]:
        """(outlet, its ``monitor/…`` counters, its number of sources) for each outlet whose
        part of the crawl run this spider did: its own."""
        yield (
            self.name,
            {k.removeprefix("monitor/"): v for k, v in stats.items() if k.startswith("monitor/")},
            self.source_count,
        )

    @property
    def source_count(self) -> int:
        """How many feeds, sitemaps and listings the spider starts from."""
        return len(self.outlet.source_urls)

    @cached_property
    def window(self) -> DateWindow:
        return DateWindow.from_bounds(self.settings.get("MONITOR_SINCE"), self.settings.get("MONITOR_UNTIL"))

    @cached_property
    def started_at(self) -> datetime:
        return datetime.now(UTC)

    @cached_property
    def bounds(self) -> Bounds:
        return Bounds.from_settings(self.settings)

    def bound_hit(self, bound: str, what: str, held_back: int = 1) -> None:
        """Count what a bound held back; log it the first time the bound is hit in the run."""
        if not self.crawler.stats.get_value(f"monitor/{PREFIX}{bound}"):
            self.logger.warning("%s: bound reached, %s", self.name, what)
        self.count(PREFIX + bound, held_back)

    def outside_window(self, raw_date: str | None, lastmod: str | None = None) -> bool:
        """Does the source date this entry outside the window? Unknown dates are not outside."""
        tz = self.outlet.timezone
        return self.window.excludes_raw(raw_date, tz, self.started_at) or self.window.modified_before(
            lastmod, tz, self.started_at
        )

    def article_requests(self, url: str, hints: dict[str, Any]) -> Iterable[scrapy.Request]:
        """Hook: the requests for one linked article (override to rewrite or filter links)."""
        self.count("links_listed")
        yield scrapy.Request(
            url,
            callback=self.parse_article,
            errback=self.article_failed,
            cb_kwargs={"hints": hints},
            meta={ARTICLE: True, "dont_cache": True},
        )

    def source_request(self, url: str, callback, **meta) -> scrapy.Request:
        return scrapy.Request(url, callback=callback, errback=self.source_failed, meta={SOURCE: True, **meta})

    def parse_article(self, response: scrapy.http.Response, hints: dict[str, Any]):
        if not isinstance(response, scrapy.http.TextResponse):
            self.count("articles_not_html")
            self.logger.warning("Not an HTML page, skipped: %s", response.url)
            return
        self.count("articles_fetched")
        # The time its WARC record is dated, so that the row and the record agree.
        fetched_at = response.meta.get(FETCHED_AT) or datetime.now(UTC).isoformat(timespec="seconds")
        item = ArticleItem(
            outlet=hints.get("outlet") or self.outlet.name,
            url=response.url,
            met_urls=[*response.meta.get("redirect_urls", []), response.url],
            fetched_at=fetched_at,
            feed_title=hints.get("title"),
            feed_published=hints.get("published"),
            feed_guid=hints.get("guid"),
            **provenance(response.meta, fetched_at),
        )
        started = time.process_time()
        item.update(self.page_values(response, self.outlet_for(item)))
        self.crawler.stats.inc_value("monitor/cpu/extraction", time.process_time() - started)
        yield item

    def page_values(self, response: scrapy.http.TextResponse, outlet: Outlet) -> dict[str, Any]:
        """Hook: the page's raw values, read with the outlet's ``[outlet.selectors]``. Override
        for what a selector cannot say."""
        text, wrong_charset = read_text(response)
        if wrong_charset:
            self.count("charset_mislabels")
        text, cut = bounded_html(text, self.max_page_chars)
        if cut:
            self.count("pages_cut")
            self.logger.warning("A page over %d characters, read up to there: %s", self.max_page_chars, response.url)
        return extract_page(text, response.url, dict(outlet.selectors))

    @cached_property
    def max_page_chars(self) -> int:
        return self.settings.getint("MONITOR_MAX_PAGE_CHARS", MAX_PAGE_CHARS)

    def article_failed(self, failure) -> None:
        self._failed(failure, "articles_failed", "Article")

    def source_failed(self, failure) -> None:
        self._failed(failure, "sources_failed", "Source")

    def _failed(self, failure, counter: str, what: str) -> None:
        if not counted_failure(failure):
            return  # robots.txt or an already known URL: a skip, counted elsewhere
        self.count(counter)
        request = failure.request
        first = (request.meta.get("redirect_urls") or [request.url])[0]  # the URL the source gave
        via = f", redirected to {request.url}" if first != request.url else ""
        reason = failure_reason(failure)
        self.logger.error("%s not fetched: %s (%s%s)", what, first, reason, via)
        if reason.startswith("over the size limit"):  # as downloaded, or once decompressed
            self.count(PREFIX + "body_size")

    def count(self, key: str, by: int = 1) -> None:
        self.crawler.stats.inc_value(f"monitor/{key}", by)


def provenance(meta: dict, fetched_at: str) -> dict[str, Any]:
    """Where a page's bytes came from and the WARC record keeping them, from its response's
    meta: an archive fetcher sets the first three on its request, ``KeepWarc`` the record."""
    return {
        "fetched_from": meta.get(FETCHED_FROM) or LIVE,
        "archive_url": meta.get(ARCHIVE_URL),
        "captured_at": meta.get(CAPTURED_AT) or fetched_at,  # a live fetch is its own capture
        **meta.get(WARC_RECORD, {}),
    }


class FeedSpider(ArticleSpider):
    """RSS 2.0, RSS 1.0 (RDF) and Atom feeds, read by feedparser."""

    def feed_requests(self) -> Iterable[scrapy.Request]:
        for url in self.outlet.feeds:
            yield self.source_request(url, self.parse_feed)

    def parse_feed(self, response: scrapy.http.Response):
        # Only the bounded head is parsed: feedparser reads a document whole.
        body, beyond = feed_head(response.body, self.bounds.feed_entries)
        feed = feedparser.parse(body, response_headers={"content-location": response.url})
        malformed = isinstance(feed.get("bozo_exception"), SAXException)
        if not any(entry.get("link") for entry in feed.entries):
            self.count("sources_failed")
            self.logger.error("Not a usable feed: %s (%s)", response.url, _feed_problem(response, feed, malformed))
            return
        if malformed:
            self.count("feeds_malformed")
            self.logger.warning(
                "Malformed feed, %d entries read anyway: %s (%s)", len(feed.entries), response.url, feed.bozo_exception
            )
        self.count("feed_entries", len(feed.entries) + beyond)
        entries = feed.entries[: self.bounds.feed_entries]
        held_back = len(feed.entries) - len(entries) + beyond
        if held_back:
            self.bound_hit(
                "feed_entries",
                f"{held_back} entries of {response.url} not read (MONITOR_MAX_FEED_ENTRIES = {len(entries)} a feed)",
                held_back,
            )
        for entry in entries:
            link = entry.get("link")
            published = entry.get("published") or entry.get("updated")
            if not link:
                self.count("feed_entries_without_link")
            elif self.outside_window(published):
                self.count("entries_outside_window")
            else:
                hints = {"title": entry.get("title"), "published": published, "guid": entry.get("id")}
                yield from self.article_requests(response.urljoin(link), hints)


def _feed_problem(response: scrapy.http.Response, feed, malformed: bool) -> str:
    """Why a feed gave no linked entry: HTML served in its place, broken XML, or emptiness."""
    content_type = response.headers.get(b"Content-Type", b"").decode("latin-1").lower()
    start = response.body[:512].lstrip().lower()
    if "html" in content_type or start.startswith((b"<!doctype html", b"<html")):
        return f"an HTML page was served where a feed was expected (Content-Type: {content_type or 'none'})"
    if malformed:
        return f"malformed XML: {feed.bozo_exception}"
    if feed.entries:
        return f"{len(feed.entries)} entries, none with a link"
    return str(feed.get("bozo_exception") or "no entries")


SITEMAP_DEPTH = "sitemap_depth"  # request meta: how many indexes led to this sitemap


def _child_text(element: etree._Element, *path: str) -> str | None:
    """Text of the first descendant following ``path`` by local names, namespace-blind."""
    current = [element]
    for name in path:
        current = [c for node in current for c in node if local_name(c.tag) == name]
    for node in current:
        if node.text and node.text.strip():
            return node.text.strip()
    return None


class SitemapSpider(ArticleSpider):
    """Sitemap indexes, sitemaps and Google news sitemaps (``<news:news>``)."""

    def sitemap_requests(self) -> Iterable[scrapy.Request]:
        for url in self.outlet.sitemaps:
            yield self.source_request(url, self.parse_sitemap)

    def parse_sitemap(self, response: scrapy.http.Response):
        entries = XmlEntries(response.body, self.bounds.body_size)
        try:
            yield from self._sitemap_requests(response, entries)
        except BodyTooLarge as exc:
            self.count("sources_failed")
            self.count(PREFIX + "body_size")
            self.logger.error("Source not fetched: %s (%s)", response.url, exc)
            return
        if entries.root not in ("sitemapindex", "urlset"):
            self.count("sources_failed")
            self.logger.error("Not a sitemap: %s", response.url)

    def _sitemap_requests(self, response: scrapy.http.Response, entries: XmlEntries):
        depth = response.meta.get(SITEMAP_DEPTH, 0)
        read = 0
        for entry in entries:
            if entries.root not in ("sitemapindex", "urlset"):
                return
            loc = _child_text(entry, "loc")
            if not loc:
                continue
            read += 1
            if read > self.bounds.sitemap_entries:
                self.bound_hit(
                    "sitemap_entries",
                    f"entries of {response.url} past the first {self.bounds.sitemap_entries} not read "
                    "(MONITOR_MAX_SITEMAP_ENTRIES)",
                )
                continue
            url, lastmod = response.urljoin(loc), _child_text(entry, "lastmod")
            if entries.root == "sitemapindex":
                yield from self._listed_sitemap(response.url, url, lastmod, depth)
                continue
            published = _child_text(entry, "news", "publication_date")
            if self.outside_window(published, lastmod):
                self.count("entries_outside_window")
                continue
            self.count("sitemap_entries")
            hints = {"title": _child_text(entry, "news", "title"), "published": published, "guid": None}
            yield from self.article_requests(url, hints)

    def _listed_sitemap(self, index: str, url: str, lastmod: str | None, depth: int) -> Iterable[scrapy.Request]:
        """The request for a sitemap an index lists, unless the window or a bound excludes it."""
        if self.window.excludes_partition(url, self.outlet.timezone) or self.outside_window(None, lastmod):
            self.count("sitemaps_outside_window")
        elif depth >= self.bounds.sitemap_depth:
            self.bound_hit(
                "sitemap_depth",
                f"{index} is an index {depth} indexes deep: the sitemaps it lists are not followed "
                f"(MONITOR_MAX_SITEMAP_DEPTH = {self.bounds.sitemap_depth})",
            )
        elif self.crawler.stats.get_value("monitor/sitemaps_followed", 0) >= self.bounds.sitemaps:
            self.bound_hit(
                "sitemaps",
                f"{self.bounds.sitemaps} sitemaps followed in this run; no more are (MONITOR_MAX_SITEMAPS)",
            )
        else:
            self.count("sitemaps_followed")
            yield self.source_request(url, self.parse_sitemap, **{SITEMAP_DEPTH: depth + 1})


class ListingSpider(ArticleSpider):
    """Tag, section, archive and search pages: ``{page}`` pages through, ``{date}`` walks the
    window's days. Paging stops at an empty page, at ``max_pages``, or once a page's dates
    are all before the window."""

    def listing_requests(self) -> Iterable[scrapy.Request]:
        for number, listing in enumerate(self.outlet.listings):
            if "{date}" in listing.url:
                today = datetime.now(UTC).date()
                for day in days_in(self.window, today):
                    yield self._listing_page(listing, number, day=day)
            else:
                yield self._listing_page(listing, number, page=listing.first_page)

    def _listing_page(
        self, listing: Listing, number: int, page: int | None = None, day: date | None = None
    ) -> scrapy.Request:
        url = (
            listing.url.replace("{page}", str(page))
            if page is not None
            else listing.url.replace("{date}", day.strftime(listing.date_format))
        )
        request = self.source_request(url, self.parse_listing, listing=number, page=page)
        if page is not None and page > listing.first_page:
            request.errback = self.listing_ended  # running past the last page is no failure
        return request

    def parse_listing(self, response: scrapy.http.Response):
        listing = self.outlet.listings[response.meta["listing"]]
        links = response.xpath(compile_selector(listing.links))
        hrefs = [link.attrib.get("href") or link.get() for link in links]
        dates = response.xpath(compile_selector(listing.dates)).getall() if listing.dates else []
        self.count("listing_pages")
        if not hrefs:
            return
        if len(hrefs) > self.bounds.feed_entries:
            self.bound_hit(
                "feed_entries",
                f"{len(hrefs) - self.bounds.feed_entries} links of {response.url} not read "
                f"(MONITOR_MAX_FEED_ENTRIES = {self.bounds.feed_entries} a page)",
                len(hrefs) - self.bounds.feed_entries,
            )
        for index, href in enumerate(hrefs[: self.bounds.feed_entries]):
            published = dates[index] if len(dates) == len(hrefs) else None
            if self.outside_window(published):
                self.count("entries_outside_window")
                continue
            hints = {"title": None, "published": published, "guid": None}
            yield from self.article_requests(response.urljoin(href), hints)
        page = response.meta["page"]
        if page is None or page - listing.first_page + 1 >= listing.max_pages:
            return
        if dates and all(self.window.before_start(d, self.outlet.timezone, self.started_at) for d in dates):
            return  # newest first: the next pages are older still
        if self.crawler.stats.get_value("monitor/listing_pages_followed", 0) >= self.bounds.listing_pages:
            self.bound_hit(
                "listing_pages",
                f"{self.bounds.listing_pages} listing pages followed in this run; no more are "
                "(MONITOR_MAX_LISTING_PAGES)",
            )
            return
        self.count("listing_pages_followed")
        yield self._listing_page(listing, response.meta["listing"], page=page + 1)

    def listing_ended(self, failure) -> None:
        if failure.check(HttpError) and failure.value.response.status == 404:
            self.logger.info("Listing ends before %s", failure.request.url)
            return
        self.source_failed(failure)


class OutletSpider(ArchiveDiscovery, FeedSpider, SitemapSpider, ListingSpider):
    """One outlet: every feed, sitemap and listing in its sources entry; with a window, their
    captures and the outlet's captured pages in the Wayback Machine too (spiders/archive.py)."""

    @classmethod
    def for_outlet(cls, outlet: Outlet) -> type[OutletSpider]:
        return type(
            f"{outlet.name}_spider",
            (cls,),
            {"name": outlet.name, "outlet": outlet, "allowed_domains": outlet.domains},
        )

    async def start(self):
        for request in (*self.feed_requests(), *self.sitemap_requests(), *self.listing_requests()):
            yield request
        for request in self.archive_requests():
            yield request
