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
    authors = scrapy.Field()
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

    # Set by the pipelines.
    canonical_url = scrapy.Field()
    published_at = scrapy.Field()
    published_raw = scrapy.Field()
    published_offset = scrapy.Field()
    language = scrapy.Field()
    language_source = scrapy.Field()
    word_count = scrapy.Field()
    content_hash = scrapy.Field()
    title_key = scrapy.Field()
    relevance = scrapy.Field()
    matched_terms = scrapy.Field()
    duplicate_of = scrapy.Field()
    dedupe_status = scrapy.Field()  # new | updated | unchanged | duplicate
    article_id = scrapy.Field()  # the stored row this item created or updates
    replaces_original = scrapy.Field()  # a stored original this earlier-published copy displaces
    url_key = scrapy.Field()  # the identity of the page, whatever the URL's spelling
    text_signature = scrapy.Field()  # MinHash of the text (media_monitor.storage.minhash.Signature)
    cluster_id = scrapy.Field()  # syndication group; None until stored alone
    match = scrapy.Field()  # (article id, method, similarity) of the article this one copies
    outcome = scrapy.Field()  # why a stage dropped it: empty, outside_window, off_topic, duplicate
