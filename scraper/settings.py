"""Scrapy settings for the monitor. Polite by default: robots.txt, an honest user agent,
AutoThrottle, few requests per domain. `monitor crawl --set KEY=VALUE` overrides any of them."""

import os

from media_monitor import __version__

BOT_NAME = "media-monitor"
SPIDER_MODULES = ["media_monitor.spiders"]
NEWSPIDER_MODULE = "media_monitor.spiders"
SPIDER_LOADER_CLASS = "media_monitor.spiders.loader.OutletSpiderLoader"
LOG_FORMATTER = "media_monitor.crawling.logformatter.MonitorLogFormatter"

# Who we are and how to reach the operator: set MONITOR_CONTACT to a URL or an e-mail address.
MONITOR_CONTACT = os.environ.get("MONITOR_CONTACT", "no contact configured")
USER_AGENT = f"media-monitor/{__version__} (news research crawler; +{MONITOR_CONTACT})"
ROBOTSTXT_OBEY = True
CONCURRENT_REQUESTS = 16
CONCURRENT_REQUESTS_PER_DOMAIN = 2
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 2.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0
DOWNLOAD_TIMEOUT = 30
DOWNLOAD_MAXSIZE = 10 * 1024 * 1024  # no article page is larger; a bigger body is a mistake
# A page larger than this many characters is read without its scripts, styles and inline data,
# then up to there (scraper/extraction/oversize.py): parsing ten megabytes whole stalls the crawl.
MONITOR_MAX_PAGE_CHARS = 2_000_000
RETRY_TIMES = 2
# Scrapy (2.19, asyncio reactor) starts CONCURRENT_ITEMS asyncio tasks for the output of every
# callback, even an empty one: Scrapy's 100 cost ~0.4 ms CPU per response. An article page yields
# one item and the pipelines never wait, but a sitemap's requests pass through a queue of twice
# this size, refilled once per turn of the event loop: with 1, a worker seeding a shared queue
# fed it no faster than one article's processing and the other workers starved
# (docs/benchmarks.md). 16 costs ~0.08 ms per response and keeps the queue full.
CONCURRENT_ITEMS = 16
COOKIES_ENABLED = False
TELNETCONSOLE_ENABLED = False
LOG_LEVEL = "INFO"
FEED_EXPORT_ENCODING = "utf-8"

# The monitor's own settings (the CLI fills them from its options and the environment).
MONITOR_DB = os.environ.get("MONITOR_DB", "monitor.db")
MONITOR_SOURCES = os.environ.get("MONITOR_SOURCES")  # None: the bundled sources file
MONITOR_TOPIC = os.environ.get("MONITOR_TOPIC")  # None: the bundled default topic
MONITOR_TOPIC_FILTER = True  # False keeps off-topic articles (still scored)
MONITOR_CRAWL_RUN_ID = None  # set by `monitor crawl`; a bare `scrapy crawl` opens its own run
MONITOR_POLL_INTERVAL = 3600.0  # seconds: the base pace of `monitor schedule` (see scraper/storage/health.py)
MONITOR_MIN_WORDS = 30  # fewer words than this is a page without an article (counted as failed) …
# … unless it is an agency flash: at least this many words in its language ("*": any other),
# on the story (or borderline) with its text itself naming a concept of the topic. Set ~30 %
# below the shortest flash of each language in tests/data/topic/ (bench/topic.py prints them):
# agglutinative languages and scripts say in five words what English says in ten.
MONITOR_MIN_WORDS_SHORT = {
    "en": 7,
    "fr": 9,
    "es": 7,
    "de": 4,
    "pl": 4,
    "ru": 5,
    "uk": 4,
    "hy": 4,
    "az": 3,
    "tr": 4,
    "ka": 4,
    "fa": 7,
    "ar": 5,
    "*": 5,
}
MONITOR_BATCH_SIZE = 50  # articles per write transaction
MONITOR_TITLE_WINDOW_DAYS = 7  # same outlet + same title within this window is a duplicate
# Near-duplicate texts (syndication), measured in docs/dedupe.md: the LSH index returns
# candidates whose shingle Jaccard is likely above MONITOR_NEAR_LSH_THRESHOLD; a candidate
# joins the cluster when the share of the shorter text inside the longer one reaches
# MONITOR_NEAR_CONTAINMENT.
MONITOR_NEAR_LSH_THRESHOLD = 0.3
MONITOR_NEAR_CONTAINMENT = 0.6

