"""Crawler safety (issue 6 §6): http(s) only, and no loopback or private address unless an
outlet is configured there. Table-driven checks of the middleware's and the resolver's
decisions, then a real crawl of a feed that links to unsafe URLs."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import quote

import pytest
import sqlite_utils
from scrapy.http import Request
from scrapy.resolver import dnscache
from scrapy.settings import Settings
from scrapy.signalmanager import SignalManager
from scrapy.statscollectors import MemoryStatsCollector

from media_monitor.crawling.requestmeta import ARTICLE, SOURCE
from media_monitor.crawling.safety import (
    REFUSED_NAMES,
    HostPolicy,
    SafeRequests,
    SafeResolver,
    UnsafeAddressError,
    UnsafeRequest,
    is_private,
)
from media_monitor.samplesite import SampleSite
from tests.conftest import crawl

SAMPLE = HostPolicy.from_hosts(["127.0.0.1", "api.gdeltproject.org"])  # the sample site's outlets
LOCAL_OUTLET = HostPolicy.from_hosts(["localhost", "intranet.example", "10.1.0.0/16"])


@pytest.mark.parametrize(
    "address, private",
    [
        ("127.0.0.1", True),
        ("127.8.9.10", True),
        ("10.0.0.1", True),
        ("172.16.0.1", True),
        ("172.31.255.255", True),
        ("172.32.0.1", False),
        ("192.168.1.1", True),
        ("169.254.169.254", True),
        ("0.0.0.0", True),
        ("100.64.0.1", True),
        ("::1", True),
        ("fc00::1", True),
        ("fd12:3456::1", True),
        ("fe80::1", True),
        ("::ffff:127.0.0.1", True),
        ("::ffff:8.8.8.8", False),
        ("8.8.8.8", False),
        ("93.184.216.34", False),
        ("2606:4700::1111", False),
    ],
)
def test_private_addresses(address, private):
    assert is_private(address) is private


@pytest.mark.parametrize(
    "policy, url, refused",
    [
        # schemes
        (SAMPLE, "file:///etc/passwd", "scheme file: is not http(s)"),
        (SAMPLE, "ftp://127.0.0.1/pub/x", "scheme ftp: is not http(s)"),
        (SAMPLE, "data:text/html,<p>hi</p>", "scheme data: is not http(s)"),
        (SAMPLE, "s3://bucket/key", "scheme s3: is not http(s)"),
        (SAMPLE, "gopher://example.org/", "scheme gopher: is not http(s)"),
        (SAMPLE, "HTTPS://example.org/", None),
        (SAMPLE, "http://example.org/news/1", None),
        # IP literals: private refused unless configured, public allowed
        (SAMPLE, "http://127.0.0.1:8000/herald/feed.xml", None),
        (SAMPLE, "http://127.0.0.2/", "127.0.0.2 is a loopback or private address"),
        (SAMPLE, "http://169.254.169.254/latest/meta-data/", "169.254.169.254 is a loopback or private address"),
        (SAMPLE, "http://10.0.0.1/admin", "10.0.0.1 is a loopback or private address"),
        (SAMPLE, "http://192.168.1.1/", "192.168.1.1 is a loopback or private address"),
        (SAMPLE, "http://172.20.0.5:5432/", "172.20.0.5 is a loopback or private address"),
        (SAMPLE, "http://[::1]:8000/", "::1 is a loopback or private address"),
        (SAMPLE, "http://[fd00::5]/", "fd00::5 is a loopback or private address"),
        (SAMPLE, "http://[fe80::1]/", "fe80::1 is a loopback or private address"),
        (SAMPLE, "http://[::ffff:10.0.0.1]/", "10.0.0.1 is a loopback or private address"),
        (SAMPLE, "http://8.8.8.8/", None),
        (SAMPLE, "http://localhost:8000/", None),  # a name: the resolver decides
        (LOCAL_OUTLET, "http://127.0.0.1/", "127.0.0.1 is a loopback or private address"),
        (LOCAL_OUTLET, "http://10.1.2.3/", None),  # inside a configured network
        (LOCAL_OUTLET, "http://10.2.0.1/", "10.2.0.1 is a loopback or private address"),
    ],
)
def test_url_decisions(policy, url, refused):
    reason = policy.url_refusal(url)
    if refused is None:
        assert reason is None
    else:
        assert reason and refused in reason


@pytest.mark.parametrize(
    "policy, name, address, refused",
    [
        (SAMPLE, "example.org", "93.184.216.34", False),
        (SAMPLE, "localhost", "127.0.0.1", False),  # 127.0.0.1 is configured: the sample outlets are there
        (SAMPLE, "evil.example", "127.0.0.1", False),  # the same address: as reachable as by its literal
        (SAMPLE, "evil.example", "10.0.0.5", True),  # DNS smuggling a private address in
        (SAMPLE, "metadata.evil.example", "169.254.169.254", True),
        (SAMPLE, "evil.example", "127.0.0.2", True),
        (LOCAL_OUTLET, "localhost", "127.0.0.1", False),  # configured by name
        (LOCAL_OUTLET, "INTRANET.example.", "10.9.9.9", False),
        (LOCAL_OUTLET, "other.example", "10.1.200.1", False),  # configured network
        (LOCAL_OUTLET, "other.example", "127.0.0.1", True),
        (LOCAL_OUTLET, "other.example", "192.168.0.10", True),
    ],
)
def test_resolution_decisions(policy, name, address, refused):
    assert bool(policy.resolved_refusal(name, address)) is refused


def test_configured_hosts_come_from_the_sources_file_and_the_gdelt_url(tmp_path):
    sources = tmp_path / "sources.toml"
    sources.write_text(
        """
