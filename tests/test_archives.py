"""The archives' formats (media_monitor.archives), on the shapes of real answers: Wayback CDX
lines, resume keys and replay headers recorded by edgi-govdata-archiving/wayback, Common Crawl
index lines and WARC records as cdx_toolkit recorded them (see the module docstrings)."""

from datetime import UTC, datetime, timedelta
from io import BytesIO

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from media_monitor.archives.articleurls import looks_like_article
from media_monitor.archives.commoncrawl import (
    ArchivedRecord,
    CommonCrawlError,
    Crawl,
    CrawlCapture,
    IndexPage,
    RecordError,
    collinfo_url,
    crawls_in,
    index_query_url,
    parse_collinfo,
    parse_index_answer,
    parse_num_pages,
    parse_record,
    record_range,
)
from media_monitor.archives.prefilter import could_be_on_topic, slug_words
from media_monitor.archives.wayback import (
    ArchiveFailure,
    Capture,
    Failure,
    Memento,
    MementoLink,
    NearestCapture,
    ReplayTarget,
    archived_headers,
    cdx_failure,
    cdx_query_url,
    classify_replay,
    parse_cdx_line,
    parse_cdx_page,
    parse_link_header,
    parse_memento_datetime,
    parse_replay_url,
    parse_timestamp,
    repair_timestamp,
    replay_url,
    retry_after_seconds,
    window_bounds,
    with_mode,
)
from media_monitor.story.topic import DEFAULT_TOPIC, load_topic, parse_topic
from media_monitor.story.window import DateWindow

NOW = datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
WINDOW = DateWindow.from_bounds("2024-04-01", "2024-06-30")
IA = "https://web.archive.org"
STAND_IN = "http://127.0.0.1:8765"


def utc(*parts):
    return datetime(*parts, tzinfo=UTC)


# ---------------------------------------------------------------------------------------------
# Wayback: timestamps


@pytest.mark.parametrize(
    "raw, repaired",
    [
        ("20010410213930", "20010410213930"),
        ("20000008241731", "20000824173100"),  # month 00: 2000000824173151 cut to 14 digits
        ("20000800241731", "20000824173100"),  # day 00
        ("2024", "2024"),  # short timestamps are not CDX lines: left alone
    ],
)
def test_repair_timestamp(raw, repaired):
    assert repair_timestamp(raw) == repaired


@pytest.mark.parametrize(
    "timestamp, moment",
    [
        ("20180808104500", utc(2018, 8, 8, 10, 45)),
        ("20000008241731", utc(2000, 8, 24, 17, 31)),
        ("2022", utc(2022, 1, 1)),  # /web/2022/… names the year's first moment
        ("20240417", utc(2024, 4, 17)),
    ],
)
def test_parse_timestamp(timestamp, moment):
    assert parse_timestamp(timestamp) == moment


@pytest.mark.parametrize("timestamp", ["", "2024-04-17", "202413", "202404171200000", "20240231000000"])
def test_parse_timestamp_refuses_what_names_no_moment(timestamp):
    with pytest.raises(ValueError):
        parse_timestamp(timestamp)


@pytest.mark.parametrize(
    "window, bounds",
    [
        (WINDOW, ("20240401000000", "20240630235959")),  # until is exclusive, CDX `to` inclusive
        (DateWindow.from_bounds("2024-04-17T06:00:00+04:00", None), ("20240417020000", None)),
        (DateWindow(), (None, None)),
    ],
)
def test_window_bounds(window, bounds):
    assert window_bounds(window) == bounds


# ---------------------------------------------------------------------------------------------
# Wayback: the CDX index


@pytest.mark.parametrize(
    "url, options, expected",
    [
        (  # the cassette's first query, without the default filters
            "cnn.com",
            {
                "limit": 25,
                "window": DateWindow.from_bounds("2001-04-10", "2001-05-09"),
                "filters": (),
                "collapse": None,
            },
            f"{IA}/cdx/search/cdx?url=cnn.com&limit=25&from=20010410000000&to=20010509235959"
            "&showResumeKey=true&resolveRevisits=true",
        ),
        (  # the cassette's filtered prefix query: filters encoded as requests encodes them
            "nasa.gov/",
            {
                "match_type": "prefix",
                "limit": 10,
                "window": DateWindow.from_bounds("2022-01-01", "2022-01-31"),
                "filters": ("statuscode:404", "urlkey:.*feature.*"),
                "collapse": None,
            },
            f"{IA}/cdx/search/cdx?url=nasa.gov%2F&matchType=prefix&limit=10&from=20220101000000"
            "&to=20220131235959&filter=statuscode%3A404&filter=urlkey%3A.%2Afeature.%2A"
            "&showResumeKey=true&resolveRevisits=true",
        ),
        (  # the next page: the key as it came, so encoded twice on the wire
            "cnn.com",
            {"resume_key": "com%2Ccnn%29%2F+2001041400593%3A", "collapse": None, "filters": ()},
            f"{IA}/cdx/search/cdx?url=cnn.com&showResumeKey=true&resolveRevisits=true"
            "&resumeKey=com%252Ccnn%2529%252F%2B2001041400593%253A",
        ),
        (  # the defaults: HTML pages answered 200, one line a URL, from a stand-in archive
            "armenpress.am/en/article/",
            {"base_url": f"{STAND_IN}/", "match_type": "prefix", "window": WINDOW, "limit": 5000},
            f"{STAND_IN}/cdx/search/cdx?url=armenpress.am%2Fen%2Farticle%2F&matchType=prefix&limit=5000"
            "&from=20240401000000&to=20240630235959&filter=statuscode%3A200&filter=mimetype%3Atext%2Fhtml"
            "&collapse=urlkey&showResumeKey=true&resolveRevisits=true",
        ),
    ],
)
def test_cdx_query_url(url, options, expected):
    assert cdx_query_url(url, **options) == expected


def capture(urlkey, timestamp, original, mimetype="text/html", status=200, digest="", length=None):
    return Capture(urlkey, timestamp, original, mimetype, status, digest, length)


