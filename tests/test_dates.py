from datetime import UTC, datetime

import pytest

from media_monitor.normalise.dates import first_published, parse_published, precision_of, published_span, url_date

FETCHED = datetime(2024, 6, 20, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "raw, tz, utc, offset",
    [
        ("2024-04-17T14:05:00+04:00", "Asia/Baku", "2024-04-17T10:05:00Z", "+04:00"),
        ("2024-04-17T10:05:00Z", "Asia/Baku", "2024-04-17T10:05:00Z", "+00:00"),
        # naive times are read in the outlet's timezone
        ("2024-04-17T16:20:00", "Europe/Moscow", "2024-04-17T13:20:00Z", "+03:00"),
        ("2024-04-17 19:10:00", "Asia/Baku", "2024-04-17T15:10:00Z", "+04:00"),
        ("2024-04-17 19:10:00", "Asia/Yerevan", "2024-04-17T15:10:00Z", "+04:00"),
        ("2024-04-17", "Asia/Tbilisi", "2024-04-16T20:00:00Z", "+04:00"),
        # RFC 822, as in RSS
        ("Wed, 17 Apr 2024 10:05:00 GMT", "Asia/Baku", "2024-04-17T10:05:00Z", "+00:00"),
        ("Wed, 17 Apr 2024 14:05:00 +0400", "Europe/Moscow", "2024-04-17T10:05:00Z", "+04:00"),
        # printed forms, through dateparser
        ("17 апреля 2024, 14:05", "Europe/Moscow", "2024-04-17T11:05:00Z", "+03:00"),
        ("17.04.2024 14:05", "Europe/Moscow", "2024-04-17T11:05:00Z", "+03:00"),
        ("17 Aprel 2024, 14:05", "Asia/Baku", "2024-04-17T10:05:00Z", "+04:00"),
        ("April 17, 2024 2:05 PM", "Asia/Tbilisi", "2024-04-17T10:05:00Z", "+04:00"),
        # summer time where the zone has it
        ("2023-07-01T12:00:00", "Europe/London", "2023-07-01T11:00:00Z", "+01:00"),
        ("2024-01-15T12:00:00", "Europe/London", "2024-01-15T12:00:00Z", "+00:00"),
    ],
)
def test_parse_published_to_utc(raw, tz, utc, offset):
    result = parse_published(raw, tz, FETCHED)
    assert (result.status, result.iso, result.offset) == ("ok", utc, offset)
    assert result.raw == raw


@pytest.mark.parametrize(
    "raw, status",
    [
        ("2099-01-01T00:00:00Z", "rejected"),  # future
        ("1970-01-01T00:00:00Z", "rejected"),  # a CMS's zero date
        ("2024-06-20T14:00:00Z", "rejected"),  # two hours after the fetch
        ("not a date at all", "unparsed"),
        ("", "missing"),
        (None, "missing"),
    ],
)
def test_implausible_dates_are_not_stored(raw, status):
    result = parse_published(raw, "Asia/Baku", FETCHED)
    assert result.status == status
    assert result.iso is None


def test_relative_times_resolve_against_the_fetch_time():
    assert parse_published("2 hours ago", "Asia/Baku", FETCHED).iso == "2024-06-20T10:00:00Z"
    # yesterday is a day: it starts at the outlet's midnight (21:00 UTC the day before, in Moscow)
    assert parse_published("вчера", "Europe/Moscow", FETCHED).iso == "2024-06-18T21:00:00Z"


def test_first_published_falls_back_in_order_of_trust():
    result = first_published(["2099-01-01T00:00:00Z", None, "Wed, 17 Apr 2024 10:05:00 GMT"], "Asia/Baku", FETCHED)
    assert result.iso == "2024-04-17T10:05:00Z"
    assert result.raw == "Wed, 17 Apr 2024 10:05:00 GMT"


def test_first_published_reports_why_nothing_fitted():
    assert first_published(["2099-01-01T00:00:00Z", None], "Asia/Baku", FETCHED).status == "rejected"
    assert first_published([None, ""], "Asia/Baku", FETCHED).status == "missing"


LATE_FETCH = datetime(2026, 1, 10, 9, 0, tzinfo=UTC)


