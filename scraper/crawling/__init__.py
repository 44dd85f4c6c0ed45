"""The Scrapy machinery around the spiders: downloader and spider middlewares (safety, faults,
the URL memory), the sources' HTTP cache policy, the heap freeze, the log formatter, outlet
locks, and the request meta keys and failure types they share (``requestmeta``, ``failures``)."""
