"""The text signature stage: the MinHash the dedupe stage compares."""

from __future__ import annotations

from media_monitor.pipelines.stage import timed
from media_monitor.storage.minhash import signature


class TextSignaturePipeline:
    """The MinHash signature of the text, which the dedupe stage compares with the stored ones.
    It needs no state, so it is computed where the page was fetched: in a worker when the crawl
    is scaled out, sparing the one writer (docs/scale-out.md)."""

    def __init__(self, stats):
        self.stats = stats

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler.stats)

    @timed("dedupe")
    def process_item(self, item):
        item["text_signature"] = signature(item["text"])
        return item
