"""The topic stage: relevance to the story, its decision and reason on the item; off-topic
items dropped, borderline ones kept apart for review."""

from __future__ import annotations

from media_monitor.pipelines.stage import CountingStage, timed
from media_monitor.story.topic import OFF_TOPIC, load_topic


class TopicPipeline(CountingStage):
    """Scores relevance; drops (and counts) what is off the story unless the filter is off;
    keeps what is borderline: stored with its status, counted nowhere until a reviewer promotes
    it (`monitor topic promote`). The store counts a new borderline article (``borderline``, not
    ``new``; ``stored_as``), so that a copy or a page met again is not counted twice, and a
    scaled-out crawl, whose writer stores what the workers scored, counts it too."""

    def __init__(self, stats, topic, enabled: bool):
        self.stats, self.topic, self.enabled = stats, topic, enabled

    @classmethod
    def from_crawler(cls, crawler):
        settings = crawler.settings
        return cls(
            crawler.stats, load_topic(settings.get("MONITOR_TOPIC")), settings.getbool("MONITOR_TOPIC_FILTER", True)
        )

    @timed("topic")
    def process_item(self, item):
        match = self.topic.match(item.get("title") or "", item.get("description") or "", item["text"])
        item["relevance"] = match.relevance
        item["matched_terms"] = match.matched_terms
        item["topic_status"] = match.status
        item["topic_reason"] = match.reason
        if match.status == OFF_TOPIC and self.enabled:
            self.drop(item, "off_topic", f"Off topic ({match.reason}): {item['url']}")
        return item
