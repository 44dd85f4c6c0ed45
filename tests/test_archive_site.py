"""The stand-in archive answers as the Wayback Machine and Common Crawl do, over real HTTP on
127.0.0.1: CDX lines and paging, replay and its mementos and redirects, rate limits and faults,
Common Crawl's index and WARC ranges; and its scenario agrees with its sources file and manifest."""

from __future__ import annotations

import html
import json
import time
import tomllib
import urllib.request
from io import BytesIO

import httpx
import pytest
from warcio.archiveiterator import ArchiveIterator

from media_monitor.config.sources import load_sources
from media_monitor.samplesite import SampleSite
from media_monitor.samplesite.archive import (
    ARCHIVE_MANIFEST,
    ArchiveSite,
    Capture,
    CdxQuirks,
    RateLimit,
    payload_digest,
)
from media_monitor.samplesite.archive_scenario import courier_pages, karabakh_scenario

EN_FEED = "/courier/en/feed.xml"
RU_FEED = "/courier/ru/feed.xml"
PESKOV = "/courier/en/news/2024/04/17/peskov-confirms-troops-leaving"  # captured 20240417121502, revisited
RENAMED = "/courier/en/news/2024/05/08/lachin-road-posts"  # a 301 to LACHIN at 20240509055233
LACHIN = "/courier/en/news/2024/05/08/army-takes-over-lachin-road-posts"  # captured 7 s later
HALF = "/courier/en/news/2024/05/24/half-of-contingent-has-left"  # an archived 503, then a 200 in 3 shards
KHOJALY = "/courier/en/news/2024/06/12/khojaly-headquarters-empty"  # only in Common Crawl
INTERVIEW = "/courier/ru/news/2024/06/03/intervyu-s-ofitserom-kontingenta"  # excluded
LIVE_BLOG = "/courier/en/live/withdrawal"  # captures in a redirect loop


@pytest.fixture(scope="module")
def live():
    with SampleSite() as site:
        yield site


@pytest.fixture(scope="module")
def archive(live):
    with karabakh_scenario(live.base, cc_page_lines=3) as site:
        yield site


@pytest.fixture
def client(archive):
    with httpx.Client(base_url=archive.base, follow_redirects=False) as http:
        yield http


def small_archive(**options) -> ArchiveSite:
    """Six captures of example.com, every other one a 404."""
    captures = [
        Capture(f"http://example.com/page/{n}", f"2024050{n}120000", 200 if n % 2 else 404, body=b"page %d" % n)
        for n in range(1, 7)
    ]
    return ArchiveSite(captures, **options)


def cdx(http: httpx.Client, url: str, **params) -> httpx.Response:
    return http.get("/cdx/search/cdx", params={"url": url, **params})


def fields(response: httpx.Response) -> list[list[str]]:
    return [line.split(" ") for line in response.text.splitlines()]


def replay(http: httpx.Client, timestamp: str, url: str) -> httpx.Response:
    return http.get(f"/web/{timestamp}id_/{url}")


# The Wayback Machine's CDX server ------------------------------------------------------------------


def test_cdx_lines_are_seven_fields_in_order_and_agree_with_the_replayed_bytes(live, client):
    response = cdx(client, live.base + EN_FEED, **{"from": "2024", "to": "2024"})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/plain;charset=UTF-8"
    lines = fields(response)
    assert len(lines) == 10 and all(len(line) == 7 for line in lines)
    assert [line[1] for line in lines] == sorted(line[1] for line in lines)
    assert all(line[1].startswith("2024") and line[2] == live.base + EN_FEED for line in lines)
    revisits = [line for line in lines if line[3] == "warc/revisit"]
    assert revisits and all(line[4] == "-" for line in revisits)
    _, timestamp, original, _, _, digest, _ = lines[0]
    assert payload_digest(replay(client, timestamp, original).content) == digest


