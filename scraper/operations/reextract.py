"""`monitor reextract`: extraction, normalisation, topic and dedupe run again over the pages kept
in the WARC folder, without the network.

Each selected row's page is the response record the row names, or, when that record is not
there (a row stored before WARCs were kept, a folder gathered from workers or rewritten), the
newest record of the row's URL in the folder. The record is rebuilt into the response the spider
read and goes through the outlet's spider (``parse_article``, so its ``page_values``) and the
crawl's stages in ``ITEM_PIPELINES`` order, on Scrapy crawlers that run no engine. The store
stage is the one left out: a re-extraction is no crawl, so it records no run and touches no
unchanged row; a changed text is written as the store stage writes an update
(``ArticleStore.update_article``, the old text to ``article_versions``, then ``link_article``
from the new text), keeping the row's crawl run, whose fetch the bytes are. An unchanged
extractor therefore changes nothing.

What the WARC does not keep, the feed's title, date and GUID, comes from the row (its title,
``published_raw`` and ``feed_guid``): the same fallbacks the crawl had.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from itertools import groupby
from pathlib import Path

from scrapy.crawler import CrawlerRunner
from scrapy.exceptions import DropItem
from scrapy.utils.conf import build_component_list
from scrapy.utils.misc import load_object

from media_monitor import compat
from media_monitor.config.sources import Outlet
from media_monitor.crawl import CrawlJob
from media_monitor.crawling.warcs import KeptPage, newest_places, read_page, warc_folder
from media_monitor.items import ArticleItem
from media_monitor.pipelines.dedupe import DedupePipeline
from media_monitor.pipelines.store import StorePipeline
from media_monitor.spiders.base import OutletSpider
from media_monitor.storage.store import ArticleStore

ROW_COLUMNS = (
    "id, url, canonical_url, outlet, title, published_raw, feed_guid, crawl_run_id, warc_file, warc_offset, warc_length"
)


MISSING = "missing"  # a row whose page no record of the folder keeps
NOT_DROPPED = ("updated", "unchanged", MISSING)


@dataclass
class ReextractResult:
    folder: Path  # the WARC folder read
    # Rows by what became of them: updated, unchanged, missing, or the outcome of the stage that
    # dropped its page (off_topic, empty_pages…: the row is left as it is).
    outcomes: Counter = field(default_factory=Counter)

    @property
    def rows(self) -> int:
        return sum(self.outcomes.values())

    @property
    def dropped(self) -> dict[str, int]:
        return {outcome: n for outcome, n in sorted(self.outcomes.items()) if outcome not in NOT_DROPPED}


def reextract(
    db: str | os.PathLike,
    *,
    sources: str | os.PathLike | None = None,
    topic: str | os.PathLike | None = None,
    topic_filter: bool = True,
    outlets: tuple[str, ...] = (),
    since: str | None = None,
    warc_dir: str | os.PathLike | None = None,
) -> ReextractResult:
    """Re-extract the rows of ``outlets`` (every outlet when empty) published on or after
    ``since`` (a date or UTC time; every row when None) from the WARC folder ``warc_dir``
    (default: MONITOR_WARC_DIR, else ``<db>-warc``). Installs Twisted's reactor, never runs it."""
    settings = CrawlJob(db=db, sources=sources, topic=topic, topic_filter=topic_filter).settings()
    pages = KeptPages(warc_folder(db, warc_dir or settings.get("MONITOR_WARC_DIR")))
    runner = _engineless_runner(settings)
    store = ArticleStore.acquire(db)
    result = ReextractResult(pages.folder)
    try:
        for outlet, rows in groupby(_selected_rows(store, outlets, since), key=lambda row: row["outlet"]):
            extraction = OutletExtraction(runner, _spider_class(runner, store, outlet))
            try:
                for row in rows:
                    result.outcomes[_reextract_row(row, pages, extraction, store)] += 1
            finally:
                extraction.close()
    finally:
        store.release()
    return result


def _selected_rows(store: ArticleStore, outlets: tuple[str, ...], since: str | None) -> list[dict]:
    where, params = [], []
    if outlets:
        where.append(f"outlet in ({', '.join('?' for _ in outlets)})")
        params.extend(outlets)
    if since:
        where.append("published_at >= ?")
        params.append(since)
    sql = f"select {ROW_COLUMNS} from articles {'where ' + ' and '.join(where) if where else ''} order by outlet, id"
    return list(store.db.query(sql, params))