[[outlet]]
name = "lan_news"
title = "LAN News"
homepage = "http://news.lan/"
language = "en"
country = "GE"
timezone = "UTC"
feeds = ["http://10.3.0.7/feed.xml"]
""",
        encoding="utf-8",
    )
    policy = HostPolicy.from_settings(
        Settings(
            {
                "MONITOR_SOURCES": str(sources),
                "MONITOR_GDELT_URL": "http://192.168.5.5:9000/api",
                "MONITOR_PRIVATE_HOSTS": ["172.30.0.0/16", "cache.lan"],
            }
        )
    )
    assert policy.url_refusal("http://10.3.0.7/news/1") is None
    assert policy.url_refusal("http://192.168.5.5:9000/api?q=x") is None
    assert policy.url_refusal("http://172.30.4.4/") is None
    assert policy.url_refusal("http://10.3.0.8/") is not None
    assert policy.resolved_refusal("news.lan", "10.0.0.1") is None
    assert policy.resolved_refusal("cache.lan", "10.0.0.2") is None
    assert policy.resolved_refusal("printer.lan", "10.0.0.3") is not None


def _middleware(policy: HostPolicy) -> SafeRequests:
    crawler = SimpleNamespace(settings=Settings(), signals=SignalManager(), stats=None)
    crawler.stats = MemoryStatsCollector(crawler)
    middleware = SafeRequests.__new__(SafeRequests)
    middleware.crawler, middleware.policy = crawler, policy
    return middleware


@pytest.mark.parametrize("meta, counter", [({ARTICLE: True}, "articles_failed"), ({SOURCE: True}, "sources_failed")])
def test_refused_at_scheduling_is_counted_as_failed(meta, counter):
    middleware = _middleware(SAMPLE)
    with pytest.raises(UnsafeRequest):
        middleware.request_scheduled(Request("http://10.0.0.1/x", meta=meta))
    stats = middleware.crawler.stats
    assert stats.get_value(f"monitor/{counter}") == 1 and stats.get_value("monitor/unsafe_refused") == 1
    middleware.request_scheduled(Request("http://127.0.0.1/x", meta=meta))  # configured: nothing
    assert stats.get_value("monitor/unsafe_refused") == 1


def test_refused_at_download_goes_to_the_errback():
    middleware = _middleware(SAMPLE)
    with pytest.raises(UnsafeRequest, match="scheme file: is not http"):
        middleware.process_request(Request("file:///etc/passwd"))
    assert middleware.process_request(Request("http://127.0.0.1/robots.txt")) is None
    assert middleware.crawler.stats.get_value("monitor/articles_failed") is None  # the errback counts these


def test_the_resolver_refuses_names_resolving_to_unconfigured_private_addresses():
    resolver = SafeResolver(reactor=None, cache_size=100, timeout=1.0)
    resolver.policy = SAMPLE
    names = {"smuggler.example": "10.0.0.5", "public.example": "93.184.216.34", "loopback.example": "127.0.0.1"}
    dnscache.update(names)  # answers as the system resolver gave them, without a running reactor
    try:
        results = {}
        for name in names:
            resolver.getHostByName(name).addCallbacks(
                lambda address, name=name: results.__setitem__(name, address),
                lambda failure, name=name: results.__setitem__(name, failure),
            )
        assert results["public.example"] == "93.184.216.34"
        assert results["loopback.example"] == "127.0.0.1"  # where the sample outlets are configured
        assert results["smuggler.example"].check(UnsafeAddressError)
        assert "smuggler.example resolves to 10.0.0.5" in results["smuggler.example"].getErrorMessage()
        # the middleware refuses the name from now on, without another lookup or retry
        with pytest.raises(UnsafeRequest, match=r"smuggler\.example resolves to 10\.0\.0\.5"):
            _middleware(SAMPLE).process_request(Request("http://smuggler.example/news/1"))
    finally:
        for name in names:
            dnscache.pop(name, None)
            REFUSED_NAMES.pop(name, None)


def test_the_project_installs_the_resolver_and_the_middleware_first():
    import os

    from scrapy.utils.project import get_project_settings

    os.environ.setdefault("SCRAPY_SETTINGS_MODULE", "media_monitor.settings")
    settings = get_project_settings()
    assert settings["TWISTED_DNS_RESOLVER"] == "media_monitor.crawling.safety.SafeResolver"
    middlewares = settings.getwithbase("DOWNLOADER_MIDDLEWARES")
    assert middlewares["media_monitor.crawling.safety.SafeRequests"] < min(
        v for k, v in middlewares.items() if k != "media_monitor.crawling.safety.SafeRequests" and v is not None
    )


def test_a_worker_keeps_the_projects_safety_and_fault_middlewares():
    # a scale-out worker's settings replace whole component dicts: what the project installs
    # must still be there, and only the stateless stages run in a worker
    from media_monitor import settings as project
    from media_monitor.crawl import CrawlJob
    from media_monitor.scaleout.distributed import worker_settings

    job = CrawlJob(
        db="w.db",
        sources=None,
        outlets=[],
        topic=None,
        topic_filter=True,
        since=None,
        until=None,
        gdelt=False,
        overrides=worker_settings("redis://127.0.0.1:1/0"),
    )
    settings = job.settings()
    middlewares = settings.getwithbase("DOWNLOADER_MIDDLEWARES")
    for name in (
        "media_monitor.crawling.safety.SafeRequests",
        "media_monitor.crawling.faults.RetryAfter",
        "media_monitor.crawling.faults.TruncatedBody",
        "media_monitor.crawling.faults.RedirectGuard",
    ):
        assert middlewares[name] == project.DOWNLOADER_MIDDLEWARES[name]
    assert middlewares["media_monitor.crawling.urlmemory.UrlMemory"] is None
    assert settings.getwithbase("EXTENSIONS")["media_monitor.crawling.heap.FreezeStartupHeap"] is not None
    stages = {k for k, v in settings.getwithbase("ITEM_PIPELINES").items() if v is not None}
    assert stages == {
        "media_monitor.pipelines.normalise.NormalisePipeline",
        "media_monitor.pipelines.window.WindowPipeline",
        "media_monitor.pipelines.topic.TopicPipeline",
        "media_monitor.pipelines.signature.TextSignaturePipeline",
        "media_monitor.scaleout.distributed.RedisItemQueuePipeline",
    }


UNSAFE_LINKS = [
    "file:///etc/passwd",
    "ftp://localhost/pub/x",
    "data:text/html,<p>hello</p>",
    "s3://bucket/key",
    "http://127.0.0.1:{port}/fault/no-charset/no-charset",  # the sample server, by an unconfigured address
    "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.1/admin",
    "http://[::1]:{port}/fault/huge/huge",
]


@pytest.fixture(scope="module")
def unsafe_crawl(tmp_path_factory):
    """An outlet configured at localhost whose feed links to unsafe URLs and one safe article."""
    with SampleSite() as site:
        port = site.base.rsplit(":", 1)[1]
        links = [link.format(port=port) for link in UNSAFE_LINKS] + [f"{site.alt_base}/fault/flaky-500/flaky-500"]
        feed = f"{site.alt_base}/fault/link-feed?" + "&".join("to=" + quote(link, safe="") for link in links)
        folder = tmp_path_factory.mktemp("safety")
        sources = folder / "sources.toml"
        sources.write_text(
            f"""