@pytest.mark.parametrize(
    "line, expected",
    [
        (
            "gov,nasa)/ 19961231235847 http://www.nasa.gov:80/ text/html 200 MGIGF4GRGGF5GKV6VNCBAXOE3OR5BTZC 1811",
            capture(
                "gov,nasa)/",
                "19961231235847",
                "http://www.nasa.gov/",
                digest="MGIGF4GRGGF5GKV6VNCBAXOE3OR5BTZC",
                length=1811,
            ),
        ),
        (
            "com,cnn)/ 20010503181821 http://cnn.com:80/ text/html 302 3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ 215",
            capture(
                "com,cnn)/",
                "20010503181821",
                "http://cnn.com/",
                status=302,
                digest="3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ",
                length=215,
            ),
        ),
        (  # a revisit: no status of its own
            "gov,energystar)/ 20200612014014 https://www.energystar.gov/ warc/revisit - DBA3N454ZRZ42QEBER5QRT332DJTTLR5 606",
            capture(
                "gov,energystar)/",
                "20200612014014",
                "https://www.energystar.gov/",
                "warc/revisit",
                None,
                "DBA3N454ZRZ42QEBER5QRT332DJTTLR5",
                606,
            ),
        ),
        (
            "de,zew)/ 20050817212257 http://www.zew.de:80/ text/html 400 2CGGPLQITRYWT4JHGMW2MZVEX4OLMJD4 412",
            capture(
                "de,zew)/",
                "20050817212257",
                "http://www.zew.de/",
                status=400,
                digest="2CGGPLQITRYWT4JHGMW2MZVEX4OLMJD4",
                length=412,
            ),
        ),
        (  # a length of "-"
            "com,cnn)/ 20100218025451 http://www.cnn.com/ text/html 200 JK7O4OWOMDJHBNQJ5U43X5OQRORF6FQB -",
            capture("com,cnn)/", "20100218025451", "http://www.cnn.com/", digest="JK7O4OWOMDJHBNQJ5U43X5OQRORF6FQB"),
        ),
        (  # :443 goes too, a query stays
            "am,armenpress)/en/article/1135171 20240417073712 https://armenpress.am:443/en/article/1135171?utm=x text/html 200 AAAA 9120",
            capture(
                "am,armenpress)/en/article/1135171",
                "20240417073712",
                "https://armenpress.am/en/article/1135171?utm=x",
                digest="AAAA",
                length=9120,
            ),
        ),
        (  # a month 00 timestamp, repaired
            "gov,epa)/ 20000008241731 http://www.epa.gov:80/ text/html 200 BBBB 2048",
            capture("gov,epa)/", "20000824173100", "http://www.epa.gov/", digest="BBBB", length=2048),
        ),
        # junk: the URLs crawlers took from broken links, and lines that are no capture
        ("gov,pnnl)/ 20100101000000 http://mailto:first.last@pnnl.gov/ text/html 200 CCCC 100", None),
        ("gov,pnnl)/ 20100101000000 http://b***z@pnnl.gov/ text/html 200 CCCC 100", None),
        ("gov,pnnl)/ 20100101000000 http://<<mailto:first.last@pnnl.gov>>/ text/html 200 CCCC 100", None),
        ('gov,epa)/"data:image 20100101000000 http://www.epa.gov/"data:image/jpeg;base64,AF34 unk 200 CCCC 100', None),
        ("thing 20100101000000 some/not/even/url/thing text/html 200 CCCC 100", None),
        ("com,cnn)/ 20010503181821 http://cnn.com/ text/html 200 CCCC", None),  # six fields
        ("com,cnn)/ 2001-05-03 http://cnn.com/ text/html 200 CCCC 100", None),
        ("com,cnn)/ 20010503181821 http://cnn.com/ text/html OK CCCC 100", None),
        ("org.archive.wayback.exception.RobotAccessControlException: Blocked By Robots", None),
    ],
)
def test_parse_cdx_line(line, expected):
    assert parse_cdx_line(line) == expected


CNN_1 = "com,cnn)/ 20010410213930 http://www.cnn.com:80/ text/html 200 YTEQQRWKL47VHUWFV2NXX7XLEOHMNWZ6 12942"
CNN_2 = "com,cnn)/ 20010413234448 http://www.cnn.com:80/ text/html 200 Q37RPJP3WZBM4SIMIID2URP5MAI6J2PT 13183"
CNN_3 = "com,cnn)/ 20010414005939 http://www.cnn.com:80/ text/html 200 JQZ3XM634OHM66ABV7J7NA7TOXUV34MS 13030"
CNN_KEY = "com%2Ccnn%29%2F+2001041400593%3A"


@pytest.mark.parametrize(
    "body, previous_line, timestamps, resume_key, last_line, skipped",
    [
        # a line repeats once an index shard holds it (x4, x3); the key follows a blank line
        (
            "\n".join([CNN_1] * 4 + [CNN_2] * 3 + [CNN_3, "", CNN_KEY, ""]),
            None,
            ["20010410213930", "20010413234448", "20010414005939"],
            CNN_KEY,
            CNN_3,
            0,
        ),
        # the run goes on across pages: the first line repeats the previous page's last
        (f"{CNN_3}\n{CNN_3}\n", CNN_3, [], None, CNN_3, 0),
        # the last page: no blank line, no key; bytes as the downloader gives them
        (f"{CNN_2}\r\n{CNN_3}\r\n".encode(), CNN_1, ["20010413234448", "20010414005939"], None, CNN_3, 0),
        # junk lines are counted and left out; a page may be short and still carry a key
        (
            f"{CNN_1}\nsome/not/even/url/thing\n\n{CNN_KEY}\n",
            None,
            ["20010410213930"],
            CNN_KEY,
            "some/not/even/url/thing",
            1,
        ),
        ("", None, [], None, None, 0),  # no captures: an empty 200
    ],
)
def test_parse_cdx_page(body, previous_line, timestamps, resume_key, last_line, skipped):
    page = parse_cdx_page(body, previous_line)
    assert [c.timestamp for c in page.captures] == timestamps
    assert (page.resume_key, page.last_line, page.skipped) == (resume_key, last_line, skipped)
    assert not page.blocked_by_robots


def test_a_cdx_page_that_says_robots_instead_of_captures():
    page = parse_cdx_page("org.archive.util.io.RuntimeIOException: RobotAccessControlException: Blocked By Robots\n")
    assert page.captures == () and page.blocked_by_robots


def test_capture_identity_and_replay():
    www, bare = (
        parse_cdx_line(f"de,zew)/ 20220818035220 http://{host}/ text/html 301 2CGGPLQITRYWT4JHGMW2MZVEX4OLMJD4 412")
        for host in ("www.zew.de", "zew.de")
    )
    assert www is not None and bare is not None and www.identity != bare.identity  # same second, two captures
    assert www.captured_at == utc(2022, 8, 18, 3, 52, 20) and not www.is_revisit
    assert www.replay_url() == f"{IA}/web/20220818035220id_/http://www.zew.de/"
    revisit = parse_cdx_line("gov,energystar)/ 20200612014014 https://www.energystar.gov/ warc/revisit - DBA3 606")
    assert revisit is not None and revisit.is_revisit


BLOCKED_SITE = (
    "org.archive.util.io.RuntimeIOException: org.archive.wayback.exception.AdministrativeAccessControlException: "
    "Blocked Site Error"
)
TOO_MANY = (
    "<html><body><h1>429 Too Many Requests</h1>\nYou have sent too many requests in a given amount of time.\n"
    "</body></html>"
)


@pytest.mark.parametrize(
    "status, headers, body, expected",
    [
        (200, {}, CNN_1, None),
        (
            403,
            {"Content-Type": "text/plain;charset=UTF-8", "x-archive-wayback-runtime-error": BLOCKED_SITE},
            f"{BLOCKED_SITE}\n",
            ArchiveFailure(Failure.BLOCKED, 403, detail=BLOCKED_SITE),
        ),
        (  # the body alone says it
            403,
            {},
            f"{BLOCKED_SITE}\n".encode(),
            ArchiveFailure(Failure.BLOCKED, 403, detail=f"{BLOCKED_SITE}\n"),
        ),
        (
            403,
            {"X-Archive-Wayback-Runtime-Error": "RobotAccessControlException: Blocked By Robots"},
            "",
            ArchiveFailure(Failure.BLOCKED_BY_ROBOTS, 403, detail="RobotAccessControlException: Blocked By Robots"),
        ),
        (429, {"Content-Type": "text/html"}, TOO_MANY, ArchiveFailure(Failure.RATE_LIMITED, 429, 60.0, TOO_MANY)),
        (429, [("Retry-After", "10")], TOO_MANY, ArchiveFailure(Failure.RATE_LIMITED, 429, 10.0, TOO_MANY)),
        (503, {}, "", ArchiveFailure(Failure.TRANSIENT, 503)),
        (400, {}, "bad request", ArchiveFailure(Failure.FAILED, 400, detail="bad request")),
    ],
)
def test_cdx_failure(status, headers, body, expected):
    assert cdx_failure(status, headers, body, now=NOW) == expected


def test_failures_worth_asking_again():
    assert ArchiveFailure(Failure.RATE_LIMITED, 429, 60.0).retryable
    assert ArchiveFailure(Failure.TRANSIENT, 502).retryable
    assert (
        not ArchiveFailure(Failure.BLOCKED, 403).retryable and not ArchiveFailure(Failure.NOT_ARCHIVED, 404).retryable
    )


