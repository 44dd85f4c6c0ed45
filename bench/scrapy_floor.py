"""Scrapy's own CPU a page: a bare spider fetches the article pages of the generated site and
drops them, with the crawl benchmark's concurrency (AutoThrottle off, 16 requests at once) and
the project's CONCURRENT_ITEMS, none of the project's middlewares, pipelines or extensions.
What it spends a page (scheduler, engine, HTTP client, Scrapy's default middlewares) is spent
by any Scrapy crawl before a page is read, whatever the pipeline does.

    python bench/scrapy_floor.py [--articles 2000]

Two crawls in fresh processes, of 1 page and of N pages; their CPU difference over N - 1 is
the CPU a page, start-up apart. ``bench/crawl.py`` runs it on its own site and prints it beside
the crawl's "download and engine".
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def crawl_pages(base: str, count: int) -> None:
    """In this process: fetch ``count`` article pages of the site at ``base``, keep nothing."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    from media_monitor import settings as project

    class BareSpider(scrapy.Spider):
        name = "bare"

        async def start(self):
            for n in range(count):
                yield scrapy.Request(f"{base}/a/{n}.html")

        def parse(self, response):
            return None

    process = CrawlerProcess(
        {
            "LOG_LEVEL": "WARNING",
            "TELNETCONSOLE_ENABLED": False,
            "ROBOTSTXT_OBEY": False,
            "AUTOTHROTTLE_ENABLED": False,
            "CONCURRENT_REQUESTS": 16,
            "CONCURRENT_REQUESTS_PER_DOMAIN": 16,
            "CONCURRENT_ITEMS": project.CONCURRENT_ITEMS,
            "COOKIES_ENABLED": project.COOKIES_ENABLED,
            "USER_AGENT": project.USER_AGENT,
        }
    )
    process.crawl(BareSpider)
    process.start()


def process_cpu(base: str, count: int) -> float:
    """CPU seconds of a fresh process that fetches ``count`` pages."""
    child = subprocess.Popen([sys.executable, __file__, "--fetch", base, str(count)], cwd=ROOT)
    _, status, usage = os.wait4(child.pid, 0)
    if status:
        raise RuntimeError(f"the bare Scrapy crawl of {count} pages failed (status {status})")
    return usage.ru_utime + usage.ru_stime


def cpu_per_page(base: str, articles: int) -> float:
    """Scrapy's CPU seconds a page on the site at ``base`` (``articles`` pages), start-up apart."""
    return (process_cpu(base, articles) - process_cpu(base, 1)) / (articles - 1)


def main() -> None:
    if sys.argv[1:2] == ["--fetch"]:
        crawl_pages(sys.argv[2], int(sys.argv[3]))
        return
    from media_monitor.samplesite.generated import GeneratedSite

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, GeneratedSite(args.articles, prerender_to=Path(tmp)) as site:
        print(
            f"Scrapy alone: {cpu_per_page(site.base, args.articles) * 1000:.2f} ms CPU a page "
            f"({args.articles} generated pages fetched and dropped, start-up apart)"
        )


if __name__ == "__main__":
    main()
