"""A database of many articles whose publication times tie, built through the real dedupe and
store stages (no crawl: 2,000 pages through Scrapy would take minutes and test nothing more).

Researchers' exports and Datasette's paging must hold every row exactly once; ties are where they
do not: minute-precision times shared by several outlets, and day-only dates (stored at 00:00).
Every tenth article copies an earlier one (a syndicated wire copy: a duplicate in its cluster),
so the clusters, copies and distinct-article counts are real too.
"""

from __future__ import annotations

import random
from pathlib import Path

from scrapy.utils.test import get_crawler

from media_monitor import compat
from media_monitor.config.sources import Outlet
from media_monitor.items import ArticleItem
from media_monitor.normalise.text import comparison_key, content_hash
from media_monitor.pipelines.dedupe import DedupePipeline
from media_monitor.pipelines.signature import TextSignaturePipeline
from media_monitor.pipelines.store import StorePipeline
from media_monitor.spiders.base import OutletSpider

TIED_OUTLETS = (
    ("wire_en", "en", "Wire"),
    ("daily_ru", "ru", "Daily"),
    ("news_hy", "hy", "News"),
    ("agency_az", "az", "Agency"),
)
TIES_PER_MINUTE = 7  # more than one page of 50 rows shares a minute in every day
STORY_WORDS = {
    "en": "Nagorno-Karabakh Russia's peacekeepers U.S. withdrawal Karabakh: convoy",
    "ru": "миротворцы Карабах вывод контингента Ханкенди",
    "hy": "խաղաղապահներ Ղարաբաղ դուրսբերում",
    "az": "SÜLHMƏRAMLI Qarabağ sülhməramlıların çıxarılması İŞĞAL",
}
VOCABULARY = [f"w{n}" for n in range(20_000)]


def _outlet(name: str, language: str, title: str) -> Outlet:
    return Outlet(
        name=name,
        title=f"{title} ({language})",
        homepage=f"https://{name}.example/",
        language=language,
        country="AZ",
        timezone="Asia/Baku",
        feeds=(f"https://{name}.example/feed",),
    )


def _text(n: int, language: str) -> str:
    """Article n's text: the story's words and five paragraphs of its own; every tenth article
    copies an earlier one of the same outlet group (the copy stage links them)."""
    rng = random.Random(n)
    if n and n % 10 == 0:
        n = rng.randrange(n)
        rng = random.Random(n)
    paragraphs = [" ".join(rng.choices(VOCABULARY, k=60)) for _ in range(5)]
    return "\n".join([STORY_WORDS[language], *paragraphs])


def published_at(n: int) -> str:
    """Article n's time: TIES_PER_MINUTE articles a minute from 17 April 2024, and every
    thirteenth a day-only date (midnight UTC), as pages that print only the day are stored."""
    day, minute = divmod(n // TIES_PER_MINUTE, 240)
    if n % 13 == 0:
        return f"2024-04-{17 + day % 14:02d}T00:00:00Z"
    return f"2024-04-{17 + day % 14:02d}T{8 + minute // 60:02d}:{minute % 60:02d}:00Z"


def build_tied_database(path: Path, count: int = 2026) -> Path:
    """``path`` holding ``count`` articles from four outlets with tied publication times."""
    outlets = [_outlet(*spec) for spec in TIED_OUTLETS]
    crawler = get_crawler(OutletSpider.for_outlet(outlets[0]), {"MONITOR_DB": str(path), "MONITOR_BATCH_SIZE": 500})
    crawler.spider = compat.create_spider(crawler)
    stateful = [DedupePipeline.from_crawler(crawler), StorePipeline.from_crawler(crawler)]
    stages = [TextSignaturePipeline.from_crawler(crawler), *stateful]
    for stage in stateful:
        stage.open_spider()
    stateful[1].store.upsert_outlets([outlet.as_row() for outlet in outlets])
    for n in range(count):
        outlet = outlets[n % len(outlets)]
        text = _text(n, outlet.language)
        title = f"{STORY_WORDS[outlet.language].split()[0]} report {n}"
        item = ArticleItem(
            outlet=outlet.name,
            url=f"https://{outlet.name}.example/news/{n}?utm_source=feed",
            canonical_url=f"https://{outlet.name}.example/news/{n}",
            fetched_at="2024-06-20T12:00:00+00:00",
            title=title,
            title_key=comparison_key(title),
            text=text,
            word_count=len(text.split()),
            content_hash=content_hash(text),
            met_urls=[f"https://{outlet.name}.example/news/{n}"],
            published_at=published_at(n),
            language=outlet.language,
        )
        for stage in stages:
            item = stage.process_item(item)
    for stage in reversed(stateful):
        stage.close_spider()
    return path