# ---------------------------------------------------------------------------------------------
# Wayback: replay URLs and headers

EPA_PAGE = "https://www.epa.gov/ghgreporting/proposed-rule-fact-sheet-subpart-w"
SPRINGER = (
    "https://idp.springer.com/authorize?response_type=cookie&client_id=springerlink"
    "&redirect_uri=https%3A%2F%2Flink.springer.com%2Farticle%2F10.1007%2Fs00382-013-1775-y"
)


@pytest.mark.parametrize(
    "original, timestamp, options, expected",
    [
        ("https://www.fws.gov/birds/", "20171101000000", {}, f"{IA}/web/20171101000000id_/https://www.fws.gov/birds/"),
        (SPRINGER, "20200925075402", {}, f"{IA}/web/20200925075402id_/{SPRINGER}"),  # the query goes in raw
        (
            "https://news.am/eng/news/818239.html",
            "2024",
            {"base_url": f"{STAND_IN}/"},
            f"{STAND_IN}/web/2024id_/https://news.am/eng/news/818239.html",
        ),
        (
            "https://www.fws.gov/birds/",
            "20171124151315",
            {"mode": ""},
            f"{IA}/web/20171124151315/https://www.fws.gov/birds/",
        ),
    ],
)
def test_replay_url(original, timestamp, options, expected):
    assert replay_url(original, timestamp, **options) == expected


REQUEST = f"{IA}/web/20201027215000id_/https://www.epa.gov/climatechange"


@pytest.mark.parametrize(
    "location, response_url, expected",
    [
        (  # absolute
            f"{IA}/web/20171124151315id_/https://www.fws.gov/birds/",
            None,
            ReplayTarget("20171124151315", "id_", "https://www.fws.gov/birds/"),
        ),
        (  # path-only
            "/web/20201027215555id_/https://www.epa.gov/climate-change",
            REQUEST,
            ReplayTarget("20201027215555", "id_", "https://www.epa.gov/climate-change"),
        ),
        (  # scheme-less, to another variant of the URL, with IA's :80
            "//web.archive.org/web/20150503090125id_/http://www.fws.gov:80/birds/",
            REQUEST,
            ReplayTarget("20150503090125", "id_", "http://www.fws.gov/birds/"),
        ),
        (  # the view-mode URLs of the Link header
            f"{IA}/web/20180808104500/{EPA_PAGE}",
            None,
            ReplayTarget("20180808104500", "", EPA_PAGE),
        ),
        (  # an original percent-encoded as a whole is decoded once
            f"{IA}/web/20150930233055id_/http%3A%2F%2Fwww.epa.gov%2Fenvironmentaljustice%2Fgrants%2Fej-smgrants.html%3Futm",
            None,
            ReplayTarget(
                "20150930233055", "id_", "http://www.epa.gov/environmentaljustice/grants/ej-smgrants.html?utm"
            ),
        ),
        (  # an encoded query is not
            f"{IA}/web/20170813195036/https://arpa-e.energy.gov/?q=engage%2Fevents-workshops",
            None,
            ReplayTarget("20170813195036", "", "https://arpa-e.energy.gov/?q=engage%2Fevents-workshops"),
        ),
        (  # the stand-in archive's host, and a path the original holds dots in
            "/web/2024im_/https://oc-media.org/a/../b",
            f"{STAND_IN}/web/2024id_/https://oc-media.org/",
            ReplayTarget("2024", "im_", "https://oc-media.org/a/../b"),
        ),
        ("https://www.fws.gov/birds/", None, None),
        (f"{IA}/cdx/search/cdx?url=cnn.com", None, None),
    ],
)
def test_parse_replay_url(location, response_url, expected):
    assert parse_replay_url(location, response_url) == expected


@pytest.mark.parametrize(
    "url, expected",
    [
        (f"{IA}/web/20180808104500/{EPA_PAGE}", f"{IA}/web/20180808104500id_/{EPA_PAGE}"),
        (f"{IA}/web/20180808104500id_/{EPA_PAGE}", f"{IA}/web/20180808104500id_/{EPA_PAGE}"),
        (f"{STAND_IN}/web/20240417js_/https://x.example/a.js", f"{STAND_IN}/web/20240417id_/https://x.example/a.js"),
    ],
)
def test_with_mode(url, expected):
    assert with_mode(url) == expected


def test_with_mode_refuses_another_url():
    with pytest.raises(ValueError):
        with_mode(EPA_PAGE)


@pytest.mark.parametrize(
    "value, moment",
    [
        ("Wed, 08 Aug 2018 10:45:00 GMT", utc(2018, 8, 8, 10, 45)),
        ("Thu, 29 Jan 2015 03:49:04 GMT", utc(2015, 1, 29, 3, 49, 4)),
        ("Wed, 17 Apr 2024 11:37:12 +0400", utc(2024, 4, 17, 7, 37, 12)),
        ("yesterday", None),
        ("", None),
        (None, None),
    ],
)
def test_parse_memento_datetime(value, moment):
    assert parse_memento_datetime(value) == moment


EPA_LINK = (
    f'<{EPA_PAGE}>; rel="original", '
    f'<{IA}/web/timemap/link/{EPA_PAGE}>; rel="timemap"; type="application/link-format", '
    f'<{IA}/web/{EPA_PAGE}>; rel="timegate", '
    f"<{IA}/web/20150922221816/http://www2.epa.gov/ghgreporting/proposed-rule-fact-sheet-subpart-w>; "
    'rel="first memento"; datetime="Tue, 22 Sep 2015 22:18:16 GMT", '
    f'<{IA}/web/20180807105844/{EPA_PAGE}>; rel="prev memento"; datetime="Tue, 07 Aug 2018 10:58:44 GMT", '
    f'<{IA}/web/20180808104500/{EPA_PAGE}>; rel="memento"; datetime="Wed, 08 Aug 2018 10:45:00 GMT", '
    f'<{IA}/web/20180809112339/{EPA_PAGE}>; rel="next memento"; datetime="Thu, 09 Aug 2018 11:23:39 GMT", '
    f'<{IA}/web/20230101000000/{EPA_PAGE}>; rel="last memento"; datetime="Sun, 01 Jan 2023 00:00:00 GMT"'
)
SPRINGER_LINK = (
    f'<{SPRINGER.replace("&", "&amp;")}>; rel="original", '
    f'<{IA}/web/20200925075402/{SPRINGER.replace("&", "&amp;")}>; rel="memento"; datetime="Fri, 25 Sep 2020 07:54:02 GMT"'
)


@pytest.mark.parametrize(
    "value, rel, expected",
    [
        (EPA_LINK, "original", MementoLink(EPA_PAGE, "original")),
        (EPA_LINK, "timemap", MementoLink(f"{IA}/web/timemap/link/{EPA_PAGE}", "timemap")),
        (EPA_LINK, "memento", MementoLink(f"{IA}/web/20180808104500/{EPA_PAGE}", "memento", utc(2018, 8, 8, 10, 45))),
        (
            EPA_LINK,
            "first memento",
            MementoLink(
                f"{IA}/web/20150922221816/http://www2.epa.gov/ghgreporting/proposed-rule-fact-sheet-subpart-w",
                "first memento",
                utc(2015, 9, 22, 22, 18, 16),
            ),
        ),
        (EPA_LINK, "last memento", MementoLink(f"{IA}/web/20230101000000/{EPA_PAGE}", "last memento", utc(2023, 1, 1))),
        (SPRINGER_LINK, "original", MementoLink(SPRINGER, "original")),  # &amp; undone
        (
            SPRINGER_LINK,
            "memento",
            MementoLink(f"{IA}/web/20200925075402/{SPRINGER}", "memento", utc(2020, 9, 25, 7, 54, 2)),
        ),
    ],
)
def test_parse_link_header(value, rel, expected):
    assert parse_link_header(value)[rel] == expected


