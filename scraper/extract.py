"""Read an article page: what it says about itself, and its main text.

Signals are read in order of trust. Title: JSON-LD ``headline``, OpenGraph, Twitter, ``<h1>``,
trafilatura's title, ``<title>``. Publication time (``published_candidates``, most trusted
first): JSON-LD ``datePublished``, ``article:published_time`` and the other date metas,
microdata ``itemprop=datePublished``, ``<time datetime>`` (the one marked as the publication
time first), the date in the URL, then trafilatura's date (htmldate: bylines, text patterns).
The feed's date is appended after all of these by the pipeline. Authors: JSON-LD ``author``,
author metas, then trafilatura's author (microdata, ``rel=author``, byline classes). The main
text comes from trafilatura. Values are returned raw (strings as the page prints them): parsing
dates, choosing a language and cleaning text belong to the pipelines.
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlsplit

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


# A date in the URL: /2024/04/17/, /2024/4/17/, /2024-04-17-, /20240417/ (year 1990-2039).
URL_DATES = (
    re.compile(r"/((?:199|20[0-3])\d)/(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])(?=/|$)"),
    re.compile(r"[/_-]((?:199|20[0-3])\d)[_-]?(0[1-9]|1[0-2])[_-]?(0[1-9]|[12]\d|3[01])(?=[/_.-]|$)"),
)
ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2})?(?:\.\d+)?(Z|[+-]\d{2}:?\d{2})?)?")
# Prefixes of a byline that are not part of the name.
BYLINE_PREFIX = re.compile(
    r"^(?:(?:written|posted|published|reported|view all posts)\s+)?(?:by|von|par|por|di|door|от|автор:?|auteur|autor|author:?|artikel von)\s+",
    re.IGNORECASE,
)
# Bylines that name nobody.
NOT_A_NAME = re.compile(r"^(?:admin|administrator|no author|unknown|editor|redaktion|staff|follow)$", re.I)


def _url_date(url: str) -> str | None:
    path = url.split("?", 1)[0]
    for pattern in URL_DATES:
        match = pattern.search(path)
        if match:
            year, month, day = match.groups()
            return f"{year}-{int(month):02d}-{int(day):02d}"
    return None


def _agrees(candidate: str, day: str) -> bool:
    """Does an ISO candidate name the URL's day? One with an offset may be a day off in UTC."""
    match = ISO_DATE.match(candidate)
    if not match:
        return False
    named = "-".join(match.groups()[:3])
    if named == day:
        return True
    if match.group(4):
        return abs(date.fromisoformat(named) - date.fromisoformat(day)) <= timedelta(days=1)
    return False


def _trust_the_url(candidates: list[str], url_day: str | None) -> list[str]:
    """A URL's date is fixed when the article is first published, while metas and time
    elements may carry an update. When the URL names a day, the first candidate that agrees
    with it goes first. The URL's day alone dates nothing: a page whose own signals are all
    implausible stays undated (a URL may carry a section's or an archive's date)."""
    if not url_day:
        return candidates
    for index, candidate in enumerate(candidates):
        if _agrees(candidate, url_day):
            return [candidate, *candidates[:index], *candidates[index + 1:]]
    return candidates


def _time_elements(tree: lxml.html.HtmlElement) -> list[str]:
    """``<time datetime>`` values, the one marked as the publication time first."""
    marked = tree.xpath(
        '//time[@pubdate or @itemprop="datePublished" or contains(@class, "publish")'
        ' or contains(@class, "entry-date") or contains(@class, "post-date")]/@datetime'
    )
    return [v.strip() for v in [*marked, *tree.xpath("//time/@datetime")] if v and v.strip()]


def _clean_author(name: str) -> str | None:
    name = " ".join(name.split())
    name = BYLINE_PREFIX.sub("", name).strip(" ,;|-–—")
    if not name or "://" in name or "@" in name or NOT_A_NAME.match(name) or len(name) > 80:
        return None
    return name


def _authors(keys: set[str], *sources: list[str]) -> list[str]:
    """The first source that names someone, cleaned, without repeats; the site's own name
    (an organisation set as the author by the CMS) is nobody."""
    for source in sources:
        names: list[str] = []
        for raw in source:
            name = _clean_author(raw) if isinstance(raw, str) else None
            if name and name not in names and not _names_site(name, keys):
                names.append(name)
        if names:
            return names
    return []


