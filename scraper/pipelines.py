"""Item pipelines, in order: normalise -> window -> topic -> text signature -> dedupe -> store
(ITEM_PIPELINES).

Each stage counts what it drops or changes in the crawler's stats under ``monitor/`` and
names the outcome on the item it drops (``UrlMemory`` remembers it); the store stage turns the
counts into the run's record when the spider closes.
"""

from __future__ import annotations

import functools
import time
from datetime import datetime, timedelta

from scrapy.exceptions import DropItem, NotConfigured

from scraper import settings as defaults  # a crawler built without the project settings
from scraper.dedupe import signature
from scraper.normalise.article import normalise_article
from scraper.normalise.dates import url_candidate
from scraper.normalise.language import load_language_profiles
from scraper.normalise.urls import url_key
from scraper.store import ArticleStore
from scraper.topic import load_topic
from scraper.window import DateWindow


def timed(stage: str):
    """Adds the CPU time of a stage's ``process_item`` to the ``monitor/cpu/<stage>`` stat, so
    that a crawl says where its CPU went (bench/crawl.py reads it)."""
    def decorate(process_item):
        @functools.wraps(process_item)
        def timed_process_item(self, item):
            started = time.process_time()
            try:
                return process_item(self, item)
            finally:
                self.stats.inc_value(f"monitor/cpu/{stage}", time.process_time() - started)
        return timed_process_item
    return decorate


class _StatsMixin:
    def count(self, key: str, by: int = 1) -> None:
        self.stats.inc_value(f"monitor/{key}", by)

    def drop(self, item, outcome: str, message: str, log_level: str = "INFO"):
        item["outcome"] = outcome
        self.count(outcome)
        raise DropItem(message, log_level=log_level)


class NormalisePipeline(_StatsMixin):
    """Canonical URL, UTC publication time, clean title and text, language, comparison keys."""

    def __init__(self, crawler):
        self.crawler, self.stats = crawler, crawler.stats
        self.min_words = crawler.settings.getint("MONITOR_MIN_WORDS", defaults.MONITOR_MIN_WORDS)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def open_spider(self):
        load_language_profiles()  # ~0.5 s: before the first article, and before the heap is frozen

    @timed("normalisation")
    def process_item(self, item):
        spider = self.crawler.spider
        outlet = spider.outlet_for(item)
        record, published = normalise_article(item, outlet.timezone, outlet.language)
        if record["word_count"] < self.min_words:
            # An extractor handed a page without an article returns its cookie notice or
            # nothing at all; neither is an article.
            self.drop(item, "empty_pages", f"No article text ({record['word_count']} words) on {item['url']}", "WARNING")
        item.update(record)
        if published.status != "ok":
            self.count(f"dates_{published.status}")
            if published.status in ("rejected", "unparsed"):
                spider.logger.warning("Date %r %s on %s", published.raw, published.status, item["url"])
        elif published.passed_over == "rejected":
            self.count("dates_rejected")  # the page's own date was absurd; a later signal dated it
        if published.raw and published.raw.startswith(url_candidate("")):
            self.count("dates_from_url")
        return item


class WindowPipeline(_StatsMixin):
    """With ``--since/--until``: drops what was published outside the window, or undated."""

    def __init__(self, stats, window: DateWindow):
        self.stats, self.window = stats, window

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(crawler.stats, DateWindow.from_bounds(settings.get("MONITOR_SINCE"), settings.get("MONITOR_UNTIL")))

    @timed("window")
    def process_item(self, item):
        if self.window.is_open:
            return item
        if not item.get("published_at"):
            self.drop(item, "outside_window", f"Undated, so not placed in the window: {item['url']}")
        published = datetime.fromisoformat(item["published_at"].replace("Z", "+00:00"))
        if not self.window.contains(published):
            self.drop(item, "outside_window", f"Published {item['published_at']}, outside the window: {item['url']}")
        return item