def test_cdx_matches_prefix_host_and_period(live, client):
    shortcut = fields(cdx(client, f"{live.base}/courier/*"))
    prefix = fields(cdx(client, f"{live.base}/courier/", matchType="prefix"))
    assert shortcut == prefix
    assert {"/courier/en/", "/courier/ru/"} <= {line[2].removeprefix(live.base)[:12] for line in prefix}
    host = fields(cdx(client, live.base, matchType="host"))
    assert any("/herald/" in line[2] for line in host) and len(host) > len(prefix)
    may = fields(cdx(client, f"{live.base}/courier/*", **{"from": "202405", "to": "20240531"}))
    assert may and all("20240500000000" <= line[1] <= "20240531999999" for line in may)  # padded, as IA


def test_cdx_filters_collapses_picks_fields_and_writes_json(live, client):
    url = live.base + EN_FEED
    assert not cdx(client, url, filter="statuscode:2").text  # a filter matches the whole field
    ok = fields(cdx(client, url, filter=["statuscode:200", "!timestamp:2026.*"]))
    assert ok and all(line[4] == "200" and line[1] < "2026" for line in ok)
    collapsed = fields(cdx(client, url, collapse="digest"))
    assert not [line for line in collapsed if line[3] == "warc/revisit"]  # a revisit repeats its digest
    hourly = fields(cdx(client, url, collapse="timestamp:6"))
    assert [line[1][:6] for line in hourly] == ["202404", "202405", "202406", "202603"]
    resolved = fields(cdx(client, url, resolveRevisits="true", filter="statuscode:200", **{"to": "2024"}))
    assert len(resolved) == 10 and {line[3] for line in resolved} == {"application/xml"}  # revisits as their originals
    table = cdx(client, url, fl="timestamp,statuscode", output="json", limit="2").json()
    assert table == [["timestamp", "statuscode"], ["20240403061512", "200"], ["20240418052240", "200"]]
    assert fields(cdx(client, url, limit="-1"))[0][1] == "20260305101010"
    assert fields(cdx(client, url, offset="9", limit="1"))[0][1] == "20240622070511"


def test_cdx_pages_with_a_resume_key_sent_encoded_once_or_twice(live, archive, client):
    query = {"from": "2024", "to": "2024"}
    everything = cdx(client, f"{live.base}/courier/*", **query).text.splitlines()
    first = cdx(client, f"{live.base}/courier/*", limit="5", showResumeKey="true", **query).text
    body, key = first.split("\n\n")
    assert len(body.splitlines()) == 5 and key.endswith("\n") and "%" in key and " " not in key.strip()
    key = key.strip()
    twice = cdx(client, f"{live.base}/courier/*", limit="5", showResumeKey="true", resumeKey=key, **query)
    assert archive.request_log[-1].query["resumeKey"] == [key]  # decoded once, still encoded: sent twice-encoded
    once = f"{archive.base}/cdx/search/cdx?url={live.base}/courier/*&limit=5&showResumeKey=true&from=2024&to=2024&resumeKey={key}"
    with urllib.request.urlopen(once) as response:
        assert response.read().decode() == twice.text
    pages, params = [], {"limit": "7", "showResumeKey": "true", **query}
    while True:
        text = cdx(client, f"{live.base}/courier/*", **params).text
        lines, _, key = text.partition("\n\n")
        pages += lines.splitlines()
        if not key:
            break
        params["resumeKey"] = key.strip()
    assert pages == everything


def test_cdx_repeats_the_lines_several_shards_list(live, client):
    lines = cdx(client, live.base + HALF).text.splitlines()
    assert len(lines) == 4 and lines[1] == lines[2] == lines[3] and " 503 " in lines[0]
    with small_archive(cdx=CdxQuirks(repeat=2)) as doubled, httpx.Client(base_url=doubled.base) as http:
        lines = cdx(http, "example.com/*").text.splitlines()
        assert len(lines) == 12 and lines[0] == lines[1] and lines[0] != lines[2]


