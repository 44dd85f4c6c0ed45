"""The head of a feed (media_monitor.crawling.feedhead): its first entries, as a whole document."""

import feedparser
import pytest

from media_monitor.crawling.feedhead import feed_head

RSS = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>t</title>{}</channel></rss>',
    "<item><title>{n}</title><link>https://x.example/{n}</link></item>",
)
ATOM = (
    '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>t</title>{}</feed>',
    '<entry><title>{n}</title><link href="https://x.example/{n}"/><id>{n}</id></entry>',
)
RDF = (
    '<?xml version="1.0"?><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" '
    'xmlns="http://purl.org/rss/1.0/"><channel rdf:about="x"><title>t</title></channel>{}</rdf:RDF>',
    '<item rdf:about="https://x.example/{n}"><title>{n}</title><link>https://x.example/{n}</link></item>',
)
PREFIXED = (
    '<?xml version="1.0"?><a:feed xmlns:a="http://www.w3.org/2005/Atom"><a:title>t</a:title>{}</a:feed>',
    '<a:entry><a:title>{n}</a:title><a:link href="https://x.example/{n}"/><a:id>{n}</a:id></a:entry>',
)


def feed(kind, count: int) -> bytes:
    document, entry = kind
    return document.format("".join(entry.format(n=n) for n in range(count))).encode()


@pytest.mark.parametrize("kind", [RSS, ATOM, RDF, PREFIXED], ids=["rss", "atom", "rdf", "prefixed atom"])
@pytest.mark.parametrize(("count", "limit", "beyond"), [(50, 10, 40), (10, 10, 0), (3, 10, 0)])
def test_the_head_parses_whole_and_holds_the_first_entries(kind, count, limit, beyond):
    body, left_out = feed_head(feed(kind, count), limit)
    parsed = feedparser.parse(body)
    assert left_out == beyond
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert [entry.title for entry in parsed.entries] == [str(n) for n in range(min(count, limit))]


def test_not_a_feed_is_left_as_it_is():
    page = b"<html><body>" + b"<item>x</item>" * 20 + b"</body></html>"
    assert feed_head(page, 5) == (page, 0)
