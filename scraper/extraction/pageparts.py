"""Where on a page an element sits, and what on a page describes a picture."""

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


# What describes a picture rather than telling the story: captions (<figcaption>, AP's
# carousel "CarouselSlide-infoDescription", "Bildunterschrift"), credits, and alt texts.
_PICTURE_TEXT_TAGS = ("figcaption", "div", "span", "p", "small", "cite", "figure")
_PICTURE_TEXT_CLASS = re.compile(
    "caption|credit|carouselslide-info|bildunterschrift|image-desc|photo-desc|img-desc", re.IGNORECASE
)
# Captions are a sentence or three; a longer element is no caption, whatever its class.
CAPTION_MAX_CHARS = 600
# A line this long that a caption contains is the caption's (a shorter one may be any phrase).
CAPTION_PART_MIN_CHARS = 40


def picture_texts(tree: lxml.html.HtmlElement) -> set[str]:
    """The page's captions, picture credits and alt texts, whole and by paragraph, spaces collapsed."""
    found = {" ".join(alt.split()) for alt in tree.xpath("//img/@alt")}
    # one pass over the elements that hold captions: cheaper than an XPath of case-folded
    # ``contains`` or a pass over every element
    for element in tree.iter(*_PICTURE_TEXT_TAGS):
        if element.tag != "figcaption" and not _PICTURE_TEXT_CLASS.search(element.get("class") or ""):
            continue
        whole = " ".join(element.text_content().split())
        if len(whole) > CAPTION_MAX_CHARS:
            continue  # a story's block whose class says it has captions ("has-caption")
        found.add(whole)
        found.update(" ".join(p.text_content().split()) for p in element.iter("p"))
    return {text for text in found if text}


def without_leading_captions(text: str, captions: set[str], headline: str | None = None) -> str:
    """``text`` without the captions an extractor took for its first lines, under the
    headline if the text starts with it (an AP page's carousel caption, twice); a line is a
    caption's when it is one, or a long part of one."""
    lines = text.split("\n")
    first = 1 if headline and lines and " ".join(lines[0].split()) == headline else 0
    while len(lines) > first + 1:
        line = " ".join(lines[first].split())
        if not (line in captions or (len(line) >= CAPTION_PART_MIN_CHARS and any(line in c for c in captions))):
            break
        del lines[first]
    return "\n".join(lines)
