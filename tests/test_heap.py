"""The start-up heap is frozen when a crawl opens (scraper/crawling/heap.py)."""

import gc

from scrapy import Spider, signals
from scrapy.utils.project import get_project_settings
from scrapy.utils.test import get_crawler

from media_monitor.crawling.heap import FreezeStartupHeap


def test_the_project_settings_enable_the_freeze():
    extensions = get_project_settings().getwithbase("EXTENSIONS")
    assert extensions.get("media_monitor.crawling.heap.FreezeStartupHeap") is not None


def test_what_is_alive_when_the_spider_opens_is_frozen_and_later_objects_are_not():
    crawler = get_crawler(Spider, {"LOGSTATS_INTERVAL": 0})
    extension = FreezeStartupHeap.from_crawler(crawler)  # noqa: F841 (signals hold receivers weakly)
    alive_at_start = {"a": [1, 2, 3]}
    try:
        assert gc.get_freeze_count() == 0
        crawler.signals.send_catch_log(signals.spider_opened, spider=Spider("s"))
        assert gc.get_freeze_count() > 0
        assert not any(o is alive_at_start for o in gc.get_objects())  # in the permanent generation
        made_later = {"b": [4]}
        assert any(o is made_later for o in gc.get_objects())
    finally:
        gc.unfreeze()


def test_the_heap_is_frozen_once_per_process():
    # monitor crawl opens one spider per outlet: only the first freezes
    crawler = get_crawler(Spider, {"LOGSTATS_INTERVAL": 0})
    extension = FreezeStartupHeap.from_crawler(crawler)  # noqa: F841 (signals hold receivers weakly)
    try:
        crawler.signals.send_catch_log(signals.spider_opened, spider=Spider("first"))
        made_between = {"c": [5]}
        crawler.signals.send_catch_log(signals.spider_opened, spider=Spider("second"))
        assert any(o is made_between for o in gc.get_objects())
    finally:
        gc.unfreeze()
