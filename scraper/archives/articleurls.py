"""Does a URL look like an article page? Decided from the URL alone, before any download.

An archive lists every URL it holds under a site: articles, and also tag, section, author and
search pages, feeds, page 2 of every listing, images and scripts. Fetching those would cost
the archives' rate limits for nothing, so a backfill asks first. An outlet whose URLs the
generic rules misread names its own ``archive_patterns`` (regular expressions, searched in the
whole URL); when it has them, they alone decide.

The generic rules skip what is plainly not an article (a listing, a feed, an asset) and then
want one sign of an article: a dated path (``/2024/04/17/slug``), a numeric id of five digits
or more (``/en/article/1135171``, ``/eng/news/818239.html``, WordPress's ``?p=123456``), a
slug of four words or more, an ``.html`` file, or an ``/a/``, ``/article/`` or ``/doc/`` path.
An AMP copy passes like its page: the URL memory makes the two one article.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Sequence
from urllib.parse import parse_qsl, unquote, urlsplit

# Path segments of pages that list articles or serve no text. ``z`` and ``p`` are RFE/RL's
# (rferl.org, azatutyun.am): /z/<id> lists a section, /p/<id>.html is a static page; their
# numeric ids would otherwise read as an article's.
_SKIP_SEGMENTS = frozenset(
    {
        "tag",
        "tags",
        "category",
        "categories",
        "rubric",
        "rubrics",
        "section",
        "sections",
        "topic",
        "topics",
        "theme",
        "themes",
        "keyword",
        "keywords",
        "author",
        "authors",
        "search",
        "page",
        "feed",
        "feeds",
        "rss",
        "atom",
        "static",
        "assets",
        "images",
        "image",
        "img",
        "media",
        "uploads",
        "wp-content",
        "wp-includes",
        "wp-json",
        "cdn-cgi",
        "fonts",
        "z",
        "p",
    }
)
_SKIP_EXTENSIONS = frozenset(
    {
        "xml",
        "rss",
        "atom",
        "json",
        "txt",
        "jpg",
        "jpeg",
        "png",
        "gif",
        "webp",
        "svg",
        "ico",
        "css",
        "js",
        "mp3",
        "mp4",
        "m4a",
        "webm",
        "pdf",
        "zip",
        "woff",
        "woff2",
        "ttf",
    }
)
# Query parameters of a search or of a listing's next page (WordPress ?paged=, Bitrix ?PAGEN_1=).
# Not ?p=: WordPress's ?p=12345 is an article.
_SKIP_QUERY_KEYS = frozenset({"page", "paged", "s", "q", "query", "search", "tag", "cat"})
_ARTICLE_SEGMENTS = frozenset({"a", "article", "articles", "story", "doc", "post"})
_ARTICLE_FILE_EXTENSIONS = frozenset({"html", "htm", "shtml"})
_INDEX_FILES = frozenset({"index", "default", "home", "main"})
_PAGE_SEGMENT = re.compile(r"^page[-_]?\d+$")
# /2024/04/17/<slug> or /2024/04/<slug>, and RIA's /20240417/<slug>: the slug holds a letter,
# so that a day archive (/2024/04/17/) is not read as a dated article.
_DATED_PATH = re.compile(
    r"/(?:(?:19|20)\d{2}/(?:0?[1-9]|1[0-2])(?:/(?:0?[1-9]|[12]\d|3[01]))?"
    r"|(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]))"
    r"/(?=[^/]*[^\W\d_])"
)
_DIGIT_RUN = re.compile(r"(?<!\d)\d{5,}(?!\d)")
# Years the archives hold: TASS's eight-digit ids (20551229) are not dates.
_COMPACT_DATE = re.compile(r"^(?:199\d|20[0-4]\d)(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])$")
_SLUG_SEPARATORS = re.compile(r"[-_+]+")
_HAS_LETTER = re.compile(r"[^\W\d_]")
MIN_SLUG_WORDS = 4


def looks_like_article(url: str, archive_patterns: Sequence[str] | None = None) -> bool:
    """Whether ``url`` looks like an article page: the outlet's ``archive_patterns`` when it
    has any, the generic rules otherwise."""
    if archive_patterns:
        return any(pattern.search(url) for pattern in _compiled(tuple(archive_patterns)))
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https"):
        return False
    path = unquote(parts.path)
    segments = [segment.lower() for segment in path.split("/") if segment]
    if (not segments and not parts.query) or _is_listing_or_asset(segments, parts.query):
        return False
    return (
        bool(_DATED_PATH.search(path))
        or _has_numeric_id(f"{path}?{parts.query}")
        or any(_word_count(segment) >= MIN_SLUG_WORDS for segment in segments)
        or (bool(segments) and _is_article_file(segments[-1]))
        or any(segment in _ARTICLE_SEGMENTS for segment in segments[:-1])
    )


@functools.lru_cache(maxsize=256)
def _compiled(patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(pattern) for pattern in patterns)


def _is_listing_or_asset(segments: list[str], query: str) -> bool:
    if any(segment in _SKIP_SEGMENTS or _PAGE_SEGMENT.match(segment) for segment in segments):
        return True
    if segments and _extension(segments[-1]) in _SKIP_EXTENSIONS:
        return True
    keys = {key.lower() for key, _ in parse_qsl(query, keep_blank_values=True)}
    return bool(keys & _SKIP_QUERY_KEYS) or any(key.startswith("pagen") for key in keys)


def _has_numeric_id(path_and_query: str) -> bool:
    """Five digits or more in a row, other than a yyyymmdd date (RIA's day folder /20240417/)."""
    return any(not _COMPACT_DATE.match(run) for run in _DIGIT_RUN.findall(path_and_query))


def _word_count(segment: str) -> int:
    stem = segment.rsplit(".", 1)[0] if _extension(segment) else segment
    return sum(1 for word in _SLUG_SEPARATORS.split(stem) if _HAS_LETTER.search(word))


def _is_article_file(segment: str) -> bool:
    extension = _extension(segment)
    return extension in _ARTICLE_FILE_EXTENSIONS and segment[: -len(extension) - 1] not in _INDEX_FILES


def _extension(segment: str) -> str:
    stem, dot, extension = segment.rpartition(".")
    return extension if dot and stem and extension.isalnum() and len(extension) <= 5 else ""
