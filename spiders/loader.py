"""One spider per outlet of the sources file, so `scrapy list` and `scrapy crawl NAME` work."""

from __future__ import annotations

from scrapy.spiderloader import SpiderLoader

from media_monitor import compat
from media_monitor.config.sources import load_sources
from media_monitor.spiders.base import OutletSpider


class OutletSpiderLoader(SpiderLoader):
    """Scrapy's loader, plus a generic ``OutletSpider`` for each outlet without its own class.

    A hand-written subclass in ``SPIDER_MODULES`` whose ``name`` is an outlet's name gets that
    outlet's entry; a name that matches no outlet is an error, not a silent orphan.
    """

    def __init__(self, settings):
        super().__init__(settings)
        self.outlets = {o.name: o for o in load_sources(settings.get("MONITOR_SOURCES"))}
        spiders = compat.spider_classes(self)
        for name, spider in list(spiders.items()):
            if issubclass(spider, OutletSpider) and not getattr(spider, "outlet", None):
                if name not in self.outlets:
                    raise KeyError(f"spider {name!r} matches no outlet of the sources file")
                spider.outlet = self.outlets[name]
                spider.allowed_domains = self.outlets[name].domains
        for name, outlet in self.outlets.items():
            spiders.setdefault(name, OutletSpider.for_outlet(outlet))
