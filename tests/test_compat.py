"""Each entry of media_monitor.compat against the installed library: a library upgrade that
changes one of the private APIs it relies on fails the test named after the entry.

Crawls run in a subprocess: Twisted's reactor runs once per process.
"""

from __future__ import annotations

import codecs
import itertools
import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from datasketch import MinHashLSH
from langdetect import DetectorFactory
from langdetect.detector_factory import PROFILES_DIRECTORY
from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.extensions.httpcache import RFC2616Policy
from scrapy.http import HtmlResponse, Response, TextResponse
from scrapy.settings import Settings
from scrapy.spiderloader import SpiderLoader
from scrapy.statscollectors import DummyStatsCollector
from scrapy.utils.test import get_reactor_settings
from scrapy_redis.queue import PriorityQueue

from media_monitor import compat


def run_script(script: str, folder: Path) -> dict:
    """Run ``script`` in a fresh interpreter; what it printed last, as JSON. From a file: Scrapy
    reads a generator callback's source."""
    path = folder / "script.py"
    path.write_text(textwrap.dedent(script), encoding="utf-8")
    result = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60, check=False)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_importing_compat_loads_neither_scrapy_nor_scrapy_redis(tmp_path):
    # the pure layers (normalise, storage) import compat
    loaded = run_script(
        """
        import json, sys
        import media_monitor.compat, media_monitor.normalise.language, media_monitor.storage.minhash
        print(json.dumps({"loaded": sorted({m.split(".")[0] for m in sys.modules} & {"scrapy", "scrapy_redis"})}))
        """,
        tmp_path,
    )
    assert loaded == {"loaded": []}


# -- Scrapy -------------------------------------------------------------------------------------


class NamedSpider(Spider):
    name = "named"


def unstarted_crawler(settings: dict) -> Crawler:
    return Crawler(NamedSpider, {**get_reactor_settings(), "TELNETCONSOLE_ENABLED": False, **settings})


def test_apply_crawler_settings():
    crawler = unstarted_crawler({"STATS_CLASS": "scrapy.statscollectors.DummyStatsCollector"})
    compat.apply_crawler_settings(crawler)
    assert isinstance(crawler.stats, DummyStatsCollector)
    assert crawler.logformatter is not None and crawler.request_fingerprinter is not None
    assert crawler.settings.frozen


def test_create_spider():
    crawler = unstarted_crawler({"MONITOR_EXAMPLE": "set"})
    compat.apply_crawler_settings(crawler)
    spider = compat.create_spider(crawler)
    assert isinstance(spider, NamedSpider)
    assert spider.crawler is crawler
    assert spider.settings is crawler.settings
    assert spider.settings.get("MONITOR_EXAMPLE") == "set"


def test_after_each_scrape(tmp_path):
    # the hook runs after the callback and the item pipelines, also when the callback raised,
    # once per response however often it is installed
    events = run_script(
        """
        import json
        from scrapy import Request, Spider
        from scrapy.core.scraper import Scraper
        from scrapy.crawler import CrawlerProcess
        from media_monitor import compat

        events = []

        def hook(scraper, request):
            events.append(["hook", request.url])

        compat.after_each_scrape(Scraper, hook)
        compat.after_each_scrape(Scraper, hook)

        class Pipeline:
            def process_item(self, item):
                events.append(["pipeline", item["url"]])
                return item

        class TwoPages(Spider):
            name = "two_pages"

            async def start(self):
                yield Request("data:,item", callback=self.item)
                yield Request("data:,fails", callback=self.fails)

            def item(self, response):
                events.append(["callback", response.url])
                yield {"url": response.url}

            def fails(self, response):
                events.append(["callback", response.url])
                raise ValueError("the callback fails")

        process = CrawlerProcess({"ITEM_PIPELINES": {Pipeline: 100}, "LOG_LEVEL": "CRITICAL", "TELNETCONSOLE_ENABLED": False})
        process.crawl(TwoPages)
        process.start()
        print(json.dumps({"events": events}))
        """,
        tmp_path,
    )["events"]
    by_url = {url: [event for event, at in events if at == url] for _, url in events}
    assert by_url == {"data:,item": ["callback", "pipeline", "hook"], "data:,fails": ["callback", "hook"]}


