"""Headlines as printed: a kicker kept apart from the headline, a section's label left out,
invisible characters dropped (issue 18)."""

import lxml.html
import pytest

from media_monitor.extraction.headline import heading_text
from media_monitor.extraction.page import extract_page


def h1(markup: str) -> lxml.html.HtmlElement:
    return lxml.html.fragment_fromstring(markup)


@pytest.mark.parametrize(
    "markup, text",
    [
        # tagesschau.de's page head: the topline and the headline text as spans of the <h1>
        # (the classes as scrapers of the site read them: h1/span.seitenkopf__topline and
        # span.seitenkopf__headline--text, e.g. in r-sitsch/web_scraping and the tagesschau
        # spiders of the news_crawler projects), printed one above the other
        (
            '<h1 class="seitenkopf__headline"><span class="seitenkopf__topline">Ausschuss zur Ahrtal-Flut</span>'
            ' <span class="seitenkopf__headline--text">Zwei Rücktritte und viele offene Fragen</span></h1>',
            "Ausschuss zur Ahrtal-Flut: Zwei Rücktritte und viele offene Fragen",
        ),
        # a kicker glued to the headline, no class to say so: two parts nonetheless
        (
            "<h1><span>Nationale Demo</span><span>Der 9. Juli wird zum Protesttag</span></h1>",
            "Nationale Demo: Der 9. Juli wird zum Protesttag",
        ),
        # the page's own punctuation between them is kept
        (
            '<h1><span class="kicker">Bergkarabach |</span> <span>Die letzten Soldaten ziehen ab</span></h1>',
            "Bergkarabach | Die letzten Soldaten ziehen ab",
        ),
        ("<h1>Bergkarabach<br>Die letzten Soldaten ziehen ab</h1>", "Bergkarabach: Die letzten Soldaten ziehen ab"),
        # a section's or a format's label is no part of the headline
        (
            '<h1><span class="seitenkopf__label">Liveblog</span><span class="seitenkopf__topline">Krieg in Nahost</span>'
            '<span class="seitenkopf__headline--text">Waffenruhe hält</span></h1>',
            "Krieg in Nahost: Waffenruhe hält",
        ),
        (
            '<h1><a class="section-link section" href="/sport/premier-league">Premier League</a>'
            " <span>Rückschlag für Ten Hag</span></h1>",
            "Rückschlag für Ten Hag",
        ),
        # running text with emphasis stays as it is
        ("<h1>Peacekeepers <em>leave</em> Karabakh</h1>", "Peacekeepers leave Karabakh"),
        ('<h1><a href="/a">Peacekeepers leave Karabakh</a></h1>', "Peacekeepers leave Karabakh"),
        ("<h1><span>Peacekeepers</span> <span>leave Karabakh</span></h1>", "Peacekeepers leave Karabakh"),
        # soft hyphens and zero-width spaces
        ("<h1>Rück\u00adschlag für Ten\u200b Hag</h1>", "Rückschlag für Ten Hag"),
    ],
)
def test_heading_text(markup, text):
    assert heading_text(h1(markup)) == text


BODY = "<article>" + "<p>Russian peacekeepers continued their withdrawal from the region, officials said.</p>" * 6


def test_the_page_title_keeps_the_kicker_apart():
    html = (
        '<html><head><meta property="og:title" content="Zwei Rücktritte und viele offene Fragen"></head><body>'
        '<h1><span class="seitenkopf__topline">Ausschuss zur Ahrtal-Flut</span>'
        '<span class="seitenkopf__headline--text">Zwei Rücktritte und viele offene Fragen</span></h1>'
        f"{BODY}</article></body></html>"
    )
    assert extract_page(html, "https://www.tagesschau.de/inland/ahrtal-100.html")["title"] == (
        "Ausschuss zur Ahrtal-Flut: Zwei Rücktritte und viele offene Fragen"
    )


@pytest.mark.parametrize(
    "markup, text",
    [
        ('<h1><span class="icon"></span><span></span></h1>', ""),
        ("<h1><br><br></h1>", ""),
        ('<h1><img src="logo.png"><span class="sr-only">Site</span></h1>', "Site"),
    ],
)
def test_heading_without_text_parts(markup, text):
    assert heading_text(h1(markup)) == text
