from datetime import UTC, date, datetime

import pytest

from media_monitor.story.window import DateWindow, days_in, partition_span

NOW = datetime(2026, 1, 1, tzinfo=UTC)
WINDOW = DateWindow.from_bounds("2024-04-01", "2024-06-30")


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


def test_bounds_until_a_date_includes_that_day():
    assert WINDOW.since == utc(2024, 4, 1) and WINDOW.until == utc(2024, 7, 1)
    assert DateWindow.from_bounds(None, "2024-06-30T12:00:00+04:00").until == utc(2024, 6, 30, 8)
    assert DateWindow().is_open and not WINDOW.is_open


@pytest.mark.parametrize(
    "raw, tz, excluded",
    [
        ("2024-04-01T00:00:00Z", "UTC", False),
        ("2024-03-31T23:59:59Z", "UTC", True),
        ("2024-04-01 02:00:00", "Asia/Baku", True),  # 31 March 22:00 UTC
        ("2024-06-30T23:59:00Z", "UTC", False),
        ("Mon, 01 Jul 2024 00:00:00 GMT", "UTC", True),
        ("", "UTC", False),  # unknown dates are decided later, on the page
        ("gibberish", "UTC", False),
        # a day-only date stands for its whole day: inside when the day meets the window
        ("31.03.2024", "Asia/Baku", True),
        ("01.04.2024", "America/New_York", False),
        ("Jul 01, 2024", "America/New_York", True),
        # ... and a date that says only its month, the whole month
        ("March 2024", "UTC", True),
        ("June 2024", "UTC", False),
    ],
)
def test_excludes_raw(raw, tz, excluded):
    assert WINDOW.excludes_raw(raw, tz, NOW) is excluded


def test_lastmod_before_the_window_means_nothing_inside():
    assert WINDOW.modified_before("2024-03-28T12:00:00+04:00", "UTC", NOW)
    assert not WINDOW.modified_before("2024-07-02", "UTC", NOW)  # edited later: may hold older items
    assert not WINDOW.modified_before(None, "UTC", NOW)


@pytest.mark.parametrize(
    "url, excluded",
    [
        ("https://x.example/sitemap-2024-03.xml", True),
        ("https://x.example/sitemap-2024-04.xml", False),
        ("https://x.example/sitemap-2024-07.xml", True),
        ("https://x.example/sitemap/2024/06/30.xml", False),
        ("https://x.example/sitemap/2024/07/02.xml", True),
        ("https://ria.ru/sitemap_article.xml?date_start=20240501&date_end=20240531", False),
        ("https://www.aljazeera.com/sitemap.xml?yyyy=2024&mm=02&dd=10", True),
        ("https://x.example/sitemap-news.xml", False),  # no date: must be read
    ],
)
def test_excludes_partition(url, excluded):
    assert WINDOW.excludes_partition(url) is excluded


def test_partition_span_follows_the_outlets_midnight():
    assert partition_span("https://x/sitemap-2024-02.xml") == (utc(2024, 2, 1), utc(2024, 3, 1))
    assert partition_span("https://x/sitemap-2024-02.xml", "Asia/Baku") == (utc(2024, 1, 31, 20), utc(2024, 2, 29, 20))
    # a March partition of an outlet west of UTC reaches into 1 April UTC
    assert not WINDOW.excludes_partition("https://x/sitemap-2024-03.xml", "America/New_York")
    assert WINDOW.excludes_partition("https://x/sitemap-2024-03.xml", "Asia/Yerevan")


def test_days_in_window_newest_first():
    window = DateWindow.from_bounds("2024-04-29", "2024-05-01")
    assert days_in(window, date(2026, 1, 1)) == [date(2024, 5, 1), date(2024, 4, 30), date(2024, 4, 29)]
    assert days_in(DateWindow(), date(2026, 1, 1)) == [date(2026, 1, 1)]


# A window that starts at noon: a day-only date of that day is inside, a timed one before noon not.
NOON = DateWindow.from_bounds("2024-06-05T12:00:00Z", "2024-06-06T12:00:00Z")


@pytest.mark.parametrize(
    "start, precision, inside",
    [
        (utc(2024, 6, 5), "day", True),
        (utc(2024, 6, 5, 4), "minute", False),
        (utc(2024, 6, 4, 4), "day", False),  # 4 June 04:00 UTC to 5 June 04:00: before noon
        (utc(2024, 6, 6, 12), "day", False),
        (utc(2024, 6, 1), "month", True),
        (utc(2024, 6, 5, 12), None, True),
    ],
)
def test_contains_published(start, precision, inside):
    assert NOON.contains_published(start, precision) is inside


def test_a_whole_day_before_the_window_is_before_its_start():
    assert NOON.before_start("2024-06-04", "UTC", NOW)
    assert not NOON.before_start("2024-06-05", "UTC", NOW)
    assert NOON.before_start("2024-06-05T11:00:00Z", "UTC", NOW)
