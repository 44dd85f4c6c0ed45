"""One article's raw values (as a spider yields them) to its normalised record.

The normalise pipeline stage and the extraction benchmark both call ``normalise_article``, so
what is measured is what is stored.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from media_monitor.normalise.dates import (
    PublishedTime,
    first_published,
    url_candidate,
    url_date,
)
from media_monitor.normalise.language import detect_language
from media_monitor.normalise.text import (
    clean_text,
    clean_title,
    comparison_key,
    content_hash,
    drop_furniture,
    word_count,
)
from media_monitor.normalise.urls import choose_canonical


def normalise_article(
    raw: dict[str, Any], timezone: str, outlet_language: str | None
) -> tuple[dict[str, Any], PublishedTime]:
    """The normalised fields of an article, and how its publication time was read.

    ``raw`` holds the spider's values: url, fetched_at (ISO, aware), title, feed_title,
    published_candidates, feed_published, description, authors, agencies, canonical_link, og_url,
    declared_language, text. Times without an offset are read in ``timezone``.
    """
    text = drop_furniture(clean_text(raw.get("text")))
    title = clean_title(raw.get("title")) or clean_title(raw.get("feed_title")) or None
    fetched_at = datetime.fromisoformat(raw["fetched_at"])
    # The URL's day comes last: it has no time of day, and the feed's date has one.
    url_day = url_date(raw["url"])
    candidates = [
        *(raw.get("published_candidates") or []),
        raw.get("feed_published"),
        url_candidate(url_day) if url_day else None,
    ]
    published = first_published(candidates, timezone, fetched_at)
    language, language_source = detect_language(text, raw.get("declared_language"), outlet_language)
    record = {
        "text": text,
        "word_count": word_count(text),
        "title": title,
        "description": clean_text(raw.get("description")) or None,
        "authors": _names(raw.get("authors")),
        "agencies": _names(raw.get("agencies")),
        "canonical_url": choose_canonical(raw["url"], raw.get("canonical_link"), raw.get("og_url")),
        "published_at": published.iso,
        "published_raw": published.raw,
        "published_offset": published.offset,
        "published_precision": published.precision,
        "language": language,
        "language_source": language_source,
        "content_hash": content_hash(text),
        "title_key": comparison_key(title) if title else None,
    }
    return record, published


def _names(values: list[str] | None) -> list[str]:
    return [name for name in (clean_title(v) for v in values or []) if name]