def test_cdx_page_can_be_short_and_still_carry_a_key(client):
    with small_archive(cdx=CdxQuirks(scan_cap=2)) as capped, httpx.Client(base_url=capped.base) as http:
        params = {"limit": "3", "showResumeKey": "true", "filter": "statuscode:200"}
        first = cdx(http, "example.com/*", **params).text
        lines, _, key = first.partition("\n\n")
        assert len(lines.splitlines()) == 1 and key  # two lines scanned, one kept
        found = lines.splitlines()
        while key:
            lines, _, key = cdx(http, "example.com/*", resumeKey=key.strip(), **params).text.partition("\n\n")
            found += lines.splitlines()
        assert [line.split(" ")[2] for line in found] == [f"http://example.com/page/{n}" for n in (1, 3, 5)]


def test_cdx_lengths_can_be_dashes_and_lines_can_be_junk(live, client):
    junk = [
        line for line in fields(cdx(client, f"{live.base}/courier/*")) if "mailto:" in line[2] or "data:" in line[2]
    ]
    assert {line[1] for line in junk} == {"20240509055301", "20240500124512"}  # day 00: a bad timestamp
    with small_archive(cdx=CdxQuirks(dash_length_every=2)) as dashed, httpx.Client(base_url=dashed.base) as http:
        lengths = [line[6] for line in fields(cdx(http, "example.com/*"))]
        assert lengths[1::2] == ["-"] * 3 and "-" not in lengths[::2]


def test_cdx_of_a_blocked_url_is_the_real_403(live, client):
    response = cdx(client, live.base + INTERVIEW)
    assert response.status_code == 403
    assert response.text == (
        "org.archive.util.io.RuntimeIOException: org.archive.wayback.exception."
        "AdministrativeAccessControlException: Blocked Site Error\n"
    )
    assert "AdministrativeAccessControlException" in response.headers["x-archive-wayback-runtime-error"]
    assert not [line for line in fields(cdx(client, f"{live.base}/courier/*")) if INTERVIEW in line[2]]


def test_cdx_without_a_match_is_an_empty_200(live, client):
    response = cdx(client, f"{live.base}/courier/en/stories/2026/02/18/offshore-wind-first-power")
    assert response.status_code == 200 and response.content == b""


# Wayback replay ------------------------------------------------------------------------------------


def test_replay_of_a_capture_is_a_memento_with_the_archived_bytes(live, client):
    response = replay(client, "20240417121502", live.base + PESKOV)
    assert response.status_code == 200
    assert response.headers["Memento-Datetime"] == "Wed, 17 Apr 2024 12:15:02 GMT"
    link = response.headers["Link"]
    assert link.startswith(f'<{live.base + PESKOV}>; rel="original"')
    assert 'rel="memento"; datetime="Wed, 17 Apr 2024 12:15:02 GMT"' in link
    assert f'/web/20240420083011/{live.base + PESKOV}>; rel="next memento"' in link
    assert response.headers["x-archive-src"].endswith(".warc.gz")
    assert (
        response.headers["x-archive-orig-content-type"]
        == response.headers["Content-Type"]
        == "text/html; charset=utf-8"
    )
    page = next(p for p in courier_pages(live.base) if p.path == PESKOV)
    assert response.content == page.body


def test_replay_between_captures_redirects_to_the_nearest_without_memento_headers(live, archive, client):
    response = replay(client, "20240419", live.base + PESKOV)
    assert response.status_code == 302 and response.content == b""
    assert response.headers["Location"] == f"{archive.base}/web/20240420083011id_/{live.base + PESKOV}"
    assert response.headers["x-archive-redirect-reason"] == "found capture at 20240420083011"
    assert "Memento-Datetime" not in response.headers and "Link" not in response.headers
    assert "x-archive-src" not in response.headers