class TopicPipeline(_StatsMixin):
    """Scores relevance; drops (and counts) what is off the story unless the filter is off."""

    def __init__(self, stats, topic, enabled: bool):
        self.stats, self.topic, self.enabled = stats, topic, enabled

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(crawler.stats, load_topic(settings.get("MONITOR_TOPIC")),
                   settings.getbool("MONITOR_TOPIC_FILTER", True))

    @timed("topic")
    def process_item(self, item):
        match = self.topic.match(item.get("title") or "", item.get("description") or "", item["text"])
        item["relevance"] = match.relevance
        item["matched_terms"] = match.matched_terms
        if not match.on_topic and self.enabled:
            self.drop(item, "off_topic", f"Off topic ({match.relevance}): {item['url']}")
        return item


class TextSignaturePipeline:
    """The MinHash signature of the text, which the dedupe stage compares with the stored ones.
    It needs no state, so it is computed where the page was fetched: in a worker when the crawl
    is scaled out, sparing the one writer (README, "Scaling out")."""

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    @timed("dedupe")
    def process_item(self, item):
        item["text_signature"] = signature(item["text"])
        return item


class _StoreUser(_StatsMixin):
    def __init__(self, crawler):
        self.crawler = crawler
        self.stats = crawler.stats
        self.settings = crawler.settings
        self.store: ArticleStore | None = None

    @classmethod
    def from_crawler(cls, crawler):
        if not crawler.settings.get("MONITOR_DB"):
            raise NotConfigured("MONITOR_DB is not set")
        return cls(crawler)

    def open_spider(self):
        self.store = ArticleStore.acquire(
            self.settings.get("MONITOR_DB"), self.settings.getint("MONITOR_BATCH_SIZE", defaults.MONITOR_BATCH_SIZE)
        )

    def close_spider(self):
        self.store.release()


class DedupePipeline(_StoreUser):
    """Decides whether an article is new, changed, unchanged or a copy, and its cluster.

    - same URL key as a stored row (any spelling of its URL): unchanged, or updated when its
      text changed (a second URL of it met in the same run counts as a duplicate);
    - same normalised text as a stored row under another URL: a copy (``content_hash``);
    - same outlet and normalised title within the window (Media Cloud's rule): a copy
      (``title_window``);
    - otherwise a new article; if its text largely contains, or is contained in, a stored
      one (a syndicated wire story), it joins that article's cluster (``near_text``).
    A copy keeps a row with ``duplicate_of``; the earliest published of a pair is the original.
    """

    def open_spider(self):
        super().open_spider()
        self.window = timedelta(days=self.settings.getint("MONITOR_TITLE_WINDOW_DAYS", defaults.MONITOR_TITLE_WINDOW_DAYS))
        self.near = self.store.near_duplicates(
            self.settings.getfloat("MONITOR_NEAR_LSH_THRESHOLD", defaults.MONITOR_NEAR_LSH_THRESHOLD),
            self.settings.getfloat("MONITOR_NEAR_CONTAINMENT", defaults.MONITOR_NEAR_CONTAINMENT))
        self.seen_this_run: set[str] = set()

    @timed("dedupe")
    def process_item(self, item):
        item["url_key"] = url_key(item["canonical_url"])
        existing = self.store.by_url_key(item["url_key"])
        if item["url_key"] in self.seen_this_run:
            item["article_id"] = existing["id"] if existing else None
            self.drop(item, "duplicates", f"Another URL of {item['canonical_url']}: {item['url']}")
        self.seen_this_run.add(item["url_key"])
        if "text_signature" not in item:
            # Not through TextSignaturePipeline: queued by a worker older than 0.6.1, or a text
            # too short to have a signature (its JSON leaves the None out).
            item["text_signature"] = signature(item["text"])
        if existing:
            changed = existing["content_hash"] != item["content_hash"]
            item["dedupe_status"] = "updated" if changed else "unchanged"
            item["article_id"], item["duplicate_of"] = existing["id"], None
            return item

        original, method = self.store.original_with_hash(item["content_hash"]), "content_hash"
        if not original and item.get("title_key"):
            around = item.get("published_at") or item["fetched_at"]
            original = self.store.original_with_title(item["outlet"], item["title_key"], around, self.window)
            method = "title_window"
        if original:
            item["cluster_id"] = original["cluster_id"]
            item["match"] = (original["id"], method, 1.0 if method == "content_hash" else None)
            if _published_earlier(item, original):
                # The copy met first is not the original: the earliest published one is.
                item["dedupe_status"], item["duplicate_of"] = "new", None
                item["replaces_original"] = original["id"]
            else:
                item["dedupe_status"], item["duplicate_of"] = "duplicate", original["id"]
            return item

        item["dedupe_status"], item["duplicate_of"] = "new", None
        near = self.near.best_match(item["text_signature"]) if item["text_signature"] else None
        if near:
            matched_id, score = near
            item["cluster_id"] = self.store.cluster_of(matched_id)
            item["match"] = (matched_id, "near_text", round(score, 3))
            self.count("near_duplicates")
        return item


