"""Which captures of a feed or a sitemap to read: enough to see every entry it listed, not every capture.

A feed lists its latest entries, so a capture taken at T shows what was published from its oldest
entry's date O up to T. The Wayback Machine may hold a capture of it every few hours; reading
them all reads the same entries again and again, at one archive request a second.

``CaptureChain`` reads the first capture, then jumps ahead to the latest capture taken no later
than T + (T - O) × ``SPAN_MARGIN``: if the feed's span stays about the same, that capture's
oldest entry is still no later than T, so the captures in between list nothing these two do not.
A span can shrink (a story breaks and the feed fills in hours), so each jump is checked: when
the capture jumped to begins after the last one read ended (or dates no entry), the captures
skipped are read backwards until one reaches back to it. What no capture shows (a gap in the
archive's captures) nobody can see; the chain then goes on from the capture jumped to.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from io import BytesIO

import feedparser
from lxml import etree

# A feed publishing faster than before shortens its span: jump a little short of the reach.
SPAN_MARGIN = 0.8
_SITEMAP_DATES = {"lastmod", "publication_date"}


class CaptureChain:
    """The captures of one source (times ascending) and which to read next: ``read`` is told
    each capture read with its entries' dates and answers the next index (None: done)."""

    def __init__(self, taken: Sequence[datetime]):
        self.taken = list(taken)
        self.seen_until: int | None = None  # every entry up to this capture was seen
        self.jumped: tuple[int, datetime | None] | None = None  # a capture read ahead, a gap behind it

    def first(self) -> int | None:
        return 0 if self.taken else None

    def read(self, index: int, listed: Iterable[datetime]) -> int | None:
        dates = [moment for moment in listed if moment <= self.taken[index]]
        oldest = min(dates) if dates else None
        if self.seen_until is None:
            return self._go_on_from(index, oldest)
        joins = index == self.seen_until + 1 or (oldest is not None and oldest <= self.taken[self.seen_until])
        if self.jumped is None:  # read ahead: does it join what was seen?
            if joins:
                return self._go_on_from(index, oldest)
            self.jumped = (index, oldest)
            return index - 1
        if joins:  # reading back through the gap: closed, or no capture left in it
            jumped, self.jumped = self.jumped, None
            return self._go_on_from(*jumped)
        return index - 1

    def _go_on_from(self, index: int, oldest: datetime | None) -> int | None:
        self.seen_until = index
        if index + 1 >= len(self.taken):
            return None
        if oldest is None:
            return index + 1
        at = self.taken[index]
        reach = at + (at - oldest) * SPAN_MARGIN
        within = [later for later in range(index + 1, len(self.taken)) if self.taken[later] <= reach]
        return within[-1] if within else index + 1


def listed_dates(body: bytes) -> list[str]:
    """The raw dates a feed's entries or a sitemap's entries carry (publication or modification,
    whichever is given), in document order; [] for anything else."""
    if body[:2] == b"\x1f\x8b":
        return []  # a gzipped sitemap: read whole by the spider, every capture of it read
    start = body[:512].lstrip()
    if b"urlset" in start or b"sitemapindex" in start:
        dates = []
        for _event, element in etree.iterparse(BytesIO(body), recover=True, resolve_entities=False, no_network=True):
            if isinstance(element.tag, str) and etree.QName(element).localname in _SITEMAP_DATES and element.text:
                dates.append(element.text.strip())
        return dates
    entries = feedparser.parse(body).entries
    return [date for entry in entries if (date := entry.get("published") or entry.get("updated"))]
