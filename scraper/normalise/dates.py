"""Publication times to UTC.

A page prints a time in one of many forms; the stored value is always ISO 8601 in UTC, with
the offset the time was read at kept beside it. A time printed without an offset is read in
the outlet's timezone. A result in the future or before 1990 is not a publication time but a
CMS default or a typo, so it is rejected rather than stored as truth.
"""

from __future__ import annotations

import calendar
import email.utils
import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import dateparser

from media_monitor.normalise.urls import unarchived

# RFC 822/2822 as feeds print it: "Wed, 17 Apr 2024 10:05:00 GMT". The email parser accepts
# far more than that and misreads it ("April 17, 2024 2:05 PM" loses the PM), so gate it.
RFC_822 = re.compile(
    r"^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{2,4}\s+\d{1,2}:\d{2}(?::\d{2})?"
    r"(?:\s*(?:[+-]\d{4}|[A-Za-z]{1,5}))?$"
)
# Month names of the region's languages (genitive and nominative, common abbreviations) in
# English: dateparser then reads them with its English data only, which is fast and never
# guesses the language from a single word.
MONTHS = {
    1: "января январь янв січня січень січ yanvar yanvarı hunvari hunvar հունվարի հունվար იანვარი იანვრის ocak",
    2: "февраля февраль фев лютого лютий лют fevral fevralı փետրվարի փետրվար თებერვალი თებერვლის şubat",
    3: "марта март мар березня березень бер mart martı մարտի մարտ მარტი მარტის",
    4: "апреля апрель апр квітня квітень кві aprel apreli ապրիլի ապրիլ აპრილი აპრილის nisan",
    5: "мая май травня травень тра may mayıs mayı մայիսի մայիս მაისი მაისის",
    6: "июня июнь июн червня червень чер iyun iyunu հունիսի հունիս ივნისი ივნისის haziran",
    7: "июля июль июл липня липень лип iyul iyulu հուլիսի հուլիս ივლისი ივლისის temmuz",
    8: "августа август авг серпня серпень сер avqust avqustu օգոստոսի օգոստոս აგვისტო აგვისტოს ağustos",
    9: "сентября сентябрь сен вересня вересень вер sentyabr sentyabrı սեպտեմբերի սեպտեմբեր სექტემბერი სექტემბრის eylül",
    10: "октября октябрь окт жовтня жовтень жов oktyabr oktyabrı հոկտեմբերի հոկտեմբեր ოქტომბერი ოქტომბრის ekim",
    11: "ноября ноябрь ноя листопада листопад лис noyabr noyabrı նոյեմբերի նոյեմբեր ნოემბერი ნოემბრის kasım",
    12: "декабря декабрь дек грудня грудень гру dekabr dekabrı դեկտեմբերի դեկտեմբեր დეკემბერი დეკემბრის aralık",
}
ENGLISH_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_MONTH_OF = {name: ENGLISH_MONTHS[n - 1] for n, names in MONTHS.items() for name in names.split()}
_MONTH_WORD = re.compile(
    r"(?<!\w)(" + "|".join(sorted(map(re.escape, _MONTH_OF), key=len, reverse=True)) + r")\.?(?!\w)",
    re.IGNORECASE,
)
# Zone abbreviations the region's outlets print; dateparser reads "AMT" as Amazon Time.
ZONE_ABBREVIATIONS = {
    "AMT": "+04:00",
    "AZT": "+04:00",
    "GET": "+04:00",
    "MSK": "+03:00",
    "GMT": "+00:00",
    "UTC": "+00:00",
}
_ZONE_WORD = re.compile(r"\b(AMT|AZT|GET|MSK)\b")
# "(UTC +04:00)", "UTC+4", "GMT+4", "GMT +04:00", "GMT+0400" -> " +04:00"
_UTC_OFFSET = re.compile(r"\(?\s*\b(?:UTC|GMT)\s*([+-])\s*(\d{1,2})(?::?(\d{2}))?\s*\)?")
# A label before the time: "Tarix: ", "Дата: ", "Published: ", "Обновлено: "
_LABEL = re.compile(r"^\s*[^\W\d_][^\d:]{0,30}:\s*(?=\d)")
# "13 June 2024 [16:41]", "17.04.2024 | 14:05", "October 7, 2023 - 15:44"
_BRACKETS = re.compile(r"[\[\]()|]|\s[-–—•]\s|,(?=\s*\d{1,2}:\d{2})")
# "(Central European Standard Time)": a zone's name beside an offset already given.
_PAREN_WORDS = re.compile(r"\([^()\d]*\)")
# Russian "2024 г. в 14:05"
_RU_YEAR = re.compile(r"(?<=\d)\s*г\.?(?=\s|,|$)|\s+в(?=\s+\d{1,2}:\d{2})")
# Day-first numeric dates, as printed in the region: 17.04.2024, 12-06-2024 (optional time).
_NUMERIC_DMY = re.compile(
    r"^(\d{1,2})[.-](\d{1,2})[.-](\d{4})(?:[,\sT]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*([+-]\d{2}:\d{2})?$"
)
# Azerbaijani relative times, which dateparser does not know.
_AZ_RELATIVE = re.compile(r"(\d+)\s*(saniyə|dəqiqə|saat|gün|həftə|ay|il)\s+(?:əvvəl|öncə)", re.IGNORECASE)
_AZ_UNITS = {
    "saniyə": "seconds",
    "dəqiqə": "minutes",
    "saat": "hours",
    "gün": "days",
    "həftə": "weeks",
    "ay": "months",
    "il": "years",
}
_AZ_DAYS = {"dünən": "yesterday", "bu gün": "today", "bugün": "today", "srağagün": "2 days ago"}