MONITOR_SINCE = None  # with MONITOR_UNTIL: the date window of a historical crawl (UTC)
MONITOR_UNTIL = None
MONITOR_REFRESH = False  # True downloads article pages again even when their URL is known
MONITOR_RETRY_SERVER_ERRORS_AFTER = 6 * 3600.0  # seconds before an article that got a 5xx is asked again
# GDELT DOC 2.0 API discovery (spiders/gdelt.py).
MONITOR_GDELT_URL = "https://api.gdeltproject.org/api/v2/doc/doc"
MONITOR_GDELT_DELAY = 5.0  # seconds between API requests, as GDELT asks
MONITOR_GDELT_CHUNK_DAYS = 3.0  # window piece per query; GDELT lists at most 250 articles
MONITOR_GDELT_MAX_RECORDS = 250  # articles a query asks for (maxrecords); 250 is the API's most
# Web archives (spiders/archive.py): with a window, each outlet's feeds, sitemaps and captured
# pages in the Wayback Machine; a page gone live is read from its capture.
MONITOR_ARCHIVE = True  # only with a window (--since/--until); `monitor crawl --no-archive` turns it off
# The archives' addresses, also from the environment; an empty one turns that archive off (the
# tests turn them all off, and point them at the sample site's stand-in archive where needed).
MONITOR_WAYBACK_URL = os.environ.get("MONITOR_WAYBACK_URL", "https://web.archive.org")
MONITOR_CC_INDEX_URL = os.environ.get("MONITOR_CC_INDEX_URL", "https://index.commoncrawl.org")  # the index server
MONITOR_CC_DATA_URL = os.environ.get("MONITOR_CC_DATA_URL", "https://data.commoncrawl.org")  # the WARC files
MONITOR_ARCHIVE_DELAY = 1.0  # seconds between requests to one archive host, for every spider of the process
# Index queries (Wayback CDX searches, Common Crawl index pages) also keep this many seconds
# apart: the Internet Archive's hard limit is 60 CDX searches a minute, and it asks for 80% of it.
MONITOR_ARCHIVE_INDEX_DELAY = 1.25
MONITOR_ARCHIVE_AFTER_DAYS = 28  # captures of feeds and sitemaps read until this many days after the window