def test_set_engine_heartbeat(tmp_path):
    # an idle spider kept open is asked again every heartbeat: every 0.1 s here, not every 5
    times = run_script(
        """
        import json, time
        from scrapy import Spider, signals
        from scrapy.core.engine import ExecutionEngine
        from scrapy.crawler import CrawlerProcess
        from scrapy.exceptions import DontCloseSpider
        from media_monitor import compat

        compat.set_engine_heartbeat(ExecutionEngine, 0.1)
        idle_at = []

        class Idle(Spider):
            name = "idle"

            @classmethod
            def from_crawler(cls, crawler, *args, **kwargs):
                spider = super().from_crawler(crawler, *args, **kwargs)
                crawler.signals.connect(spider.idle, signal=signals.spider_idle)
                return spider

            async def start(self):
                return
                yield

            def idle(self):
                idle_at.append(time.monotonic())
                if idle_at[-1] - idle_at[0] < 1.0:
                    raise DontCloseSpider

        process = CrawlerProcess({"LOG_LEVEL": "CRITICAL", "TELNETCONSOLE_ENABLED": False})
        process.crawl(Idle)
        process.start()
        print(json.dumps({"idle_at": idle_at}))
        """,
        tmp_path,
    )["idle_at"]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert len(gaps) >= 4 and max(gaps) < 1.0, gaps


@pytest.mark.parametrize(
    "cached_headers, conditional_headers",
    [
        ({"ETag": '"v1"'}, {b"If-None-Match": b'"v1"'}),
        ({"Last-Modified": "Tue, 01 Oct 2024 10:00:00 GMT"}, {b"If-Modified-Since": b"Tue, 01 Oct 2024 10:00:00 GMT"}),
        (
            {"ETag": '"v1"', "Last-Modified": "Tue, 01 Oct 2024 10:00:00 GMT"},
            {b"If-None-Match": b'"v1"', b"If-Modified-Since": b"Tue, 01 Oct 2024 10:00:00 GMT"},
        ),
        ({}, {}),
    ],
)
def test_set_conditional_validators(cached_headers, conditional_headers):
    url = "https://news.example/feed.xml"
    request = Request(url)
    compat.set_conditional_validators(RFC2616Policy(Settings()), request, Response(url, headers=cached_headers))
    assert {name: request.headers.get(name) for name in request.headers} == conditional_headers


def test_spider_classes():
    loader = SpiderLoader(Settings({"SPIDER_MODULES": []}))
    compat.spider_classes(loader).setdefault(NamedSpider.name, NamedSpider)
    assert loader.list() == ["named"]
    assert loader.load("named") is NamedSpider


CP1251_HTML = "<html><head><meta charset='windows-1251'></head><body>мир</body></html>".encode("cp1251")


@pytest.mark.parametrize(
    "response, encoding",
    [
        (TextResponse("https://x.example/", body=b"plain", headers={"Content-Type": "text/plain"}), None),
        (
            TextResponse("https://x.example/", body=b"x", headers={"Content-Type": "text/plain; charset=koi8-r"}),
            "koi8-r",
        ),
        (HtmlResponse("https://x.example/", body=CP1251_HTML), "cp1251"),
        (TextResponse("https://x.example/", body=codecs.BOM_UTF8 + b"x"), "utf-8"),
        (Response("https://x.example/", body=b"bytes"), None),  # not a text response
    ],
)
def test_declared_encoding(response, encoding):
    assert compat.declared_encoding(response) == encoding


