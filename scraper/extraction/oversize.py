"""A page too large to parse whole, cut to what a reader reads.

An article page weighs a few hundred kilobytes. One of ten megabytes (a live blog never
trimmed, a page of inline data) held the crawl's only thread for half a minute and took close
to a gigabyte to parse (issue 20): every outlet waited. A page over the limit first loses what
no reader reads (scripts other than JSON-LD, styles, inline SVG, base64 ``data:`` URIs); if it
is still over, its end goes: the article comes first in the markup, and lxml closes the
elements a cut leaves open.
"""

from __future__ import annotations

import re

MAX_PAGE_CHARS = 2_000_000  # MONITOR_MAX_PAGE_CHARS

_UNREAD = (
    re.compile(r"<script\b(?![^>]*application/ld\+json)[^>]*>.*?</script\s*>", re.IGNORECASE | re.DOTALL),
    re.compile(r"<style\b[^>]*>.*?</style\s*>", re.IGNORECASE | re.DOTALL),
    re.compile(r"<svg\b.*?</svg\s*>", re.IGNORECASE | re.DOTALL),
)
_DATA_URI = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=\s]{256,}", re.IGNORECASE)


def bounded_html(html: str, limit: int = MAX_PAGE_CHARS) -> tuple[str, bool]:
    """``html`` within ``limit`` characters, and whether its end had to go (0: no limit)."""
    if limit <= 0 or len(html) <= limit:
        return html, False
    for unread in _UNREAD:
        html = unread.sub("", html)
    html = _DATA_URI.sub("data:,", html)
    if len(html) <= limit:
        return html, False
    cut = html.rfind("<", 0, limit)  # at a tag's start, not inside one
    return html[: cut if cut > 0 else limit], True