def _published_earlier(item, stored: dict) -> bool:
    return bool(item.get("published_at") and stored.get("published_at")
                and item["published_at"] < stored["published_at"])


class StorePipeline(_StoreUser):
    """Writes items in batched transactions and records the outlet's part of the crawl run."""

    def open_spider(self):
        super().open_spider()
        spider = self.crawler.spider
        self.outlets_written: set[str] = set()
        self.run_id = self.settings.getint("MONITOR_CRAWL_RUN_ID") or None
        self.owns_run = self.run_id is None  # a bare `scrapy crawl` opens and closes its own
        if self.owns_run:
            self.run_id = self.store.start_run(
                [spider.name], self.settings.get("MONITOR_TOPIC") or "default",
                self.settings.getbool("MONITOR_TOPIC_FILTER", True),
            )

    @timed("store")
    def process_item(self, item):
        if item["outlet"] not in self.outlets_written:  # the sources file's, or one discovered
            self.store.upsert_outlets([self.crawler.spider.outlet_for(item).as_row()])
            self.outlets_written.add(item["outlet"])
        status = item["dedupe_status"]
        if status == "unchanged":
            self.store.touch_article(item["article_id"])
        elif status == "updated":
            self.store.update_article(item["article_id"], item, self.run_id)
        else:
            item["article_id"] = self.store.insert_article(item, self.run_id)
            if item.get("replaces_original"):
                self.store.make_original(item["article_id"], item["replaces_original"])
            if item.get("match"):
                self.store.record_duplicate(item["article_id"], *item["match"])
        self.count(stored_as(item))
        return item

    def close_spider(self):
        spider = self.crawler.spider
        poll = self.settings.getfloat("MONITOR_POLL_INTERVAL", defaults.MONITOR_POLL_INTERVAL)
        for outlet, tally, source_count in spider.run_tallies(self.stats.get_stats()):
            counts = run_counts(tally)
            status, error = run_status(tally, counts, source_count)
            self.store.record_outlet_run(self.run_id, outlet, counts, status, error)
            self.store.record_health(outlet, self.run_id, counts, status, error, poll)
        if self.owns_run:
            self.store.finish_run(self.run_id)
        super().close_spider()


def stored_as(item) -> str:
    """The counter an item that went through the store adds to: new, updated, unchanged or
    duplicates. An earlier copy displacing the stored original adds no distinct article: the
    pair was counted as new when its first member was stored."""
    copy = item["dedupe_status"] == "duplicate" or item.get("replaces_original")
    return "duplicates" if copy else item["dedupe_status"]


def run_counts(tally: dict) -> dict:
    """An outlet's row of ``crawl_run_outlets`` from its counters (``monitor/…`` stats)."""
    def get(key):
        return tally.get(key, 0)

    return {
        "fetched": get("articles_fetched"), "new": get("new"), "updated": get("updated"),
        "unchanged": get("unchanged"), "duplicates": get("duplicates"),
        "off_topic": get("off_topic"), "failed": get("articles_failed") + get("sources_failed") + get("empty_pages"),
        "dates_rejected": get("dates_rejected"), "skipped_known": get("skipped_known"),
        "outside_window": get("outside_window") + get("entries_outside_window"),
        "listed": get("links_listed") + get("entries_outside_window"),
    }


def run_status(tally: dict, counts: dict, source_count: int) -> tuple[str, str | None]:
    if source_count and tally.get("sources_failed", 0) >= source_count and not counts["fetched"]:
        return "failed", "no feed or sitemap could be read"
    return ("partial" if counts["failed"] else "ok"), None
