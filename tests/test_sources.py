import pytest

from media_monitor.config.sources import DEFAULT_SOURCES, SourcesError, load_sources, parse_sources, select_outlets

GOOD = """
[[outlet]]
name = "oc_media"
title = "OC Media"
homepage = "https://oc-media.org/"
language = "en"
country = "GE"
timezone = "Asia/Tbilisi"
feeds = ["https://oc-media.org/feed/"]
sitemaps = []
"""


def test_the_documented_schema_is_accepted():
    (outlet,) = parse_sources(GOOD)
    assert outlet.name == "oc_media"
    assert outlet.feeds == ("https://oc-media.org/feed/",)
    assert outlet.domains == ["oc-media.org"]


def test_the_bundled_sources_file_is_valid():
    outlets = load_sources(DEFAULT_SOURCES)
    assert len(outlets) >= 5
    assert {o.language for o in outlets} >= {"en", "ru", "hy", "az"}


@pytest.mark.parametrize(
    "change, message",
    [
        (
            ('timezone = "Asia/Tbilisi"', 'timezone = "Asia/Tbilsi"'),
            "outlet 'oc_media' (#1), key 'timezone': 'Asia/Tbilsi' is not a known IANA timezone",
        ),
        (
            ('feeds = ["https://oc-media.org/feed/"]', "feeds = []"),
            "outlet 'oc_media' (#1), key 'feeds': an outlet needs at least one feed, sitemap or listing",
        ),
        (
            ('homepage = "https://oc-media.org/"', 'homepage = "oc-media.org"'),
            "outlet 'oc_media' (#1), key 'homepage': 'oc-media.org' is not an http(s) URL",
        ),
        (
            ('feeds = ["https://oc-media.org/feed/"]', 'feeds = ["ftp://oc-media.org/feed"]'),
            "key 'feeds': 'ftp://oc-media.org/feed' is not an http(s) URL",
        ),
        (('language = "en"', 'language = "english"'), "key 'language': 'english' is not an ISO 639-1 code"),
        (('name = "oc_media"', 'name = "OC Media"'), "key 'name': 'OC Media' must be snake_case"),
        (("sitemaps = []", "sitemap = []"), "outlet 'oc_media' (#1), key 'sitemap': is not a known key"),
        (('title = "OC Media"', ""), "outlet 'oc_media' (#1), key 'title': is required"),
        (
            ("sitemaps = []", 'sitemaps = []\nselectors = {published = "span..date"}'),
            "key 'selectors.published': CSS selector 'span..date' does not compile",
        ),
        (
            ("sitemaps = []", 'sitemaps = []\nselectors = {date = ".date"}'),
            "key 'selectors.date': is not a known key (known: title, published, authors, text)",
        ),
    ],
)
def test_bad_entries_name_the_outlet_and_key(change, message):
    with pytest.raises(SourcesError) as error:
        parse_sources(GOOD.replace(*change), origin="my.toml")
    assert message in str(error.value)
    assert str(error.value).startswith("my.toml: outlet ")


def test_selectors_are_read():
    (outlet,) = parse_sources(GOOD + 'selectors = {authors = ".byline a", published = "xpath://time/@datetime"}\n')
    assert dict(outlet.selectors) == {"authors": ".byline a", "published": "xpath://time/@datetime"}


def test_duplicate_names_are_refused():
    with pytest.raises(
        SourcesError, match="outlet 'oc_media' \\(#2\\), key 'name': 'oc_media' is used by an earlier outlet"
    ):
        parse_sources(GOOD + GOOD)


def test_not_toml_and_empty_files():
    with pytest.raises(SourcesError, match="not valid TOML"):
        parse_sources("[[outlet]\n")
    with pytest.raises(SourcesError, match="has no \\[\\[outlet\\]\\] tables"):
        parse_sources("")


def test_missing_file(tmp_path):
    with pytest.raises(SourcesError, match="cannot read sources file"):
        load_sources(tmp_path / "nope.toml")


LISTING = """
[[outlet.listings]]
url = "https://oc-media.org/tag/karabakh/page/{page}/"
links = "h3.entry-title a"
dates = "xpath://time/@datetime"
max_pages = 5
"""