# Forms the region's outlets print (see ../shared/outlets-research.md), read to the minute.
@pytest.mark.parametrize(
    "raw, tz, utc, offset",
    [
        ("17 апреля 2024, 14:05", "Europe/Moscow", "2024-04-17T11:05:00Z", "+03:00"),
        ("17 апреля 2024 г. в 14:05", "Europe/Moscow", "2024-04-17T11:05:00Z", "+03:00"),
        ("17 квітня 2024, 14:05", "Europe/Kyiv", "2024-04-17T11:05:00Z", "+03:00"),
        ("17.04.2024 14:05", "Europe/Moscow", "2024-04-17T11:05:00Z", "+03:00"),
        ("17 Aprel 2024, 14:05", "Asia/Baku", "2024-04-17T10:05:00Z", "+04:00"),
        ("17 ապրիլի 2024, 14:05", "Asia/Yerevan", "2024-04-17T10:05:00Z", "+04:00"),
        ("ապրիլ 17, 2024", "Asia/Yerevan", "2024-04-16T20:00:00Z", "+04:00"),
        ("17 აპრილი 2024, 14:05", "Asia/Tbilisi", "2024-04-17T10:05:00Z", "+04:00"),
        ("2024-04-17T14:05:00+04:00", "Europe/Moscow", "2024-04-17T10:05:00Z", "+04:00"),
        # a printed offset beats the outlet's zone
        ("April 17, 2024 2:05 PM GMT+4", "Europe/London", "2024-04-17T10:05:00Z", "+04:00"),
        ("6 Dekabr 2025 15:49 (UTC +04:00)", "Europe/Moscow", "2025-12-06T11:49:00Z", "+04:00"),
        ("21 July 2025 14:01 (UTC+04:00)", "Europe/Moscow", "2025-07-21T10:01:00Z", "+04:00"),
        ("October 7, 2023 - 15:44 AMT", "Europe/Moscow", "2023-10-07T11:44:00Z", "+04:00"),  # Armenia Time
        (
            "Tue Feb 20 2018 01:00:00 GMT+0100 (Central European Standard Time)",
            "Asia/Baku",
            "2018-02-20T00:00:00Z",
            "+01:00",
        ),
        # time first, brackets, labels, day-first numeric dates
        ("10:37, 17 April 2024", "Asia/Baku", "2024-04-17T06:37:00Z", "+04:00"),
        ("13 June 2024 [16:41]", "Asia/Baku", "2024-06-13T12:41:00Z", "+04:00"),
        ("Tarix: 12-06-2024, 16:55", "Asia/Baku", "2024-06-12T12:55:00Z", "+04:00"),
        ("Дата: 05.06.2024 09:30", "Europe/Moscow", "2024-06-05T06:30:00Z", "+03:00"),
        # naive times in the outlet's zone, summer and winter
        ("17 April 2024 14:05", "Europe/London", "2024-04-17T13:05:00Z", "+01:00"),
        ("17 January 2024 14:05", "Europe/London", "2024-01-17T14:05:00Z", "+00:00"),
        ("17.04.2024 14:05", "Europe/Prague", "2024-04-17T12:05:00Z", "+02:00"),
        ("17.01.2024 14:05", "Europe/Prague", "2024-01-17T13:05:00Z", "+01:00"),
        ("17.04.2024 14:05", "Asia/Tbilisi", "2024-04-17T10:05:00Z", "+04:00"),
        # relative forms, against the fetch time (2024-06-20 12:00 UTC)
        ("2 hours ago", "Asia/Baku", "2024-06-20T10:00:00Z", "+04:00"),
        ("2 saat əvvəl", "Asia/Baku", "2024-06-20T10:00:00Z", "+04:00"),
        ("15 dəqiqə əvvəl", "Asia/Baku", "2024-06-20T11:45:00Z", "+04:00"),
        ("2 часа назад", "Europe/Moscow", "2024-06-20T10:00:00Z", "+03:00"),
    ],
)
def test_printed_forms_to_the_minute(raw, tz, utc, offset):
    fetched = LATE_FETCH if "2025" in raw else FETCHED  # 2025 is in FETCHED's future
    result = parse_published(raw, tz, fetched)
    assert (result.status, result.iso, result.offset) == ("ok", utc, offset)
    assert result.raw == raw


@pytest.mark.parametrize(
    "raw, tz, start",
    [("вчера", "Europe/Moscow", "2024-06-18T21:00:00Z"), ("dünən", "Asia/Baku", "2024-06-18T20:00:00Z")],
)
def test_yesterday(raw, tz, start):
    result = parse_published(raw, tz, FETCHED)
    assert (result.iso, result.precision) == (start, "day")


@pytest.mark.parametrize(
    "url, day",
    [
        ("https://news.example/2024/04/17/story", "2024-04-17"),
        ("https://news.example/2024/4/7/story", "2024-04-07"),
        ("https://news.example/politics/20240417/story.html", "2024-04-17"),
        ("https://news.example/story-2024-04-17.html", "2024-04-17"),
        ("https://news.example/2024/04/story", None),  # a month is not a day
        ("https://news.example/2019/43/story", None),  # year and issue number
        ("https://news.example/story?date=2024/04/17", None),  # the query is not the path
        # a Wayback Machine copy: the archived URL's day, not the capture's
        ("https://web.archive.org/web/20160218174457/http://blog.example/2010/05/19/post", "2010-05-19"),
        ("https://web.archive.org/web/20110106023242/http://site.example/index.php", None),
    ],
)
def test_url_date(url, day):
    assert url_date(url) == day


