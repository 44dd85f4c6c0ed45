"""Read an article page: what it says about itself, and its main text.

The page is parsed once (``parse_page``: the tree, its JSON-LD objects and the article among
them, its metas, what the outlet's selectors pick, the first byline, trafilatura's main text);
then one small reader a field (``read_title``, ``read_published``, ``read_authors``,
``read_text`` …) reads that ``ParsedPage``, and ``extract_page`` runs them in turn.

Signals are read in order of trust: JSON-LD (``NewsArticle`` and kin), the OpenGraph and
``article:*`` metas, the outlet's own selectors (``[outlet.selectors]``), then generic
heuristics and trafilatura.

* Title: the headline as printed — the longest heading that the page's own titles (JSON-LD,
  OpenGraph, Twitter, the outlet's selector, ``<title>``) name, whole or beside the site's
  name; else the page's only ``<h1>``; else the first of those titles (then the first
  ``<h1>``) that is not only the site's name, without the site's name.
* Publication time (``published_candidates``, most trusted first): JSON-LD ``datePublished``,
  the date metas, microdata, ``<time datetime>``, the outlet's selector, dates printed in date
  elements (when none of these: a date on the byline's line, else one a phrase gives),
  htmldate's guess (asked as trafilatura asks it). The day in the URL reorders them
  (the candidate on that day first; the URL's day first when every page date is later, i.e. an
  update). The pipeline then adds the feed's date and, last, the URL's day.
* Authors (``media_monitor.extraction.authors``): JSON-LD (``@id`` references resolved), author metas, the
  outlet's selector, the printed byline, trafilatura's metadata (asked only when none of these
  names anyone: its author search costs ~5 ms a page), a byline line in the text. Each value is
  split into names; news agencies go to ``agencies``, the site's name only where no person
  and no agency is named.
* Text: the outlet's selector, else trafilatura's main text (else JSON-LD ``articleBody``) with
  the standfirst it dropped.
* Modified time, description, og:url, declared language: JSON-LD, then the metas (the
  language: the ``<html>`` tag's before the metas); canonical link: ``<link rel="canonical">``;
  site name: ``og:site_name``.

Values are returned raw (strings as the page prints them): parsing dates, choosing a language
and cleaning text belong to the pipelines.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from typing import Any

import lxml.html
import trafilatura
from htmldate import find_date
from lxml import etree
from trafilatura.metadata import extract_metadata
from trafilatura.settings import set_date_params
from trafilatura.utils import load_html

from media_monitor.extraction.authors import Credits, choose_authors, first_byline, json_ld_names, text_byline
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
    heading_text,
    letters_and_digits,
    names_site,
    printed_headline,
    site_keys,
    without_site_name,
)
from media_monitor.extraction.pageparts import element_or_ancestor_matches, picture_texts, without_leading_captions
from media_monitor.extraction.schematypes import is_article
from media_monitor.extraction.selectors import compile_selector
from media_monitor.normalise.dates import url_date

# trafilatura and htmldate log a debug record for every element they discard (~20 a page);
# Scrapy's handler drops them at the crawl's INFO level, but only after each was built.
for _chatty in ("trafilatura", "htmldate"):
    logging.getLogger(_chatty).setLevel(logging.INFO)

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
# Meta names that carry an author, most trusted first.
AUTHOR_META = (
    "author",
    "article:author",
    "dc.creator",
    "parsely-author",
    "sailthru.author",
    "cxenseparse:author",
    "twitter:creator",
)
# The fields an outlet's selectors may give (``[outlet.selectors]``).
SELECTOR_FIELDS = ("title", "published", "authors", "text")


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
                pending.extend(g for g in _listed(node.get("@graph")) if isinstance(g, dict))
                # a WebPage whose main entity is the article: {"@type": "WebPage", "mainEntity": {...}}
                pending.extend(e for e in _listed(node.get("mainEntity")) if isinstance(e, dict))
    return objects


def _listed(value: Any) -> list:
    return value if isinstance(value, list) else [value]


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
_NOT_LEAD = re.compile("sidebar|caption|credit|CarouselSlide")  # with its case: not "hasRightSidebar"


def _with_lead(text: str, tree: lxml.html.HtmlElement, headline: str | None) -> str:
    """The main text with the article's lead before it, when the extractor dropped the lead:
    the first lead-classed element after the printed headline, in the headline's block."""
    if not headline or not text:
        return text
    heading = next((e for e in tree.iter("h1", "h2", "h3") if heading_text(e) == headline), None)
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


