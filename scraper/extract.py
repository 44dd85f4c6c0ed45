"""Read an article page: what it says about itself, and its main text.

Signals are read in order of trust: JSON-LD ``NewsArticle``/``Article``, then OpenGraph and
``article:*`` meta, then ``<html lang>`` and other tags; the main text comes from trafilatura.
Values are returned raw (strings as the page prints them): parsing dates, choosing a language
and cleaning text belong to the pipelines.
"""

from __future__ import annotations

import json
from typing import Any

import lxml.html
import trafilatura
from lxml import etree

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


def _names(value: Any) -> list[str]:
    """Author names from a JSON-LD author value: a string, a Person, or a list of them."""
    items = value if isinstance(value, list) else [value]
    names = []
    for item in items:
        name = item.get("name") if isinstance(item, dict) else item
        if isinstance(name, str) and name.strip():
            names.append(name.strip())
    return names


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


def extract_page(html: str, url: str) -> dict[str, Any]:
    """Everything an article page says about itself, as raw strings.

    Keys: title, published_candidates (most trusted first), modified_raw, authors,
    description, canonical_link, og_url, declared_language, site_name, text.
    """
    try:
        tree = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return {"text": "", "authors": [], "published_candidates": []}

    article = next((o for o in _json_ld_objects(tree) if _is_article(o)), {})
    meta = _meta(tree)

    published = [_first(article.get("datePublished"))]
    published += [meta.get(name) for name in DATE_META]
    published.append(_text_of(tree, "//time/@datetime"))

    authors = _names(article.get("author")) or [
        a for a in (meta.get("author"), meta.get("article:author")) if a and "://" not in a
    ]

    page = {
        "title": _first(
            article.get("headline"),
            article.get("name"),
            meta.get("og:title"),
            meta.get("twitter:title"),
            _text_of(tree, "//h1"),
            _text_of(tree, "//title"),
        ),
        "published_candidates": [p for p in published if p],
        "modified_raw": _first(article.get("dateModified"), meta.get("article:modified_time")),
        "authors": authors,
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
    page["text"] = (
        trafilatura.extract(tree, url=url, include_comments=False, include_tables=False)
        or _first(article.get("articleBody"))
        or ""
    )
    return page
