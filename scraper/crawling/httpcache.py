"""HTTP caching for sources only, always revalidated.

Scrapy's RFC 2616 policy would serve a feed from the cache for as long as its heuristic
freshness lasts (10% of the time since Last-Modified: days, for an old sitemap partition), and
miss new entries. Here a cached feed, sitemap or listing is always revalidated with its ETag /
Last-Modified, so an unchanged one costs a 304 and a changed one is downloaded.
"""

from scrapy.extensions.httpcache import RFC2616Policy

from media_monitor import compat
from media_monitor.crawling.requestmeta import SOURCE


class RevalidateSourcesPolicy(RFC2616Policy):
    def should_cache_request(self, request) -> bool:
        return bool(request.meta.get(SOURCE)) and super().should_cache_request(request)

    def is_cached_response_fresh(self, cachedresponse, request) -> bool:
        compat.set_conditional_validators(self, request, cachedresponse)
        return False