@pytest.mark.parametrize(
    "response, encoding",
    [
        (TextResponse("https://x.example/", body=codecs.BOM_UTF8 + b"x"), "utf-8"),
        (TextResponse("https://x.example/", body=codecs.BOM_UTF16_LE + "x".encode("utf-16-le")), "utf-16-le"),
        (TextResponse("https://x.example/", body=b"x", headers={"Content-Type": "text/plain; charset=utf-8"}), None),
        (Response("https://x.example/", body=codecs.BOM_UTF8 + b"x"), None),  # not a text response
    ],
)
def test_bom_encoding(response, encoding):
    assert compat.bom_encoding(response) == encoding


# -- scrapy-redis -------------------------------------------------------------------------------


@pytest.fixture
def queue():
    # encoding and decoding never reach the server
    return PriorityQueue(server=None, spider=NamedSpider(), key="monitor:%(spider)s:requests")


def a_request(spider: Spider) -> Request:
    return Request(
        "https://news.example/a?id=1",
        method="POST",
        body=b"q=1",
        headers={"X-Test": "1"},
        meta={"monitor_lease": "abc", "outlet": "news"},
        priority=5,
        dont_filter=True,
        callback=spider.parse,  # stored by its name on the spider
    )


def test_encode_request(queue):
    request = a_request(queue.spider)
    assert queue.serializer.loads(compat.encode_request(queue, request)) == request.to_dict(spider=queue.spider)


def test_decode_request(queue):
    request = a_request(queue.spider)
    decoded = compat.decode_request(queue, compat.encode_request(queue, request))
    assert isinstance(decoded, Request)
    assert decoded.to_dict(spider=queue.spider) == request.to_dict(spider=queue.spider)


# -- datasketch ---------------------------------------------------------------------------------


@pytest.mark.parametrize("threshold, num_perm", [(0.3, 128), (0.5, 128), (0.7, 128), (0.9, 64)])
def test_lsh_bands_and_rows(threshold, num_perm):
    lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
    assert compat.lsh_bands_and_rows(threshold, num_perm) == (lsh.b, lsh.r)


# -- langdetect ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def langdetect_factory() -> DetectorFactory:
    factory = DetectorFactory()
    factory.load_profile(PROFILES_DIRECTORY)
    factory.set_seed(0)
    return factory


SAMPLES = (
    "Russian peacekeepers began leaving the Karabakh region on Wednesday, the Kremlin confirmed.",
    "Российские миротворцы начали покидать Карабах, подтвердили в Кремле.",
)


@pytest.mark.parametrize("step", ["extract_ngrams", "init_probability", "update_lang_prob", "normalize_prob"])
def test_langdetect_detector(step, langdetect_factory):
    # a subclass's public step is the one langdetect's loop calls, and langdetect's own steps
    # give langdetect's answer
    calls = []

    def counted(self, *args):
        calls.append(step)
        return getattr(compat.LangdetectDetector, step)(self, *args)

    counting = type("Counting", (compat.LangdetectDetector,), {step: counted})
    for text in SAMPLES:
        ours, theirs = counting(langdetect_factory), langdetect_factory.create()
        ours.append(text)
        theirs.append(text)
        assert [(g.lang, g.prob) for g in ours.get_probabilities()] == [
            (g.lang, g.prob) for g in theirs.get_probabilities()
        ]
    assert calls


def test_langdetect_factory():
    factory = compat.langdetect_factory()
    detector = factory.create()
    detector.append(SAMPLES[1])
    assert detector.detect() == "ru"


def test_langdetect_languages(langdetect_factory):
    languages = compat.langdetect_languages(langdetect_factory)
    assert len(languages) == 55 and {"en", "ru", "uk", "no", "zh-cn"} <= set(languages)
    assert not {"is", "zu", "xh", "hy", "az"} & set(languages)  # the declared language's cases


def test_ngram_probabilities(langdetect_factory):
    table = compat.ngram_probabilities(langdetect_factory)
    english = compat.langdetect_languages(langdetect_factory).index("en")
    assert len(table["th"]) == 55 and table["th"][english] > 0.001


