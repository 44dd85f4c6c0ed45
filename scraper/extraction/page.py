"""Read an article page: what it says about itself, and its main text.

Signals are read in order of trust: JSON-LD (``NewsArticle`` and kin), the OpenGraph and
``article:*`` metas, the outlet's own selectors (``[outlet.selectors]``), then generic
heuristics and trafilatura.

* Title: the headline as printed — the longest heading that the page's own titles (JSON-LD,
  OpenGraph, Twitter, the outlet's selector, ``<title>``) name, whole or beside the site's
  name; else the page's only ``<h1>``; else those titles without the site's name.
* Publication time (``published_candidates``, most trusted first): JSON-LD ``datePublished``,
  the date metas, microdata, ``<time datetime>``, the outlet's selector, dates printed in date
  elements, htmldate's guess (asked as trafilatura asks it). The day in the URL reorders them
  (the candidate on that day first; the URL's day first when every page date is later, i.e. an
  update). The pipeline then adds the feed's date and, last, the URL's day.
* Authors (``media_monitor.extraction.authors``): JSON-LD (``@id`` references resolved), author metas, the
  outlet's selector, the printed byline, trafilatura's metadata (asked only when none of these
  names anyone: its author search costs ~5 ms a page), a byline line in the text.
* Text: the outlet's selector, else trafilatura's main text with the standfirst it dropped.

Values are returned raw (strings as the page prints them): parsing dates, choosing a language
and cleaning text belong to the pipelines.
"""

from __future__ import annotations

import json
import logging
import re
from functools import lru_cache
from typing import Any

import lxml.html
import trafilatura
from htmldate import find_date
from lxml import etree
from trafilatura.metadata import extract_metadata
from trafilatura.settings import set_date_params
from trafilatura.utils import load_html

from media_monitor.extraction.authors import choose_authors, first_byline, json_ld_names, text_byline
from media_monitor.extraction.dates import (
    date_on_line,
    distinct_dates,
    iso_day,
    phrase_dates,
    printed_dates,
    time_elements,
    trust_the_url,
)
from media_monitor.extraction.headline import (
    letters_and_digits,
    names_site,
    printed_headline,
    site_keys,
    without_site_name,
)
from media_monitor.extraction.pageparts import element_or_ancestor_matches
from media_monitor.extraction.selectors import compile_selector
from media_monitor.normalise.dates import url_date

# trafilatura and htmldate log a debug record for every element they discard (~20 a page);
# Scrapy's handler drops them at the crawl's INFO level, but only after each was built.
for _chatty in ("trafilatura", "htmldate"):
    logging.getLogger(_chatty).setLevel(logging.INFO)