def test_replay_of_a_captured_redirect_keeps_its_status_and_time(live, archive, client):
    moved = replay(client, "20240509055233", live.base + RENAMED)
    assert moved.status_code == 301 and "Memento-Datetime" in moved.headers
    assert moved.headers["x-archive-orig-location"] == live.base + LACHIN
    assert moved.headers["Location"] == f"{archive.base}/web/20240509055233id_/{live.base + LACHIN}"
    nearest = client.get(moved.headers["Location"])
    assert nearest.status_code == 302 and "Memento-Datetime" not in nearest.headers
    assert nearest.headers["x-archive-redirect-reason"] == "found capture at 20240509055240"
    page = client.get(nearest.headers["Location"])
    assert page.status_code == 200 and page.headers["Memento-Datetime"] == "Thu, 09 May 2024 05:52:40 GMT"


def test_replay_of_a_revisit_serves_the_payload_it_repeats(live, client):
    first = replay(client, "20240417121502", live.base + PESKOV)
    revisit = replay(client, "20240420083011", live.base + PESKOV)
    assert revisit.status_code == 200 and revisit.content == first.content
    assert revisit.headers["Memento-Datetime"] == "Sat, 20 Apr 2024 08:30:11 GMT"


def test_replay_of_what_was_never_archived_or_is_blocked(live, client):
    never = replay(client, "20240501000000", f"{live.base}/courier/en/news/2024/05/01/no-such-story")
    assert never.status_code == 404 and "Memento-Datetime" not in never.headers
    assert "The Wayback Machine has not archived that URL." in never.text
    blocked = replay(client, "20240604060300", live.base + INTERVIEW)
    assert blocked.status_code == 403 and "Memento-Datetime" not in blocked.headers
    assert "This URL has been excluded from the Wayback Machine." in blocked.text


def test_archived_errors_are_mementos_not_the_archives_own(live, client):
    limited = replay(client, "20240521070003", live.base + RU_FEED)
    assert limited.status_code == 429 and limited.headers["Memento-Datetime"] == "Tue, 21 May 2024 07:00:03 GMT"
    assert limited.headers["x-archive-orig-retry-after"] == "6" and "Retry-After" not in limited.headers
    failed = replay(client, "20240524071500", live.base + HALF)
    assert failed.status_code == 503 and "Memento-Datetime" in failed.headers


def test_redirect_loop_comes_back_to_where_it_started(live, client):
    location, seen, hops = f"/web/20240530090000id_/{live.base + LIVE_BLOG}", [], []
    while location not in seen:
        seen.append(location)
        response = client.get(location)
        hops.append((response.status_code, "Memento-Datetime" in response.headers))
        location = httpx.URL(response.headers["Location"]).raw_path.decode()
    assert hops == [(302, True), (302, False), (302, True), (302, False)]
    assert location == seen[0]


@pytest.mark.parametrize(("style", "start"), [("path", "/web/"), ("scheme-less", "//127.0.0.1:")])
def test_wayback_locations_can_be_relative(style, start):
    with small_archive(location_style=style) as archive, httpx.Client(base_url=archive.base) as http:
        location = replay(http, "2024", "http://example.com/page/1").headers["Location"]
        assert location.startswith(start) and location.endswith("/web/20240501120000id_/http://example.com/page/1")


# Rate limits, faults and the request log ---------------------------------------------------------