TITLE_SEPARATORS = re.compile(r"\s+[|\-–—:·•»«/]{1,2}\s+|\s*\|\s*")
_KEY = re.compile(r"[\W_]+")


def _key(text: str) -> str:
    return _KEY.sub("", text.casefold())


def _site_keys(url: str, site_name: str | None) -> set[str]:
    host = (urlsplit(url).hostname or "").lower()
    labels = [l for l in host.split(".") if l not in ("www", "m", "amp", "com", "org", "net", "co", "uk")]
    keys = {_key(l) for l in labels if len(l) > 2}
    keys.add(_key(host.removeprefix("www.")))
    if site_name:
        keys.add(_key(site_name))
    return {k for k in keys if k}


def _names_site(part: str, keys: set[str]) -> bool:
    part_key = _key(part)
    return bool(part_key) and any(k == part_key or (len(k) > 3 and k in part_key) for k in keys)


def _without_site_name(title: str | None, keys: set[str], h1: str | None) -> str | None:
    """A title without the site's name that CMSs add: 'Headline | Site', 'Site - Headline'.
    The page's own <h1>, when the title starts or ends with it, is the headline."""
    if not title:
        return title
    if h1 and h1 != title and len(h1) > 10:
        if title.startswith(h1) and TITLE_SEPARATORS.match(title[len(h1):]):
            return h1
        if title.endswith(h1):
            before = [m for m in TITLE_SEPARATORS.finditer(title[: -len(h1)])]
            if before and before[-1].end() == len(title) - len(h1):
                return h1
    parts = TITLE_SEPARATORS.split(title)
    if len(parts) > 1:
        if _names_site(parts[-1], keys):
            return title[: title.rindex(parts[-1])].rstrip(" |-–—:·•»«/").strip()
        if _names_site(parts[0], keys):
            return title[len(parts[0]):].lstrip(" |-–—:·•»«/").strip()
    return title


_TAG_BYTES = re.compile(rb"<[^>]*>")


def guess_single_byte_cyrillic(body: bytes) -> str | None:
    """'cp1251' or 'koi8_r' for undeclared Cyrillic bytes, None when the bytes are not that.

    Cyrillic text in a single-byte code is mostly bytes >= 0xC0 (letters); lower-case letters,
    the bulk of any text, are 0xE0-0xFF in windows-1251 and 0xC0-0xDF in KOI8-R.
    """
    text = _TAG_BYTES.sub(b" ", body)
    high = sum(1 for b in text if b >= 0xC0)
    ascii_letters = sum(1 for b in text if 0x41 <= b <= 0x5A or 0x61 <= b <= 0x7A)
    if high < 8 or high < ascii_letters:
        return None  # Latin text with some accented letters, or too little to tell
    upper_half = sum(1 for b in text if b >= 0xE0)
    return "cp1251" if upper_half * 2 > high else "koi8_r"


