"""The request meta keys the crawling components agree on (a leaf module: it imports nothing
of the project's, so spiders, middlewares and the cache policy can all import it)."""

# Request meta: an article page (skipped when already known, never HTTP-cached) or a source
# (feed, sitemap, listing: revalidated with a conditional GET).
ARTICLE = "monitor_article"
SOURCE = "monitor_source"