def test_rate_limit_answers_429_with_or_without_retry_after():
    limits = {"cdx": RateLimit(per_second=4, burst=2), "replay": RateLimit(per_second=4, burst=1, retry_after=7)}
    with small_archive(limits=limits) as archive, httpx.Client(base_url=archive.base) as http:
        statuses = [cdx(http, "example.com/*").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        limited = cdx(http, "example.com/*")
        assert "Too Many Requests" in limited.text and "Retry-After" not in limited.headers  # as IA
        assert replay(http, "20240501120000", "http://example.com/page/1").status_code == 200
        assert replay(http, "20240501120000", "http://example.com/page/1").headers["Retry-After"] == "7"
        time.sleep(0.3)
        assert cdx(http, "example.com/*").status_code == 200  # the bucket refilled


def test_scripted_faults_come_once_then_the_answer(live, archive, client):
    archive.add_fault("/cdx/", 503)
    assert cdx(client, live.base + EN_FEED).status_code == 503
    assert cdx(client, live.base + EN_FEED).status_code == 200
    archive.add_fault("/web/", 0)
    with pytest.raises(httpx.TransportError):
        replay(client, "20240417121502", live.base + PESKOV)
    assert archive.request_log[-1].status == 0
    archive.add_fault("/crawl-data/", 503, times=2)
    for _ in range(2):
        slow = client.get("/crawl-data/anything.warc.gz")
        assert slow.status_code == 503 and b"<Code>SlowDown</Code>" in slow.content
    assert client.get("/crawl-data/anything.warc.gz").status_code == 404


# Common Crawl -------------------------------------------------------------------------------------


def cc_index(http: httpx.Client, crawl: str, url: str, **params) -> httpx.Response:
    return http.get(f"/{crawl}-index", params={"url": url, "output": "json", **params})


def test_collinfo_lists_the_crawls_newest_first(archive, client):
    crawls = client.get("/collinfo.json").json()
    assert [c["from"] for c in crawls] == sorted((c["from"] for c in crawls), reverse=True)
    june = next(c for c in crawls if c["id"] == "CC-MAIN-2024-26")
    assert june["cdx-api"] == f"{archive.base}/CC-MAIN-2024-26-index"
    assert set(june) == {"id", "name", "timegate", "cdx-api", "from", "to"}


def test_cc_index_answers_json_lines_in_commoncrawls_layout(live, client):
    response = cc_index(client, "CC-MAIN-2024-22", f"{live.base}/courier/*")
    assert response.status_code == 200 and response.headers["Content-Type"] == "text/x-ndjson"
    records = [json.loads(line) for line in response.text.splitlines()]
    assert all(isinstance(value, str) for record in records for value in record.values())
    moved = next(r for r in records if r["url"] == live.base + RENAMED)
    assert moved["status"] == "301" and moved["redirect"] == live.base + LACHIN
    assert "/crawldiagnostics/" in moved["filename"] and "languages" not in moved
    page = next(r for r in records if r["url"] == live.base + LACHIN)
    assert "/warc/" in page["filename"] and page["languages"] == "eng" and page["encoding"] == "UTF-8"
    robots = cc_index(client, "CC-MAIN-2024-18", f"{live.base}/robots.txt").json()
    assert "/robotstxt/" in robots["filename"]
    only_200 = cc_index(client, "CC-MAIN-2024-22", f"{live.base}/courier/*", filter="status:200").text
    assert '"status": "301"' not in only_200


def test_cc_index_without_captures_is_a_404_with_a_message(live, client):
    response = cc_index(client, "CC-MAIN-2024-10", f"{live.base}/courier/*")
    assert response.status_code == 404
    assert response.json() == {"message": f"No Captures found for: {live.base}/courier/*"}
    assert cc_index(client, "CC-MAIN-1999-01", f"{live.base}/courier/*").status_code == 404


def test_cc_index_pages(live, client):
    url = f"{live.base}/*"
    count = client.get("/CC-MAIN-2024-26-index", params={"url": url, "showNumPages": "true"}).json()
    assert count["pages"] == 2 and set(count) == {"pages", "pageSize", "blocks"}  # 4 lines, 3 a page
    pages = [cc_index(client, "CC-MAIN-2024-26", url, page=str(n)).text.splitlines() for n in range(2)]
    assert [len(lines) for lines in pages] == [3, 1]
    past_the_end = cc_index(client, "CC-MAIN-2024-26", url, page="2")
    assert past_the_end.status_code == 400 and "Last Page is 1" in past_the_end.text


def test_cc_range_is_one_gzip_member_warcio_reads_as_the_indexed_record(live, archive, client):
    record = cc_index(client, "CC-MAIN-2024-26", live.base + KHOJALY).json()
    first = int(record["offset"])
    last = first + int(record["length"]) - 1
    response = client.get(f"/{record['filename']}", headers={"Range": f"bytes={first}-{last}"})
    assert response.status_code == 206 and "Content-Encoding" not in response.headers  # httpx asked for gzip
    assert response.headers["Content-Range"].startswith(f"bytes {first}-{last}/")
    assert response.content[:2] == b"\x1f\x8b" and len(response.content) == int(record["length"])
    records = ArchiveIterator(BytesIO(response.content))
    warc = next(records)
    payload = warc.content_stream().read()
    assert next(records, None) is None  # one record, nothing else
    assert warc.rec_type == "response"
    assert warc.rec_headers.get_header("WARC-Target-URI") == live.base + KHOJALY == record["url"]
    assert warc.rec_headers.get_header("WARC-Payload-Digest") == f"sha1:{record['digest']}"
    assert warc.http_headers.get_statuscode() == "200"
    assert warc.http_headers.get_header("X-Crawler-Content-Encoding") == "gzip"
    page = next(p for p in courier_pages(live.base) if p.path == KHOJALY)
    assert payload == page.body
    logged = archive.request_log[-1]
    assert (logged.family, logged.range, logged.status) == ("cc-data", f"bytes={first}-{last}", 206)
    assert logged.user_agent.startswith("python-httpx/")


def test_cc_data_without_range_or_beyond_the_file(live, client):
    record = cc_index(client, "CC-MAIN-2024-26", live.base + KHOJALY).json()
    whole = client.get(f"/{record['filename']}")
    assert whole.status_code == 200 and whole.headers["Accept-Ranges"] == "bytes"
    beyond = client.get(f"/{record['filename']}", headers={"Range": f"bytes={len(whole.content)}-"})
    assert beyond.status_code == 416 and beyond.headers["Content-Range"] == f"bytes */{len(whole.content)}"


# The scenario -------------------------------------------------------------------------------------


def test_the_redesigned_outlet_lists_only_2026_and_its_2024_pages_are_gone(live):
    with httpx.Client(base_url=live.base) as http:
        feed = http.get(EN_FEED).text
        assert "/courier/en/stories/2026/" in feed and "2024" not in feed
        assert http.get(PESKOV).status_code == 404


def test_sources_file_loads_with_both_origins(archive, live, tmp_path):
    sources = archive.write_sources(tmp_path / "sources.toml")
    outlets = load_sources(sources)
    assert [o.name for o in outlets] == ["courier_en", "courier_ru", "herald_en"]
    assert outlets[0].feeds == (live.base + EN_FEED,)
    assert tomllib.loads(sources.read_text("utf-8"))["archive"]["wayback"] == archive.base


def test_manifest_captures_are_in_the_archives(live, client):
    for page in tomllib.loads(ARCHIVE_MANIFEST.read_text("utf-8"))["page"]:
        if not page["capture"]:
            continue
        where, timestamp = page["capture"].split(":")
        url = live.base + page["path"]
        if where == "ia":
            response = replay(client, timestamp, url)
            assert "Memento-Datetime" in response.headers, page["path"]
            status = {"redirect": 301, "not_found": 404}.get(page["expect"], 200)
            assert response.status_code == status, page["path"]
            assert html.unescape(page["title"]) in html.unescape(response.text), page["path"]
        else:
            assert cc_index(client, where, url).json()["timestamp"] == timestamp, page["path"]


def test_manifest_says_which_2024_feeds_and_sitemaps_list_each_courier_url(live, client):
    listed = {"feed": "", "sitemap": ""}  # the text of every 2024 capture, one string a kind
    for kind in listed:
        for language in ("en", "ru"):
            source = f"{live.base}/courier/{language}/{kind}.xml"
            for line in fields(cdx(client, source, to="2024", filter="statuscode:200")):
                listed[kind] += html.unescape(replay(client, line[1], line[2]).text)
    for page in tomllib.loads(ARCHIVE_MANIFEST.read_text("utf-8"))["page"]:
        if page["path"].startswith("/courier/") and page["live"] != 200:
            for kind, text in listed.items():
                assert (f"{live.base}{page['path']}<" in text) == (kind in page["found_via"]), (kind, page["path"])
