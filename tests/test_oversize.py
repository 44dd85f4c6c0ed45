"""A page too large to parse whole (media_monitor.extraction.oversize), and the spider's use of it."""

import pytest
from scrapy.http import HtmlResponse, Request
from scrapy.utils.test import get_crawler

from media_monitor import compat
from media_monitor.config.sources import Outlet
from media_monitor.extraction.oversize import bounded_html
from media_monitor.spiders.base import OutletSpider

ARTICLE = (
    '<html><head><script type="application/ld+json">{"@type": "NewsArticle", "headline": "Convoy"}</script>'
    "<style>p {color: red}</style></head><body><article><h1>Convoy</h1>"
    + "".join(f"<p>The column left the base at Khojaly, paragraph {n}, at dawn.</p>" for n in range(30))
    + "</article>"
)


@pytest.mark.parametrize(
    ("filler", "limit", "cut", "kept", "gone"),
    [
        ("", 100_000, False, ["<style>", "paragraph 29"], []),  # under the limit: untouched
        # Scripts, styles, SVG and inline data are what weigh: gone, nothing cut.
        (
            "<script>var x = '" + "a" * 50_000 + "';</script>",
            10_000,
            False,
            ["application/ld+json", "paragraph 29"],
            ["var x", "<style>"],
        ),
        (
            '<img src="data:image/png;base64,' + "A" * 50_000 + '">',
            10_000,
            False,
            ['src="data:,"', "paragraph 29"],
            ["AAAA"],
        ),
        ("<svg><path d='" + "M0 0 " * 10_000 + "'/></svg>", 10_000, False, ["paragraph 29"], ["<svg"]),
        # Text that weighs: the article first, the rest cut at a tag's start.
        (
            "".join(f"<div class='comment'><p>Comment {n}: well said.</p></div>" for n in range(5_000)),
            10_000,
            True,
            ["paragraph 29"],
            ["Comment 4999"],
        ),
    ],
)
def test_bounded_html(filler, limit, cut, kept, gone):
    html, was_cut = bounded_html(ARTICLE + filler + "</body></html>", limit)
    assert was_cut == cut
    assert all(part in html for part in kept) and not any(part in html for part in gone)
    if cut:
        assert len(html) <= limit and html.endswith("</div>")  # cut at a tag's start


def test_no_limit_keeps_everything():
    html = ARTICLE + "<script>x</script>" * 10
    assert bounded_html(html, 0) == (html, False)


def test_the_spider_reads_an_oversize_page_up_to_the_limit_and_counts_it():
    outlet = Outlet(
        name="big", title="Big", homepage="https://big.example/", language="en", country="AZ", timezone="UTC"
    )
    crawler = get_crawler(OutletSpider.for_outlet(outlet), {"MONITOR_MAX_PAGE_CHARS": 20_000})
    spider = compat.create_spider(crawler)
    comments = "".join(f"<div><p>Comment {n}: I disagree with all of it.</p></div>" for n in range(3_000))
    body = (ARTICLE + comments + "</body></html>").encode()
    response = HtmlResponse(
        "https://big.example/a", body=body, encoding="utf-8", request=Request("https://big.example/a")
    )
    values = spider.page_values(response, outlet)
    assert "paragraph 29" in values["text"] and "Comment 2999" not in values["text"]
    assert crawler.stats.get_value("monitor/pages_cut") == 1
