"""Read an article page: what it says about itself, and its main text.

Signals are read in order of trust: JSON-LD (``NewsArticle`` and kin), the OpenGraph and
``article:*`` metas, the outlet's own selectors (``[outlet.selectors]``), then generic
heuristics and trafilatura.

* Title: the headline as printed — the longest heading that the page's own titles (JSON-LD,
  OpenGraph, Twitter, the outlet's selector, ``<title>``) name, whole or beside the site's
  name; else the page's only ``<h1>``; else those titles without the site's name.
* Publication time (``published_candidates``, most trusted first): JSON-LD ``datePublished``,
  the date metas, microdata, ``<time datetime>``, the outlet's selector, dates printed in date
  elements, trafilatura's (htmldate). The day in the URL reorders them (the candidate on that
  day first; the URL's day first when every page date is later, i.e. an update). The pipeline
  then adds the feed's date and, last, the URL's day.
* Authors (``scraper.authors``): JSON-LD (``@id`` references resolved), author metas, the
  outlet's selector, the printed byline, trafilatura's.
* Text: the outlet's selector, else trafilatura's main text with the standfirst it dropped.

Values are returned raw (strings as the page prints them): parsing dates, choosing a language
and cleaning text belong to the pipelines.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

import lxml.html
import trafilatura
from lxml import etree
from trafilatura.utils import load_html

from scraper.authors import choose_authors, json_ld_names, printed_byline, text_byline
from scraper.normalise.dates import url_candidate, url_date
from scraper.normalise.urls import unarchived
from scraper.sources import compile_selector

ARTICLE_TYPES = {
    "NewsArticle", "Article", "ReportageNews", "AnalysisNewsArticle", "BackgroundNewsArticle",
    "OpinionNewsArticle", "ReviewNewsArticle", "BlogPosting", "LiveBlogPosting", "Report",
}
# Meta names that carry a publication time, most trusted first (after article:published_time).
DATE_META = (
    "article:published_time", "og:published_time", "datePublished", "pubdate", "publishdate",
    "date", "dc.date", "dc.date.issued", "dcterms.created", "parsely-pub-date", "sailthru.date",
)


def _first(*values: Any) -> str | None:
    for value in values:
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _json_ld_objects(tree: lxml.html.HtmlElement) -> list[dict]:
    objects: list[dict] = []
    for script in tree.xpath('//script[@type="application/ld+json"]'):
        try:
            data = json.loads(script.text or "", strict=False)
        except ValueError:
            continue  # a broken block must not hide the page's other signals
        pending = data if isinstance(data, list) else [data]
        while pending:
            node = pending.pop(0)
            if isinstance(node, dict):
                objects.append(node)
                pending.extend(g for g in node.get("@graph", []) if isinstance(g, dict))
    return objects


def _is_article(node: dict) -> bool:
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(k in ARTICLE_TYPES for k in kinds if isinstance(k, str))


def _url_of(value: Any) -> str | None:
    if isinstance(value, dict):
        return _first(value.get("@id"), value.get("url"))
    return _first(value)


def _meta(tree: lxml.html.HtmlElement) -> dict[str, str]:
    """Meta tags keyed by lower-cased property/name/itemprop; the first of each wins."""
    found: dict[str, str] = {}
    for element in tree.iter("meta"):
        key = element.get("property") or element.get("name") or element.get("itemprop")
        content = element.get("content")
        if key and content and content.strip():
            found.setdefault(key.strip().lower(), content.strip())
    return found


def _text_of(tree: lxml.html.HtmlElement, xpath: str) -> str | None:
    for node in tree.xpath(xpath):
        text = node if isinstance(node, str) else node.text_content()
        if text and text.strip():
            return " ".join(text.split())
    return None


ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?")
def _iso_day(candidate: str) -> tuple[str, bool] | None:
    """The day an ISO candidate names and whether it carries an offset; None if not ISO."""
    match = ISO_DATE.match(candidate)
    return ("-".join(match.groups()[:3]), bool(match.group(4))) if match else None


def _trust_the_url(candidates: list[str], url_day: str | None) -> list[str]:
    """A URL's day is fixed when the article is first published, while metas and time
    elements may carry an update. When the URL names a day, the candidate that names the
    same day goes first (one whose offset puts it a day off in UTC, if none does). When every
    ISO candidate is dated after that day (and not in the future, which is no update but an
    error the pipeline counts), they are updates: the URL's day goes first."""
    if not url_day:
        return candidates
    days = [_iso_day(c) for c in candidates]
    for exact in (True, False):
        for index, day in enumerate(days):
            if day and (day[0] == url_day or not exact and day[1] and
                        abs(date.fromisoformat(day[0]) - date.fromisoformat(url_day)) <= timedelta(days=1)):
                return [candidates[index], *candidates[:index], *candidates[index + 1:]]
    iso_days = [day[0] for day in days if day]
    if iso_days and all(url_day < day <= date.today().isoformat() for day in iso_days):
        return [url_candidate(url_day), *candidates]
    return candidates


