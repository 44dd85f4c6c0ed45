"""Publication times to UTC.

A page prints a time in one of many forms; the stored value is always ISO 8601 in UTC, with
the offset the time was read at kept beside it. A time printed without an offset is read in
the outlet's timezone. A result in the future or before 1990 is not a publication time but a
CMS default or a typo, so it is rejected rather than stored as truth.
"""

from __future__ import annotations

import email.utils
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import dateparser

# RFC 822/2822 as feeds print it: "Wed, 17 Apr 2024 10:05:00 GMT". The email parser accepts
# far more than that and misreads it ("April 17, 2024 2:05 PM" loses the PM), so gate it.
RFC_822 = re.compile(
    r"^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?"
    r"(?:\s*(?:[+-]\d{4}|[A-Za-z]{1,5}))?$"
)
EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=timezone.utc)
# Clocks and outlets' timezone settings drift; an hour ahead of the fetch is still plausible.
FUTURE_TOLERANCE = timedelta(hours=1)


@dataclass(frozen=True)
class PublishedTime:
    """The outcome of reading one raw date string."""

    raw: str | None
    utc: datetime | None = None  # aware, in UTC; None unless status == "ok"
    offset: str | None = None  # "+04:00": the offset the time was read at
    status: str = "missing"  # ok | missing | unparsed | rejected

    @property
    def iso(self) -> str | None:
        return self.utc.strftime("%Y-%m-%dT%H:%M:%SZ") if self.utc else None


def _format_offset(moment: datetime) -> str:
    delta = moment.utcoffset() or timedelta(0)
    sign = "-" if delta < timedelta(0) else "+"
    minutes = abs(int(delta.total_seconds())) // 60
    return f"{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def _parse_fast(raw: str) -> datetime | None:
    """ISO 8601 and RFC 822 (feeds) without dateparser's cost; None when neither fits."""
    candidate = raw.strip()
    if candidate.endswith(("Z", "z")):
        candidate = candidate[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(candidate)
    except ValueError:
        pass
    if not RFC_822.match(raw.strip()):
        return None
    try:
        # Naive for "-0000" (offset unknown): the caller then reads it in the outlet's zone.
        return email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError, IndexError):
        return None


def _parse_any(raw: str, zone: ZoneInfo, fetched_at: datetime) -> datetime | None:
    parsed = _parse_fast(raw)
    if parsed is not None:
        return parsed
    relative_base = fetched_at.astimezone(zone).replace(tzinfo=None)
    return dateparser.parse(
        raw,
        settings={
            "RELATIVE_BASE": relative_base,
            "PREFER_DATES_FROM": "past",
            "RETURN_AS_TIMEZONE_AWARE": False,
        },
    )


def parse_published(raw: str | None, tz_name: str, fetched_at: datetime) -> PublishedTime:
    """Read ``raw`` as a publication time; naive times are in ``tz_name``.

    ``fetched_at`` (aware) resolves relative forms ("2 hours ago", "вчера") and bounds the
    plausible range.
    """
    if raw is None or not str(raw).strip():
        return PublishedTime(raw=None)
    raw = str(raw).strip()
    zone = ZoneInfo(tz_name)
    parsed = _parse_any(raw, zone, fetched_at)
    if parsed is None:
        return PublishedTime(raw=raw, status="unparsed")
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    utc = parsed.astimezone(timezone.utc)
    if utc < EARLIEST_PLAUSIBLE or utc > fetched_at + FUTURE_TOLERANCE:
        return PublishedTime(raw=raw, status="rejected")
    return PublishedTime(raw=raw, utc=utc, offset=_format_offset(parsed), status="ok")


def first_published(
    candidates: list[str | None], tz_name: str, fetched_at: datetime
) -> PublishedTime:
    """The first candidate, in order of trust, that reads as a plausible time.

    When none does, the outcome of the most trusted non-empty candidate is returned, so the
    caller can count why the date is missing.
    """
    first_failure = PublishedTime(raw=None)
    for raw in candidates:
        result = parse_published(raw, tz_name, fetched_at)
        if result.status == "ok":
            return result
        if first_failure.status == "missing":
            first_failure = result
    return first_failure
