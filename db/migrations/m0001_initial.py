"""The first schema: articles with full-text search, their versions, outlets and crawl runs."""

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    db["outlets"].create(
        {
            "name": str,
            "title": str,
            "homepage": str,
            "language": str,
            "country": str,
            "timezone": str,
            "feeds": str,
            "sitemaps": str,
        },
        pk="name",
    )
    db["crawl_runs"].create(
        {
            "id": int,
            "started_at": str,
            "finished_at": str,
            "status": str,
            "outlets": str,
            "topic": str,
            "topic_filter": int,
            "fetched": int,
            "new": int,
            "updated": int,
            "unchanged": int,
            "duplicates": int,
            "off_topic": int,
            "failed": int,
        },
        pk="id",
    )
    db["crawl_run_outlets"].create(
        {
            "crawl_run_id": int,
            "outlet": str,
            "status": str,
            "fetched": int,
            "new": int,
            "updated": int,
            "unchanged": int,
            "duplicates": int,
            "off_topic": int,
            "failed": int,
            "dates_rejected": int,
            "finished_at": str,
            "error": str,
        },
        pk=("crawl_run_id", "outlet"),
        foreign_keys=[("crawl_run_id", "crawl_runs", "id"), ("outlet", "outlets", "name")],
    )
    db["articles"].create(
        {
            "id": int,
            "url": str,
            "canonical_url": str,
            "outlet": str,
            "title": str,
            "published_at": str,
            "published_raw": str,
            "published_offset": str,
            "language": str,
            "language_source": str,
            "authors": str,
            "description": str,
            "text": str,
            "word_count": int,
            "relevance": float,
            "matched_terms": str,
            "content_hash": str,
            "title_key": str,
            "duplicate_of": int,
            "feed_guid": str,
            "first_seen_at": str,
            "last_seen_at": str,
            "crawl_run_id": int,
        },
        pk="id",
        not_null={"url", "canonical_url", "outlet", "first_seen_at", "last_seen_at"},
        foreign_keys=[
            ("outlet", "outlets", "name"),
            ("duplicate_of", "articles", "id"),
            ("crawl_run_id", "crawl_runs", "id"),
        ],
    )
    articles = db["articles"]
    articles.create_index(["canonical_url"], unique=True)
    articles.create_index(["content_hash"])
    articles.create_index(["outlet", "title_key"])
    articles.create_index(["published_at"])
    articles.create_index(["duplicate_of"])
    articles.enable_fts(["title", "text"], create_triggers=True)

    db["article_versions"].create(
        {
            "id": int,
            "article_id": int,
            "title": str,
            "text": str,
            "content_hash": str,
            "published_at": str,
            "crawl_run_id": int,
            "replaced_at": str,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["article_versions"].create_index(["article_id"])
