"""URL canonicalisation and keys: each row one spelling, what it becomes or what it equals."""

import pytest

from media_monitor.normalise.urls import canonicalise_url, choose_canonical, site_of, url_key


@pytest.mark.parametrize(
    "url, expected",
    [
        ("HTTPS://Example.COM/News/Story", "https://example.com/News/Story"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com", "https://example.com/"),
        ("https://example.com/a?utm_source=rss&utm_medium=feed&id=7", "https://example.com/a?id=7"),
        ("https://example.com/a?fbclid=X&gclid=Y&yclid=Z&_ga=1&mc_cid=2", "https://example.com/a"),
        ("https://example.com/a?page=2&UTM_Campaign=x", "https://example.com/a?page=2"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?b=2&a=1"),
        ("  https://example.com/a  ", "https://example.com/a"),
        # IPv6 host: its brackets stay, apart from the port
        ("https://[2001:db8::1]:8443/a", "https://[2001:db8::1]:8443/a"),
        ("https://[2001:DB8::1]:443/a#x", "https://[2001:db8::1]/a"),
        # unsafe characters percent-encoded, as UTF-8
        ("https://example.com/a b?q=a b", "https://example.com/a%20b?q=a+b"),
        ("https://x.example/мир?q=мир", "https://x.example/%D0%BC%D0%B8%D1%80?q=%D0%BC%D0%B8%D1%80"),
        ("https://example.com/{page}", "https://example.com/%7Bpage%7D"),
        # an international host in punycode, the spelling Scrapy fetches
        ("https://ПРИМЕР.рф/a", "https://xn--e1afmkfd.xn--p1ai/a"),
    ],
)
def test_canonicalise_url(url, expected):
    assert canonicalise_url(url) == expected


@pytest.mark.parametrize(
    "fetched, canonical_link, og_url, expected",
    [
        # AMP copy pointing to the article on the same site
        ("https://news.example/amp/story", "https://news.example/story", None, "https://news.example/story"),
        # relative canonical
        ("https://news.example/story?utm_source=x", "/story", None, "https://news.example/story"),
        # www. and m. hosts are the same site
        ("https://m.news.example/story", "https://www.news.example/story", None, "https://www.news.example/story"),
        # a canonical on another site (syndication) is ignored
        ("https://copy.example/story", "https://wire.example/original", None, "https://copy.example/story"),
        # no rel=canonical: og:url on the same site
        ("https://news.example/story?x=1", None, "https://news.example/story", "https://news.example/story"),
        # nothing declared
        ("https://news.example/story#top", None, None, "https://news.example/story"),
        # a non-web canonical is ignored
        ("https://news.example/story", "javascript:void(0)", None, "https://news.example/story"),
        # a canonical with the unicode spelling of the punycode host fetched is on the same site
        ("https://xn--e1afmkfd.xn--p1ai/amp/a", "https://пример.рф/a", None, "https://xn--e1afmkfd.xn--p1ai/a"),
    ],
)
def test_choose_canonical(fetched, canonical_link, og_url, expected):
    assert choose_canonical(fetched, canonical_link, og_url) == expected


@pytest.mark.parametrize(
    "url, site",
    [
        ("https://www.apa.az/x", "apa.az"),
        ("https://m.apa.az/x", "apa.az"),
        ("https://amp.example.com/", "example.com"),
        ("https://en.apa.az/", "en.apa.az"),
        ("https://www.пример.рф/x", "xn--e1afmkfd.xn--p1ai"),
        ("https://m.xn--e1afmkfd.xn--p1ai/x", "xn--e1afmkfd.xn--p1ai"),
        ("https://[2001:db8::1]:8443/a", "2001:db8::1"),
        ("http://example.com:port/a", "example.com"),  # a port w3lib refuses: still the host
    ],
)
def test_site_of(url, site):
    assert site_of(url) == site


KEY = "news.example/world/story"


@pytest.mark.parametrize(
    "url",
    [
        "https://news.example/world/story",
        "http://news.example/world/story",  # http/https
        "https://www.news.example/world/story",  # www.
        "https://m.news.example/world/story",  # m.
        "https://mobile.news.example/world/story",  # mobile.
        "https://amp.news.example/world/story",  # amp. host
        "https://news.example/amp/world/story",  # /amp/ prefix
        "https://news.example/world/story/amp/",  # /amp suffix
        "https://news.example/world/story?amp=1",  # ?amp=1
        "https://news.example/world/story?outputType=amp",  # outputType=amp
        "https://news.example/world/story/",  # trailing slash
        "https://news.example/world/story/index.html",  # index page
        "https://news.example:443/world/story",  # default port
        "https://news.example/world/story?utm_source=x&fbclid=y",  # tracking
        "https://news.example/world/story;jsessionid=ABC123",  # session in the path
        "https://NEWS.example/world/story#comments",  # host case, fragment
    ],
)
def test_url_key_folds_every_spelling_of_one_page(url):
    assert url_key(url) == KEY


@pytest.mark.parametrize(
    "url, key",
    [
        ("https://[2001:db8::1]:8443/a/", "[2001:db8::1]:8443/a"),
        ("https://x.example/a b/", "x.example/a%20b"),
        ("https://x.example/мир?q=мир", "x.example/%D0%BC%D0%B8%D1%80?q=%D0%BC%D0%B8%D1%80"),
        ("https://www.пример.рф/a", "xn--e1afmkfd.xn--p1ai/a"),
    ],
)
def test_url_key(url, key):
    assert url_key(url) == key


@pytest.mark.parametrize(
    "a, b",
    [
        ("https://x.example/a?b=2&a=1", "https://x.example/a?a=1&b=2"),  # parameter order
        ("https://x.example/%D0%BC%D0%B8%D1%80", "https://x.example/%d0%bc%d0%b8%d1%80"),  # escape case
        ("https://x.example/%D0%BC%D0%B8%D1%80", "https://x.example/мир"),  # escaped or not
        ("https://x.example/?q=%D0%BC%D0%B8%D1%80", "https://x.example/?q=мир"),  # in the query too
        ("https://x.example/a%20b", "https://x.example/a b"),
        ("https://пример.рф/a", "https://xn--e1afmkfd.xn--p1ai/a"),  # international host, two spellings
        ("https://[2001:db8::1]:8443/a", "http://[2001:DB8::1]:8443/a/"),
    ],
)
def test_url_key_equal(a, b):
    assert url_key(a) == url_key(b)


@pytest.mark.parametrize(
    "a, b",
    [
        ("https://x.example/a", "https://x.example/b"),
        ("https://x.example/a?id=1", "https://x.example/a?id=2"),  # a real parameter stays
        ("https://en.x.example/a", "https://ru.x.example/a"),  # language editions differ
        ("https://x.example/example/a", "https://x.example/a"),  # only the "amp" segment goes
        ("https://[2001:db8::1]:8443/a", "https://[2001:db8::1:8443]/a"),  # an IPv6 port is no part of the host
        # escapes that are not UTF-8 (cp1251 "при", "мир") keep their bytes, not one replacement character
        ("https://x.example/%EF%F0%E8", "https://x.example/%EC%E8%F0"),
        ("https://x.example/?q=%EF%F0%E8", "https://x.example/?q=%EC%E8%F0"),
    ],
)
def test_url_key_different(a, b):
    assert url_key(a) != url_key(b)
