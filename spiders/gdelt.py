"""GDELT DOC 2.0 API as a discovery source across all outlets.

For each of the topic's GDELT queries and each chunk of the date window, one ``ArtList``
request; every article it lists becomes an article request, attributed to the outlet of the
sources file whose homepage or domain it is on, or to a new outlet named after its domain and
marked ``discovered``. GDELT asks for at most one request every five seconds: its host gets
its own download slot with that delay (MONITOR_GDELT_DELAY).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from functools import cached_property
from urllib.parse import urlencode, urlsplit

import scrapy

from media_monitor.config.sources import Outlet, load_sources
from media_monitor.normalise.urls import site_of
from media_monitor.spiders.base import ArticleSpider
from media_monitor.story.topic import load_topic

# GDELT names languages in English; these are the ones a discovered outlet most likely uses.
GDELT_LANGUAGES = {
    "english": "en",
    "russian": "ru",
    "armenian": "hy",
    "azerbaijani": "az",
    "georgian": "ka",
    "turkish": "tr",
    "ukrainian": "uk",
    "french": "fr",
    "german": "de",
    "spanish": "es",
    "arabic": "ar",
    "persian": "fa",
    "italian": "it",
    "polish": "pl",
}


def _gdelt_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def _seen_iso(seendate: str) -> str | None:
    """'20240417T101500Z' -> '2024-04-17T10:15:00Z'."""
    match = re.fullmatch(r"(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z", seendate or "")
    return "{}-{}-{}T{}:{}:{}Z".format(*match.groups()) if match else None


def discovered_outlet(url: str, language: str | None) -> Outlet:
    parts = urlsplit(url)
    host = parts.hostname or "unknown"
    name = re.sub(r"[^a-z0-9]+", "_", site_of(url) or host).strip("_")
    return Outlet(
        name=name if name[:1].isalpha() else f"site_{name}",
        title=host,
        homepage=f"{parts.scheme}://{parts.netloc}/",
        language=GDELT_LANGUAGES.get((language or "").lower(), "en"),
        country="",
        timezone="UTC",
        discovered=True,
    )


class GdeltSpider(ArticleSpider):
    name = "gdelt"

    @classmethod
    def update_settings(cls, settings):
        super().update_settings(settings)
        host = urlsplit(settings.get("MONITOR_GDELT_URL")).hostname
        slots = dict(settings.getdict("DOWNLOAD_SLOTS"))
        slots[host] = {"concurrency": 1, "delay": settings.getfloat("MONITOR_GDELT_DELAY")}
        settings.set("DOWNLOAD_SLOTS", slots, priority="spider")

    def outlet_for(self, item) -> Outlet:
        if item["outlet"] not in self.outlets:
            # Scaled out, the worker that fetches an article may not be the one that parsed
            # the API answer attributing it to a discovered outlet: attribute it again.
            discovered = discovered_outlet(item["url"], None)
            self.outlets[item["outlet"]] = replace(discovered, name=item["outlet"])
        return self.outlets[item["outlet"]]

    @property
    def source_count(self) -> int:
        return len(self.topic.gdelt_queries) * len(self.chunks())

    def attribute(self, url: str, language: str | None) -> Outlet:
        """The outlet an article URL belongs to: the longest homepage prefix, then the site."""
        bare = url.split("://", 1)[-1]
        best = None
        for outlet in self.known:
            home = outlet.homepage.split("://", 1)[-1]
            if bare.startswith(home) and (best is None or len(home) > len(best.homepage.split("://", 1)[-1])):
                best = outlet
        if best is None:
            best = next((o for o in self.known if site_of(url) in {site_of("//" + d) for d in o.domains}), None)
        if best is None:
            best = discovered_outlet(url, language)
            self.outlets.setdefault(best.name, best)
            best = self.outlets[best.name]
        return best

    def chunks(self) -> list[tuple[datetime, datetime]]:
        """The window cut into pieces small enough that GDELT's 250-article cap is rarely hit;
        without a window, the last day."""
        now = self.started_at
        start = self.window.since or now - timedelta(days=1)
        end = min(self.window.until or now, now)
        step = timedelta(days=self.settings.getfloat("MONITOR_GDELT_CHUNK_DAYS"))
        pieces = []
        while start < end:
            pieces.append((start, min(start + step, end)))
            start += step
        return pieces

    # Read when first needed, not in start(): a scaled-out worker that did not seed the round
    # parses API answers (and attributes their articles) without having started anything.
    @cached_property
    def topic(self):
        return load_topic(self.settings.get("MONITOR_TOPIC"))

    @cached_property
    def known(self) -> list[Outlet]:
        return load_sources(self.settings.get("MONITOR_SOURCES"))

    @cached_property
    def outlets(self) -> dict[str, Outlet]:
        return {o.name: o for o in self.known}

    async def start(self):
        if not self.topic.gdelt_queries:
            self.logger.warning("The topic %s has no [gdelt] queries: nothing to discover", self.topic.name)
        for request in self.api_requests():
            yield request

    def api_requests(self) -> Iterable[scrapy.Request]:
        api = self.settings.get("MONITOR_GDELT_URL")
        maxrecords = self.settings.getint("MONITOR_GDELT_MAX_RECORDS")
        for query in self.topic.gdelt_queries:
            for start, end in self.chunks():
                params = {
                    "query": query,
                    "mode": "ArtList",
                    "format": "json",
                    "maxrecords": maxrecords,
                    "sort": "DateAsc",
                    "startdatetime": _gdelt_time(start),
                    "enddatetime": _gdelt_time(end),
                }
                yield self.source_request(f"{api}?{urlencode(params)}", self.parse_api, maxrecords=maxrecords)

    def parse_api(self, response):
        try:
            articles = json.loads(response.text or "{}").get("articles", [])
        except (ValueError, AttributeError):
            # GDELT answers a bad query with a plain-text explanation, status 200.
            self.count("sources_failed")
            self.logger.error("GDELT did not answer with JSON for %s: %s", response.url, response.text[:200])
            return
        self.count("gdelt_articles", len(articles))
        if len(articles) >= response.meta["maxrecords"]:
            self.logger.warning("GDELT returned its maximum for %s: use smaller MONITOR_GDELT_CHUNK_DAYS", response.url)
        for article in articles:
            url = article.get("url")
            if not url or urlsplit(url).scheme not in ("http", "https"):
                continue
            outlet = self.attribute(url, article.get("language"))
            hints = {
                "title": article.get("title"),
                "published": _seen_iso(article.get("seendate")),
                "guid": None,
                "outlet": outlet.name,
            }
            yield from self.article_requests(url, hints)
