"""The window stage: with ``--since/--until``, only what was published inside the window."""

from __future__ import annotations

from datetime import datetime

from media_monitor.pipelines.stage import CountingStage, timed
from media_monitor.story.window import DateWindow


class WindowPipeline(CountingStage):
    """With ``--since/--until``: drops what was published outside the window, or undated. A
    day-only date is inside when its day meets the window."""

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
        if not self.window.contains_published(published, item.get("published_precision")):
            self.drop(item, "outside_window", f"Published {item['published_at']}, outside the window: {item['url']}")
        return item