def preclean(raw: str) -> str:
    """A printed time in a form dateparser reads: labels, brackets and separators dropped,
    zone names and "(UTC +04:00)" as an offset, month names in English."""
    text = " ".join(raw.split())
    text = _LABEL.sub("", text)
    text = _UTC_OFFSET.sub(lambda m: f" {m.group(1)}{int(m.group(2)):02d}:{m.group(3) or '00'}", text)
    text = _ZONE_WORD.sub(lambda m: ZONE_ABBREVIATIONS[m.group(1)], text)
    text = _PAREN_WORDS.sub(" ", text)
    text = _BRACKETS.sub(" ", text)
    text = _RU_YEAR.sub(" ", text)
    text = _AZ_RELATIVE.sub(lambda m: f"{m.group(1)} {_AZ_UNITS[m.group(2).lower()]} ago", text)
    lowered = text.lower()
    if lowered in _AZ_DAYS:
        text = _AZ_DAYS[lowered]
    text = _MONTH_WORD.sub(lambda m: _MONTH_OF[m.group(1).lower()], text)
    return " ".join(text.split())


def _numeric_dmy(text: str) -> datetime | None:
    match = _NUMERIC_DMY.match(text)
    if not match:
        return None
    day, month, year, hour, minute, second, offset = match.groups()
    try:
        moment = datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0))
    except ValueError:
        return None
    if offset:
        sign = -1 if offset[0] == "-" else 1
        moment = moment.replace(tzinfo=timezone(sign * timedelta(hours=int(offset[1:3]), minutes=int(offset[4:6]))))
    return moment


# A day in an article's URL: /2024/04/17/, /2024/4/17/, /2024-04-17-, /20240417/ (1990-2039).
URL_DATES = (
    re.compile(r"/((?:199|20[0-3])\d)/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])(?=/|$)"),
    re.compile(r"[/_-]((?:199|20[0-3])\d)[_-]?(0[1-9]|1[0-2])[_-]?(0[1-9]|[12]\d|3[01])(?=[/_.-]|$)"),
)