def _reextract_row(row: dict, pages: KeptPages, extraction: OutletExtraction, store: ArticleStore) -> str:
    """Re-extract one row; what became of it (``ReextractResult.outcomes``)."""
    page = pages.page_for(row)
    if page is None:
        return MISSING
    outcome, item = extraction.run(page, row)
    if outcome == "updated":
        # The store stage's update (scraper/pipelines/store.py), but with the row's own run:
        # the new text and its provenance, then the links found from the new text.
        store.update_article(item["article_id"], item, row["crawl_run_id"])
        if item.get("match"):
            store.link_article(item["article_id"], item["match"])
    return outcome


class KeptPages:
    """The pages of a WARC folder, found by the record a row names or by the row's URL."""

    def __init__(self, folder: Path):
        self.folder = folder
        self._newest: dict[str, dict] | None = None  # read through once, when first needed

    def page_for(self, row: dict) -> KeptPage | None:
        if row["warc_file"]:
            named = {key: row[key] for key in ("warc_file", "warc_offset", "warc_length")}
            page = read_page(self.folder, named)
            if page is not None and page.url == row["url"]:
                return page
        if self._newest is None:
            self._newest = newest_places(self.folder) if self.folder.is_dir() else {}
        place = self._newest.get(row["url"])
        return read_page(self.folder, place) if place else None


def _engineless_runner(settings) -> CrawlerRunner:
    """A runner for crawlers that run no engine: the reactor Scrapy checks for is installed, as
    the writer of a scaled-out crawl does (``media_monitor.scaleout.ingest``)."""
    if settings.get("TWISTED_REACTOR"):
        from scrapy.utils.reactor import install_reactor, is_reactor_installed

        if not is_reactor_installed():
            install_reactor(settings.get("TWISTED_REACTOR"))
    return CrawlerRunner(settings)


def _spider_class(runner: CrawlerRunner, store: ArticleStore, outlet: str) -> type:
    """The outlet's spider, as a crawl loads it; for an outlet the sources file lacks (one GDELT
    discovered), a generic spider on its row of the outlets table."""
    if outlet in runner.spider_loader.list():
        return runner.spider_loader.load(outlet)
    row = store.db["outlets"].get(outlet)
    return OutletSpider.for_outlet(
        Outlet(
            name=outlet,
            title=row["title"] or outlet,
            homepage=row["homepage"] or "",
            language=row["language"] or "en",
            country=row["country"] or "",
            timezone=row["timezone"] or "UTC",
            discovered=bool(row["discovered"]),
        )
    )


class OutletExtraction:
    """An outlet's spider and the crawl's stages but the store, on a crawler that runs no engine."""

    def __init__(self, runner: CrawlerRunner, spidercls: type):
        crawler = runner.create_crawler(spidercls)
        compat.apply_crawler_settings(crawler)
        crawler.spider = compat.create_spider(crawler)
        self.spider = crawler.spider
        paths = build_component_list(crawler.settings.getwithbase("ITEM_PIPELINES"))
        stages = [load_object(path) for path in paths]
        self.stages = [stage.from_crawler(crawler) for stage in stages if not issubclass(stage, StorePipeline)]
        for stage in self.stages:
            if hasattr(stage, "open_spider"):
                stage.open_spider()

    def run(self, page: KeptPage, row: dict) -> tuple[str, ArticleItem | None]:
        """The row's page through the spider and the stages: ("updated" or "unchanged", the
        item), or (the outcome of the stage that dropped it, None)."""
        hints = {
            "title": row["title"],
            "published": row["published_raw"],
            "guid": row["feed_guid"],
            "outlet": row["outlet"],
        }
        item = next(iter(self.spider.parse_article(page.response(), hints)), None)
        if item is None:
            return "not_html", None
        try:
            for stage in self.stages:
                if isinstance(stage, DedupePipeline):
                    # The row's identity stays as first stored (update_article never changes
                    # it): dedupe compares the new text with this row's, whatever canonical
                    # link the page now yields.
                    item["canonical_url"] = row["canonical_url"]
                item = stage.process_item(item)
        except DropItem:
            return item.get("outcome") or "dropped", None
        return item["dedupe_status"], item

    def close(self) -> None:
        for stage in self.stages:
            if hasattr(stage, "close_spider"):
                stage.close_spider()