def _time_elements(tree: lxml.html.HtmlElement) -> list[str]:
    """``<time datetime>`` values, the one marked as the publication time first."""
    marked = tree.xpath(
        '//time[@pubdate or @itemprop="datePublished" or contains(@class, "publish")'
        ' or contains(@class, "entry-date") or contains(@class, "post-date")]/@datetime'
    )
    return [v.strip() for v in [*marked, *tree.xpath("//time/@datetime")] if v and v.strip()]


# Elements that print the date for the reader: <time> without a machine value, the element
# of a calendar icon, and elements whose class or id says "date" (not "update": a change is
# not the publication).
_DATE_CLASS = re.compile(r"date|datum|fecha|published")
_NOT_PUBLICATION = re.compile(r"update|modif")
_CALENDAR_ICON = re.compile(r"\b(?:fa|icon)-calendar")
_DATE_TAGS = ("time", "span", "div", "p", "li", "small", "abbr", "i")


def _date_elements(tree: lxml.html.HtmlElement):
    """Elements that print the date for the reader, in page order (see the comment above)."""
    for element in tree.iter(_DATE_TAGS):
        if element.tag == "time":
            if element.get("datetime") is None:
                yield element
            continue
        classes = element.get("class") or ""
        if element.tag == "i":
            if _CALENDAR_ICON.search(classes) and element.getparent() is not None:
                yield element.getparent()
        elif (_DATE_CLASS.search(classes) or "date" in (element.get("id") or "")) \
                and not _NOT_PUBLICATION.search(classes):
            yield element


# A date as printed: 17.04.2024 (14:05), 2024-04-17 (14:05), 17 April 2024, April 17, 2024.
PRINTED_DATE = re.compile(
    r"\d{1,2}[./]\s?\d{1,2}[./]\s?\d{4}(?:,?\s+(?:um\s+|à\s+|в\s+)?\d{1,2}:\d{2})?"
    r"|\d{4}-\d{2}-\d{2}(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,2}\.?\s+[^\W\d_]{3,12}\.?,?\s+\d{4}(?:,?\s+\d{1,2}:\d{2})?"
    r"|[^\W\d_]{3,12}\.?\s+\d{1,2},?\s+\d{4}(?:,?\s+\d{1,2}:\d{2}(?:\s?[AaPp]\.?[Mm]\.?)?)?"
)


def _printed_dates(tree: lxml.html.HtmlElement) -> list[str]:
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


TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·•»«/]{1,2}\s+|\s*\|\s*")
_KEY = re.compile(r"[\W_]+")


def _key(text: str) -> str:
    return _KEY.sub("", text.casefold())


def _site_keys(url: str, site_name: str | None) -> set[str]:
    host = (urlsplit(unarchived(url)).hostname or "").lower()
    labels = [l for l in host.split(".") if l not in ("www", "m", "amp", "com", "org", "net", "co", "uk")]
    keys = {_key(l) for l in labels if len(l) > 2}
    keys.add(_key(host.removeprefix("www.")))
    if site_name:
        keys.add(_key(site_name))
    return {k for k in keys if k}


def _names_site(part: str, keys: set[str]) -> bool:
    part_key = _key(part)
    return bool(part_key) and any(k == part_key or (len(k) > 3 and k in part_key) for k in keys)


def _without_site_name(title: str | None, keys: set[str]) -> str | None:
    """A title without the site's name that CMSs add: 'Headline | Site', 'Site - Headline'."""
    if not title:
        return title
    parts = TITLE_SEPARATORS.split(title)
    if len(parts) > 1:
        if _names_site(parts[-1], keys):
            return title[: title.rindex(parts[-1])].rstrip(" |-–—:·•»«/").strip()
        if _names_site(parts[0], keys):
            return title[len(parts[0]):].lstrip(" |-–—:·•»«/").strip()
    return title


