"""Faults survived (issue 6 §3, docs/reliability.md): each fault of the sample site's /fault/
routes, crawled for real together with a normal outlet. Each ends in a clear log line and a
counter in the run's record, stores no wrong row, and leaves the other outlet's rows and counts
exactly as when it is crawled alone."""

from __future__ import annotations

import asyncio
import gzip
import re
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest
import sqlite_utils
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Request, Response
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from media_monitor.crawling.failures import counted_failure
from media_monitor.crawling.faults import (
    BrokenResponse,
    RedirectFailed,
    RetryAfter,
    gzip_is_complete,
    retry_after_seconds,
)
from media_monitor.crawling.safety import UnsafeRequest
from media_monitor.extraction.encoding import read_text, response_text
from media_monitor.samplesite import SampleSite
from tests.conftest import crawl

# The settings of both crawls (with and without the faults): a short read timeout and a size
# limit far above any sample page (8 kB) and far below the 2 MB page of /fault/huge/.
FAULT_SETTINGS = ["--set", "DOWNLOAD_TIMEOUT=3", "--set", "DOWNLOAD_MAXSIZE=262144", "--log-level", "INFO"]
NORMAL_OUTLET = "herald_en"
FAULT_OUTLETS = {
    "faults_en": "/faults/feed.xml",  # links to every /fault/ route
    "broken_feed_en": "/faults/broken-feed.xml",  # malformed XML
    "html_feed_en": "/faults/not-a-feed",  # an HTML page where the feed should be
}

# (feed link, outcome, a log line that tells what happened)
FAULTS = {
    "429 with Retry-After": (
        "/fault/retry-after/rate-limited",
        "stored",
        r"HTTP 429 with Retry-After 1s from \S+/fault/retry-after/rate-limited: waiting 1s, then retrying",
    ),
    "500 then success": (
        "/fault/flaky-500/flaky-500",
        "stored",
        r"HTTP 500 from \S+/fault/flaky-500/flaky-500: retrying \(retry 1 of 2\)",
    ),
    "503 then success": (
        "/fault/flaky-503/flaky-503",
        "stored",
        r"HTTP 503 from \S+/fault/flaky-503/flaky-503: retrying \(retry 1 of 2\)",
    ),
    "read timeout": (
        "/fault/slow/slow",
        "failed",
        r"Article not fetched: \S+/fault/slow/slow \(read timeout \(Getting \S+ took longer than 3\.0 seconds",
    ),
    "connection reset": (
        "/fault/reset/reset",
        "failed",
        r"Article not fetched: \S+/fault/reset/reset \(connection closed or reset before a complete response",
    ),
    "redirect loop": (
        "/fault/loop/loop",
        "failed",
        r"Article not fetched: \S+/fault/loop/loop \(redirect loop: \S+/fault/loop-back/loop redirects back to \S+/fault/loop/loop",
    ),
    "endless redirect chain": (
        "/fault/chain/chain",
        "failed",
        r"Article not fetched: \S+/fault/chain/chain \(max redirections reached, redirected to \S+\?hop=20\)",
    ),
    "redirect to another site": (
        "/fault/offsite/offsite",
        "failed",
        r"Article not fetched: \S+/fault/offsite/offsite \(redirect to another site not followed: "
        r"\S+ -> http://localhost:\d+/fault/offsite-target/offsite \(localhost is not among the outlet's domains 127\.0\.0\.1\)",
    ),
    "page over the size limit": (
        "/fault/huge/huge",
        "failed",
        r"Article not fetched: \S+/fault/huge/huge \(over the size limit: Expected to receive 2097\d+ bytes "
        r"which is larger than download max size \(262144\)",
    ),
    "truncated gzip body": (
        "/fault/gzip-truncated/gzip-truncated",
        "failed",
        r"Article not fetched: \S+/fault/gzip-truncated/gzip-truncated \(truncated gzip body \(\d+ bytes received, "
        r"the gzip stream does not end\)\)",
    ),
    "wrong charset": (
        "/fault/wrong-charset/wrong-charset",
        "stored",
        r"Wrong charset: \S+/fault/wrong-charset/wrong-charset does not decode as utf-8; read as cp1251",
    ),
    "missing charset": (
        "/fault/no-charset/no-charset",
        "stored",
        r"No charset declared: \S+/fault/no-charset/no-charset; read as cp1251",
    ),
}
TITLES = {  # of the pages behind the stored faults (site/faults/pages/)
    "/fault/retry-after/rate-limited": ("Peacekeepers hand over Lachin road checkpoints", "Lachin road"),
    "/fault/flaky-500/flaky-500": ("Stepanakert airfield cleared as peacekeepers depart", "transport helicopters"),
    "/fault/flaky-503/flaky-503": ("Field hospital run by Russian peacekeepers closes in Karabakh", "dialysis unit"),
    "/fault/wrong-charset/wrong-charset": ("Миротворцы покинули пост у Шуши", "наблюдательный пост"),
    "/fault/no-charset/no-charset": ("Вывод миротворцев из Карабаха: закрыта последняя столовая", "полевая столовая"),
}
FEED_FAULTS = {
    "malformed feed": (
        "broken_feed_en",
        r"Not a usable feed: \S+/faults/broken-feed\.xml \(malformed XML: .*mismatched tag",
    ),
    "HTML served where a feed was expected": (
        "html_feed_en",
        r"Not a usable feed: \S+/faults/not-a-feed \(an HTML page was served where a feed was expected "
        r"\(Content-Type: text/html",
    ),
}


