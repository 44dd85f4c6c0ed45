"""Progress of long crawls: a backfill at one archive request a second runs for hours.

``Progress`` (an extension, one per crawler, so one per outlet) logs a line per outlet every
``MONITOR_PROGRESS_INTERVAL`` seconds: what its sources and the archives listed, the pages
fetched, stored and skipped, and the archive requests still queued with the time they take at
the archives' pace. On a terminal (``MONITOR_PROGRESS_LIVE``, by default when stderr is one) a
status line at the bottom is redrawn every second with the totals and the busiest outlets; a
log record clears it first, so log lines never run into it.
"""

from __future__ import annotations

import logging
import shutil
import sys
from dataclasses import dataclass
from typing import ClassVar

from scrapy import signals
from scrapy.exceptions import NotConfigured
from twisted.internet import task

from media_monitor.crawling.archivepace import ARCHIVE_REQUEST

logger = logging.getLogger(__name__)

CLEAR_LINE = "\r\x1b[K"
# Counters (``monitor/…``) behind each figure of a progress line.
LISTED = ("links_listed", "entries_outside_window")
CAPTURES = ("archive_source_captures", "archive_listed", "archive_cc_listed")
SKIPPED = (
    "duplicates",
    "off_topic",
    "skipped_known",
    "outside_window",
    "entries_outside_window",
    "archive_prefiltered",
    "unchanged",
)
FAILED = ("articles_failed", "sources_failed", "empty_pages", "archive_failed", "archive_cc_failed")


@dataclass(frozen=True)
class Snapshot:
    """One outlet's figures at one moment."""

    name: str
    listed: int
    captures: int
    fetched: int
    stored: int
    skipped: int
    failed: int
    archive_queued: int  # archive requests scheduled, not dropped as seen, not yet sent

    @classmethod
    def of(cls, name: str, stats: dict) -> Snapshot:
        def total(keys) -> int:
            return sum(int(stats.get(f"monitor/{key}", 0)) for key in keys)

        return cls(
            name=name,
            listed=total(LISTED),
            captures=total(CAPTURES),
            fetched=total(("articles_fetched",)),
            stored=total(("new", "updated")),
            skipped=total(SKIPPED),
            failed=total(FAILED),
            archive_queued=max(
                0,
                total(("archive_requests_scheduled",)) - total(("archive_requests_dropped", "archive_requests_sent")),
            ),
        )


def duration(seconds: float) -> str:
    """``1 h 05 min``, ``4 min 10 s``, ``12 s``."""
    seconds = round(seconds)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s" if minutes else f"{secs} s"


def progress_line(snapshot: Snapshot, delay: float) -> str:
    line = (
        f"{snapshot.name}: listed {snapshot.listed} (archive captures {snapshot.captures}), "
        f"fetched {snapshot.fetched}, stored {snapshot.stored}, skipped {snapshot.skipped}, failed {snapshot.failed}"
    )
    if snapshot.archive_queued:
        line += f"; archive queue {snapshot.archive_queued} (≈ {duration(snapshot.archive_queued * delay)} at its pace)"
    return line


def status_line(snapshots: list[Snapshot], delay: float, width: int) -> str:
    """The terminal's one line: totals, the time left at the archives' pace (one pace for the
    whole process), then the outlets with the most work queued, as many as fit."""
    queued = sum(s.archive_queued for s in snapshots)
    line = (
        f"{len(snapshots)} outlets · fetched {sum(s.fetched for s in snapshots)} · "
        f"stored {sum(s.stored for s in snapshots)} · skipped {sum(s.skipped for s in snapshots)}"
    )
    if queued:
        line += f" · archive queue {queued} ≈ {duration(queued * delay)}"
    for snapshot in sorted(snapshots, key=lambda s: (-s.archive_queued, -s.fetched, s.name)):
        part = f" | {snapshot.name} {snapshot.fetched}/{snapshot.stored}"
        if len(line) + len(part) > width:
            break
        line += part
    return line[:width]