def url_date(url: str) -> str | None:
    """The day an article's URL names, as YYYY-MM-DD; None when it names none.

    Publishing systems put the day of first publication in the path, so it is fixed when the
    page's own dates change. A Wayback Machine address is read for the archived URL only.
    """
    path = unarchived(url).split("?", 1)[0]
    for pattern in URL_DATES:
        match = pattern.search(path)
        if match:
            year, month, day = match.groups()
            return f"{year}-{int(month):02d}-{int(day):02d}"
    return None


def url_candidate(day: str) -> str:
    """A URL's day as a date candidate, labelled so that ``published_raw`` says where it came
    from (the label is read like "Date: " is)."""
    return f"url:{day}"


EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)
# Clocks and outlets' timezone settings drift; an hour ahead of the fetch is still plausible.
FUTURE_TOLERANCE = timedelta(hours=1)


@dataclass(frozen=True)
class PublishedTime:
    """The outcome of reading one raw date string."""

    raw: str | None
    utc: datetime | None = None  # aware, in UTC; None unless status == "ok"
    offset: str | None = None  # "+04:00": the offset the time was read at
    status: str = "missing"  # ok | missing | unparsed | rejected
    # With status ok: the status of a more trusted candidate that could not be used, if any.
    passed_over: str | None = None
    stated_offset: bool = False  # the raw text gave its offset ("Z", "GMT", "+04:00")
    # What the raw text states (``precision_of``): second, minute, day or month. A day-only
    # date is stored as the day's start (the outlet's midnight) but stands for the whole day.
    precision: str | None = None

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
    text = preclean(raw)
    parsed = _numeric_dmy(text) or _parse_fast(text)
    if parsed is not None:
        return parsed
    settings = {
        "RELATIVE_BASE": fetched_at.astimezone(zone).replace(tzinfo=None),
        "PREFER_DATES_FROM": "past",
        "DATE_ORDER": "DMY",
    }
    if text.isascii():
        # English words (or none) only: English data is enough and many times faster.
        parsed = dateparser.parse(text, languages=["en"], settings=settings)
        if parsed is not None:
            return parsed
    settings.pop("DATE_ORDER")
    return dateparser.parse(text, settings=settings)


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
    stated_offset = parsed.tzinfo is not None
    if not stated_offset:
        parsed = parsed.replace(tzinfo=zone)
    precision = precision_of(raw)
    if precision in ("day", "month"):  # "yesterday" is the day, not this time yesterday
        parsed = parsed.replace(
            hour=0, minute=0, second=0, microsecond=0, day=1 if precision == "month" else parsed.day
        )
    utc = parsed.astimezone(UTC)
    if utc < EARLIEST_PLAUSIBLE or utc > fetched_at + FUTURE_TOLERANCE:
        return PublishedTime(raw=raw, status="rejected")
    return PublishedTime(
        raw=raw,
        utc=utc,
        offset=_format_offset(parsed),
        status="ok",
        stated_offset=stated_offset,
        precision=precision,
    )


_SECONDS = re.compile(r"\d{1,2}:\d{2}:\d{2}")
_MINUTES = re.compile(
    r"\d{1,2}:\d{2}|\d{1,2}\s?[ap]\.?m\b|\b(?:seconds?|minutes?|mins?|hours?|hrs?)\s+ago\b|\bnow\b"
    r"|^\d{4}-\d{2}-\d{2}T\d{2}|\d\s*(?:час|минут|секунд|годин|хвилин)",
    re.IGNORECASE,
)
_YEAR = re.compile(r"(?<!\d)(?:19|20)\d{2}(?!\d)")
_YEAR_MONTH = re.compile(r"^\d{4}-\d{2}$")
PRECISIONS = ("second", "minute", "day", "month")