def _title_ends(title: str) -> set[str]:
    """Keys of a title whole and of each run of its parts from either end: what a headline
    may be once 'Site » Section' or '| Site' is taken off."""
    keys = [_key(part) for part in TITLE_SEPARATORS.split(title)]
    return {"".join(keys[:i]) for i in range(1, len(keys) + 1)} | {"".join(keys[i:]) for i in range(len(keys))}


def _headings(tree: lxml.html.HtmlElement) -> list[str]:
    texts: list[str] = []
    for element in tree.iter("h1", "h2", "h3"):
        text = " ".join(element.text_content().split())
        if text and text not in texts:
            texts.append(text)
    return texts


def _is_headline_sized(text: str) -> bool:
    return len(text.split()) >= 2 or len(text) >= 12  # scripts without spaces count by length


def _printed_headline(tree: lxml.html.HtmlElement, page_titles: list[str], keys: set[str]) -> str | None:
    """The headline as the reader sees it (case, quotes and dashes as printed).

    The longest heading that one of the page's own titles (JSON-LD, OpenGraph, Twitter,
    <title>) names, whole or at one end; else the page's only <h1>, which metadata written
    for search engines and social cards may word differently. Headings that are the site's
    name (a logo) or a single word (menus, sections) are not headlines.
    """
    ends = set().union(*(_title_ends(t) for t in page_titles)) - {""}
    headings = [h for h in _headings(tree) if _key(h) not in keys and _is_headline_sized(h)]
    agreed = [h for h in headings if _key(h) in ends]
    if agreed:
        return max(agreed, key=len)
    h1s = {" ".join(e.text_content().split()) for e in tree.iter("h1")} - {""}
    if len(h1s) == 1:
        (h1,) = h1s
        if h1 in headings:
            return h1
    return None


# The standfirst that introduces an article under its headline, which main-text extractors
# often take for a teaser and drop.
LEAD_XPATH = (
    'following::*[self::p or self::div or self::h2][contains(@class, "lead") or contains(@class, "teaser")'
    ' or contains(@class, "intro") or contains(@class, "preface") or contains(@class, "standfirst")'
    '][1]'
)


# The headline's block (header, article): the lead and the headline meet within this many
# levels above each.
LEAD_BLOCK_DEPTH = 4


def _with_lead(text: str, tree: lxml.html.HtmlElement, headline: str | None) -> str:
    """The main text with the article's lead before it, when the extractor dropped the lead:
    the first lead-classed element after the printed headline, in the headline's block."""
    heading = next((e for e in tree.iter("h1", "h2", "h3")
                    if headline and " ".join(e.text_content().split()) == headline), None)
    if heading is None or not text:
        return text
    block = list(heading.iterancestors())[:LEAD_BLOCK_DEPTH]
    for lead in heading.xpath(LEAD_XPATH):
        if not any(a in block for a in list(lead.iterancestors())[:LEAD_BLOCK_DEPTH]):
            break  # not in the headline's own block: another article's teaser
        if lead.xpath('.//script | .//style | .//img | .//figcaption | ancestor::figure | ancestor::aside'
                      ' | ancestor::nav | ancestor::footer | ancestor::*[contains(@class, "sidebar")]'):
            continue  # a picture's caption, a widget or a sidebar, not the article's lead
        paragraph = " ".join(lead.text_content().split())
        linked = sum(len(a.text_content()) for a in lead.iter("a"))
        if linked * 3 > len(paragraph):
            continue  # a list of links to other articles
        if 60 <= len(paragraph) <= 1000 and paragraph[:60] not in " ".join(text.split()):
            return f"{paragraph}\n{text}"
    return text


def _distinct_dates(values: list[Any]) -> list[str]:
    """Non-empty candidates without repeats; a bare date already given with a time is a repeat."""
    kept: list[str] = []
    for value in values:
        value = value.strip() if isinstance(value, str) else ""
        if value and not any(k == value or (len(value) == 10 and k.startswith(value)) for k in kept):
            kept.append(value)
    return kept


@lru_cache(maxsize=256)
def _xpath(selector: str) -> etree.XPath:
    return etree.XPath(compile_selector(selector))


