"""Where on a page an element sits."""

from __future__ import annotations

import re

import lxml.html


def element_or_ancestor_matches(element: lxml.html.HtmlElement, tags: tuple[str, ...], pattern: re.Pattern) -> bool:
    """Is ``element``, or one of its ancestors, one of ``tags`` or of a class or id that
    ``pattern`` finds? ``<body>`` and ``<html>`` are not asked: their classes describe the
    page's layout ("one-sidebar"), not where the element sits."""
    return any(
        e.tag in tags or pattern.search(f"{e.get('class') or ''} {e.get('id') or ''}")
        for e in (element, *element.iterancestors("*"))
        if e.tag not in ("body", "html")
    )
