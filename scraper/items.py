"""The item a spider yields: raw values only. Pipelines parse, choose and normalise them."""

import scrapy


class ArticleItem(scrapy.Item):
    # Set by the spider, as met on the web.
    outlet = scrapy.Field()
    url = scrapy.Field()  # the URL as fetched (after redirects)
    met_urls = scrapy.Field()  # every URL of the redirect chain that led here, ending with url
    fetched_at = scrapy.Field()  # ISO 8601 UTC
    title = scrapy.Field()
    published_candidates = scrapy.Field()  # raw date strings from the page, most trusted first
    modified_raw = scrapy.Field()
    authors = scrapy.Field()  # people
    agencies = scrapy.Field()  # the news agencies credited (AP, Reuters, dpa …), apart from the people
    description = scrapy.Field()
    canonical_link = scrapy.Field()  # <link rel=canonical>
    og_url = scrapy.Field()
    declared_language = scrapy.Field()  # JSON-LD inLanguage, <html lang>, og:locale …
    site_name = scrapy.Field()
    text = scrapy.Field()
    # What the feed or sitemap said about the article: fallbacks for the page's own values.
    feed_title = scrapy.Field()
    feed_published = scrapy.Field()
    feed_guid = scrapy.Field()
    # Where the page's bytes came from, and the WARC record that keeps them (docs/database.md).
    fetched_from = scrapy.Field()  # live | wayback | commoncrawl
    archive_url = scrapy.Field()  # an archived fetch's replay URL (or the archive's WARC file, offset, length)
    captured_at = scrapy.Field()  # ISO 8601 UTC: when the archive captured the page; a live fetch is its own capture
    warc_file = scrapy.Field()  # the record's file, relative to the WARC folder
    warc_offset = scrapy.Field()  # its byte offset in that file
    warc_length = scrapy.Field()  # its length in bytes (one gzip member)

    # Set by the pipelines.
    canonical_url = scrapy.Field()
    published_at = scrapy.Field()
    published_raw = scrapy.Field()
    published_offset = scrapy.Field()
    published_precision = scrapy.Field()  # second | minute | day | month: a day-only date is the whole day
    language = scrapy.Field()
    language_source = scrapy.Field()
    word_count = scrapy.Field()
    content_hash = scrapy.Field()
    title_key = scrapy.Field()
    relevance = scrapy.Field()
    matched_terms = scrapy.Field()  # "concept: term"
    topic_status = scrapy.Field()  # on_topic | borderline | off_topic (kept with --no-topic-filter)
    topic_reason = scrapy.Field()  # the topic's one-line reason for it
    duplicate_of = scrapy.Field()
    dedupe_status = scrapy.Field()  # new | updated | unchanged | duplicate
    article_id = scrapy.Field()  # the stored row this item created or updates
    url_key = scrapy.Field()  # the identity of the page, whatever the URL's spelling
    text_signature = scrapy.Field()  # MinHash of the text (media_monitor.storage.minhash.Signature)
    cluster_id = scrapy.Field()  # syndication group; None until stored alone
    match = scrapy.Field()  # every link to a stored article: [(article id, method, similarity)]
    outcome = scrapy.Field()  # why a stage dropped it: empty, outside_window, off_topic, duplicate