@pytest.mark.parametrize(
    "candidates, utc, offset",
    [
        # the metadata's UTC time and the local time printed for the reader: the page's clock
        (["Wed, 04 May 2022 02:41:00 GMT", "3/5/2022 22:41"], "2022-05-04T02:41:00Z", "-04:00"),
        (["2024-04-17T10:05:00Z", "17 апреля 2024, 14:05"], "2024-04-17T10:05:00Z", "+04:00"),
        # a printed date without a time, or a different minute, says nothing of the clock
        (["2024-04-17T10:05:00Z", "17 April 2024"], "2024-04-17T10:05:00Z", "+00:00"),
        (["2024-04-17T10:05:00Z", "17 April 2024 14:07"], "2024-04-17T10:05:00Z", "+00:00"),
        # a time with an offset of its own keeps it
        (["2024-04-17T14:05:00+04:00", "17 April 2024 10:05"], "2024-04-17T10:05:00Z", "+04:00"),
    ],
)
def test_a_utc_time_takes_the_offset_the_page_prints(candidates, utc, offset):
    published = first_published(candidates, "UTC", FETCHED)
    assert (published.iso, published.offset) == (utc, offset)


def test_a_date_passed_over_as_absurd_is_reported():
    published = first_published(["2099-01-01T00:00:00Z", "url:2024-06-12"], "Asia/Baku", FETCHED)
    assert (published.iso, published.raw, published.passed_over) == (
        "2024-06-11T20:00:00Z",
        "url:2024-06-12",
        "rejected",
    )


@pytest.mark.parametrize(
    "raw, precision",
    [
        ("2024-04-17T10:05:30+04:00", "second"),
        ("Wed, 17 Apr 2024 10:05:00 GMT", "second"),
        ("2024-04-17T10:05+04:00", "minute"),
        ("17.04.2024 14:05", "minute"),
        ("10:37, 17 April 2024", "minute"),
        ("May 3, 2024, 2 pm", "minute"),
        ("3 hours ago", "minute"),
        ("3 часа назад", "minute"),
        ("Jun 05, 2026", "day"),  # the page
        ("2024-04-17", "day"),
        ("17.04.2024", "day"),
        ("17 апреля 2024 г.", "day"),
        ("05. November 2024", "day"),
        ("yesterday", "day"),
        ("вчера", "day"),
        ("url:2024-06-12", "day"),
        ("June 2024", "month"),
        ("2024-06", "month"),
    ],
)
def test_precision_of(raw, precision):
    assert precision_of(raw) == precision


@pytest.mark.parametrize(
    "raw, tz, iso, precision",
    [
        # a day-only date: the outlet's midnight, marked as a day (not a time of 04:00 UTC)
        ("Jun 05, 2026", "America/New_York", "2026-06-05T04:00:00Z", "day"),
        ("2026-06-05", "Asia/Baku", "2026-06-04T20:00:00Z", "day"),
        ("yesterday", "UTC", "2026-06-19T00:00:00Z", "day"),  # the day, not this time yesterday
        ("June 2026", "UTC", "2026-06-01T00:00:00Z", "month"),
        ("2026-06-05T10:00:00Z", "UTC", "2026-06-05T10:00:00Z", "second"),
    ],
)
def test_a_date_keeps_its_precision(raw, tz, iso, precision):
    result = parse_published(raw, tz, datetime(2026, 6, 20, 15, 30, tzinfo=UTC))
    assert (result.iso, result.precision) == (iso, precision)


@pytest.mark.parametrize(
    "start, precision, end",
    [
        (datetime(2026, 6, 5, 4, tzinfo=UTC), "day", datetime(2026, 6, 6, 4, tzinfo=UTC)),
        (datetime(2026, 5, 31, 20, tzinfo=UTC), "month", datetime(2026, 6, 30, 20, tzinfo=UTC)),
        (datetime(2026, 2, 1, tzinfo=UTC), "month", datetime(2026, 3, 1, tzinfo=UTC)),
        (datetime(2026, 6, 5, 10, tzinfo=UTC), "minute", datetime(2026, 6, 5, 10, tzinfo=UTC)),
    ],
)
def test_published_span(start, precision, end):
    assert published_span(start, precision) == (start, end)
