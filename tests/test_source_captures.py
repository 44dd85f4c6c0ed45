"""Which captures of a feed or sitemap a backfill reads (media_monitor.archives.sourcecaptures)."""

from datetime import UTC, datetime, timedelta

import pytest

from media_monitor.archives.sourcecaptures import CaptureChain, listed_dates

START = datetime(2024, 4, 1, tzinfo=UTC)


def day(offset: float) -> datetime:
    return START + timedelta(days=offset)


def read_all(taken_days: list[float], published_days: list[float], size: int) -> tuple[list[int], set[float]]:
    """Walk a chain over a feed that lists its ``size`` latest entries: the captures read and the
    entries seen."""
    chain = CaptureChain([day(d) for d in taken_days])
    read, seen, index = [], set(), chain.first()
    while index is not None:
        listed = sorted(p for p in published_days if p <= taken_days[index])[-size:]
        read.append(index)
        seen.update(listed)
        index = chain.read(index, [day(p) for p in listed])
    return read, seen


@pytest.mark.parametrize(
    ("name", "taken", "published", "size"),
    [
        ("daily captures, a steady feed of ten days", list(range(60)), [p / 2 for p in range(120)], 20),
        (
            "a story breaks: forty entries in two days",
            list(range(60)),
            [*range(0, 60, 3), *[30 + p / 20 for p in range(40)]],
            10,
        ),
        ("captures every few hours, a slow feed", [h / 6 for h in range(360)], list(range(0, 60, 4)), 5),
        ("a whole-year sitemap", [0, 5, 9, 40, 80], [-300 + p for p in range(385)], 1000),
        ("a gap in the captures", [*range(10), *range(40, 50)], list(range(50)), 5),
    ],
)
def test_the_chain_sees_every_entry_some_capture_shows(name, taken, published, size):
    chain_read, chain_seen = read_all(taken, published, size)
    every_capture_seen = read_all_captures(taken, published, size)
    assert chain_seen == every_capture_seen, name
    assert chain_read[0] == 0 and max(chain_read) == len(taken) - 1


def read_all_captures(taken, published, size) -> set[float]:
    return {p for t in taken for p in sorted(q for q in published if q <= t)[-size:]}


def test_the_chain_reads_fewer_captures_where_the_feed_spans_longer_than_their_spacing():
    read, _ = read_all(list(range(60)), [p / 2 for p in range(120)], 20)  # ten days a capture shows
    assert len(read) <= 60 / 4  # a ramp while the feed fills, then a jump of eight days
    read, _ = read_all(list(range(60)), [p / 2 for p in range(120)], 2)  # one day: every capture
    assert len(read) == 60


@pytest.mark.parametrize(
    ("listed", "expected"),
    [
        # Entries dated after the capture (a clock wrong) or none at all: the next capture.
        ([], 1),
        ([day(5)], 1),
        # A capture that shows only its own moment: span zero, the next capture.
        ([day(0)], 1),
    ],
)
def test_unknown_or_empty_spans_read_the_next_capture(listed, expected):
    chain = CaptureChain([day(0), day(1), day(2)])
    assert chain.read(0, listed) == expected


def test_listed_dates_of_feeds_and_sitemaps():
    rss = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>
    <item><title>a</title><link>https://x.example/a</link><pubDate>Wed, 17 Apr 2024 15:30:00 +0400</pubDate></item>
    <item><title>b</title><link>https://x.example/b</link></item></channel></rss>"""
    sitemap = b"""<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9"
    xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">
    <url><loc>https://x.example/a</loc><news:news><news:publication_date>2024-04-17</news:publication_date></news:news></url>
    <url><loc>https://x.example/b</loc><lastmod>2024-04-18T10:00:00Z</lastmod></url></urlset>"""
    assert listed_dates(rss) == ["Wed, 17 Apr 2024 15:30:00 +0400"]
    assert listed_dates(sitemap) == ["2024-04-17", "2024-04-18T10:00:00Z"]
    assert listed_dates(b"<html><body>not a feed</body></html>") == []
    assert listed_dates(b"\x1f\x8b\x08\x00") == []