def test_parse_link_header_of_nothing():
    assert parse_link_header(None) == {} and parse_link_header("") == {}
    assert set(parse_link_header(EPA_LINK)) == {
        "original",
        "timemap",
        "timegate",
        "first memento",
        "prev memento",
        "memento",
        "next memento",
        "last memento",
    }


@pytest.mark.parametrize(
    "headers, expected",
    [
        (
            [
                ("Content-Type", "text/html; charset=utf-8"),
                ("Content-Encoding", "gzip"),  # IA's own: the archived one is lost
                ("Memento-Datetime", "Wed, 08 Aug 2018 10:45:00 GMT"),
                ("x-archive-src", "epa.gov3-20180302-214937/IA-FOC-epa.gov3-20180808091414-00000.warc.gz"),
                ("x-archive-orig-date", "Wed, 08 Aug 2018 10:45:00 GMT"),
                ("x-archive-orig-server", "Apache"),
                ("x-archive-orig-content-length", "-1"),
                ("x-archive-orig-set-cookie", "a=1"),
                ("x-archive-orig-set-cookie", "b=2"),
                ("X-Archive-Orig-Content-Type", "text/html"),  # the unprefixed one stands
            ],
            (
                ("date", "Wed, 08 Aug 2018 10:45:00 GMT"),
                ("server", "Apache"),
                ("content-length", "-1"),
                ("set-cookie", "a=1"),
                ("set-cookie", "b=2"),
                ("Content-Type", "text/html; charset=utf-8"),
            ),
        ),
        ({"x-ts": "302", "Content-Length": "0"}, ()),
    ],
)
def test_archived_headers(headers, expected):
    assert archived_headers(headers) == expected


@pytest.mark.parametrize(
    "value, seconds",
    [
        ("10", 10.0),
        ("-10", 0.0),
        ("Wed, 01 May 2024 12:00:30 GMT", 30.0),
        ("Wed, 01 May 2024 11:59:00 GMT", 0.0),  # in the past
        ("soon", None),
        ("", None),
        (None, None),
    ],
)
def test_retry_after_seconds(value, seconds):
    assert retry_after_seconds(value, NOW) == seconds


# ---------------------------------------------------------------------------------------------
# Wayback: replay answers

EPA_REQUEST = f"{IA}/web/20180808104500id_/{EPA_PAGE}"
EPA_REDIRECT_REQUEST = f"{IA}/web/20180808094144id_/https://www.epa.gov/ghgreporting/san5779-factsheet"
FWS_REQUEST = f"{IA}/web/20171101000000id_/https://www.fws.gov/birds/"
REDDIT_REQUEST = f"{IA}/web/20150129034904id_/http://www.reddit.com/r/PokemonGiveaway"
MEMENTO_200 = [
    ("Content-Type", "text/html; charset=utf-8"),
    ("Content-Encoding", "gzip"),
    ("Memento-Datetime", "Wed, 08 Aug 2018 10:45:00 GMT"),
    ("Link", EPA_LINK),
    ("x-archive-src", "epa.gov3-20180302-214937/IA-FOC-epa.gov3-20180808091414-00000.warc.gz"),
    ("x-archive-orig-server", "Apache"),
    ("x-ts", "200"),
]
MEMENTO_301 = [
    ("Memento-Datetime", "Wed, 08 Aug 2018 09:41:44 GMT"),
    ("location", f"{IA}/web/20180808094144id_/{EPA_PAGE}"),
    ("x-archive-src", "epa.gov3-20180302-214937/IA-FOC-epa.gov3-20180808091414-00000.warc.gz"),
    ("x-archive-orig-x-redirect-id", "87045"),
    ("Content-Length", "0"),
]
ARCHIVED_429 = [
    ("Memento-Datetime", "Thu, 29 Jan 2015 03:49:04 GMT"),
    ("x-archive-orig-retry-after", "6"),
    ("x-archive-orig-server", "cloudflare-nginx"),
    ("x-archive-src", "liveweb-20150129011011/live-20150129005004-wwwb-app15.us.archive.org.warc.gz"),
    ("Content-Type", "text/html; charset=UTF-8"),
    ("x-ts", "429"),
]
NEAREST_302 = {
    "Content-Length": "0",
    "Content-Type": "text/plain; charset=utf-8",
    "location": f"{IA}/web/20171124151315id_/https://www.fws.gov/birds/",
    "x-archive-redirect-reason": "found capture at 20171124151315",
    "x-ts": "302",
}
NOT_ARCHIVED = '<div id="error">\n<h2>Hrm.</h2>\n<p>The Wayback Machine has not archived that URL.</p>'
EXCLUDED = '<div id="error">\n\t<h2>Sorry.</h2>\n\t<p>This URL has been excluded from the Wayback Machine.</p></div>'


