"""The pipeline stages on a real Scrapy crawler and a real SQLite file, fed items in a chosen order
(a crawl's order is the scheduler's, so these cases need the stages driven directly)."""

from __future__ import annotations

import pytest
import sqlite_utils
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler

from media_monitor import compat
from media_monitor.config.sources import Outlet
from media_monitor.items import ArticleItem
from media_monitor.pipelines.dedupe import DedupePipeline
from media_monitor.pipelines.normalise import NormalisePipeline
from media_monitor.pipelines.signature import TextSignaturePipeline
from media_monitor.pipelines.store import StorePipeline
from media_monitor.pipelines.topic import TopicPipeline
from media_monitor.spiders.base import OutletSpider

OUTLET = Outlet(
    name="test_en",
    title="Test",
    homepage="https://news.example/",
    language="en",
    country="GE",
    timezone="Asia/Tbilisi",
    feeds=("https://news.example/feed",),
)
BODY = (
    "Russian peacekeepers began leaving the Karabakh region, officials said on Wednesday. "
    "The convoy of armoured vehicles left Khankendi in the morning and headed north. "
) * 3
OTHER_BODY = (
    "The last Russian peacekeepers have left Karabakh, the defence ministry said, closing "
    "a deployment that began in November 2020 with about two thousand troops. "
) * 3


def raw_item(url, text=BODY, title="Peacekeepers leave Karabakh", published="2024-04-17T14:05:00+04:00"):
    return ArticleItem(
        outlet="test_en",
        url=url,
        fetched_at="2024-06-20T12:00:00+00:00",
        title=title,
        published_candidates=[published] if published else [],
        authors=["A. Writer"],
        text=text,
    )


class Pipelines:
    """The four stages in settings order, on one crawler."""

    def __init__(self, db_path):
        crawler = get_crawler(OutletSpider.for_outlet(OUTLET), {"MONITOR_DB": str(db_path), "MONITOR_BATCH_SIZE": 2})
        crawler.spider = compat.create_spider(crawler)
        self.crawler = crawler
        self.stages = [
            cls.from_crawler(crawler)
            for cls in (NormalisePipeline, TopicPipeline, TextSignaturePipeline, DedupePipeline, StorePipeline)
        ]

    def __enter__(self):
        for stage in self.stages:
            if hasattr(stage, "open_spider"):
                stage.open_spider()
        return self

    def feed(self, item):
        try:
            for stage in self.stages:
                item = stage.process_item(item)
        except DropItem:
            return None
        return item

    def __exit__(self, *exc):
        for stage in reversed(self.stages):
            if hasattr(stage, "close_spider"):
                stage.close_spider()

    def stat(self, key):
        return self.crawler.stats.get_value(f"monitor/{key}", 0)


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "monitor.db"


def test_earliest_published_copy_becomes_the_original(db_path):
    with Pipelines(db_path) as run:
        run.feed(raw_item("https://news.example/later", published="2024-04-18T09:00:00+04:00"))
        run.feed(raw_item("https://news.example/third", published="2024-04-19T09:00:00+04:00"))
        run.feed(raw_item("https://news.example/earliest", published="2024-04-17T09:00:00+04:00"))
        assert (run.stat("new"), run.stat("duplicates")) == (1, 2)
    rows = {r["url"].rsplit("/", 1)[1]: r for r in sqlite_utils.Database(db_path)["articles"].rows}
    assert rows["earliest"]["duplicate_of"] is None
    assert rows["later"]["duplicate_of"] == rows["earliest"]["id"]
    assert rows["third"]["duplicate_of"] == rows["earliest"]["id"]


def test_changed_text_updates_the_row_and_keeps_the_old_version(db_path):
    with Pipelines(db_path) as run:
        run.feed(raw_item("https://news.example/story"))
    with Pipelines(db_path) as run:
        item = run.feed(raw_item("https://news.example/story?utm_source=x", text=OTHER_BODY))
        assert item["dedupe_status"] == "updated"
    db = sqlite_utils.Database(db_path)
    (article,) = db["articles"].rows
    assert article["text"] == OTHER_BODY.strip() and article["url"] == "https://news.example/story"
    (version,) = db["article_versions"].rows
    assert version["article_id"] == article["id"] and version["text"] == BODY.strip()


def test_same_title_of_the_same_outlet_within_seven_days_is_a_duplicate(db_path):
    with Pipelines(db_path) as run:
        first = run.feed(raw_item("https://news.example/a", published="2024-04-17T09:00:00Z"))
        within = run.feed(raw_item("https://news.example/b", text=OTHER_BODY, published="2024-04-20T09:00:00Z"))
        beyond = run.feed(
            raw_item("https://news.example/c", text=OTHER_BODY + " Later.", published="2024-05-20T09:00:00Z")
        )
    assert within["duplicate_of"] == first["article_id"]
    assert beyond["duplicate_of"] is None


def test_rows_committed_in_batches_are_all_there_after_close(db_path):
    with Pipelines(db_path) as run:
        for n in range(5):  # batch size 2: two full batches and a remainder
            run.feed(raw_item(f"https://news.example/{n}", text=f"Story {n}. " + BODY * (n + 1)))
    assert sqlite_utils.Database(db_path)["articles"].count == 5


def test_pages_without_article_text_are_counted_and_dropped(db_path):
    with Pipelines(db_path) as run:
        assert run.feed(raw_item("https://news.example/empty", text="We use cookies.")) is None
        assert run.stat("empty_pages") == 1
    assert sqlite_utils.Database(db_path)["articles"].count == 0


def test_feed_values_are_the_fallback(db_path):
    item = raw_item("https://news.example/feed-only", title=None, published=None)
    item.update(feed_title="From the feed", feed_published="Wed, 17 Apr 2024 10:05:00 GMT", feed_guid="g-1")
    with Pipelines(db_path) as run:
        stored = run.feed(item)
    assert (stored["title"], stored["published_at"], stored["feed_guid"]) == (
        "From the feed",
        "2024-04-17T10:05:00Z",
        "g-1",
    )
