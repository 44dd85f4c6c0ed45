"""The publication dates an article page prints, as raw strings in order of trust.

``media_monitor.extraction.page`` puts JSON-LD and the metas first; this module reads ``<time datetime>``,
the dates printed for the reader, and settles their order with the day in the URL. Parsing
them is the pipeline's work (``media_monitor.normalise.dates``).
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import lxml.html

from media_monitor.extraction.pageparts import element_or_ancestor_matches
from media_monitor.normalise.dates import url_candidate

ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?")


def iso_day(candidate: str) -> tuple[str, bool] | None:
    """The day an ISO candidate names and whether it carries an offset; None if not ISO."""
    match = ISO_DATE.match(candidate)
    return ("-".join(match.groups()[:3]), bool(match.group(4))) if match else None


def trust_the_url(candidates: list[str], url_day: str | None) -> list[str]:
    """A URL's day is fixed when the article is first published, while metas and time
    elements may carry an update. When the URL names a day, the candidate that names the
    same day goes first (one whose offset puts it a day off in UTC, if none does). When every
    ISO candidate is dated after that day (and not in the future, which is no update but an
    error the pipeline counts), they are updates: the URL's day goes first."""
    if not url_day:
        return candidates
    days = [iso_day(c) for c in candidates]
    for exact in (True, False):
        for index, day in enumerate(days):
            if day and (
                day[0] == url_day
                or (
                    not exact
                    and day[1]
                    and abs(date.fromisoformat(day[0]) - date.fromisoformat(url_day)) <= timedelta(days=1)
                )
            ):
                return [candidates[index], *candidates[:index], *candidates[index + 1 :]]
    iso_days = [day[0] for day in days if day]
    if iso_days and all(url_day < day <= date.today().isoformat() for day in iso_days):
        return [url_candidate(url_day), *candidates]
    return candidates


def time_elements(tree: lxml.html.HtmlElement) -> list[str]:
    """``<time datetime>`` values, the one marked as the publication time first; not those
    marked as a change (``dateModified``, "updated") nor those of the parts of a page that
    date something else (teasers, related lists, asides: ``_ELSEWHERE``)."""
    marked = tree.xpath(
        '//time[@pubdate or @itemprop="datePublished" or contains(@class, "publish")'
        ' or contains(@class, "entry-date") or contains(@class, "post-date")]'
    )
    found = []
    for element in [*marked, *tree.iter("time")]:
        value = (element.get("datetime") or "").strip()
        if not value or value in found:
            continue
        if element.get("itemprop") == "dateModified" or _NOT_PUBLICATION.search(element.get("class") or ""):
            continue
        if element_or_ancestor_matches(element, _ELSEWHERE_TAGS, _ELSEWHERE):
            continue
        found.append(value)
    return found


# Elements that print the date for the reader: <time> without a machine value, the element
# of a calendar icon, and elements whose class or id says "date" (not "update": a change is
# not the publication).
_DATE_CLASS = re.compile(r"date|datum|fecha|published")
_NOT_PUBLICATION = re.compile(r"update|modif", re.IGNORECASE)
_CALENDAR_ICON = re.compile(r"\b(?:fa|icon)-calendar")
_DATE_TAGS = ("time", "span", "div", "p", "li", "small", "abbr", "i")


# Where a date is today's or another article's, not this one's: the site's header bar ("Friday,
# 27 November"), navigation, sidebars, footers, teaser lists, comments.
_ELSEWHERE_TAGS = ("nav", "aside", "footer")
_ELSEWHERE = re.compile(
    r"site-header|masthead|top-?bar|today|current-date|clock|weather|sidebar|"
    r"related|teaser|comment|(?:^|\s)(?:site-|page-)?footer|"
    r"promo|recommend|read-?next|more-(?:stories|news|articles)|most-(?:read|popular)|trending"
)


def _date_elements(tree: lxml.html.HtmlElement):
    """Elements that print the date for the reader, in page order (see the comment above),
    outside the parts of a page that date something else."""
    for element in _date_element_candidates(tree):
        if not element_or_ancestor_matches(element, _ELSEWHERE_TAGS, _ELSEWHERE):
            yield element


def _date_element_candidates(tree: lxml.html.HtmlElement):
    for element in tree.iter(_DATE_TAGS):
        if element.tag == "time":
            if element.get("datetime") is None:
                yield element
            continue
        classes = element.get("class") or ""
        if element.tag == "i":
            if _CALENDAR_ICON.search(classes) and element.getparent() is not None:
                yield element.getparent()
        elif (_DATE_CLASS.search(classes) or "date" in (element.get("id") or "")) and not _NOT_PUBLICATION.search(
            classes
        ):
            yield element