def _outlet_toml(name: str, base: str, feed: str) -> str:
    return f"""
[[outlet]]
name = "{name}"
title = "{name}"
homepage = "{base}/faults/"
language = "en"
country = "GE"
timezone = "UTC"
feeds = ["{base}{feed}"]
"""


@pytest.fixture(scope="module")
def fault_site():
    """A server of its own: the stateful faults count requests per path from zero."""
    with SampleSite() as served:
        yield served


@pytest.fixture(scope="module")
def faulty(fault_site, tmp_path_factory):
    """The fault outlets crawled together with herald_en, and herald_en crawled alone."""
    folder = tmp_path_factory.mktemp("faults")
    sources = folder / "sources.toml"
    sources.write_text(
        fault_site.sources_toml()
        + "".join(_outlet_toml(name, fault_site.base, feed) for name, feed in FAULT_OUTLETS.items()),
        encoding="utf-8",
    )
    together = crawl(
        folder / "together.db",
        sources,
        "--outlet",
        NORMAL_OUTLET,
        *[a for name in FAULT_OUTLETS for a in ("--outlet", name)],
        *FAULT_SETTINGS,
    )
    hits = {path: list(times) for path, times in fault_site.fault_hits.items()}
    alone = crawl(folder / "alone.db", sources, "--outlet", NORMAL_OUTLET, *FAULT_SETTINGS)
    return {
        "db": sqlite_utils.Database(folder / "together.db"),
        "result": together,
        "alone_db": sqlite_utils.Database(folder / "alone.db"),
        "alone": alone,
        "hits": hits,
        "base": fault_site.base,
    }


def _run_row(db, outlet):
    (row,) = db.query("select * from crawl_run_outlets where crawl_run_id = 1 and outlet = ?", [outlet])
    return row


def test_the_crawl_completes_despite_the_faults(faulty):
    assert faulty["result"].returncode == 0, faulty["result"].stderr
    assert faulty["alone"].returncode == 0, faulty["alone"].stderr


@pytest.mark.parametrize("fault", list(FAULTS))
def test_each_fault_is_logged_and_ends_as_expected(faulty, fault):
    path, outcome, log_line = FAULTS[fault]
    assert re.search(log_line, faulty["result"].stderr), f"no log line for {fault}"
    rows = list(
        faulty["db"].query(
            "select * from articles where url like ? or canonical_url like ?", [f"%{path}%", f"%{path}%"]
        )
    )
    if outcome == "failed":
        assert rows == [], f"{fault}: a row was stored"
        return
    (row,) = rows
    title, phrase = TITLES[path]
    assert row["outlet"] == "faults_en"
    assert row["canonical_url"] == faulty["base"] + path
    assert row["title"] == title
    assert phrase in row["text"] and "\ufffd" not in row["text"]
    assert row["duplicate_of"] is None


@pytest.mark.parametrize("fault", list(FEED_FAULTS))
def test_broken_feeds_fail_their_outlet_only(faulty, fault):
    outlet, log_line = FEED_FAULTS[fault]
    assert re.search(log_line, faulty["result"].stderr)
    row = _run_row(faulty["db"], outlet)
    assert (row["fetched"], row["new"], row["failed"], row["status"]) == (0, 0, 1, "failed")
    assert faulty["db"].execute("select count(*) from articles where outlet = ?", [outlet]).fetchone()[0] == 0


def test_the_run_record_counts_every_fault(faulty):
    stored = [f for f, (_, outcome, _) in FAULTS.items() if outcome == "stored"]
    failed = [f for f, (_, outcome, _) in FAULTS.items() if outcome == "failed"]
    row = _run_row(faulty["db"], "faults_en")
    assert (row["fetched"], row["new"], row["failed"], row["status"]) == (
        len(stored),
        len(stored),
        len(failed),
        "partial",
    )
    assert faulty["db"].execute("select count(*) from articles where outlet = 'faults_en'").fetchone()[0] == len(stored)
    run = faulty["db"]["crawl_runs"].get(1)
    assert run["failed"] == len(failed) + len(FEED_FAULTS) + _run_row(faulty["db"], NORMAL_OUTLET)["failed"]