def _selected(tree: lxml.html.HtmlElement, selectors: dict[str, str], field: str) -> list[str]:
    """The texts (or attribute values) an outlet's selector for ``field`` picks."""
    if field not in selectors:
        return []
    found = []
    for node in _xpath(selectors[field])(tree):
        text = node if isinstance(node, str) else node.text_content()
        text = "\n".join(" ".join(line.split()) for line in text.splitlines() if line.strip())
        if text:
            found.append(text)
    return found


def extract_page(html: str, url: str, selectors: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything an article page says about itself, as raw strings.

    Keys: title, published_candidates (most trusted first), modified_raw, authors,
    description, canonical_link, og_url, declared_language, site_name, text. ``selectors``
    are the outlet's own (``[outlet.selectors]``: title, published, authors, text), asked after
    JSON-LD and the metas and before the generic heuristics.
    """
    selectors = selectors or {}
    # One parse, by trafilatura's loader (it copes with an XML declaration and bad markup);
    # trafilatura then works on its own copy of this tree.
    tree = load_html(html) if html.strip() else None
    if tree is None:
        return {"text": "", "authors": [], "published_candidates": []}

    objects = _json_ld_objects(tree)
    article = next((o for o in objects if _is_article(o)), {})
    meta = _meta(tree)

    published = [_first(article.get("datePublished"))]
    published += [meta.get(name) for name in DATE_META]
    published += tree.xpath('//*[@itemprop="datePublished"]/@content')
    published += _time_elements(tree)[:2]
    published += _selected(tree, selectors, "published")[:2]
    published += _printed_dates(tree)

    title_tag = _text_of(tree, "//title")
    page = {
        "published_candidates": [],
        "modified_raw": _first(article.get("dateModified"), meta.get("article:modified_time")),
        "description": _first(article.get("description"), meta.get("og:description"),
                              meta.get("description")),
        "canonical_link": _text_of(tree, '//link[@rel="canonical"]/@href'),
        "og_url": _first(meta.get("og:url"), _url_of(article.get("mainEntityOfPage"))),
        "declared_language": _first(
            article.get("inLanguage"),
            tree.get("lang"),
            tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
            meta.get("og:locale"),
            meta.get("content-language"),
            _text_of(tree, '//meta[@http-equiv="content-language"]/@content'),
        ),
        "site_name": _first(meta.get("og:site_name")),
    }
    meta_authors = [a for a in (meta.get("author"), meta.get("article:author"), meta.get("dc.creator"),
                                meta.get("parsely-author"), meta.get("sailthru.author"),
                                meta.get("twitter:creator")) if a]

    document = trafilatura.bare_extraction(
        tree, url=url, with_metadata=True, include_comments=False, include_tables=True,
    )
    found = document.as_dict() if document is not None else {}

    url_day = url_date(url)
    page_dates = _distinct_dates(published)
    # htmldate may read its date off the URL, which the pipeline asks last (after the feed).
    if not (url_day and found.get("date") == url_day and not any(
            (_iso_day(p) or ("",))[0] == url_day for p in page_dates)):
        published.append(found.get("date"))
    page["published_candidates"] = _distinct_dates(_trust_the_url(_distinct_dates(published), url_day))

    keys = _site_keys(url, page["site_name"] or found.get("sitename"))
    page_titles = [t for t in (article.get("headline"), article.get("name"), meta.get("og:title"),
                               meta.get("twitter:title"), *_selected(tree, selectors, "title")[:1], title_tag)
                   if isinstance(t, str) and t.strip()]
    # A title that is only the site's name is a CMS default: the next signal is asked, and
    # none at all leaves the feed's title to the pipeline.
    page["title"] = _printed_headline(tree, page_titles, keys) or _without_site_name(
        _first(*[t for t in (*page_titles, _text_of(tree, "//h1"), found.get("title"))
                 if isinstance(t, str) and _key(t) not in keys]),
        keys,
    )
    by_id = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str)}
    page["authors"] = choose_authors(
        lambda name: _names_site(name, keys),
        json_ld_names(article.get("author"), by_id),
        meta_authors,
        _selected(tree, selectors, "authors"),
        printed_byline(tree),
        (found.get("author") or "").split("; "),
        text_byline(found.get("text") or ""),
    )
    page["text"] = "\n".join(_selected(tree, selectors, "text")) or _with_lead(
        found.get("text") or _first(article.get("articleBody")) or "", tree, page["title"])
    return page