# A date as printed, with its time before or after it and a zone after it: "17.04.2024 14:05",
# "12-06-2024, 16:55", "2024-04-17 14:05", "17 April 2024", "01 dekabr, 2024 23:43",
# "October 7, 2023 - 15:44 AMT", "10:37, 17 April 2024", "21 July 2025 14:01 (UTC+04:00)".
_TIME = r"\d{1,2}:\d{2}(?::\d{2})?(?:\s?[AaPp]\.?[Mm]\.?(?![A-Za-z]))?"
_BETWEEN = r"(?:\s*[,|–—-]\s*|\s*\[\s*|\s+(?:um|à|в|at)\s+|\s+)"
_DAY = (
    r"(?:\d{1,2}[./-]\s?\d{1,2}[./-]\s?\d{4}|\d{4}-\d{2}-\d{2}"
    r"|\d{1,2}\.?\s+[^\W\d_]{3,12}\.?,?\s+\d{4}|[^\W\d_]{3,12}\.?\s+\d{1,2},?\s+\d{4})"
)
_ZONE = r"(?:\s*\(?(?:UTC|GMT)\s?[+-]\s?\d{1,2}(?::?\d{2})?\)?|\s+(?:AMT|AZT|GET|MSK|GMT|UTC)\b)?"
PRINTED_DATE = re.compile(rf"(?:{_TIME}{_BETWEEN})?{_DAY}(?:{_BETWEEN}{_TIME})?{_ZONE}")


def printed_dates(tree: lxml.html.HtmlElement) -> list[str]:
    """The first dates printed for the reader in a date element, as printed."""
    found: list[str] = []
    for tried, element in enumerate(_date_elements(tree)):
        if tried == 12:
            break
        match = PRINTED_DATE.search(" ".join(element.text_content().split())[:120])
        if match and match.group(0) not in found:
            found.append(match.group(0))
            if len(found) == 2:
                break
    return found


# Dates the text gives in words, for pages whose markup dates nothing: a blog's "This entry was
# posted on Wednesday, May 19th, 2010", "wurde am 19. Mai 2010 um 23:03 Uhr gepostet", and, when
# no publication is dated at all, a page's "Letzte Änderung: 14.01.2022" (closer to its date than
# a date its text mentions, which is what is left).
_ORDINAL_DAY = (
    r"(?:[^\W\d_]{3,12},?\s+)?(?:[^\W\d_]{3,12}\.?\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?[^\W\d_]{3,12},?\s+\d{4})"
)
_PHRASE_DATE = rf"(?:{PRINTED_DATE.pattern}|{_ORDINAL_DAY}(?:{_BETWEEN}{_TIME})?)"
_PUBLISHED_PHRASE = re.compile(
    rf"\b(?:posted|published|veröffentlicht|gepostet|publié|publicado|pubblicato|опубликовано)"
    rf"(?:\s+(?:on|am|le|el|il))?\s*:?\s+({_PHRASE_DATE})"
    rf"|\bam\s+({_PHRASE_DATE})(?:\s+Uhr)?\s+(?:gepostet|veröffentlicht|erschienen)\b",
    re.IGNORECASE,
)
_UPDATED_PHRASE = re.compile(
    rf"\b(?:last (?:modified|updated|changed)|letzte änderung|zuletzt (?:geändert|aktualisiert)|"
    rf"dernière (?:mise à jour|modification)|última (?:actualización|modificación)|последнее обновление)"
    rf"(?:\s+(?:on|am|le|el))?\s*:?\s+({_PHRASE_DATE})",
    re.IGNORECASE,
)
# The page's own text: not scripts, and not the parts that date something else.
_OWN_TEXT = (
    "//body//text()[not(ancestor::script or ancestor::style or ancestor::nav or ancestor::aside"
    " or ancestor::*[contains(@class, 'comment') or contains(@id, 'comment')])]"
)


def phrase_dates(tree: lxml.html.HtmlElement) -> list[str]:
    """The first date the text says the page was published on; else the date it says it was
    last changed on (see above)."""
    text = " ".join(" ".join(tree.xpath(_OWN_TEXT)).split())
    for phrase in (_PUBLISHED_PHRASE, _UPDATED_PHRASE):
        match = phrase.search(text)
        if match:
            return [next(group for group in match.groups() if group)]
    return []


# A byline's line, as long as it may be to still be one: "Par Loïc Le Clerc | 30 septembre 2018".
BYLINE_LINE_MAX_CHARS = 160


def date_on_line(byline: lxml.html.HtmlElement | None) -> list[str]:
    """The date printed on the byline's line ("By Ann Lee | 17 April 2024"), when the page
    prints it in no element of its own: in the byline element's parent, if that is short."""
    parent = byline.getparent() if byline is not None else None
    if parent is None:
        return []
    line = " ".join(parent.text_content().split())
    match = PRINTED_DATE.search(line) if len(line) <= BYLINE_LINE_MAX_CHARS else None
    return [match.group(0)] if match else []


def distinct_dates(values: list[Any]) -> list[str]:
    """Non-empty candidates without repeats; a bare date already given with a time is a repeat."""
    kept: list[str] = []
    for value in values:
        value = value.strip() if isinstance(value, str) else ""
        if value and not any(k == value or (len(value) == 10 and k.startswith(value)) for k in kept):
            kept.append(value)
    return kept
