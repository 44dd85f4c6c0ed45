"""An article's headline: as the page prints it, and without the site's name.

The page's own titles (JSON-LD, OpenGraph, Twitter, the outlet's selector, ``<title>``) are
often worded for search engines or carry "| Site"; the heading the reader sees is the
headline, when those titles agree with it.
"""

from __future__ import annotations

import re
from itertools import pairwise
from urllib.parse import urlsplit

import lxml.html

from media_monitor.normalise.urls import unarchived

TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·•»«/]{1,2}\s+|\s*\|\s*")
_NOT_WORD = re.compile(r"[\W_]+")


def letters_and_digits(text: str) -> str:
    """A title's letters and digits, case-folded: what two spellings of one title share."""
    return _NOT_WORD.sub("", text.casefold())


def site_keys(url: str, site_name: str | None) -> set[str]:
    host = (urlsplit(unarchived(url)).hostname or "").lower()
    labels = [label for label in host.split(".") if label not in ("www", "m", "amp", "com", "org", "net", "co", "uk")]
    keys = {letters_and_digits(label) for label in labels if len(label) > 2}
    keys.add(letters_and_digits(host.removeprefix("www.")))
    if site_name:
        keys.add(letters_and_digits(site_name))
    return {k for k in keys if k}


def names_site(part: str, keys: set[str]) -> bool:
    part_key = letters_and_digits(part)
    return bool(part_key) and any(k == part_key or (len(k) > 3 and k in part_key) for k in keys)


def without_site_name(title: str | None, keys: set[str]) -> str | None:
    """A title without the site's name that CMSs add: 'Headline | Site', 'Site - Headline'."""
    if not title:
        return title
    parts = TITLE_SEPARATORS.split(title)
    if len(parts) > 1:
        if names_site(parts[-1], keys):
            return title[: title.rindex(parts[-1])].rstrip(" |-–—:·•»«/").strip()
        if names_site(parts[0], keys):
            return title[len(parts[0]) :].lstrip(" |-–—:·•»«/").strip()
    return title


def _title_ends(title: str) -> set[str]:
    """Keys of a title whole and of each run of its parts from either end: what a headline
    may be once 'Site » Section' or '| Site' is taken off."""
    keys = [letters_and_digits(part) for part in TITLE_SEPARATORS.split(title)]
    return {"".join(keys[:i]) for i in range(1, len(keys) + 1)} | {"".join(keys[i:]) for i in range(len(keys))}


# Parts of a heading: a kicker (topline, overline, "Dachzeile") printed above or before the
# headline proper, and a section's or a format's label, which is not part of the headline.
_KICKER = re.compile(r"kicker|topline|overline|roofline|dachzeile|spitzmarke|eyebrow|supertitle|pre-?title", re.I)
_LABEL = re.compile(r"label|section|category|ressort|rubri[kc]|channel|breadcrumb", re.I)
# Punctuation a page prints between a kicker and its headline itself.
_PRINTED_SEPARATOR = ":|–—-·•»/"


def _parts(element: lxml.html.HtmlElement) -> list[tuple[str, str, bool]] | None:
    """A heading made of parts: each child element's or line's text, its class and id, and
    whether whitespace came before it; None for a heading of running text (words outside
    its child elements, or fewer than two children)."""
    children = [child for child in element if isinstance(child.tag, str)]
    lines = [c for c in children if c.tag == "br"]
    if lines:  # "Kicker<br>Headline": each line a part
        texts = [element.text or "", *(c.tail or "" for c in lines)]
        return [(" ".join(t.split()), "", False) for t in texts if t.strip()]  # a line apart
    if len(children) < 2 or (element.text or "").strip() or any((c.tail or "").strip() for c in children):
        return None
    parts = []
    for index, child in enumerate(children):
        spaced = index == 0 or bool(children[index - 1].tail) or child.text_content()[:1].isspace()
        text = " ".join(child.text_content().split())
        if text:
            parts.append((text, f"{child.get('class') or ''} {child.get('id') or ''}", spaced))
    return parts


def heading_text(element: lxml.html.HtmlElement) -> str:
    """A heading's text as the reader sees it: a kicker kept apart from the headline (the
    page's own punctuation between them, else ": "), a section's label left out, soft hyphens
    and zero-width characters dropped. "<span class=topline>Ausschuss zur Ahrtal-Flut</span>
    <span>Zwei Rücktritte</span>" -> "Ausschuss zur Ahrtal-Flut: Zwei Rücktritte"."""
    parts = _parts(element)
    if not parts:
        text = element.text_content()
    else:
        kept = [p for p in parts if not (_LABEL.search(p[1]) and not _KICKER.search(p[1]))] or parts
        text = kept[0][0]
        for (before, classes, _), (part, _, spaced) in pairwise(kept):
            apart = _KICKER.search(classes) or not spaced
            printed = before[-1:] in _PRINTED_SEPARATOR or part[:1] in _PRINTED_SEPARATOR
            text += f"{': ' if apart and not printed else ' '}{part}"
    return " ".join(_INVISIBLE.sub("", text).split())


_INVISIBLE = re.compile("[\u00ad\u200b-\u200d\u2060\ufeff]")


def _headings(tree: lxml.html.HtmlElement) -> list[str]:
    texts: list[str] = []
    for element in tree.iter("h1", "h2", "h3"):
        text = heading_text(element)
        if text and text not in texts:
            texts.append(text)
    return texts


def _is_headline_sized(text: str) -> bool:
    return len(text.split()) >= 2 or len(text) >= 12  # scripts without spaces count by length


def printed_headline(tree: lxml.html.HtmlElement, page_titles: list[str], keys: set[str]) -> str | None:
    """The headline as the reader sees it (case, quotes and dashes as printed).

    The longest heading that one of the page's own titles (JSON-LD, OpenGraph, Twitter,
    <title>) names, whole or at one end; else the page's only <h1>, which metadata written
    for search engines and social cards may word differently. Headings that are the site's
    name (a logo) or a single word (menus, sections) are not headlines.
    """
    ends = set().union(*(_title_ends(t) for t in page_titles)) - {""}
    headings = [h for h in _headings(tree) if letters_and_digits(h) not in keys and _is_headline_sized(h)]
    agreed = [h for h in headings if letters_and_digits(h) in ends]
    if agreed:
        return max(agreed, key=len)
    h1s = {heading_text(e): e for e in tree.iter("h1")}
    h1s.pop("", None)
    if len(h1s) == 1:
        ((h1, element),) = h1s.items()
        # not a logo: a name with the site's in it, or a link to the home page
        if h1 in headings and not names_site(h1, keys) and not _links_home(element):
            return h1
    return None


def _links_home(element: lxml.html.HtmlElement) -> bool:
    links = element.xpath(".//a/@href")
    return len(links) == 1 and urlsplit(links[0]).path in ("", "/")
