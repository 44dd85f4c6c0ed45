"""The request meta keys the crawling components agree on (a leaf module: it imports nothing
of the project's, so spiders, middlewares and the cache policy can all import it)."""

# Request meta: an article page (skipped when already known, never HTTP-cached) or a source
# (feed, sitemap, listing: revalidated with a conditional GET).
ARTICLE = "monitor_article"
SOURCE = "monitor_source"

# Request meta of an article fetched from a web archive rather than the live site (set by the
# archive fetchers; absent, the fetch is live): FETCHED_FROM is "wayback" or "commoncrawl",
# ARCHIVE_URL the replay URL (or the archive's WARC file, offset and length), CAPTURED_AT the
# capture's own time (ISO 8601, UTC).
FETCHED_FROM = "monitor_fetched_from"
ARCHIVE_URL = "monitor_archive_url"
CAPTURED_AT = "monitor_captured_at"
LIVE = "live"  # fetched_from of a page fetched from the outlet itself
# Response meta set by media_monitor.crawling.warcs.KeepWarc: the time the response is dated
# (ISO 8601, UTC; the record's WARC-Date) and where its WARC record is, as the item's
# {"warc_file", "warc_offset", "warc_length"}.
FETCHED_AT = "monitor_fetched_at"
WARC_RECORD = "monitor_warc_record"

# Signal (sent by the archive route, with ``response``): a page rebuilt from an archive's record
# (a Common Crawl WARC record) that no middleware saw; KeepWarc keeps it as it keeps fetched pages.
page_from_record = object()
