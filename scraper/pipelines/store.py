"""The store stage: rows written in batches, and the outlet's part of the crawl run."""

from __future__ import annotations

from media_monitor import settings as defaults  # a crawler built without the project settings
from media_monitor.crawling.bounds import BUDGET, bounds_hit, describe_bounds
from media_monitor.pipelines.stage import StoreStage, timed
from media_monitor.story.topic import BORDERLINE, OFF_TOPIC


class StorePipeline(StoreStage):
    """Writes items in batched transactions and records the outlet's part of the crawl run."""

    def open_spider(self):
        super().open_spider()
        spider = self.crawler.spider
        self.outlets_written: set[str] = set()
        self.run_id = self.settings.getint("MONITOR_CRAWL_RUN_ID") or None
        self.owns_run = self.run_id is None  # a bare `scrapy crawl` opens and closes its own
        if self.owns_run:
            self.run_id = self.store.start_run(
                [spider.name],
                self.settings.get("MONITOR_TOPIC") or "default",
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
        else:
            if status == "updated":
                self.store.update_article(item["article_id"], item, self.run_id)
            else:
                item["article_id"] = self.store.insert_article(item, self.run_id)
                self.count(f"stored_{item.get('fetched_from') or 'live'}")  # a new row, by provenance
            if item.get("match"):  # every link recorded, the copy groups and clusters it reaches joined
                linked = self.store.link_article(item["article_id"], item["match"])
                item["cluster_id"], item["duplicate_of"] = linked.cluster_id, linked.duplicate_of
                if linked.merges:
                    self.count("cluster_merges", linked.merges)
            elif status != "updated":
                item["cluster_id"] = item["article_id"]  # alone so far: its own cluster
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
    """The counter an item that went through the store adds to: new, borderline, off_topic,
    updated, unchanged or duplicates. A new article is ``new`` when on topic, ``borderline``
    when kept apart for review, ``off_topic`` when a ``--no-topic-filter`` crawl stored it: the
    run's ``new`` counts what the dashboard counts. A copy adds no distinct article, even when
    it is published earlier than the stored one and becomes the original: the pair was counted
    when its first member was stored."""
    status = item["dedupe_status"]
    if status == "duplicate":
        return "duplicates"
    if status == "new" and item.get("topic_status") in (BORDERLINE, OFF_TOPIC):
        return item["topic_status"]
    return status


# Every capture a listing answered (spiders/archive.py): a feed's or sitemap's capture, a listed
# URL taken as an article or not, and a Common Crawl capture listed, not an article or known.
ARCHIVE_CAPTURE_COUNTERS = (
    "source_captures",
    "listed",
    "not_articles",
    "cc_listed",
    "cc_not_articles",
    "cc_known",
)


def run_counts(tally: dict) -> dict:
    """An outlet's row of ``crawl_run_outlets`` from its counters (``monitor/…`` stats)."""

    def get(key):
        return tally.get(key, 0)

    return {
        "fetched": get("articles_fetched"),
        "new": get("new"),
        "borderline": get("borderline"),
        "updated": get("updated"),
        "unchanged": get("unchanged"),
        "duplicates": get("duplicates"),
        "off_topic": get("off_topic"),
        "failed": get("articles_failed") + get("sources_failed") + get("empty_pages"),
        "dates_rejected": get("dates_rejected"),
        "skipped_known": get("skipped_known"),
        "outside_window": get("outside_window") + get("entries_outside_window"),
        "listed": get("links_listed") + get("entries_outside_window"),
        # CDX and Common Crawl index queries answered, and the captures they listed.
        "archive_listings": get("archive_cdx_queries") + get("archive_cc_index_queries"),
        "archive_captures": sum(get(f"archive_{key}") for key in ARCHIVE_CAPTURE_COUNTERS),
        "stored_live": get("stored_live"),
        "stored_wayback": get("stored_wayback"),
        "stored_commoncrawl": get("stored_commoncrawl"),
        "bounds_hit": sum(bounds_hit(tally).values()),
        "bounds": describe_bounds(bounds_hit(tally)),
    }


def run_status(tally: dict, counts: dict, source_count: int) -> tuple[str, str | None]:
    if source_count and tally.get("sources_failed", 0) >= source_count and not counts["fetched"]:
        return "failed", "no feed or sitemap could be read"
    if BUDGET in bounds_hit(tally):
        return "partial", "stopped at its budget (MONITOR_OUTLET_BUDGET): the rest is crawled by the next run"
    return ("partial" if counts["failed"] else "ok"), None
