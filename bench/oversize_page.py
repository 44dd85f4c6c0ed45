"""What one oversize article page costs the crawl, read whole or bounded (MONITOR_MAX_PAGE_CHARS).

    python bench/oversize_page.py

Builds pages of about ten megabytes: a live blog of 30,000 comments after its article (text that
weighs), and an article followed by 9 MB of inline script or of a base64 image. Each is read by
an outlet spider's ``page_values`` (what ``parse_article`` runs), in a fresh process, once with
no limit and once with the default; prints the time, the peak memory and the words read.
"""

from __future__ import annotations

import random
import resource
import subprocess
import sys
import time

KINDS = ("live blog", "inline script", "inline image")


def page(kind: str) -> bytes:
    rng = random.Random(1)
    words = [f"word{n}" for n in range(5000)]
    head = (
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle", "headline": "Big page", '
        '"datePublished": "2024-04-17T10:00:00+04:00"}</script></head><body><article><h1>Big page</h1>'
    )
    article = "".join(f"<p>{' '.join(rng.choices(words, k=40))}</p>" for _ in range(20)) + "</article>"
    if kind == "live blog":
        filler = "".join(f"<div class='c'><p>{' '.join(rng.choices(words, k=40))}</p></div>" for _ in range(30_000))
    elif kind == "inline script":
        filler = "<script>var state = '" + "a" * 9_000_000 + "';</script>"
    else:
        filler = "<img src='data:image/png;base64," + "A" * 9_000_000 + "'>"
    return (head + article + filler + "</body></html>").encode()


def measure(kind: str, limit: int) -> None:
    from scrapy.http import HtmlResponse, Request
    from scrapy.utils.test import get_crawler

    from media_monitor import compat
    from media_monitor.config.sources import Outlet
    from media_monitor.spiders.base import OutletSpider

    outlet = Outlet(
        name="big", title="Big", homepage="https://big.example/", language="en", country="AZ", timezone="UTC"
    )
    spider = compat.create_spider(get_crawler(OutletSpider.for_outlet(outlet), {"MONITOR_MAX_PAGE_CHARS": limit}))
    body = page(kind)
    response = HtmlResponse(
        "https://big.example/a", body=body, encoding="utf-8", request=Request("https://big.example/a")
    )
    began = time.process_time()
    values = spider.page_values(response, outlet)
    spent = time.process_time() - began
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    words = len((values.get("text") or "").split())
    print(
        f"{kind:<14} {len(body) / 1e6:5.1f} MB  limit {limit or 'none':>9}  {spent:5.1f} s CPU  peak {peak:5.0f} MB  {words:>9,} words"
    )


def main() -> None:
    from media_monitor.extraction.oversize import MAX_PAGE_CHARS

    for kind in KINDS:
        for limit in (0, MAX_PAGE_CHARS):
            subprocess.run([sys.executable, __file__, kind, str(limit)], check=True)


if __name__ == "__main__":
    if len(sys.argv) == 3:
        measure(sys.argv[1], int(sys.argv[2]))
    else:
        main()