@pytest.mark.parametrize("letter, normalised", [("a", "a"), ("!", " "), ("Ə", "Ə"), ("\u0410", "\u0410")])
def test_normalise_letter(letter, normalised):
    assert compat.normalise_letter(letter) == normalised


def test_set_trials(langdetect_factory):
    # a detector runs as many trials as it is set to: one trial's probabilities differ from seven's
    one, seven = langdetect_factory.create(), langdetect_factory.create()
    compat.set_trials(one, 1)
    for detector in (one, seven):
        detector.append(SAMPLES[0][:40])
    assert [g.prob for g in one.get_probabilities()] != [g.prob for g in seven.get_probabilities()]


def test_langdetect_detector_reads_its_text_and_base_frequency(langdetect_factory):
    detector = compat.LangdetectDetector(langdetect_factory)
    detector.append(SAMPLES[0])
    assert detector.text.startswith("Russian peacekeepers") and detector.BASE_FREQ == 10000


@pytest.mark.parametrize(
    "sql, tie_broken",
    [
        (
            "select id, t from articles order by published_at desc limit 51",
            "select id, t from articles order by published_at desc, [id] limit 51",
        ),
        (
            "select id from [my table] where a = :p0 order by [b c] limit 11 offset 10",
            "select id from [my table] where a = :p0 order by [b c], [rowid] limit 11 offset 10",
        ),
        (  # a search's subquery holds a "from": the table is the first one
            "select id from articles where id in (select rowid from articles_fts where articles_fts match "
            "escape_fts(:search)) order by published_at desc limit 51",
            "select id from articles where id in (select rowid from articles_fts where articles_fts match "
            "escape_fts(:search)) order by published_at desc, [id] limit 51",
        ),
    ],
)
def test_tie_broken_table_page(sql, tie_broken):
    assert compat.tie_broken_table_page(sql, {"articles": "id", "my table": "rowid"}) == tie_broken


@pytest.mark.parametrize(
    "sql",
    [
        "select id from articles order by published_at desc, id limit 51",  # a next page: already tie-broken
        "select id from articles order by id limit 51",  # the key itself
        "select id from other order by published_at limit 51",  # not a known table
        "select count(*) from articles",
    ],
)
def test_tie_broken_table_page_leaves_other_sql(sql):
    assert compat.tie_broken_table_page(sql, {"articles": "id"}) == sql


def test_tie_broken_table_page_matches_datasettes_pages(tmp_path):
    """Datasette's own first and next page SQL, recorded: the first is ordered by the sort
    column alone (the shape the entry rewrites), the next by the column then the key."""
    import asyncio

    from datasette.app import Datasette

    path = tmp_path / "t.db"
    with sqlite3.connect(path) as connection:
        connection.execute("create table articles (id integer primary key, published_at text)")
        connection.executemany("insert into articles values (?, '2024-04-17')", [(n,) for n in range(1, 8)])
    datasette = Datasette(
        [str(path)], metadata={"databases": {"t": {"tables": {"articles": {"sort_desc": "published_at"}}}}}
    )
    database = datasette.get_database("t")
    recorded, execute = [], database.execute

    async def record(sql, *args, **kwargs):
        recorded.append(sql)
        return await execute(sql, *args, **kwargs)

    database.execute = record
    first = asyncio.run(datasette.client.get("/t/articles.json?_size=3")).json()
    asyncio.run(datasette.client.get(f"/t/articles.json?_size=3&_next={first['next']}"))
    pages = [sql for sql in recorded if "limit 4" in sql]
    assert len(pages) == 2
    assert compat.tie_broken_table_page(pages[0], {"articles": "id"}) == pages[0].replace(
        "order by published_at desc", "order by published_at desc, [id]"
    )
    assert "order by published_at desc, id" in pages[1]
    assert compat.tie_broken_table_page(pages[1], {"articles": "id"}) == pages[1]