def test_listings_are_read():
    (outlet,) = parse_sources(GOOD.replace('feeds = ["https://oc-media.org/feed/"]', "feeds = []") + LISTING)
    (listing,) = outlet.listings
    assert (listing.links, listing.dates, listing.max_pages, listing.first_page) == (
        "h3.entry-title a",
        "xpath://time/@datetime",
        5,
        1,
    )


@pytest.mark.parametrize(
    "change, message",
    [
        (
            ("/page/{page}/", "/page/2/"),
            "key 'listings #1.url': 'https://oc-media.org/tag/karabakh/page/2/' must be an http(s) URL with {page} or {date}",
        ),
        (('"h3.entry-title a"', '"h3..a"'), "key 'listings #1.links': CSS selector 'h3..a' does not compile"),
        (
            ('"xpath://time/@datetime"', '"xpath://time[@"'),
            "key 'listings #1.dates': XPath '//time[@' does not compile",
        ),
        (("max_pages = 5", "max_pages = 5\nstop = 1"), "key 'listings #1.stop': is not a known key"),
    ],
)
def test_bad_listings_name_the_key(change, message):
    with pytest.raises(SourcesError) as error:
        parse_sources(GOOD + LISTING.replace(*change))
    assert message in str(error.value)


def test_select_outlets_keeps_the_order_named_and_refuses_unknown_names():
    outlets = load_sources(DEFAULT_SOURCES)
    first, second = outlets[0].name, outlets[1].name
    assert select_outlets(outlets, [], DEFAULT_SOURCES) == outlets
    chosen = select_outlets(outlets, [second, first, second], DEFAULT_SOURCES)
    assert [o.name for o in chosen] == [second, first]
    with pytest.raises(SourcesError) as error:
        select_outlets(outlets, ["nosuch", first, "absent"], DEFAULT_SOURCES)
    assert str(error.value) == f"no outlet named absent, nosuch in {DEFAULT_SOURCES}"


@pytest.mark.parametrize(
    "text, message",
    [
        ("outlet = [1, 2]", "my.toml: outlet #1, key 'outlet': 1 is not an [[outlet]] table"),
        ("outlet = " + "[" * 3000 + "]" * 3000, "my.toml is not valid TOML: nested too deeply"),
        ("x = " + "{a = " * 3000 + "1" + "}" * 3000, "my.toml is not valid TOML: nested too deeply"),
        (
            GOOD.replace("https://oc-media.org/feed/", "http://[::1/feed"),
            "my.toml: outlet 'oc_media' (#1), key 'feeds': 'http://[::1/feed' is not an http(s) URL",
        ),
        (
            GOOD.replace("https://oc-media.org/feed/", "http://oc-media.org:99999/feed"),
            "key 'feeds': 'http://oc-media.org:99999/feed' is not an http(s) URL",
        ),
        (
            GOOD + LISTING + "date_format = 5\n",
            "my.toml: outlet 'oc_media' (#1), key 'listings #1.date_format': 5 must be a strptime format",
        ),
        (GOOD + LISTING + 'date_format = "Y-m-d"\n', "key 'listings #1.date_format': 'Y-m-d' must be a strptime"),
        (GOOD + LISTING.replace("max_pages = 5", "max_pages = true"), "key 'listings #1.max_pages': must be a whole"),
    ],
)
def test_malformed_files_end_in_a_message_naming_file_outlet_and_key(text, message):
    with pytest.raises(SourcesError) as error:
        parse_sources(text, origin="my.toml")
    assert message in str(error.value)


@pytest.mark.parametrize(
    "encoding, message",
    [
        ("utf-16", "the sources file is UTF-16 text; save it as UTF-8"),
        ("cp1251", "the sources file is not UTF-8 text (byte 0xce at offset 39); save it as UTF-8"),
        ("utf-8-sig", None),  # a byte order mark is fine
    ],
)
def test_a_file_not_in_utf8_is_refused_by_name(tmp_path, encoding, message):
    path = tmp_path / "my.toml"
    path.write_text(GOOD.replace("OC Media", "ОС Медиа"), encoding=encoding)
    if message is None:
        assert load_sources(path)[0].title == "ОС Медиа"
        return
    with pytest.raises(SourcesError) as error:
        load_sources(path)
    assert str(error.value).startswith(f"{path}: {message}")