@pytest.mark.parametrize(
    "status, headers, body, request_url, expected",
    [
        (  # an exact hit: the captured URL comes from Link rel="original"
            200,
            MEMENTO_200,
            b"<!DOCTYPE html>",
            EPA_REQUEST,
            Memento(
                200,
                utc(2018, 8, 8, 10, 45),
                EPA_PAGE,
                (("server", "Apache"), ("Content-Type", "text/html; charset=utf-8")),
            ),
        ),
        (  # a capture of a redirect: the target at the same timestamp, historical and to follow
            301,
            MEMENTO_301,
            b"",
            EPA_REDIRECT_REQUEST,
            Memento(
                301,
                utc(2018, 8, 8, 9, 41, 44),
                "https://www.epa.gov/ghgreporting/san5779-factsheet",
                (("x-redirect-id", "87045"), ("Location", EPA_PAGE)),
                redirect_to=EPA_PAGE,
                follow_url=f"{IA}/web/20180808094144id_/{EPA_PAGE}",
            ),
        ),
        (  # an archived 429 is what reddit said in 2015: content, not a rate limit
            429,
            ARCHIVED_429,
            b"<title>Too Many Requests</title>",
            REDDIT_REQUEST,
            Memento(
                429,
                utc(2015, 1, 29, 3, 49, 4),
                "http://www.reddit.com/r/PokemonGiveaway",
                (("retry-after", "6"), ("server", "cloudflare-nginx"), ("Content-Type", "text/html; charset=UTF-8")),
            ),
        ),
        (  # an archived 404: what the site answered then, no Link header
            404,
            {"Memento-Datetime": "Wed, 17 Apr 2024 07:37:12 GMT"},
            b"Not Found",
            f"{IA}/web/20240417073712id_/https://news.am/eng/news/818239.html",
            Memento(404, utc(2024, 4, 17, 7, 37, 12), "https://news.am/eng/news/818239.html", ()),
        ),
        (  # no capture at the time asked: IA offers one 23 days later
            302,
            NEAREST_302,
            b"",
            FWS_REQUEST,
            NearestCapture(
                f"{IA}/web/20171124151315id_/https://www.fws.gov/birds/",
                "20171124151315",
                "https://www.fws.gov/birds/",
                timedelta(days=23, hours=15, minutes=13, seconds=15),
                False,
            ),
        ),
        (  # a scheme-less Location in view mode, to the http variant, hours away
            302,
            {"Location": "//web.archive.org/web/20150509090125/http://www.fws.gov/birds/"},
            b"",
            f"{IA}/web/20150509080314id_/https://www.fws.gov/birds/",
            NearestCapture(
                f"{IA}/web/20150509090125id_/http://www.fws.gov/birds/",
                "20150509090125",
                "http://www.fws.gov/birds/",
                timedelta(hours=0, minutes=58, seconds=11),
                True,
            ),
        ),
        (  # a path-only Location from the stand-in archive
            302,
            {"Location": "/web/20240418000000id_/https://oc-media.org/russian-peacekeepers-leave-karabakh/"},
            b"",
            f"{STAND_IN}/web/20240417id_/https://oc-media.org/russian-peacekeepers-leave-karabakh/",
            NearestCapture(
                f"{STAND_IN}/web/20240418000000id_/https://oc-media.org/russian-peacekeepers-leave-karabakh/",
                "20240418000000",
                "https://oc-media.org/russian-peacekeepers-leave-karabakh/",
                timedelta(days=1),
                True,
            ),
        ),
        (
            404,
            {"Content-Type": "text/html; charset=utf-8", "x-ts": "404"},
            NOT_ARCHIVED,
            FWS_REQUEST,
            ArchiveFailure(Failure.NOT_ARCHIVED, 404),
        ),
        (
            404,
            {
                "X-Archive-Wayback-Runtime-Error": "ResourceNotInArchiveException: https://www.fws.gov/birds/ was not found"
            },
            b"",
            FWS_REQUEST,
            ArchiveFailure(
                Failure.NOT_ARCHIVED,
                404,
                detail="ResourceNotInArchiveException: https://www.fws.gov/birds/ was not found",
            ),
        ),
        (403, {"x-ts": "403"}, EXCLUDED.encode(), FWS_REQUEST, ArchiveFailure(Failure.BLOCKED, 403)),
        (
            403,
            {"X-Archive-Wayback-Runtime-Error": "RobotAccessControlException: Blocked By Robots"},
            b"",
            FWS_REQUEST,
            ArchiveFailure(Failure.BLOCKED_BY_ROBOTS, 403, detail="RobotAccessControlException: Blocked By Robots"),
        ),
        (
            403,
            {},
            b"<p>Page cannot be displayed due to robots.txt.</p>",
            FWS_REQUEST,
            ArchiveFailure(Failure.BLOCKED_BY_ROBOTS, 403),
        ),
        (429, {"Content-Type": "text/html"}, TOO_MANY, FWS_REQUEST, ArchiveFailure(Failure.RATE_LIMITED, 429, 60.0)),
        (
            429,
            {"Retry-After": "Wed, 01 May 2024 12:02:00 GMT"},
            TOO_MANY,
            FWS_REQUEST,
            ArchiveFailure(Failure.RATE_LIMITED, 429, 120.0),
        ),
        (503, {}, b"", FWS_REQUEST, ArchiveFailure(Failure.TRANSIENT, 503)),
        (502, {"Retry-After": "5"}, b"", FWS_REQUEST, ArchiveFailure(Failure.TRANSIENT, 502, 5.0)),
        (  # a redirect that leads to no capture
            302,
            {"Location": "https://archive.org/account/login"},
            b"",
            FWS_REQUEST,
            ArchiveFailure(
                Failure.FAILED, 302, detail="redirect to 'https://archive.org/account/login', not to a capture"
            ),
        ),
        (302, {}, b"", FWS_REQUEST, ArchiveFailure(Failure.FAILED, 302, detail="redirect to None, not to a capture")),
        (
            200,
            {"Content-Type": "text/html"},
            b"<html>",
            FWS_REQUEST,
            ArchiveFailure(Failure.FAILED, 200, detail="an answer without Memento-Datetime"),
        ),
    ],
)
def test_classify_replay(status, headers, body, request_url, expected):
    assert classify_replay(status, headers, body, request_url=request_url, now=NOW) == expected


def test_nearest_capture_within_a_wider_reach():
    answer = classify_replay(302, NEAREST_302, b"", request_url=FWS_REQUEST, now=NOW, max_distance=timedelta(days=30))
    assert isinstance(answer, NearestCapture) and answer.within_reach


def test_a_captured_redirect_is_a_redirect():
    answer = classify_replay(301, MEMENTO_301, b"", request_url=EPA_REDIRECT_REQUEST, now=NOW)
    assert isinstance(answer, Memento) and answer.is_redirect
    answer = classify_replay(200, MEMENTO_200, b"", request_url=EPA_REQUEST, now=NOW)
    assert isinstance(answer, Memento) and not answer.is_redirect


# ---------------------------------------------------------------------------------------------
# Common Crawl: crawls and the index

COLLINFO = """[
 {"id": "CC-MAIN-2025-33", "name": "August 2025 Index", "timegate": "https://index.commoncrawl.org/CC-MAIN-2025-33/",
  "cdx-api": "https://index.commoncrawl.org/CC-MAIN-2025-33-index", "from": "2025-08-02T22:09:07", "to": "2025-08-15T23:42:38"},
 {"id": "CC-MAIN-2024-26", "name": "June 2024 Index", "timegate": "https://index.commoncrawl.org/CC-MAIN-2024-26/",
  "cdx-api": "https://index.commoncrawl.org/CC-MAIN-2024-26-index", "from": "2024-06-12T14:04:24", "to": "2024-06-25T23:28:02"},
 {"id": "CC-MAIN-2024-22", "name": "May 2024 Index", "timegate": "https://index.commoncrawl.org/CC-MAIN-2024-22/",
  "cdx-api": "https://index.commoncrawl.org/CC-MAIN-2024-22-index", "from": "2024-05-17T23:31:22", "to": "2024-05-31T00:06:14"},
 {"id": "CC-MAIN-2008-2009", "name": "Index of 2008 - 2009 ARC files", "cdx-api": "https://index.commoncrawl.org/CC-MAIN-2008-2009-index"}
]"""
AUG_2025 = Crawl(
    "CC-MAIN-2025-33",
    "August 2025 Index",
    "https://index.commoncrawl.org/CC-MAIN-2025-33-index",
    utc(2025, 8, 2, 22, 9, 7),
    utc(2025, 8, 15, 23, 42, 38),
)
JUN_2024 = Crawl(
    "CC-MAIN-2024-26",
    "June 2024 Index",
    "https://index.commoncrawl.org/CC-MAIN-2024-26-index",
    utc(2024, 6, 12, 14, 4, 24),
    utc(2024, 6, 25, 23, 28, 2),
)
MAY_2024 = Crawl(
    "CC-MAIN-2024-22",
    "May 2024 Index",
    "https://index.commoncrawl.org/CC-MAIN-2024-22-index",
    utc(2024, 5, 17, 23, 31, 22),
    utc(2024, 5, 31, 0, 6, 14),
)


@pytest.mark.parametrize(
    "index_url, expected",
    [
        (None, "https://index.commoncrawl.org/collinfo.json"),
        (f"{STAND_IN}/", f"{STAND_IN}/collinfo.json"),
    ],
)
def test_collinfo_url(index_url, expected):
    assert (collinfo_url(index_url) if index_url else collinfo_url()) == expected


def test_parse_collinfo():
    # the crawl without times cannot be placed in a window: left out
    assert parse_collinfo(COLLINFO) == (AUG_2025, JUN_2024, MAY_2024)
    assert parse_collinfo(COLLINFO.encode()) == (AUG_2025, JUN_2024, MAY_2024)


@pytest.mark.parametrize("body", ["<html>503 Service Unavailable</html>", '{"id": "CC-MAIN-2025-33"}'])
def test_parse_collinfo_refuses_what_is_no_list(body):
    with pytest.raises(CommonCrawlError):
        parse_collinfo(body)


