"""The date window of a historical crawl (`--since/--until`) and what falls outside it.

Discovery uses it to skip what it can without a download: a sitemap partition whose URL
names a month outside the window or whose ``lastmod`` is before it, a sitemap or feed entry
published outside it, a listing page older than it. The window pipeline then drops any
article whose publication time is outside it or unknown.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from media_monitor.normalise.dates import parse_published, published_span

# Dates in partition URLs: 2024-04, 2024/04/17, 20240417, yyyy=2024&mm=04&dd=17, date_start=20240401
_URL_DAY = re.compile(r"(?<!\d)(20\d{2}|19\d{2})[-/_]?(0[1-9]|1[0-2])[-/_]?(0[1-9]|[12]\d|3[01])(?!\d)")
_URL_MONTH = re.compile(r"(?<!\d)(20\d{2}|19\d{2})[-/_](0[1-9]|1[0-2])(?![\d])")
_URL_QUERY = re.compile(r"yyyy=(\d{4})&mm=(\d{1,2})(?:&dd=(\d{1,2}))?")


def _start_of(value: str) -> datetime:
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


@dataclass(frozen=True)
class DateWindow:
    since: datetime | None = None  # inclusive, aware
    until: datetime | None = None  # exclusive, aware

    @classmethod
    def from_bounds(cls, since: str | None, until: str | None) -> DateWindow:
        """Bounds as the CLI takes them: a date (``until`` then includes the whole day) or a
        time; naive values are UTC."""
        end = None
        if until:
            end = _start_of(until) + (timedelta(days=1) if len(until) == 10 else timedelta(0))
        return cls(_start_of(since) if since else None, end)

    @property
    def is_open(self) -> bool:
        """No bounds: every date is inside."""
        return self.since is None and self.until is None

    def contains(self, moment: datetime) -> bool:
        return (self.since is None or moment >= self.since) and (self.until is None or moment < self.until)

    def contains_published(self, start: datetime, precision: str | None) -> bool:
        """A publication time inside the window: an instant in it, or a day-only (month-only)
        date whose day (month) meets it (``published_span``)."""
        span = published_span(start, precision)
        return self.contains(start) if span[0] == span[1] else self.overlaps(*span)

    def overlaps(self, start: datetime, end: datetime) -> bool:
        """Does [start, end) meet the window?"""
        return (self.until is None or start < self.until) and (self.since is None or end > self.since)

    def excludes_raw(self, raw: str | None, tz_name: str, now: datetime) -> bool:
        """True only when ``raw`` reads as a time outside the window; unknown is not excluded."""
        if self.is_open or not raw:
            return False
        parsed = parse_published(raw, tz_name, now)
        return parsed.utc is not None and not self.contains_published(parsed.utc, parsed.precision)

    def before_start(self, raw: str | None, tz_name: str, now: datetime) -> bool:
        """True when ``raw`` reads as a time (or a whole day) before the window's start."""
        if self.since is None or not raw:
            return False
        parsed = parse_published(raw, tz_name, now)
        if parsed.utc is None:
            return False
        start, end = published_span(parsed.utc, parsed.precision)
        return end <= self.since if end > start else start < self.since  # a whole day before it

    def modified_before(self, lastmod: str | None, tz_name: str, now: datetime) -> bool:
        """A sitemap ``lastmod`` before the window start: nothing in it was published inside."""
        if self.since is None or not lastmod:
            return False
        parsed = parse_published(lastmod, tz_name, now)
        return parsed.utc is not None and parsed.utc < self.since

    def excludes_partition(self, url: str, tz_name: str = "UTC") -> bool:
        """True when the sitemap URL names a day or month that lies outside the window."""
        span = partition_span(url, tz_name)
        return span is not None and not self.is_open and not self.overlaps(*span)


def partition_span(url: str, tz_name: str = "UTC") -> tuple[datetime, datetime] | None:
    """The [start, end) in UTC that a date-partitioned sitemap URL covers, or None when it
    names no date. Outlets cut partitions at their own midnight, hence ``tz_name``."""
    query = _URL_QUERY.search(url)
    if query:
        year, month, day = int(query[1]), int(query[2]), query[3] and int(query[3])
    elif day_match := _URL_DAY.search(url):
        year, month, day = (int(g) for g in day_match.groups())
    elif month_match := _URL_MONTH.search(url):
        year, month, day = int(month_match[1]), int(month_match[2]), None
    else:
        return None
    zone = ZoneInfo(tz_name)
    if day:
        start = datetime(year, month, day, tzinfo=zone)
        end = start + timedelta(days=1)
    else:
        start = datetime(year, month, 1, tzinfo=zone)
        end = start + timedelta(days=calendar.monthrange(year, month)[1])
    return start.astimezone(UTC), end.astimezone(UTC)


def days_in(window: DateWindow, today: date) -> list[date]:
    """Each day of the window (or just today when it has no start), newest first."""
    last = (window.until - timedelta(seconds=1)).date() if window.until else today
    first = window.since.date() if window.since else today
    return [last - timedelta(days=n) for n in range((last - first).days + 1)]
