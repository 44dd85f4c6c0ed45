import json

import pytest

from media_monitor.extraction.page import extract_page

BODY = (
    "<article>"
    + "".join(
        f"<p>Paragraph {n}: Russian peacekeepers continued their withdrawal from the Karabakh region today, officials said.</p>"
        for n in range(6)
    )
    + "</article>"
)


def page(head="", html_attrs=' lang="en"', body=BODY, heading=""):
    return f"<html{html_attrs}><head>{head}</head><body>{heading}{body}</body></html>"


def ld(**fields):
    return f'<script type="application/ld+json">{json.dumps({"@context": "https://schema.org", **fields})}</script>'


META = (
    '<meta property="og:title" content="OG title"><meta property="article:published_time" content="2024-04-17T10:00:00Z">'
    '<meta name="author" content="Meta Author"><meta property="og:locale" content="ru_RU">'
    "<title>Title tag | Site</title>"
)


@pytest.mark.parametrize(
    "head, attrs, field, expected",
    [
        # JSON-LD first
        (ld(**{"@type": "NewsArticle", "headline": "LD headline"}) + META, ' lang="en"', "title", "LD headline"),
        (
            ld(**{"@type": ["Article"], "datePublished": "2024-04-16T08:00:00+04:00"}) + META,
            "",
            "published_candidates",
            ["2024-04-16T08:00:00+04:00", "2024-04-17T10:00:00Z"],
        ),
        (
            ld(**{"@type": "NewsArticle", "author": [{"@type": "Person", "name": "Ann"}, "Bob"]}) + META,
            "",
            "authors",
            ["Ann", "Bob"],
        ),
        (ld(**{"@type": "NewsArticle", "inLanguage": "hy"}) + META, ' lang="en"', "declared_language", "hy"),
        # in a @graph, and ignoring non-article objects
        (
            ld(
                **{
                    "@graph": [
                        {"@type": "WebSite", "name": "Site"},
                        {"@type": "ReportageNewsArticle", "headline": "Graph"},
                    ]
                }
            ),
            "",
            "title",
            "Graph",
        ),
        # then OpenGraph / article:* meta
        (META, ' lang="en"', "title", "OG title"),
        (META, "", "authors", ["Meta Author"]),
        # the site's name in the author meta gives way to cXense's author meta
        (
            '<meta name="author" content="News Example"><meta property="cXenseParse:author" content="Lisa Petrich">',
            "",
            "authors",
            ["Lisa Petrich"],
        ),
        (META, ' lang="en"', "declared_language", "en"),  # <html lang> before og:locale
        (META, "", "declared_language", "ru_RU"),
        # then other tags
        ("<title>Title tag</title>", "", "title", "Title tag"),
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


@pytest.mark.parametrize(
    "head, url, expected",
    [
        # the URL's day is fixed at publication: the candidate that agrees with it goes first
        (
            '<meta property="article:published_time" content="2024-05-02T10:00:00+04:00">'
            '<meta name="date" content="2024-04-17T14:05:00+04:00">',
            "https://news.example/2024/04/17/story",
            "2024-04-17T14:05:00+04:00",
        ),
        # every page date is later than the URL's day: they are updates, the URL's day goes first
        (
            '<meta property="article:published_time" content="2024-05-02T10:00:00+04:00">',
            "https://news.example/2024/4/17/story",
            "url:2024-04-17",
        ),
        # a page date earlier than the URL's day: the page's own order stands
        (
            '<meta property="article:published_time" content="2024-04-10T10:00:00+04:00">',
            "https://news.example/2024/4/17/story",
            "2024-04-10T10:00:00+04:00",
        ),
        # the candidate on the URL's very day beats one a day off
        (
            '<meta property="article:published_time" content="2023-11-09T05:30:59Z">'
            '<meta name="date" content="2023-11-08 23:30:59">',
            "https://news.example/2023/11/08/story",
            "2023-11-08 23:30:59",
        ),
        # an offset may put the same moment on the previous or next day in UTC
        (
            '<meta property="article:published_time" content="2024-04-16T22:00:00Z">',
            "https://news.example/2024/04/17/story",
            "2024-04-16T22:00:00Z",
        ),
    ],
)
def test_url_date_settles_disagreeing_candidates(head, url, expected):
    assert extract_page(page(head), url)["published_candidates"][0] == expected


@pytest.mark.parametrize(
    "head, h1, expected",
    [
        (
            '<meta property="og:title" content="Peacekeepers leave Karabakh | News Example">',
            "",
            "Peacekeepers leave Karabakh",
        ),
        (
            '<meta property="og:title" content="News Example - Peacekeepers leave Karabakh">',
            "",
            "Peacekeepers leave Karabakh",
        ),
        (
            '<meta property="og:title" content="Peacekeepers leave Karabakh - Daily Wire">',
            "Peacekeepers leave Karabakh",
            "Peacekeepers leave Karabakh",
        ),
        ('<meta property="og:title" content="News Example">', "Peacekeepers leave", "Peacekeepers leave"),
        ('<meta property="og:title" content="News Example">', "", None),
        # a title that merely contains a dash keeps it
        ('<meta property="og:title" content="Baku - Moscow talks end">', "", "Baku - Moscow talks end"),
    ],
)
def test_site_name_is_not_part_of_the_title(head, h1, expected):
    html = f'<html lang="en"><head>{head}</head><body>{f"<h1>{h1}</h1>" if h1 else ""}{BODY}</body></html>'
    assert extract_page(html, "https://www.news-example.com/a")["title"] == expected


def test_author_that_is_the_site_or_a_byline_prefix():
    head = (
        ld(**{"@type": "NewsArticle", "author": {"@type": "Organization", "name": "News Example"}})
        + '<meta name="author" content="By Ann Smith">'
    )
    assert extract_page(page(head), "https://news-example.com/a")["authors"] == ["Ann Smith"]


@pytest.mark.parametrize(
    "head, headings, expected",
    [
        # the heading the page's own titles name is the headline, as printed (case, quotes)
        (
            '<meta property="og:title" content="Peacekeepers Leave Karabakh\'s Towns - News Example">',
            "<h1>Menu</h1><h2>Peacekeepers leave Karabakh’s towns</h2>",
            "Peacekeepers leave Karabakh’s towns",
        ),
        # 'Site » Blog Archive » Headline' and a logo heading that is the site's name
        (
            "<title>News Example » Archive » Convoys cross the Lachin road</title>",
            "<h1>News Example</h1><h2>Convoys cross the Lachin road</h2>",
            "Convoys cross the Lachin road",
        ),
        # the page's only <h1> rather than a title worded for search engines
        (
            '<meta property="og:title" content="Russia completes withdrawal | News Example">',
            "<h1>Last Russian peacekeepers leave Karabakh</h1>",
            "Last Russian peacekeepers leave Karabakh",
        ),
        # several unrelated <h1> (menus, sections): the metadata title
        (
            '<meta property="og:title" content="Russia completes withdrawal | News Example">',
            "<h1>Sections</h1><h1>Most read today</h1>",
            "Russia completes withdrawal",
        ),
        # a one-word <h1> is a section, not a headline
        ("<title>Convoys cross the Lachin road</title>", "<h1>Politics</h1>", "Convoys cross the Lachin road"),
    ],
)
def test_headline_as_printed(head, headings, expected):
    html = page(head, heading=headings)
    assert extract_page(html, "https://www.news-example.com/a")["title"] == expected


LEAD = (
    "The last Russian peacekeepers left Karabakh on Wednesday, closing a mission that began in "
    "November 2020, the defence ministry said."
)


@pytest.mark.parametrize(
    "block, kept",
    [
        # the standfirst under the headline, which the main-text extractor drops
        (f'<header><h1>Peacekeepers leave Karabakh</h1><div class="article-lead">{LEAD}</div></header>', True),
        (f'<header><h1>Peacekeepers leave Karabakh</h1><p class="post-excerpt">{LEAD}</p></header>', True),
        # a lead block holding a picture: the lead is the text element inside it
        (
            f'<header><h1>Peacekeepers leave Karabakh</h1><div class="article-intro"><img src="p.jpg">'
            f'<div class="text-intro">{LEAD}</div></div></header>',
            True,
        ),
        # a teaser of another article far from the headline, a caption, a list of links: not a lead
        (
            f"<header><h1>Peacekeepers leave Karabakh</h1></header><main><div><section><div><aside>"
            f'<div class="teaser">{LEAD}</div></aside></div></section></div></main>',
            False,
        ),
        (
            f'<header><h1>Peacekeepers leave Karabakh</h1><figure><figcaption class="lead">{LEAD}</figcaption></figure></header>',
            False,
        ),
        (
            f'<header><h1>Peacekeepers leave Karabakh</h1><div class="intro"><a href="/x">{LEAD}</a></div></header>',
            False,
        ),
        # the blurb of an author widget in the sidebar
        (
            f'<div><header><h1>Peacekeepers leave Karabakh</h1></header><aside class="sidebar">'
            f'<p class="author-intro">{LEAD}</p></aside></div>',
            False,
        ),
    ],
)
def test_lead_under_the_headline_opens_the_text(block, kept):
    html = page('<meta property="og:title" content="Peacekeepers leave Karabakh">', heading=block)
    text = extract_page(html, "https://news.example/a")["text"]
    assert text.startswith(LEAD) == kept
    assert "Paragraph 5" in text


def test_a_lead_already_in_the_text_ends_the_search():
    # the standfirst repeats the first paragraph; the teasers' summaries below are not leads
    first = (
        "Paragraph 0: Russian peacekeepers continued their withdrawal from the Karabakh region today, officials said."
    )
    heading = (
        f'<header><h1>Peacekeepers leave Karabakh</h1><p class="standfirst">{first}</p></header>'
        f'<section class="related"><ul><li><p class="teaser__summary">{LEAD}</p></li></ul></section>'
    )
    html = page('<meta property="og:title" content="Peacekeepers leave Karabakh">', heading=heading)
    assert extract_page(html, "https://news.example/a")["text"].startswith(first)


def test_lead_on_a_page_whose_body_class_names_sidebars():
    # Drupal's <body class="no-sidebars"> describes the layout; the lead is not in a sidebar
    html = page(
        '<meta property="og:title" content="Peacekeepers leave Karabakh">',
        heading=f'<header><h1>Peacekeepers leave Karabakh</h1><div class="lead">{LEAD}</div></header>',
    )
    html = html.replace("<body>", '<body class="html no-sidebars page-node">')
    assert extract_page(html, "https://news.example/a")["text"].startswith(LEAD)


OUTLET_PAGE = (
    '<html lang="hy"><head><title>Ռուս խաղաղապահները հեռանում են</title></head><body>'
    '<h1>Ռուս խաղաղապահները հեռանում են</h1><p class="meta"><b>Անահիտ Մկրտչյան</b> '
    '<span class="when">17.04.2024 18:30</span></p>' + BODY + "</body></html>"
)


@pytest.mark.parametrize(
    "selectors, field, expected",
    [
        # without them, the byline in an unmarked element is not found, and the date only
        # by the text search, to the day
        ({}, "authors", []),
        ({}, "published_candidates", ["2024-04-17"]),
        ({"authors": ".meta b"}, "authors", ["Անահիտ Մկրտչյան"]),
        (
            {"published": "xpath://span[@class='when']/text()"},
            "published_candidates",
            ["17.04.2024 18:30", "2024-04-17"],
        ),
        (
            {"text": "article p:nth-child(-n+2)"},
            "text",
            "Paragraph 0: Russian peacekeepers continued their "
            "withdrawal from the Karabakh region today, officials said.\nParagraph 1: Russian peacekeepers "
            "continued their withdrawal from the Karabakh region today, officials said.",
        ),
    ],
)
def test_outlet_selectors(selectors, field, expected):
    assert extract_page(OUTLET_PAGE, "https://news.example/a", selectors)[field] == expected


def test_outlet_selectors_come_after_structured_data():
    head = ld(**{"@type": "NewsArticle", "datePublished": "2024-04-17T18:30:00+04:00", "author": "Ann Smith"})
    page_ = OUTLET_PAGE.replace("<head>", f"<head>{head}")
    found = extract_page(page_, "https://news.example/a", {"authors": ".meta b", "published": ".when"})
    assert found["authors"] == ["Ann Smith"]
    assert found["published_candidates"][:2] == ["2024-04-17T18:30:00+04:00", "17.04.2024 18:30"]


@pytest.mark.parametrize(
    "h1",
    [
        '<h1><a href="/">Caucasus Daily News Service</a></h1>',  # a logo linking home
        "<h1>News Example Armenian Edition</h1>",  # the site's name in it
    ],
)
def test_a_logo_h1_is_not_the_headline(h1):
    html = page('<meta property="og:title" content="Convoys cross the Lachin road">', heading=h1)
    assert extract_page(html, "https://www.news-example.com/a")["title"] == "Convoys cross the Lachin road"


@pytest.mark.parametrize(
    "element, timezone, utc",
    [
        # the forms the region's outlets print (../shared/outlets-research.md), found in the
        # page's date element and read in the outlet's timezone
        ('<span class="date">10:37, 17 April 2024</span>', "Asia/Yerevan", "2024-04-17T06:37:00Z"),
        (
            '<div class="meta">Posted on <time>October 7, 2023 - 15:44 AMT</time></div>',
            "Asia/Yerevan",
            "2023-10-07T11:44:00Z",
        ),
        ('<p class="news-date">6 Dekabr 2025 15:49 (UTC +04:00)</p>', "Asia/Baku", "2025-12-06T11:49:00Z"),
        ('<span class="date">Tarix: 12-06-2024, 16:55</span>', "Asia/Baku", "2024-06-12T12:55:00Z"),
        ('<li><i class="fa fa-calendar"></i> 13:35 2 may 2023</li>', "Asia/Baku", "2023-05-02T09:35:00Z"),
        ('<span class="article-date">23 апреля 2024, 08:07</span>', "Europe/Moscow", "2024-04-23T05:07:00Z"),
        ('<p class="dateline">ԵՐԵՎԱՆ, <time>17 ապրիլի 2024, 18:30</time></p>', "Asia/Yerevan", "2024-04-17T14:30:00Z"),
        # no element of its own: the date on the byline's line, then the text's own words
        (
            '<span class="-meta">Par <span class="vcard author"><a href="/a/llc">Loïc Le Clerc</a></span> | '
            "30 septembre 2018</span>",
            "Europe/Paris",
            "2018-09-29T22:00:00Z",
        ),
        (
            "<p>This entry was posted on Wednesday, May 19th, 2010 at 11:03 pm and is filed under Books.</p>",
            "Europe/Berlin",
            "2010-05-19T21:03:00Z",
        ),
        ("<p>Dieser Artikel wurde am 19. Mai 2010 um 23:03 Uhr gepostet.</p>", "Europe/Berlin", "2010-05-19T21:03:00Z"),
        (
            "<p>Ein Bild vom 09.03.2016.</p><div>Letzte Änderung: 14.01.2022 um 09:25</div>",
            "Europe/Zurich",
            "2022-01-14T08:25:00Z",
        ),
        ("<p>Last updated 04 Jun 2020.</p><p>Published on 17 June 2019.</p>", "UTC", "2019-06-17T00:00:00Z"),
    ],
)
def test_printed_dates_to_utc(element, timezone, utc):
    from media_monitor.normalise.article import normalise_article

    url = "https://news.example/politics/article-12345"
    raw = {**extract_page(page(heading=element), url), "url": url, "fetched_at": "2026-01-01T00:00:00+00:00"}
    record, _ = normalise_article(raw, timezone, None)
    assert record["published_at"] == utc


def test_a_comment_posted_on_a_day_does_not_date_the_article():
    heading = '<h1>Convoys cross the Lachin road</h1><div class="comments"><p>Posted on 3 May 2020 by Ann</p></div>'
    assert "3 May 2020" not in extract_page(page(heading=heading), "https://news.example/a")["published_candidates"]


def test_a_date_in_the_site_header_or_a_teaser_list_does_not_date_the_article():
    heading = (
        '<div class="site-header"><span class="date">Friday, 27 November 2026</span></div>'
        '<aside><ul class="related"><li><span class="date">12.06.2024 10:00</span></li></ul></aside>'
        '<h1>Convoys cross the Lachin road</h1><p class="post-date">17.04.2024 14:05</p>'
    )
    assert (
        extract_page(page(heading=heading), "https://news.example/a")["published_candidates"][0] == "17.04.2024 14:05"
    )


# Dates that are not the page's: a teaser's, a related list's, an aside's, and a change's. The
# related-stories markup is WordPress's (Jetpack's "jp-relatedposts", themes' "related-posts"),
# the updated time a WordPress theme's (<time class="updated">, beside "entry-date published").
@pytest.mark.parametrize(
    "heading, expected",
    [
        (
            '<time class="entry-date published" datetime="2012-03-05T09:00:00+00:00">5 March 2012</time>'
            '<time class="updated" datetime="2026-01-10T08:00:00+00:00">10 January 2026</time>',
            ["2012-03-05T09:00:00+00:00"],
        ),
        (
            '<time class="updated" datetime="2026-01-10T08:00:00+00:00">10 January 2026</time>'
            '<time datetime="2012-03-05T09:00:00+00:00">5 March 2012</time>',
            ["2012-03-05T09:00:00+00:00"],
        ),
        (
            '<time itemprop="dateModified" datetime="2026-01-10T08:00:00Z">10 January 2026</time>'
            '<time datetime="2012-03-05T09:00:00Z">5 March 2012</time>',
            ["2012-03-05T09:00:00Z"],
        ),
        (
            '<div id="jp-relatedposts" class="jp-relatedposts"><h3>Related</h3>'
            '<time datetime="2024-01-02T10:00:00Z">2 January 2024</time></div>'
            '<time datetime="2024-04-17T10:00:00Z">17 April 2024</time>',
            ["2024-04-17T10:00:00Z"],
        ),
        (
            '<aside><time datetime="2024-01-02T10:00:00Z">2 January 2024</time></aside>'
            '<div class="promo-card"><time datetime="2024-01-03T10:00:00Z">3 January 2024</time></div>'
            '<time datetime="2024-04-17T10:00:00Z">17 April 2024</time>',
            ["2024-04-17T10:00:00Z"],
        ),
    ],
)
def test_only_the_pages_own_time_dates_it(heading, expected):
    found = extract_page(page(html_attrs="", heading=heading), "https://news.example/a")["published_candidates"]
    assert found[:1] == expected
