"""Generic spiders. An outlet is a declaration: its entry in the sources file fills ``outlet``.

``FeedSpider`` reads RSS 2.0, RSS 1.0 and Atom; ``SitemapSpider`` reads sitemap indexes,
sitemaps and Google news sitemaps. Both hand each article URL to ``ArticleSpider.parse_article``
with what the feed or sitemap said of it. Spiders yield raw values only; the pipelines parse
dates, detect languages, dedupe and write.

An outlet that needs more (a different link, a page quirk) is a small subclass in this package
with ``name`` set to the outlet's name, overriding a hook: ``article_requests`` or
``page_values``.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable

import feedparser
import scrapy
from lxml import etree
from scrapy.exceptions import IgnoreRequest
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.gz import gunzip

from scraper.extract import extract_page
from scraper.items import ArticleItem
from scraper.sources import Outlet


class ArticleSpider(scrapy.Spider):
    """Turns an article page into an ``ArticleItem``; counts what could not be fetched."""

    outlet: Outlet

    def article_requests(self, url: str, hints: dict[str, Any]) -> Iterable[scrapy.Request]:
        """Hook: the requests for one linked article (override to rewrite or filter links)."""
        yield scrapy.Request(
            url, callback=self.parse_article, errback=self.article_failed, cb_kwargs={"hints": hints}
        )

    def parse_article(self, response: scrapy.http.Response, hints: dict[str, Any]):
        if not isinstance(response, scrapy.http.TextResponse):
            self.count("articles_not_html")
            self.logger.warning("Not an HTML page, skipped: %s", response.url)
            return
        self.count("articles_fetched")
        page = self.page_values(response)
        item = ArticleItem(
            outlet=self.outlet.name,
            url=response.url,
            fetched_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
            feed_title=hints.get("title"),
            feed_published=hints.get("published"),
            feed_guid=hints.get("guid"),
            **page,
        )
        yield item

    def page_values(self, response: scrapy.http.TextResponse) -> dict[str, Any]:
        """Hook: the page's raw values. Override to add an outlet's own selectors."""
        return extract_page(response.text, response.url)

    def article_failed(self, failure) -> None:
        self._failed(failure, "articles_failed", "Article")

    def source_failed(self, failure) -> None:
        self._failed(failure, "sources_failed", "Source")

    def _failed(self, failure, counter: str, what: str) -> None:
        if failure.check(IgnoreRequest) and not failure.check(HttpError):
            return  # refused by robots.txt or the offsite filter: Scrapy's own stats count it
        self.count(counter)
        self.logger.error("%s not fetched: %s (%s)", what, failure.request.url, failure.getErrorMessage())

    def count(self, key: str, by: int = 1) -> None:
        self.crawler.stats.inc_value(f"monitor/{key}", by)


class FeedSpider(ArticleSpider):
    """RSS 2.0, RSS 1.0 (RDF) and Atom feeds, read by feedparser."""

    def feed_requests(self) -> Iterable[scrapy.Request]:
        for url in self.outlet.feeds:
            yield scrapy.Request(url, callback=self.parse_feed, errback=self.source_failed)

    def parse_feed(self, response: scrapy.http.Response):
        feed = feedparser.parse(response.body, response_headers={"content-location": response.url})
        if not feed.entries:
            problem = feed.get("bozo_exception") or "no entries"
            self.count("sources_failed")
            self.logger.error("Not a usable feed: %s (%s)", response.url, problem)
            return
        self.count("feed_entries", len(feed.entries))
        for entry in feed.entries:
            link = entry.get("link")
            if not link:
                self.count("feed_entries_without_link")
                continue
            hints = {
                "title": entry.get("title"),
                "published": entry.get("published") or entry.get("updated"),
                "guid": entry.get("id"),
            }
            yield from self.article_requests(response.urljoin(link), hints)

def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _child_text(element: etree._Element, *path: str) -> str | None:
    """Text of the first descendant following ``path`` by local names, namespace-blind."""
    current = [element]
    for name in path:
        current = [c for node in current for c in node if _local(c.tag) == name]
    for node in current:
        if node.text and node.text.strip():
            return node.text.strip()
    return None


class SitemapSpider(ArticleSpider):
    """Sitemap indexes, sitemaps and Google news sitemaps (``<news:news>``)."""

    def sitemap_requests(self) -> Iterable[scrapy.Request]:
        for url in self.outlet.sitemaps:
            yield scrapy.Request(url, callback=self.parse_sitemap, errback=self.source_failed)

    def parse_sitemap(self, response: scrapy.http.Response):
        body = response.body
        if body[:2] == b"\x1f\x8b":
            body = gunzip(body)
        parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False)
        root = etree.fromstring(body, parser) if body.strip() else None
        kind = _local(root.tag) if root is not None else ""
        if kind not in ("sitemapindex", "urlset"):
            self.count("sources_failed")
            self.logger.error("Not a sitemap: %s", response.url)
            return
        for entry in root:
            loc = _child_text(entry, "loc")
            if not loc:
                continue
            if kind == "sitemapindex":
                self.count("sitemaps_followed")
                yield scrapy.Request(
                    response.urljoin(loc), callback=self.parse_sitemap, errback=self.source_failed
                )
                continue
            self.count("sitemap_entries")
            hints = {
                "title": _child_text(entry, "news", "title"),
                "published": _child_text(entry, "news", "publication_date"),
                "guid": None,
            }
            yield from self.article_requests(response.urljoin(loc), hints)


class OutletSpider(FeedSpider, SitemapSpider):
    """One outlet: every feed and sitemap in its sources entry."""

    @classmethod
    def for_outlet(cls, outlet: Outlet) -> type[OutletSpider]:
        return type(
            f"{outlet.name}_spider",
            (cls,),
            {"name": outlet.name, "outlet": outlet, "allowed_domains": outlet.domains},
        )

    async def start(self):
        for request in (*self.feed_requests(), *self.sitemap_requests()):
            yield request