@pytest.mark.parametrize(
    "window, after, chosen",
    [
        (WINDOW, timedelta(0), (JUN_2024, MAY_2024)),
        (DateWindow.from_bounds("2024-05-01", "2024-05-15"), timedelta(0), ()),
        (DateWindow.from_bounds("2024-05-01", "2024-05-15"), timedelta(days=7), (MAY_2024,)),
        (DateWindow.from_bounds("2024-05-31", "2024-06-12"), timedelta(0), (JUN_2024, MAY_2024)),  # both ends meet it
        (DateWindow.from_bounds("2025-01-01", None), timedelta(0), (AUG_2025,)),
        (DateWindow(), timedelta(0), (AUG_2025, JUN_2024, MAY_2024)),
    ],
)
def test_crawls_in(window, after, chosen):
    assert crawls_in((AUG_2025, JUN_2024, MAY_2024), window, after=after) == chosen


@pytest.mark.parametrize(
    "url, options, expected",
    [
        (
            "armenpress.am/en/article/*",
            {},
            "https://index.commoncrawl.org/CC-MAIN-2024-22-index?url=armenpress.am%2Fen%2Farticle%2F%2A&output=json"
            "&filter=status%3A200&filter=mime%3Atext%2Fhtml",
        ),
        (
            "news.am",
            {"match_type": "domain", "page": 3},
            "https://index.commoncrawl.org/CC-MAIN-2024-22-index?url=news.am&output=json&matchType=domain"
            "&filter=status%3A200&filter=mime%3Atext%2Fhtml&page=3",
        ),
        (
            "oc-media.org/",
            {"match_type": "prefix", "filters": ("~url:karabakh",), "show_num_pages": True},
            "https://index.commoncrawl.org/CC-MAIN-2024-22-index?url=oc-media.org%2F&output=json&matchType=prefix"
            "&filter=~url%3Akarabakh&showNumPages=true",
        ),
    ],
)
def test_index_query_url(url, options, expected):
    assert index_query_url(MAY_2024, url, **options) == expected


@pytest.mark.parametrize(
    "body, pages",
    [('{"pages": 4, "pageSize": 5, "blocks": 38}', 4), (b'{"blocks": 1, "pages": 1, "pageSize": 5}\n', 1), ("0", 0)],
)
def test_parse_num_pages(body, pages):
    assert parse_num_pages(body) == pages


@pytest.mark.parametrize("body", ['{"blocks": 38}', "<html>", '{"pages": true}', '{"pages": -1}'])
def test_parse_num_pages_refuses_an_answer_without_a_count(body):
    with pytest.raises(CommonCrawlError):
        parse_num_pages(body)


EXAMPLE_LINE = (
    '{"urlkey": "com,example)/", "timestamp": "20250802232428", "url": "http://www.example.com/", "mime": "text/html", '
    '"mime-detected": "text/html", "status": "200", "digest": "JI6OR3QR4CI526JD6TMMNZNV4QPMPQCH", "length": "1219", '
    '"offset": "34323482", "filename": "crawl-data/CC-MAIN-2025-33/segments/1754151279521.11/warc/'
    'CC-MAIN-20250802220907-20250803010907-00970.warc.gz", "languages": "eng", "encoding": "UTF-8"}'
)
REDIRECT_LINE = (
    '{"urlkey": "org,commoncrawl)/", "timestamp": "20250804145409", "url": "http://commoncrawl.org/", "mime": "text/html", '
    '"mime-detected": "text/html", "status": "301", "digest": "HLNR6AWVWYCU3YAENY3HYHLIPNWN66X7", "length": "571", '
    '"offset": "138028", "filename": "crawl-data/CC-MAIN-2025-33/segments/1754151279808.15/crawldiagnostics/'
    'CC-MAIN-20250804145214-20250804175214-00494.warc.gz", "redirect": "https://commoncrawl.org/"}'
)
ROBOTS_LINE = (
    '{"urlkey": "org,commoncrawl)/robots.txt", "timestamp": "20250804145214", "url": "http://commoncrawl.org/robots.txt", '
    '"mime": "text/plain", "status": "301", "digest": "AAAA", "length": "560", "offset": "99", '
    '"filename": "crawl-data/CC-MAIN-2025-33/segments/1754151279808.15/robotstxt/CC-MAIN-20250804145214-00494.warc.gz"}'
)
EXAMPLE_CAPTURE = CrawlCapture(
    urlkey="com,example)/",
    timestamp="20250802232428",
    url="http://www.example.com/",
    mime="text/html",
    status=200,
    digest="JI6OR3QR4CI526JD6TMMNZNV4QPMPQCH",
    filename="crawl-data/CC-MAIN-2025-33/segments/1754151279521.11/warc/CC-MAIN-20250802220907-20250803010907-00970.warc.gz",
    offset=34323482,
    length=1219,
    languages=("eng",),
)
REDIRECT_CAPTURE = CrawlCapture(
    urlkey="org,commoncrawl)/",
    timestamp="20250804145409",
    url="http://commoncrawl.org/",
    mime="text/html",
    status=301,
    digest="HLNR6AWVWYCU3YAENY3HYHLIPNWN66X7",
    filename="crawl-data/CC-MAIN-2025-33/segments/1754151279808.15/crawldiagnostics/CC-MAIN-20250804145214-20250804175214-00494.warc.gz",
    offset=138028,
    length=571,
    redirect="https://commoncrawl.org/",
)


@pytest.mark.parametrize(
    "status, body, page, expected",
    [
        (200, f"{EXAMPLE_LINE}\n{REDIRECT_LINE}\n", 0, IndexPage((EXAMPLE_CAPTURE, REDIRECT_CAPTURE), last=False)),
        # robots.txt fetches, lines that are no capture or name no record: left out
        (
            200,
            f"{ROBOTS_LINE}\n\nnot json\n[1, 2]\n{EXAMPLE_LINE}\n".encode(),
            1,
            IndexPage((EXAMPLE_CAPTURE,), last=False),
        ),
        (
            200,
            '{"urlkey": "com,example)/", "timestamp": "20250802232428", "url": "http://www.example.com/"}',
            0,
            IndexPage((), last=False),
        ),
        (404, '{"message": "No Captures found for: example.net"}', 0, IndexPage((), last=True)),
        (404, b'{"error": "No Captures found for: example.net"}', 0, IndexPage((), last=True)),  # older pywb
        (400, "Page 10 invalid: First Page is 0, Last Page is 9", 10, IndexPage((), last=True)),
    ],
)
def test_parse_index_answer(status, body, page, expected):
    assert parse_index_answer(status, body, page) == expected


@pytest.mark.parametrize(
    "status, body, page",
    [
        (404, "<html><h1>Not Found</h1></html>", 0),  # an unknown crawl
        (400, "Invalid url", 0),
        (503, "<html>503 Service Temporarily Unavailable</html>", 2),
    ],
)
def test_parse_index_answer_raises_other_errors(status, body, page):
    with pytest.raises(CommonCrawlError):
        parse_index_answer(status, body, page)


def test_a_capture_names_its_record():
    assert EXAMPLE_CAPTURE.range_header == "bytes=34323482-34324700"  # the real answer's Content-Range
    assert EXAMPLE_CAPTURE.data_url() == f"https://data.commoncrawl.org/{EXAMPLE_CAPTURE.filename}"
    assert EXAMPLE_CAPTURE.data_url(f"{STAND_IN}/") == f"{STAND_IN}/{EXAMPLE_CAPTURE.filename}"
    assert EXAMPLE_CAPTURE.captured_at == utc(2025, 8, 2, 23, 24, 28)


@pytest.mark.parametrize(
    "offset, length, header",
    [(34323482, 1219, "bytes=34323482-34324700"), (0, 1, "bytes=0-0"), (138028, 571, "bytes=138028-138598")],
)
def test_record_range(offset, length, header):
    assert record_range(offset, length) == header


# ---------------------------------------------------------------------------------------------
# Common Crawl: records


