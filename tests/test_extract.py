import json

import pytest

from scraper.extract import extract_page

BODY = "<article>" + "".join(
    f"<p>Paragraph {n}: Russian peacekeepers continued their withdrawal from the Karabakh region today, officials said.</p>"
    for n in range(6)) + "</article>"


def page(head="", html_attrs=' lang="en"', body=BODY):
    return f"<html{html_attrs}><head>{head}</head><body><h1>Heading in page</h1>{body}</body></html>"


def ld(**fields):
    return f'<script type="application/ld+json">{json.dumps({"@context": "https://schema.org", **fields})}</script>'


META = ('<meta property="og:title" content="OG title"><meta property="article:published_time" content="2024-04-17T10:00:00Z">'
        '<meta name="author" content="Meta Author"><meta property="og:locale" content="ru_RU">'
        '<title>Title tag | Site</title>')


@pytest.mark.parametrize(
    "head, attrs, field, expected",
    [
        # JSON-LD first
        (ld(**{"@type": "NewsArticle", "headline": "LD headline"}) + META, ' lang="en"', "title", "LD headline"),
        (ld(**{"@type": ["Article"], "datePublished": "2024-04-16T08:00:00+04:00"}) + META, "", "published_candidates",
         ["2024-04-16T08:00:00+04:00", "2024-04-17T10:00:00Z"]),
        (ld(**{"@type": "NewsArticle", "author": [{"@type": "Person", "name": "Ann"}, "Bob"]}) + META, "", "authors", ["Ann", "Bob"]),
        (ld(**{"@type": "NewsArticle", "inLanguage": "hy"}) + META, ' lang="en"', "declared_language", "hy"),
        # in a @graph, and ignoring non-article objects
        (ld(**{"@graph": [{"@type": "WebSite", "name": "Site"}, {"@type": "ReportageNews", "headline": "Graph"}]}), "",
         "title", "Graph"),
        # then OpenGraph / article:* meta
        (META, ' lang="en"', "title", "OG title"),
        (META, "", "authors", ["Meta Author"]),
        (META, ' lang="en"', "declared_language", "en"),  # <html lang> before og:locale
        (META, "", "declared_language", "ru_RU"),
        # then other tags
        ("<title>Title tag</title>", "", "title", "Heading in page"),
        ('<link rel="canonical" href="/canonical">', "", "canonical_link", "/canonical"),
        ('<script type="application/ld+json">{broken</script>' + META, "", "title", "OG title"),
        ("", "", "published_candidates", []),
    ],
)
def test_signals_in_order_of_trust(head, attrs, field, expected):
    assert extract_page(page(head, attrs), "https://news.example/a")[field] == expected


def test_main_text_without_boilerplate():
    html = page(META, body="<nav>Home | World | Sport</nav>" + BODY + "<footer>© Site. Cookie policy.</footer>")
    text = extract_page(html, "https://news.example/a")["text"]
    assert "Paragraph 0" in text and "Paragraph 5" in text
    assert "Cookie policy" not in text


def test_time_element_is_a_last_resort():
    html = page(body='<time datetime="2024-04-17T09:00:00+04:00">17 April</time>' + BODY)
    assert extract_page(html, "https://news.example/a")["published_candidates"] == ["2024-04-17T09:00:00+04:00"]


def test_unparseable_document():
    assert extract_page("", "https://news.example/a")["text"] == ""