def response_text(response: Any) -> str:
    """A Scrapy response's text, with a better guess than Scrapy's for an undeclared or wrongly
    declared encoding.

    A charset in the HTTP header, a BOM or a ``<meta>`` wins, as with ``response.text``, when
    the body decodes strictly with it. A declared charset the bytes do not decode with (UTF-8
    declared, windows-1251 sent) is a wrong one, and so is a single-byte charset declared for
    bytes that are valid, non-ASCII UTF-8: the encoding is then detected as for an undeclared
    one (logged). Without any, UTF-8 is tried, then windows-1251 against KOI8-R (Scrapy's
    detector can take a short KOI8-R page for Shift JIS); anything else is left to Scrapy.
    Spiders call it in place of ``response.text``:
    ``extract_page(response_text(response), response.url)``.
    """
    import codecs
    import logging

    from w3lib.encoding import resolve_encoding

    def strict_utf8(data: bytes) -> bool:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return True

    def detected(data: bytes) -> tuple[str, str]:
        """The body decoded with a detected encoding, and that encoding's name."""
        if strict_utf8(data):
            return data.decode("utf-8"), "utf-8"
        guess = guess_single_byte_cyrillic(data)
        if guess:
            return data.decode(guess, errors="replace"), guess
        try:
            from charset_normalizer import from_bytes  # trafilatura's dependency
        except ImportError:  # pragma: no cover
            best = None
        else:
            best = from_bytes(data).best()
        if best is not None:
            return str(best), best.encoding
        return response.text, getattr(response, "encoding", None) or "unknown"

    body = response.body
    declared = getattr(response, "_declared_encoding", lambda: None)()
    if not declared:
        if strict_utf8(body):
            return body.decode("utf-8")
        guess = guess_single_byte_cyrillic(body)
        if not guess:
            return response.text
        logging.getLogger(__name__).info("No charset declared: %s; read as %s", response.url, guess)
        return body.decode(guess, errors="replace")
    codec = resolve_encoding(declared) or declared
    try:
        codec = codecs.lookup(codec).name
        payload = body
        if getattr(response, "_bom_encoding", lambda: None)():
            for mark in (codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE, codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
                if payload.startswith(mark):
                    payload = payload[len(mark):]
                    break
        payload.decode(codec)
    except (UnicodeDecodeError, LookupError):
        reason = f"does not decode as {declared}"
    else:
        single_byte = re.match(r"(cp125\d|cp8\d\d|iso8859-\d+|latin-?1|koi8-[ru]|mac-)", codec)
        if not (single_byte and not body.isascii() and strict_utf8(body)):
            return response.text
        reason = f"is declared {declared} but is valid UTF-8"
    text, found = detected(body)
    logging.getLogger(__name__).warning("Wrong charset: %s %s; read as %s", response.url, reason, found)
    return text


def _distinct_dates(values: list[Any]) -> list[str]:
    """Non-empty candidates without repeats; a bare date already given with a time is a repeat."""
    kept: list[str] = []
    for value in values:
        value = value.strip() if isinstance(value, str) else ""
        if value and not any(k == value or (len(value) == 10 and k.startswith(value)) for k in kept):
            kept.append(value)
    return kept


def extract_page(html: str, url: str) -> dict[str, Any]:
    """Everything an article page says about itself, as raw strings.

    Keys: title, published_candidates (most trusted first), modified_raw, authors,
    description, canonical_link, og_url, declared_language, site_name, text.
    """
    try:
        tree = lxml.html.document_fromstring(html)
    except (etree.ParserError, ValueError):
        return {"text": "", "authors": [], "published_candidates": []}

    objects = _json_ld_objects(tree)
    article = next((o for o in objects if _is_article(o)), {})
    meta = _meta(tree)

    published = [_first(article.get("datePublished"))]
    published += [meta.get(name) for name in DATE_META]
    published += tree.xpath('//*[@itemprop="datePublished"]/@content')
    published += _time_elements(tree)[:2]

    h1 = _text_of(tree, "//h1")
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
                                meta.get("parsely-author"), meta.get("sailthru.author")) if a]

    # trafilatura works on its own copy of the tree: everything above read the original.
    document = trafilatura.bare_extraction(
        html, url=url, with_metadata=True, include_comments=False, include_tables=True,
    )
    found = document.as_dict() if document is not None else {}

    url_day = _url_date(url)
    page_dates = _distinct_dates(published)
    # trafilatura's date (htmldate) may come from the URL alone, which dates nothing by itself.
    if not (url_day and found.get("date") == url_day and not any(_agrees(p, url_day) for p in page_dates)):
        published.append(found.get("date"))
    page["published_candidates"] = _distinct_dates(_trust_the_url(_distinct_dates(published), url_day))
    keys = _site_keys(url, page["site_name"] or found.get("sitename"))
    titles = [article.get("headline"), article.get("name"), meta.get("og:title"),
              meta.get("twitter:title"), h1, found.get("title"), title_tag]
    # A title that is only the site's name is a CMS default: the next signal is asked.
    page["title"] = _without_site_name(
        _first(*[t for t in titles if not (isinstance(t, str) and _key(t) in keys)]) or _first(*titles),
        keys, h1,
    )
    page["authors"] = _authors(
        keys,
        _names(article.get("author")),
        meta_authors,
        (found.get("author") or "").split("; "),
    )
    page["text"] = found.get("text") or _first(article.get("articleBody")) or ""
    return page