def _main_text(tree: lxml.html.HtmlElement, url: str) -> str:
    """trafilatura's main text ("" when it finds none). Its metadata, which the readers read
    themselves, would cost a quarter of a page's extraction (its author search most of it:
    ``read_authors`` asks it only when needed)."""
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=False,
        include_comments=False,
        include_tables=True,
    )
    if document is None:
        return ""
    # A Document in trafilatura 2; its type also admits the dict that ``as_dict=True`` gives.
    found = document if isinstance(document, dict) else document.as_dict()
    return found.get("text") or ""


@dataclass
class ParsedPage:
    """A page parsed once: what the readers ask, each computed once."""

    tree: lxml.html.HtmlElement
    url: str
    objects: list[dict]  # the JSON-LD objects, ``@graph`` members included
    article: dict  # the first of them of an article type, else {}
    meta: dict[str, str]  # ``_meta``: by lower-cased property/name/itemprop
    selected: dict[str, list[str]]  # what the outlet's selector picks, by SELECTOR_FIELDS
    byline: tuple[lxml.html.HtmlElement, list[str]] | None  # ``first_byline``: element, names
    main_text: str  # trafilatura's

    @cached_property
    def site_name_keys(self) -> set[str]:
        """The site's names (host labels, og:site_name), as ``headline.site_keys`` gives them."""
        return site_keys(self.url, read_site_name(self))

    @cached_property
    def credits(self) -> Credits:
        """``read_credits``: the people and the agencies the page credits."""
        return read_credits(self)


def parse_page(html: str, url: str, selectors: dict[str, str]) -> ParsedPage | None:
    """The page parsed once, or None when there is no page (empty or unparsable HTML)."""
    # One parse, by trafilatura's loader (it copes with an XML declaration and bad markup);
    # trafilatura then works on its own copy of this tree.
    tree = load_html(html) if html.strip() else None
    if tree is None:
        return None
    objects = _json_ld_objects(tree)
    return ParsedPage(
        tree=tree,
        url=url,
        objects=objects,
        article=next((o for o in objects if is_article(o)), {}),
        meta=_meta(tree),
        selected={field: _selected(tree, selectors, field) for field in SELECTOR_FIELDS},
        byline=first_byline(tree),  # its names are authors, its line may date the page
        main_text=_main_text(tree, url),
    )


def _stated_dates(page: ParsedPage) -> list[str | None]:
    """The publication times the page states, most trusted first (htmldate not asked)."""
    tree = page.tree
    published = [_first(page.article.get("datePublished"))]
    published += [page.meta.get(name) for name in DATE_META]
    published += tree.xpath('//*[@itemprop="datePublished"]/@content')
    published += time_elements(tree)[:2]
    published += page.selected["published"][:2]
    published += printed_dates(tree)
    if not any(published):
        published += date_on_line(page.byline[0] if page.byline else None) or phrase_dates(tree)
    return published


def read_published(page: ParsedPage) -> list[str]:
    """``published_candidates``: the stated times, then htmldate's guess, ordered by the URL's day."""
    url_day = url_date(page.url)
    page_dates = distinct_dates(_stated_dates(page))
    guessed = find_date(page.tree, url=page.url, **set_date_params(True))  # htmldate, as trafilatura asks it
    # htmldate may read its date off the URL, which the pipeline asks last (after the feed).
    if guessed and not (guessed == url_day and not any((iso_day(p) or ("",))[0] == url_day for p in page_dates)):
        page_dates = distinct_dates([*page_dates, guessed])
    return trust_the_url(page_dates, url_day)


def read_modified(page: ParsedPage) -> str | None:
    return _first(page.article.get("dateModified"), page.meta.get("article:modified_time"))


def read_description(page: ParsedPage) -> str | None:
    return _first(page.article.get("description"), page.meta.get("og:description"), page.meta.get("description"))