def precision_of(raw: str) -> str:
    """How precisely a raw date states its time: ``second`` ("10:05:30"), ``minute``
    ("10:05", "2 pm", "3 hours ago"), ``day`` ("Jun 05, 2026", "2026-06-05", "yesterday", a
    URL's day) or ``month`` ("June 2026", "2026-06")."""
    text = preclean(raw.removeprefix(url_candidate("")))
    if _SECONDS.search(text):
        return "second"
    if _MINUTES.search(text):
        return "minute"
    if _YEAR_MONTH.match(text):
        return "month"
    # a year and a month's name, and no other number: "June 2026"; words alone ("yesterday",
    # "вчера") name a day
    if _YEAR.search(text) and not re.search(r"\d", _YEAR.sub(" ", text)):
        return "month"
    return "day"


def published_span(start: datetime, precision: str | None) -> tuple[datetime, datetime]:
    """The [start, end) a stored publication time stands for: an instant, or, for a day-only
    (month-only) date, the whole day (month) from its start."""
    if precision == "day":
        return start, start + timedelta(days=1)
    if precision == "month":
        # the start is the outlet's midnight in UTC: within 14 hours of the month's first day
        local = start + timedelta(hours=14)
        return start, start + timedelta(days=calendar.monthrange(local.year, local.month)[1])
    return start, start


def published_day(published_at: str | None, precision: str | None) -> str | None:
    """The day (YYYY-MM-DD) a stored publication time is counted on: its UTC day, but for a
    day-only (month-only) date, stored at the outlet's midnight, the day it printed. That
    midnight is the evening before in UTC east of Greenwich; half a day later is within the
    printed day for every offset from -12 to +11 hours."""
    if not published_at:
        return None
    moment = datetime.fromisoformat(published_at.replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    if precision in ("day", "month"):
        moment += timedelta(hours=12)
    return moment.date().isoformat()


def first_published(candidates: list[str | None], tz_name: str, fetched_at: datetime) -> PublishedTime:
    """The first candidate, in order of trust, that reads as a plausible time.

    When none does, the outcome of the most trusted non-empty candidate is returned, so the
    caller can count why the date is missing. A time given in UTC takes the page's own offset
    from another candidate that prints the same moment as a local time (``local_offset``).
    """
    first_failure = PublishedTime(raw=None)
    for raw in candidates:
        result = parse_published(raw, tz_name, fetched_at)
        if result.status == "ok":
            result = local_offset(result, [c for c in candidates if c and c != raw], fetched_at)
            if first_failure.raw:
                result = replace(result, passed_over=first_failure.status)
            return result
        if first_failure.status == "missing":
            first_failure = result
    return first_failure


_CLOCK = re.compile(r"\d{1,2}:\d{2}")
# Offsets in use run from -12:00 to +14:00, in steps of a quarter hour (+05:45, +04:30).
_OFFSET_RANGE = (timedelta(hours=-12), timedelta(hours=14))


def local_offset(published: PublishedTime, others: list[str], fetched_at: datetime) -> PublishedTime:
    """``published`` with the offset of the page's own clock when it was given in UTC.

    A page that gives "Wed, 04 May 2022 02:41:00 GMT" in its metadata and prints "3/5/2022
    22:41" for the reader is on UTC-04:00: the same instant, the same minute, whole quarter
    hours apart. The stored UTC time does not change; only the offset kept beside it does.
    """
    if published.utc is None or published.offset != "+00:00" or not published.stated_offset:
        return published  # a time read in the outlet's zone is already on the page's clock
    instant = published.utc.replace(tzinfo=None, second=0, microsecond=0)
    for raw in others:
        if not _CLOCK.search(raw):
            continue  # a date alone (and not worth dateparser's time)
        printed = _parse_any(raw, ZoneInfo("UTC"), fetched_at)
        if printed is None or printed.tzinfo is not None or (printed.hour, printed.minute) == (0, 0):
            continue  # an offset of its own, or a date alone
        delta = printed.replace(second=0, microsecond=0) - instant
        if delta and _OFFSET_RANGE[0] <= delta <= _OFFSET_RANGE[1] and delta % timedelta(minutes=15) == timedelta(0):
            local = published.utc.astimezone(timezone(delta))
            return replace(published, offset=_format_offset(local))
    return published
