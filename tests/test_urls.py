import pytest

from scraper.normalise.urls import canonicalise_url, choose_canonical, site_of


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
    ],
)
def test_choose_canonical(fetched, canonical_link, og_url, expected):
    assert choose_canonical(fetched, canonical_link, og_url) == expected


@pytest.mark.parametrize(
    "url, site",
    [("https://www.apa.az/x", "apa.az"), ("https://m.apa.az/x", "apa.az"),
     ("https://amp.example.com/", "example.com"), ("https://en.apa.az/", "en.apa.az")],
)
def test_site_of(url, site):
    assert site_of(url) == site
