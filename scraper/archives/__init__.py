"""What the web archives say, read without a network: the formats of the Internet Archive's
Wayback Machine (``wayback``: the CDX index, ``id_`` replay and its answers) and of Common Crawl
(``commoncrawl``: the crawl list, the index server, WARC records fetched by byte range), with the
two decisions a backfill makes before it asks them anything: does a URL look like an article
(``articleurls``), and could a listed entry be on the story (``prefilter``).

Pure functions over strings and bytes: the Scrapy side sends the requests, one queue and one
politeness policy for everything, and hands the answers here.
"""
