"""The topic stage: relevance to the story, and off-topic items dropped."""

from __future__ import annotations

from media_monitor.pipelines.stage import CountingStage, timed
from media_monitor.story.topic import load_topic


class TopicPipeline(CountingStage):
    """Scores relevance; drops (and counts) what is off the story unless the filter is off."""

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
        if not match.on_topic and self.enabled:
            self.drop(item, "off_topic", f"Off topic ({match.relevance}): {item['url']}")
        return item
