"""The normalise stage: an item's raw values made into a row's, and pages without an article
dropped: too few words, unless a short page is an agency flash on the story."""

from __future__ import annotations

from media_monitor import settings as defaults  # a crawler built without the project settings
from media_monitor.normalise.article import normalise_article
from media_monitor.normalise.dates import url_candidate
from media_monitor.normalise.language import load_language_profiles
from media_monitor.pipelines.stage import CountingStage, timed
from media_monitor.story.topic import OFF_TOPIC, load_topic


class NormalisePipeline(CountingStage):
    """Canonical URL, UTC publication time, clean title and text, language, comparison keys."""

    def __init__(self, crawler):
        self.crawler, self.stats = crawler, crawler.stats
        settings = crawler.settings
        self.min_words = settings.getint("MONITOR_MIN_WORDS", defaults.MONITOR_MIN_WORDS)
        self.short_min_words = settings.getdict("MONITOR_MIN_WORDS_SHORT", defaults.MONITOR_MIN_WORDS_SHORT)
        self.topic = load_topic(settings.get("MONITOR_TOPIC"))

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
        if not self.has_article_text(record):
            # An extractor handed a page without an article returns its cookie notice or
            # nothing at all; neither is an article.
            self.drop(
                item, "empty_pages", f"No article text ({record['word_count']} words) on {item['url']}", "WARNING"
            )
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

    def has_article_text(self, record: dict) -> bool:
        """Enough words for an article; or, short, an agency flash: enough words for one in its
        language, on the story (or borderline) and saying so in its own text — a cookie notice
        under an on-topic feed title is still no article."""
        words = record["word_count"]
        if words >= self.min_words:
            return True
        if words < self.short_min_words.get(record["language"], self.short_min_words.get("*", self.min_words)):
            return False
        match = self.topic.match(record["title"] or "", record["description"] or "", record["text"])
        if match.status == OFF_TOPIC or not self.topic.mentioned(record["text"]):
            return False
        self.count("short_pages")
        return True