def test_the_other_outlet_is_unaffected(faulty):
    columns = "canonical_url, title, published_at, language, word_count, content_hash, duplicate_of is null as original"
    query = f"select {columns} from articles where outlet = ? order by canonical_url"
    together = list(faulty["db"].query(query, [NORMAL_OUTLET]))
    alone = list(faulty["alone_db"].query(query, [NORMAL_OUTLET]))
    assert together and together == alone
    counts = (
        "fetched",
        "new",
        "updated",
        "unchanged",
        "duplicates",
        "off_topic",
        "failed",
        "dates_rejected",
        "skipped_known",
        "outside_window",
        "status",
    )
    row_together, row_alone = _run_row(faulty["db"], NORMAL_OUTLET), _run_row(faulty["alone_db"], NORMAL_OUTLET)
    assert {c: row_together[c] for c in counts} == {c: row_alone[c] for c in counts}


def test_retry_after_is_waited_for(faulty):
    first, second = faulty["hits"]["/fault/retry-after/rate-limited"]
    assert second - first >= 0.95  # Retry-After: 1


def test_server_errors_are_retried_once_and_succeed(faulty):
    assert len(faulty["hits"]["/fault/flaky-500/flaky-500"]) == 2
    assert len(faulty["hits"]["/fault/flaky-503/flaky-503"]) == 2


def test_transient_failures_are_retried_then_given_up(faulty):
    for path in ("/fault/slow/slow", "/fault/reset/reset", "/fault/gzip-truncated/gzip-truncated"):
        assert len(faulty["hits"][path]) == 3, path  # RETRY_TIMES = 2
    assert len(faulty["hits"]["/fault/huge/huge"]) == 1  # too large is no transient fault


def test_redirects_are_not_followed_off_site_nor_round_in_circles(faulty):
    assert "/fault/offsite-target/offsite" not in faulty["hits"]
    assert len(faulty["hits"]["/fault/loop/loop"]) == 1 and len(faulty["hits"]["/fault/loop-back/loop"]) == 1
    assert len(faulty["hits"]["/fault/chain/chain"]) == 21  # the first request and REDIRECT_MAX_TIMES hops


def test_failed_urls_are_not_remembered_as_final(faulty):
    """Server errors and time-outs have no final answer: the next run tries them again."""
    remembered = (
        {r["url"] for r in faulty["db"].query("select url from urls where url like '%/fault/%'")}
        if "urls" in faulty["db"].table_names()
        else set()
    )
    for fault, (path, outcome, _) in FAULTS.items():
        if outcome == "failed":
            assert not any(path in url for url in remembered), fault


# Unit tests of the pieces.


@pytest.mark.parametrize(
    "value, seconds",
    [
        ("1", 1.0),
        (b"120", 120.0),
        (" 0 ", None),
        ("-5", None),
        ("soon", None),
        ("", None),
        (None, None),
        (format_datetime(datetime(2024, 1, 1, 12, 0, 30, tzinfo=UTC), usegmt=True), 30.0),
        (format_datetime(datetime(2024, 1, 1, 11, 0, 0, tzinfo=UTC), usegmt=True), None),
    ],
)
def test_retry_after_values(value, seconds):
    now = datetime(2024, 1, 1, 12, 0, 0, tzinfo=UTC)
    result = retry_after_seconds(value, now)
    assert (result or None) == seconds


def _retry_after_middleware(**settings):
    return RetryAfter.from_crawler(get_crawler(settings_dict=settings))


def test_retry_after_wait_is_capped(monkeypatch):
    waits = []

    async def fake_sleep(seconds):
        waits.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    middleware = _retry_after_middleware(MONITOR_MAX_RETRY_AFTER=7)
    request = Request("http://127.0.0.1/a")
    for status, header in ((429, "3600"), (503, "2"), (500, "30"), (429, None)):
        headers = {"Retry-After": header} if header else {}
        response = Response(request.url, status=status, headers=headers, request=request)
        assert asyncio.run(middleware.process_response(request, response)) is response
    assert waits == [7.0, 2.0]  # 500 has no Retry-After to honour, the last 429 gives none


def test_no_wait_once_the_retries_are_spent(monkeypatch):
    waits = []

    async def fake_sleep(seconds):
        waits.append(seconds)

    monkeypatch.setattr(asyncio, "sleep", fake_sleep)
    middleware = _retry_after_middleware()
    request = Request("http://127.0.0.1/a", meta={"retry_times": 2})
    response = Response(request.url, status=429, headers={"Retry-After": "5"}, request=request)
    asyncio.run(middleware.process_response(request, response))
    assert waits == []