class ClearStatusLine(logging.Filter):
    """On the terminal's handler: a record first clears the status line it would run into."""

    def __init__(self, stream):
        super().__init__()
        self.stream = stream

    def filter(self, record: logging.LogRecord) -> bool:
        self.stream.write(CLEAR_LINE)
        return True


class StatusBoard:
    """The terminal's status line, shared by every crawler of the process."""

    crawlers: ClassVar[dict[str, object]] = {}
    ticker: ClassVar[task.LoopingCall | None] = None
    filters: ClassVar[list[tuple[logging.Handler, ClearStatusLine]]] = []
    delay: ClassVar[float] = 1.0
    stream = sys.stderr

    @classmethod
    def join(cls, name: str, crawler, delay: float) -> None:
        cls.crawlers[name] = crawler
        cls.delay = delay
        if cls.ticker is None:
            for handler in logging.getLogger().handlers:
                if getattr(handler, "stream", None) is cls.stream:
                    clear = ClearStatusLine(cls.stream)
                    handler.addFilter(clear)
                    cls.filters.append((handler, clear))
            cls.ticker = task.LoopingCall(cls.draw)
            cls.ticker.start(1.0, now=False)

    @classmethod
    def leave(cls, name: str) -> None:
        cls.crawlers.pop(name, None)
        if cls.crawlers or cls.ticker is None:
            return
        if cls.ticker.running:
            cls.ticker.stop()
        cls.ticker = None
        for handler, clear in cls.filters:
            handler.removeFilter(clear)
        cls.filters.clear()
        cls.stream.write(CLEAR_LINE)
        cls.stream.flush()

    @classmethod
    def draw(cls) -> None:
        snapshots = [Snapshot.of(name, c.stats.get_stats()) for name, c in cls.crawlers.items()]
        width = shutil.get_terminal_size((121, 24)).columns - 1
        cls.stream.write(CLEAR_LINE + status_line(snapshots, cls.delay, width))
        cls.stream.flush()


class Progress:
    """Extension: the outlet's progress line in the log every ``MONITOR_PROGRESS_INTERVAL``
    seconds (0: none), and its part of the terminal's status line."""

    def __init__(self, crawler, interval: float, live: bool):
        self.crawler = crawler
        self.interval = interval
        self.live = live
        self.delay = crawler.settings.getfloat("MONITOR_ARCHIVE_DELAY", 1.0)
        self.logging: task.LoopingCall | None = None
        crawler.signals.connect(self.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(self.request_scheduled, signal=signals.request_scheduled)
        crawler.signals.connect(self.request_dropped, signal=signals.request_dropped)

    @classmethod
    def from_crawler(cls, crawler):
        interval = crawler.settings.getfloat("MONITOR_PROGRESS_INTERVAL", 60)
        live_setting = crawler.settings.get("MONITOR_PROGRESS_LIVE")
        if live_setting in (None, "", "auto"):
            live = StatusBoard.stream.isatty()
        else:
            live = crawler.settings.getbool("MONITOR_PROGRESS_LIVE")
        if interval <= 0 and not live:
            raise NotConfigured("MONITOR_PROGRESS_INTERVAL is 0 and no terminal")
        return cls(crawler, interval, live)

    def spider_opened(self, spider):
        self.name = spider.name
        if self.interval > 0:
            self.logging = task.LoopingCall(self.log_line)
            self.logging.start(self.interval, now=False)
        if self.live:
            StatusBoard.join(self.name, self.crawler, self.delay)

    def request_scheduled(self, request, spider=None):
        if request.meta.get(ARCHIVE_REQUEST):
            self.crawler.stats.inc_value("monitor/archive_requests_scheduled")

    def request_dropped(self, request, spider=None):
        if request.meta.get(ARCHIVE_REQUEST):  # a request the run had asked already
            self.crawler.stats.inc_value("monitor/archive_requests_dropped")

    def log_line(self) -> None:
        logger.info("Progress %s", progress_line(Snapshot.of(self.name, self.crawler.stats.get_stats()), self.delay))

    def spider_closed(self, spider):
        if self.logging is not None and self.logging.running:
            self.logging.stop()
        if self.live:
            StatusBoard.leave(self.name)