DOWNLOADER_MIDDLEWARES = {
    # First of all: no scheme but http(s), no unconfigured loopback or private address.
    "media_monitor.crawling.safety.SafeRequests": 40,
    # Web archives: one request per MONITOR_ARCHIVE_DELAY to each archive host, shared by every
    # spider of the process (a refused unsafe request never waits; a known URL waits first).
    "media_monitor.crawling.archivepace.ArchivePace": 45,
    # Before robots.txt and the cache: a known article URL costs no request at all.
    "media_monitor.crawling.urlmemory.UrlMemory": 50,
    # Faults (scraper/crawling/faults.py, docs/reliability.md), each just outside the Scrapy
    # middleware whose responses it must see first: RetryMiddleware (550),
    # HttpCompressionMiddleware (590), RedirectMiddleware (600).
    "media_monitor.crawling.faults.RetryAfter": 555,
    "media_monitor.crawling.faults.TruncatedBody": 595,
    "media_monitor.crawling.faults.RedirectGuard": 610,
    # Scrapy's decompression, counting a body that inflates past DOWNLOAD_MAXSIZE as failed.
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": None,
    "media_monitor.crawling.faults.CountedDecompression": 590,
}
EXTENSIONS = {
    "media_monitor.crawling.heap.FreezeStartupHeap": 900,
    # `scrapy crawl NAME` takes the outlet's lock as `monitor crawl` does (crawling/locks.py).
    "media_monitor.crawling.locks.CrawlLock": 0,
    "media_monitor.crawling.bounds.OutletBudget": 500,  # MONITOR_OUTLET_BUDGET
    "media_monitor.crawling.faults.OneLineRobotsErrors": 500,
    "media_monitor.crawling.progress.Progress": 500,
}
# Progress (scraper/crawling/progress.py): a line per outlet in the log every this many seconds
# (0: none); on a terminal (auto: when stderr is one; true/false to force) a live status line.
MONITOR_PROGRESS_INTERVAL = 60.0
MONITOR_PROGRESS_LIVE = "auto"
SPIDER_MIDDLEWARES = {
    # Keeping the bytes: just after Scrapy's HttpErrorMiddleware (50), so it sees only the
    # responses the callback reads, bodies decompressed, and names each one's WARC record on
    # its meta before parse_article copies it onto the item.
    "media_monitor.crawling.warcs.KeepWarc": 60,
    # Nearest the spider: a known article URL is dropped as the spider yields it.
    "media_monitor.crawling.urlmemory.SkipKnownUrls": 950,
}
# Every article page read is written to a WARC file (docs/operations.md#the-warc-folder), in
# MONITOR_WARC_DIR, by default <MONITOR_DB>-warc beside the database; a scale-out worker, which
# has no database, keeps WARCs only where MONITOR_WARC_DIR names.
MONITOR_KEEP_WARC = True
MONITOR_WARC_DIR = os.environ.get("MONITOR_WARC_DIR")
# Faults and safety. A 429/503 with Retry-After waits that long before the retry, at most this.
MONITOR_MAX_RETRY_AFTER = 60
# Bounds on what an outlet controls (scraper/crawling/bounds.py, docs/reliability.md#outlet-bounds):
# each stops that outlet's part of a run there, is counted in its run row and logged once.
MONITOR_OUTLET_BUDGET = float(os.environ.get("MONITOR_OUTLET_BUDGET", 3600))  # seconds of one outlet's crawl; 0: none
# The budget of a windowed crawl (--since/--until, a backfill through the archives' pace):
# MONITOR_OUTLET_BUDGET, when set in the environment or by --set, wins.
MONITOR_BACKFILL_BUDGET = 24 * 3600.0
MONITOR_MAX_SITEMAPS = 500  # sitemaps an outlet's indexes may name in one run
MONITOR_MAX_SITEMAP_DEPTH = 3  # indexes within indexes
MONITOR_MAX_SITEMAP_ENTRIES = 50_000  # URLs read from one sitemap (the protocol's own limit)
MONITOR_MAX_FEED_ENTRIES = 1000  # entries read from one feed, links from one listing page
MONITOR_MAX_LISTING_PAGES = 500  # listing pages followed in one run (besides the first of each listing)
# Host names, addresses or networks (e.g. "10.1.0.0/16") the crawler may reach although they
# are private, besides the hosts of the sources file, of MONITOR_GDELT_URL and of the archives.
MONITOR_PRIVATE_HOSTS: list[str] = []
# Scrapy's caching resolver, refusing names that resolve to unconfigured private addresses.
TWISTED_DNS_RESOLVER = "media_monitor.crawling.safety.SafeResolver"
# Feeds, sitemaps and listings are cached and revalidated with a conditional GET (ETag,
# Last-Modified): an unchanged feed costs one small 304. Article pages are never cached.
HTTPCACHE_ENABLED = True
HTTPCACHE_POLICY = "media_monitor.crawling.httpcache.RevalidateSourcesPolicy"
HTTPCACHE_IGNORE_HTTP_CODES = [301, 302, 303, 307, 308, 404, 410, 429, 500, 502, 503, 504]

# Normalise -> window -> topic -> dedupe -> store.
ITEM_PIPELINES = {
    "media_monitor.pipelines.normalise.NormalisePipeline": 100,
    "media_monitor.pipelines.window.WindowPipeline": 150,
    "media_monitor.pipelines.topic.TopicPipeline": 200,
    "media_monitor.pipelines.signature.TextSignaturePipeline": 250,
    "media_monitor.pipelines.dedupe.DedupePipeline": 300,
    "media_monitor.pipelines.store.StorePipeline": 400,
}

# Scale-out (`monitor worker` / `monitor ingest`, scraper/scaleout/distributed.py): off unless REDIS_URL
# is set; the worker command sets the scrapy-redis scheduler and dupefilter itself.
REDIS_URL = os.environ.get("MONITOR_REDIS_URL")
MONITOR_REDIS_PREFIX = os.environ.get("MONITOR_REDIS_PREFIX", "monitor")  # namespace of every key
MONITOR_WORKER_IDLE_EXIT = 5.0  # seconds the shared queue stays empty before a worker exits