def test_gzip_completeness():
    packed = gzip.compress(b"<p>" + b"peacekeepers " * 500 + b"</p>")
    assert gzip_is_complete(packed) is True
    assert gzip_is_complete(packed[: len(packed) // 2]) is False
    assert gzip_is_complete(packed[:-4]) is False  # the size trailer is missing
    assert gzip_is_complete(b"not gzip at all") is False
    assert gzip_is_complete(packed, limit=100) is None  # too large to check here: Scrapy judges


def _failure(exception, url="http://127.0.0.1/a"):
    failure = Failure(exception)
    failure.request = Request(url)
    return failure


@pytest.mark.parametrize(
    "exception, counted",
    [
        (IgnoreRequest("Forbidden by robots.txt"), False),
        (IgnoreRequest("already known (stored): http://127.0.0.1/a"), False),
        (IgnoreRequest("requested by another spider of this run: http://127.0.0.1/a"), False),
        (IgnoreRequest("max redirections reached"), True),
        (IgnoreRequest("Filtered offsite request to 'localhost'"), True),
        (RedirectFailed("redirect loop: ..."), True),
        (BrokenResponse("truncated gzip body"), True),
        (UnsafeRequest("refused: scheme file: is not http(s)"), True),
        (HttpError(Response("http://127.0.0.1/a", status=503), "Ignoring non-200 response"), True),
        (TimeoutError("took longer than 3.0 seconds"), True),
    ],
)
def test_which_ignored_requests_count_as_failed(exception, counted):
    assert counted_failure(_failure(exception)) is counted


@pytest.mark.parametrize(
    "content_type, body, expected",
    [
        (
            "text/html; charset=utf-8",
            "<p>Миротворцы покинули Карабах</p>".encode("cp1251"),
            "Миротворцы покинули Карабах",
        ),
        ("text/html; charset=iso-8859-1", "<p>Миротворцы покинули Карабах</p>".encode(), "Миротворцы покинули Карабах"),
        (
            "text/html; charset=windows-1251",
            "<p>Миротворцы покинули Карабах</p>".encode("cp1251"),
            "Миротворцы покинули Карабах",
        ),
        ("text/html", "<p>Миротворцы покинули Карабах</p>".encode("cp1251"), "Миротворцы покинули Карабах"),
        ("text/html; charset=iso-8859-1", "<p>Café déjà vu</p>".encode("latin-1"), "Café déjà vu"),
        # UTF-8 (or ASCII) of even length decodes as UTF-16 without an error, into garbage
        ("text/html; charset=utf-16", "<p>Миротворцы покинули Карабах</p>".encode(), "Миротворцы покинули Карабах"),
        ("text/html; charset=utf-16", b"<p>Peacekeepers left Karabakh</p>", "Peacekeepers left Karabakh"),
        (
            "text/html; charset=utf-16",
            "<p>Миротворцы покинули Карабах</p>".encode("utf-16"),
            "Миротворцы покинули Карабах",
        ),
        ("text/html; charset=utf-16le", "<p>Peacekeepers left</p>".encode("utf-16-le"), "Peacekeepers left"),
    ],
)
def test_wrong_and_missing_charsets_are_detected(content_type, body, expected):
    response = HtmlResponse("http://127.0.0.1/a", body=body, headers={"Content-Type": content_type})
    assert expected in response_text(response)


def test_response_text_warns_about_a_wrong_charset(caplog):
    body = "<p>Миротворцы покинули Карабах</p>".encode("cp1251")
    response = HtmlResponse("http://127.0.0.1/a", body=body, headers={"Content-Type": "text/html; charset=utf-8"})
    with caplog.at_level("WARNING", logger="media_monitor.extraction.page"):
        response_text(response)
    assert "Wrong charset: http://127.0.0.1/a does not decode as utf-8; read as cp1251" in caplog.text


def test_read_text_says_when_the_declared_charset_was_wrong():
    mislabelled = HtmlResponse(
        "http://127.0.0.1/a", body=b"<p>Peacekeepers left</p>", headers={"Content-Type": "text/html; charset=utf-16"}
    )
    assert read_text(mislabelled) == (
        "<p>Peacekeepers left</p>",
        "is declared utf-16 but has no NUL byte (its markup would have)",
    )
    right = HtmlResponse("http://127.0.0.1/a", body=b"<p>Peacekeepers left</p>", headers={"Content-Type": "text/html"})
    assert read_text(right) == ("<p>Peacekeepers left</p>", None)