def read_canonical_link(page: ParsedPage) -> str | None:
    return _text_of(page.tree, '//link[@rel="canonical"]/@href')


def read_og_url(page: ParsedPage) -> str | None:
    return _first(page.meta.get("og:url"), _url_of(page.article.get("mainEntityOfPage")))


def read_declared_language(page: ParsedPage) -> str | None:
    tree, meta = page.tree, page.meta
    return _first(
        page.article.get("inLanguage"),
        tree.get("lang"),
        tree.get("{http://www.w3.org/XML/1998/namespace}lang"),
        meta.get("og:locale"),
        meta.get("content-language"),
        _text_of(tree, '//meta[@http-equiv="content-language"]/@content'),
    )


def read_site_name(page: ParsedPage) -> str | None:
    return _first(page.meta.get("og:site_name"))


def _page_titles(page: ParsedPage) -> list[str]:
    """The titles the page gives itself, most trusted first."""
    titles = (
        page.article.get("headline"),
        page.article.get("name"),
        page.meta.get("og:title"),
        page.meta.get("twitter:title"),
        *page.selected["title"][:1],
        _text_of(page.tree, "//title"),
    )
    return [t for t in titles if isinstance(t, str) and t.strip()]


def read_title(page: ParsedPage) -> str | None:
    """The headline as printed, else the first title that is not only the site's name."""
    page_titles = _page_titles(page)
    keys = page.site_name_keys
    # A title that is only the site's name is a CMS default: the next signal is asked, and
    # none at all leaves the feed's title to the pipeline.
    return printed_headline(page.tree, page_titles, keys) or without_site_name(
        _first(
            *[
                t
                for t in (*page_titles, next((heading_text(h) for h in page.tree.iter("h1")), None))
                if isinstance(t, str) and letters_and_digits(t) not in keys
            ]
        ),
        keys,
    )


def read_credits(page: ParsedPage) -> Credits:
    by_id = {o["@id"]: o for o in page.objects if isinstance(o.get("@id"), str)}
    return choose_authors(
        lambda name: names_site(name, page.site_name_keys),
        json_ld_names(page.article.get("author"), by_id),
        [a for a in (page.meta.get(name) for name in AUTHOR_META) if a],
        page.selected["authors"],
        page.byline[1] if page.byline else [],
        lambda: (extract_metadata(page.tree, page.url).author or "").split("; "),
        text_byline(page.main_text),
    )


def read_authors(page: ParsedPage) -> list[str]:
    return page.credits.people


def read_agencies(page: ParsedPage) -> list[str]:
    return page.credits.agencies


def read_text(page: ParsedPage, headline: str | None) -> str:
    """The outlet's selector's text, else the main text with the lead under ``headline``; a
    picture's caption, credit or alt text never its first line."""
    main_text = page.main_text or _first(page.article.get("articleBody")) or ""
    return "\n".join(page.selected["text"]) or _with_lead(
        without_leading_captions(main_text, picture_texts(page.tree), headline), page.tree, headline
    )


# extract_page's keys, in order, and their readers (then ``text``, read under the title).
READERS: dict[str, Callable[[ParsedPage], Any]] = {
    "published_candidates": read_published,
    "modified_raw": read_modified,
    "description": read_description,
    "canonical_link": read_canonical_link,
    "og_url": read_og_url,
    "declared_language": read_declared_language,
    "site_name": read_site_name,
    "title": read_title,
    "authors": read_authors,
    "agencies": read_agencies,
}


def extract_page(html: str, url: str, selectors: dict[str, str] | None = None) -> dict[str, Any]:
    """Everything an article page says about itself, as raw strings.

    Keys: title, published_candidates (most trusted first), modified_raw, authors (people),
    agencies (the news agencies credited: AP, Reuters, dpa …), description, canonical_link, og_url, declared_language, site_name, text. ``selectors``
    are the outlet's own (``[outlet.selectors]``: title, published, authors, text), asked after
    JSON-LD and the metas and before the generic heuristics.
    """
    page = parse_page(html, url, selectors or {})
    if page is None:
        return {"text": "", "authors": [], "agencies": [], "published_candidates": []}
    values = {field: read(page) for field, read in READERS.items()}
    values["text"] = read_text(page, values["title"])
    return values
