"""Scrapy settings for the monitor. Polite by default: robots.txt, an honest user agent,
AutoThrottle, few requests per domain. `monitor crawl --set KEY=VALUE` overrides any of them."""

import os

from scraper import __version__

BOT_NAME = "media-monitor"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"
SPIDER_LOADER_CLASS = "scraper.spiderloader.OutletSpiderLoader"
LOG_FORMATTER = "scraper.logformatter.MonitorLogFormatter"

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
RETRY_TIMES = 2
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
MONITOR_MIN_WORDS = 30  # fewer words than this is a page without an article (counted as failed)
MONITOR_BATCH_SIZE = 50  # articles per write transaction
MONITOR_TITLE_WINDOW_DAYS = 7  # same outlet + same title within this window is a duplicate

# Normalise -> topic -> dedupe -> store.
ITEM_PIPELINES = {
    "scraper.pipelines.NormalisePipeline": 100,
    "scraper.pipelines.TopicPipeline": 200,
    "scraper.pipelines.DedupePipeline": 300,
    "scraper.pipelines.StorePipeline": 400,
}