def warc_record(kind="response", status="200 OK", headers=(("Content-Type", "text/html"),), payload=b"", gzip=True):
    """One record as CC stores it, written by warcio as the stand-in archive writes its files."""
    out = BytesIO()
    writer = WARCWriter(out, gzip=gzip)
    http_headers = StatusAndHeaders(status, list(headers), protocol="HTTP/1.1")
    if kind == "revisit":
        record = writer.create_revisit_record(
            "http://www.example.com/",
            digest="sha1:JI6OR3QR4CI526JD6TMMNZNV4QPMPQCH",
            refers_to_uri="http://www.example.com/",
            refers_to_date="2025-08-01T00:00:00Z",
            http_headers=http_headers,
        )
    else:
        record = writer.create_warc_record(
            "http://www.example.com/",
            kind,
            payload=BytesIO(payload),
            http_headers=http_headers,
            warc_headers_dict={"WARC-Date": "2025-08-02T23:24:28Z"},
        )
    writer.write_record(record)
    return out.getvalue()


CC_HEADERS = (
    ("Content-Type", "text/html"),
    ("X-Crawler-Content-Encoding", "gzip"),
    ("X-Crawler-Content-Length", "648"),
    ("Content-Length", "20"),
)


@pytest.mark.parametrize(
    "body, expected",
    [
        (
            warc_record(headers=CC_HEADERS, payload=b"<!doctype html><p>x"),
            ArchivedRecord(
                "http://www.example.com/", utc(2025, 8, 2, 23, 24, 28), 200, CC_HEADERS, b"<!doctype html><p>x"
            ),
        ),
        (
            warc_record(status="301 Moved Permanently", headers=(("Location", "https://www.example.com/"),)),
            ArchivedRecord(
                "http://www.example.com/",
                utc(2025, 8, 2, 23, 24, 28),
                301,
                (("Location", "https://www.example.com/"),),
                b"",
            ),
        ),
    ],
)
def test_parse_record(body, expected):
    assert body.startswith(b"\x1f\x8b")
    assert parse_record(body) == expected


SLOW_DOWN = (
    b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SlowDown</Code><Message>Please reduce your request rate.'
    b"</Message><RequestId>4QX1</RequestId></Error>"
)
WHOLE = warc_record(payload=b"<p>" * 400)


@pytest.mark.parametrize(
    "body, throttled, message",
    [
        (SLOW_DOWN, True, "SlowDown"),
        (b"<html><body>403 Forbidden</body></html>", False, "not a gzipped WARC record"),
        (b"", False, "not a gzipped WARC record"),
        (warc_record(gzip=False, payload=b"x"), False, "not a gzipped WARC record"),
        (WHOLE[:-20], False, "cut short"),  # warcio alone would give a truncated payload
        (WHOLE[:10] + b"\x00" * 40, False, "damaged"),
        (warc_record(kind="revisit"), False, "a WARC revisit record, not a response"),
        (warc_record(kind="request"), False, "a WARC request record, not a response"),
    ],
)
def test_parse_record_refuses(body, throttled, message):
    with pytest.raises(RecordError, match=message) as refused:
        parse_record(body)
    assert refused.value.throttled is throttled


# ---------------------------------------------------------------------------------------------
# Article URLs


@pytest.mark.parametrize(
    "url, article",
    [
        # Armenpress: /<lang>/article/<id> since 2024, /eng/news/<id>/ before; AMP copies pass
        ("https://armenpress.am/en/article/1135171", True),
        ("https://armenpress.am/hy/article/1135172", True),
        ("https://armenpress.am/en/article/1251728/amp", True),
        ("https://armenpress.am/eng/news/1135171/", True),
        ("https://armenpress.am/en/rss/articles", False),
        ("https://armenpress.am/en/category/politics", False),
        # news.am: /<lang>/news/<id>.html; day listings are not articles
        ("https://news.am/eng/news/818239.html", True),
        ("https://news.am/rus/news/818240.html", True),
        ("https://tech.news.am/eng/news/5442/apple-reportedly-working-on-ai-smart-glasses-and-new-airpods.html", True),
        ("https://news.am/eng/news/allregions/allthemes/2024/04/17/", False),
        ("https://news.am/eng/rss/", False),
        # APA: a section, then a slug ending in the id
        ("https://apa.az/xarici-siyaset/rusiya-sulhmeramlilari-qarabagdan-cixarilir-829470", True),
        ("https://en.apa.az/foreign-policy/russian-peacekeepers-leave-karabakh-438915", True),
        ("https://apa.az/az/turizm", False),
        ("https://apa.az/storage/news/2024/april/17/big/6131f75cbbce26131f75cbbce316306645406131f75cbbce.jpg", False),
        # TASS: /<section>/<id>
        ("https://tass.com/world/1776447", True),
        ("https://tass.ru/politika/20551229", True),
        ("https://tass.com/world/rss", False),
        ("https://tass.ru/tag/karabakh", False),
        # OC Media, JAMnews, Eurasianet: WordPress slugs
        ("https://oc-media.org/russian-peacekeepers-begin-withdrawing-from-nagorno-karabakh/", True),
        ("https://oc-media.org/russian-peacekeepers-begin-withdrawing-from-nagorno-karabakh/amp/", True),
        ("https://jam-news.net/russian-peacekeepers-leave-karabakh/", True),
        ("https://oc-media.org/tags/russian-peacekeepers-in-karabakh/", False),
        ("https://oc-media.org/category/news/page/2/", False),
        ("https://oc-media.org/author/oc-media/", False),
        ("https://oc-media.org/feed/", False),
        ("https://oc-media.org/?s=peacekeepers", False),
        ("https://oc-media.org/app/themes/ocmedia/resources/assets/images/no-image.jpg", False),
        ("https://oc-media.org/wp-content/uploads/2024/04/peacekeepers-leaving-stepanakert-convoy.jpg", False),
        ("https://eurasianet.org/russian-peacekeepers-quietly-leave-karabakh", True),
        # RFE/RL (rferl.org, azatutyun.am): /a/<slug>/<id>.html or /a/<id>.html; /z/ lists a section
        ("https://www.rferl.org/a/russia-peacekeepers-karabakh-withdrawal-azerbaijan/32909442.html", True),
        ("https://www.azatutyun.am/a/32909360.html", True),
        ("https://www.azatutyun.am/z/2038", False),
        ("https://www.azatutyun.am/p/5914.html", False),
        ("https://www.rferl.org/api/zrqiteuuipt", False),
        # Reuters, AP, BBC: slugs, hex ids, numeric ids
        (
            "https://www.reuters.com/world/europe/russian-peacekeepers-start-withdrawing-karabakh-kremlin-says-2024-04-17/",
            True,
        ),
        ("https://www.reuters.com/world/europe/", False),
        (
            "https://apnews.com/article/armenia-azerbaijan-russia-peacekeepers-karabakh-3b4e1d9f2c5a7e8d0f6b1a2c3d4e5f60",
            True,
        ),
        ("https://www.bbc.com/news/world-europe-68832212", True),
        ("https://www.bbc.com/russian/articles/c4nn1xw9l55o", True),
        # Russian outlets: dated and id paths, transliterated and percent-encoded Cyrillic slugs
        ("https://ria.ru/20240417/mirotvortsy-1940713456.html", True),
        ("https://ria.ru/20240417/", False),  # a day's listing, not an id
        ("https://www.kommersant.ru/doc/6655441", True),
        ("https://www.kommersant.ru/theme/3456", False),
        ("https://www.interfax.ru/world/956203", True),
        ("https://meduza.io/news/2024/04/17/rossiyskie-mirotvortsy-nachali-vyvod-iz-karabaha", True),
        ("https://www.themoscowtimes.com/2024/04/17/russian-peacekeepers-begin-karabakh-pullout-a84876", True),
        ("https://www.themoscowtimes.com/2024/04/17/", False),
        ("https://www.kavkaz-uzel.eu/articles/400123/", True),
        ("https://www.kavkaz-uzel.eu/articles.rss", False),
        (
            "https://example.ru/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8/%D0%BC%D0%B8%D1%80%D0%BE%D1%82%D0%B2%D0%BE%D1%80%D1%86%D1%8B-%D0%BF%D0%BE%D0%BA%D0%B8%D0%BD%D1%83%D0%BB%D0%B8-%D0%BA%D0%B0%D1%80%D0%B0%D0%B1%D0%B0%D1%85-%D1%81%D0%B5%D0%B3%D0%BE%D0%B4%D0%BD%D1%8F",
            True,
        ),
        # Azerbaijani outlets: /<section>/<id>.html
        ("https://en.trend.az/azerbaijan/politics/3885427.html", True),
        ("https://report.az/en/foreign-politics/russian-peacekeepers-complete-withdrawal-from-karabakh/", True),
        ("https://www.azernews.az/nation/225431.html", True),
        ("https://news.am/eng/news/?page=2", False),
        ("https://azertag.az/en/xeber/2989453", True),
        ("https://www.aljazeera.com/news/2024/4/17/russian-peacekeepers-begin-withdrawal-from-nagorno-karabakh", True),
        ("https://www.aljazeera.com/sitemap.xml?yyyy=2024&mm=04&dd=17", False),
        ("https://www.civilnet.am/?p=783215", True),  # a WordPress short link
        ("https://www.civilnet.am/en/", False),  # a homepage
        ("https://www.civilnet.am/", False),
        ("mailto:editor@civilnet.am", False),
    ],
)
def test_looks_like_article(url, article):
    assert looks_like_article(url) is article