ARTICLE_TYPES = {
    "NewsArticle",
    "Article",
    "ReportageNews",
    "AnalysisNewsArticle",
    "BackgroundNewsArticle",
    "OpinionNewsArticle",
    "ReviewNewsArticle",
    "BlogPosting",
    "LiveBlogPosting",
    "Report",
}
# Meta names that carry a publication time, most trusted first (after article:published_time).
DATE_META = (
    "article:published_time",
    "og:published_time",
    "datePublished",
    "pubdate",
    "publishdate",
    "date",
    "dc.date",
    "dc.date.issued",
    "dcterms.created",
    "parsely-pub-date",
    "sailthru.date",
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


# The standfirst (lead, intro, preface, deck, excerpt) that introduces an article under its
# headline, which main-text extractors often take for a teaser and drop. Three are tried: a
# lead block may hold a picture, and its text in a lead-classed element of its own.
LEAD_XPATH = (
    'following::*[self::p or self::div or self::h2][contains(@class, "lead") or contains(@class, "teaser")'
    ' or contains(@class, "intro") or contains(@class, "preface") or contains(@class, "standfirst")'
    ' or contains(@class, "deck") or contains(@class, "excerpt")][position() <= 3]'
)


# The headline's block (header, article): the lead and the headline meet within this many
# levels above each.
LEAD_BLOCK_DEPTH = 4
_NOT_LEAD_TAGS = ("figure", "aside", "nav", "footer")
_NOT_LEAD = re.compile("sidebar")


def _with_lead(text: str, tree: lxml.html.HtmlElement, headline: str | None) -> str:
    """The main text with the article's lead before it, when the extractor dropped the lead:
    the first lead-classed element after the printed headline, in the headline's block."""
    if not headline or not text:
        return text
    heading = next((e for e in tree.iter("h1", "h2", "h3") if " ".join(e.text_content().split()) == headline), None)
    if heading is None:
        return text
    block = list(heading.iterancestors())[:LEAD_BLOCK_DEPTH]
    for lead in heading.xpath(LEAD_XPATH):
        if not any(a in block for a in list(lead.iterancestors())[:LEAD_BLOCK_DEPTH]):
            break  # not in the headline's own block: another article's teaser
        if lead.xpath(".//script | .//style | .//img | .//figcaption") or element_or_ancestor_matches(
            lead, _NOT_LEAD_TAGS, _NOT_LEAD
        ):
            continue  # a picture's caption, a widget or a sidebar, not the article's lead
        paragraph = " ".join(lead.text_content().split())
        linked = sum(len(a.text_content()) for a in lead.iter("a"))
        if linked * 3 > len(paragraph):
            continue  # a list of links to other articles
        if 60 <= len(paragraph) <= 1000:  # the lead: kept, or put back when the extractor dropped it
            return text if paragraph[:60] in " ".join(text.split()) else f"{paragraph}\n{text}"
    return text


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
    published += time_elements(tree)[:2]
    published += _selected(tree, selectors, "published")[:2]
    published += printed_dates(tree)
    byline = first_byline(tree)  # (element, names): its names are authors, its line may date the page
    if not any(published):
        published += date_on_line(byline[0] if byline else None) or phrase_dates(tree)

    title_tag = _text_of(tree, "//title")
    page = {
        "published_candidates": [],
        "modified_raw": _first(article.get("dateModified"), meta.get("article:modified_time")),
        "description": _first(article.get("description"), meta.get("og:description"), meta.get("description")),
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
    meta_authors = [
        a
        for a in (
            meta.get("author"),
            meta.get("article:author"),
            meta.get("dc.creator"),
            meta.get("parsely-author"),
            meta.get("sailthru.author"),
            meta.get("cxenseparse:author"),
            meta.get("twitter:creator"),
        )
        if a
    ]

    # trafilatura for the main text only: its metadata, which we read ourselves, cost a quarter
    # of a page's extraction (its author search most of it; asked below only when needed).
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=False,
        include_comments=False,
        include_tables=True,
    )
    found = document.as_dict() if document is not None else {}

    url_day = url_date(url)
    page_dates = distinct_dates(published)
    guessed = find_date(tree, url=url, **set_date_params(True))  # htmldate, as trafilatura asks it
    # htmldate may read its date off the URL, which the pipeline asks last (after the feed).
    if guessed and not (guessed == url_day and not any((iso_day(p) or ("",))[0] == url_day for p in page_dates)):
        page_dates = distinct_dates([*page_dates, guessed])
    page["published_candidates"] = trust_the_url(page_dates, url_day)

    keys = site_keys(url, page["site_name"])
    page_titles = [
        t
        for t in (
            article.get("headline"),
            article.get("name"),
            meta.get("og:title"),
            meta.get("twitter:title"),
            *_selected(tree, selectors, "title")[:1],
            title_tag,
        )
        if isinstance(t, str) and t.strip()
    ]
    # A title that is only the site's name is a CMS default: the next signal is asked, and
    # none at all leaves the feed's title to the pipeline.
    page["title"] = printed_headline(tree, page_titles, keys) or without_site_name(
        _first(
            *[
                t
                for t in (*page_titles, _text_of(tree, "//h1"))
                if isinstance(t, str) and letters_and_digits(t) not in keys
            ]
        ),
        keys,
    )
    by_id = {o["@id"]: o for o in objects if isinstance(o.get("@id"), str)}
    page["authors"] = choose_authors(
        lambda name: names_site(name, keys),
        json_ld_names(article.get("author"), by_id),
        meta_authors,
        _selected(tree, selectors, "authors"),
        byline[1] if byline else [],
        lambda: (extract_metadata(tree, url).author or "").split("; "),
        text_byline(found.get("text") or ""),
    )
    page["text"] = "\n".join(_selected(tree, selectors, "text")) or _with_lead(
        found.get("text") or _first(article.get("articleBody")) or "", tree, page["title"]
    )
    return page
