"""The generated site's article pages (``media_monitor.samplesite.generated``) extract exactly: the
scale-out tests and the crawl benchmark count on every article being kept and stored whole."""

import pytest

from media_monitor.extraction.page import extract_page
from media_monitor.samplesite.generated import REPORTERS, article, article_html, title


@pytest.mark.parametrize("n", [0, 1, 17, 123, 4999])
def test_an_article_page_extracts_exactly(n):
    url = f"http://127.0.0.1:8000/a/{n}.html"
    headline, published, text = article(n)
    found = extract_page(article_html("http://127.0.0.1:8000", n), url)
    assert found["title"] == headline
    assert found["published_candidates"][0] == published
    assert len(found["authors"]) == 1 and found["authors"][0] in REPORTERS
    assert found["text"] == text  # every paragraph, nothing of the teasers, menus or read-also box


def test_pages_have_the_shape_of_real_news_pages():
    # the 204 real pages in trafilatura's test set, median (quartiles): 78 KB (51-115),
    # 637 elements (432-851), 107 <div>s (63-168), deepest element 16 levels down (13-18)
    import lxml.html

    tree = lxml.html.document_fromstring(article_html("http://127.0.0.1:8000", 7))
    elements = list(tree.iter())
    assert 70_000 <= len(article_html("http://127.0.0.1:8000", 7)) <= 90_000
    assert 500 <= len(elements) <= 800
    assert sum(e.tag == "div" for e in elements) >= 80
    assert max(len(list(e.iterancestors())) for e in elements) >= 14
    assert title(7) != title(8)