@pytest.mark.parametrize(
    "url, patterns, article",
    [
        # an outlet's own patterns decide, both ways
        ("https://www.bbc.com/russian/features-68832212", [r"/russian/articles/\w+$"], False),
        ("https://www.bbc.com/russian/articles/c4nn1xw9l55o", [r"/russian/articles/\w+$"], True),
        ("https://news.am/eng/news/allregions/allthemes/2024/04/17/", [r"/news/\d+\.html$", r"/allthemes/"], True),
        ("https://armenpress.am/en/article/1135171", [r"/hy/article/\d+"], False),
        ("https://armenpress.am/en/article/1135171", [], True),  # none given: the generic rules
        ("https://armenpress.am/en/article/1135171", None, True),
    ],
)
def test_archive_patterns_decide(url, patterns, article):
    assert looks_like_article(url, patterns) is article


# ---------------------------------------------------------------------------------------------
# The prefilter


@pytest.mark.parametrize(
    "url, words",
    [
        (
            "https://oc-media.org/russian-peacekeepers-begin-withdrawing-from-nagorno-karabakh/",
            ("russian", "peacekeepers", "begin", "withdrawing", "from", "nagorno", "karabakh"),
        ),
        (
            "https://www.reuters.com/world/europe/russian-peacekeepers-start-withdrawing-2024-04-17/",
            ("russian", "peacekeepers", "start", "withdrawing"),
        ),
        ("https://ria.ru/20240417/mirotvortsy-1940713456.html", ("mirotvortsy",)),  # transliterated: as it is
        (
            "https://apa.az/xarici-siyaset/rusiya-sulhmeramlilari-qarabagdan-cixarilir-829470",
            ("rusiya", "sulhmeramlilari", "qarabagdan", "cixarilir"),
        ),
        ("https://www.bbc.com/news/world-europe-68832212", ("world", "europe")),
        ("https://armenpress.am/en/article/1135171", ("article",)),
        (
            "https://apnews.com/article/armenia-azerbaijan-peacekeepers-3b4e1d9f2c5a7e8d",
            ("armenia", "azerbaijan", "peacekeepers"),
        ),
        (
            "https://example.ru/%D0%BC%D0%B8%D1%80%D0%BE%D1%82%D0%B2%D0%BE%D1%80%D1%86%D1%8B_%D0%BF%D0%BE%D0%BA%D0%B8%D0%BD%D1%83%D0%BB%D0%B8_%D0%9A%D0%B0%D1%80%D0%B0%D0%B1%D0%B0%D1%85.html",
            ("миротворцы", "покинули", "карабах"),
        ),
        ("https://www.civilnet.am/", ()),
    ],
)
def test_slug_words(url, words):
    assert slug_words(url) == words


TOPIC = load_topic(DEFAULT_TOPIC)


@pytest.mark.parametrize(
    "entry, kept",
    [
        # a slug that names a required concept
        ({"url": "https://oc-media.org/russian-peacekeepers-begin-withdrawing-from-nagorno-karabakh/"}, True),
        (
            {
                "url": "https://apa.az/xarici-siyaset/rusiya-sulhmeramlilari-qarabagdan-cixarilir-829470",
                "language": "az",
            },
            True,
        ),
        # a slug long enough, on another story: skipped
        ({"url": "https://oc-media.org/georgian-parliament-passes-foreign-agents-law/"}, False),
        ({"url": "https://en.apa.az/economy/azerbaijan-gas-exports-to-europe-grow-438916", "language": "en"}, False),
        # a slug too short to judge: kept
        ({"url": "https://armenpress.am/en/article/1135171"}, True),
        ({"url": "https://www.bbc.com/news/world-europe-68832212"}, True),
        # a transliterated slug of a Russian outlet cannot meet the Russian terms: kept
        ({"url": "https://meduza.io/news/2024/04/17/v-moskve-proshel-miting-protiv-voyny", "language": "ru"}, True),
        # titles judge in their own script
        ({"title": "Российские миротворцы начали вывод из Карабаха", "language": "ru"}, True),
        ({"title": "В Москве открылась выставка современного искусства", "language": "ru"}, False),
        ({"title": "Ռուսական խաղաղապահները լքում են Ղարաբաղը", "language": "hy"}, True),
        ({"title": "Rusiya sülhməramlıları Qarabağdan çıxarılır", "language": "az"}, True),
        ({"title": "Georgian parliament passes foreign agents law", "language": "en"}, False),
        # a title of too few words, a transliterated one: kept
        ({"title": "Peacekeepers", "language": "en"}, True),
        (
            {"title": "Breaking news", "url": "https://oc-media.org/georgian-parliament-passes-foreign-agents-law/"},
            True,
        ),
        ({"title": "Mirotvortsy pokinuli Stepanakert segodnya", "language": "ru"}, True),
        # the description counts with the title
        (
            {
                "title": "Kremlin comments on the region",
                "description": "Russian peacekeepers have started to leave Karabakh, Peskov said.",
                "language": "en",
            },
            True,
        ),
        # a blank title falls back to the slug
        ({"title": "  ", "url": "https://oc-media.org/georgian-parliament-passes-foreign-agents-law/"}, False),
    ],
)
def test_could_be_on_topic(entry, kept):
    assert could_be_on_topic(TOPIC, **entry) is kept


# A topic that requires no concept: any positive one keeps an entry, a look-alike's does not.
LOOSE_TOPIC = parse_topic(
    """
name = "loose"
threshold = 0.5
[[concept]]
name = "corridor"
weight = 0.5
terms = { en = ["Zangezur*", "Lachin corridor"] }
[[concept]]
name = "elsewhere"
weight = 0.5
negative = true
terms = { en = ["Transnistria*"] }
"""
)


@pytest.mark.parametrize(
    "title, kept",
    [
        ("Talks on the Zangezur corridor resume in Moscow", True),
        ("Russian troops stay in Transnistria for now", False),
        ("Georgian parliament passes foreign agents law", False),
    ],
)
def test_could_be_on_a_topic_without_required_concepts(title, kept):
    assert could_be_on_topic(LOOSE_TOPIC, title=title, language="en") is kept
