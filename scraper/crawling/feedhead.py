"""The head of a feed: its first entries, closed as a whole document.

feedparser reads a feed whole: a ten-megabyte feed of 40,000 items took ten seconds of the
crawl's only thread and 100 MB, to keep the first thousand (``MONITOR_MAX_FEED_ENTRIES``). The
end of the bounded entry is found by a byte scan, and the document is cut there and closed as
its kind closes (RSS 2.0, RSS 1.0/RDF, Atom), so that feedparser parses the head alone, without
finding it malformed.
"""

from __future__ import annotations

import re

_ENTRY_END = re.compile(rb"</(?:[\w.-]+:)?(?:item|entry)\s*>", re.IGNORECASE)
_ROOT = re.compile(rb"<((?:[\w.-]+:)?(rss|feed|rdf))[\s>]", re.IGNORECASE)


def feed_head(body: bytes, entries: int) -> tuple[bytes, int]:
    """``body`` cut after its first ``entries`` entries and closed, and the number of entries
    left out (0: the body as it is)."""
    ends = [match.end() for match in _ENTRY_END.finditer(body)]
    root = _ROOT.search(body[:8192])
    if len(ends) <= entries or root is None or entries <= 0:
        return body, 0
    name, kind = root.group(1), root.group(2).lower()
    closing = b"</channel></" + name + b">" if kind == b"rss" else b"</" + name + b">"
    return body[: ends[entries - 1]] + closing, len(ends) - entries