[[outlet]]
name = "unsafe_links"
title = "Unsafe Links"
homepage = "{site.alt_base}/faults/"
language = "en"
country = "GE"
timezone = "UTC"
feeds = ["{feed}"]
""",
            encoding="utf-8",
        )
        result = crawl(folder / "monitor.db", sources, "--log-level", "INFO")
        yield result, sqlite_utils.Database(folder / "monitor.db"), list(site.requests), dict(site.fault_hits)


def test_unsafe_feed_links_are_refused_logged_and_counted(unsafe_crawl):
    result, db, requests, hits = unsafe_crawl
    assert result.returncode == 0, result.stderr
    # Configured: GDELT's host (its default) and the outlet's; the archives are off in the tests.
    assert "Loopback and private addresses refused, except at: api.gdeltproject.org, localhost" in result.stderr
    refused = [line for line in result.stderr.splitlines() if "Refused unsafe request" in line]
    assert len(refused) == len(UNSAFE_LINKS)
    for scheme in ("file:", "ftp:", "data:", "s3:"):
        assert any(f"scheme {scheme} is not http(s)" in line for line in refused), scheme
    for address in ("127.0.0.1", "169.254.169.254", "10.0.0.1", "::1"):
        assert any(
            f": {address} is a loopback or private address no outlet is configured at" in line for line in refused
        ), address
    (row,) = db.query("select * from crawl_run_outlets where outlet = 'unsafe_links'")
    assert (row["fetched"], row["new"], row["failed"]) == (1, 1, len(UNSAFE_LINKS))
    assert [r["canonical_url"].split("/fault/")[1] for r in db.query("select canonical_url from articles")] == [
        "flaky-500/flaky-500"
    ]
    # nothing was requested through an unsafe link: only robots.txt, the feed and the safe article
    assert "/fault/no-charset/no-charset" not in hits and "/fault/huge/huge" not in hits
    assert all(path == "/robots.txt" or path.startswith(("/fault/link-feed", "/fault/flaky-500/")) for path in requests)
