"""The schema.org article types: each read from a page's JSON-LD, in every form pages write."""

import json

import pytest

from media_monitor.extraction.page import extract_page
from media_monitor.extraction.schematypes import ARTICLE_TYPES, is_article, type_name

BODY = (
    "<article>"
    + "<p>Peacekeepers left the region on Tuesday, officials said in a statement today.</p>" * 6
    + "</article>"
)


def page_with(json_ld: dict) -> str:
    script = f'<script type="application/ld+json">{json.dumps(json_ld)}</script>'
    return f"<html><head>{script}<title>Other title</title></head><body>{BODY}</body></html>"


# schema.org's Article and every type under it (https://schema.org/Article, followed down).
SCHEMA_ORG_ARTICLE_TYPES = [
    "Article",
    "AdvertiserContentArticle",
    "NewsArticle",
    "AnalysisNewsArticle",
    "AskPublicNewsArticle",
    "BackgroundNewsArticle",
    "OpinionNewsArticle",
    "ReportageNewsArticle",
    "ReviewNewsArticle",
    "Report",
    "SatiricalArticle",
    "ScholarlyArticle",
    "MedicalScholarlyArticle",
    "SocialMediaPosting",
    "BlogPosting",
    "LiveBlogPosting",
    "DiscussionForumPosting",
    "TechArticle",
    "APIReference",
]


@pytest.mark.parametrize("kind", SCHEMA_ORG_ARTICLE_TYPES)
def test_each_article_type_gives_its_headline_authors_and_date(kind):
    values = extract_page(
        page_with(
            {
                "@context": "https://schema.org",
                "@type": kind,
                "headline": f"A {kind} headline",
                "datePublished": "2012-03-04T18:58:43Z",
                "author": {"@type": "Person", "name": "Ann Lee"},
            }
        ),
        "https://news.example/a",
    )
    assert (values["title"], values["authors"], values["published_candidates"][0]) == (
        f"A {kind} headline",
        ["Ann Lee"],
        "2012-03-04T18:58:43Z",
    )


def test_the_list_is_schema_orgs():
    assert set(SCHEMA_ORG_ARTICLE_TYPES) == ARTICLE_TYPES


@pytest.mark.parametrize(
    "node, expected",
    [
        ({"@type": "ReportageNewsArticle"}, True),
        ({"@type": "ReportageNews"}, False),  # no schema.org type: the misspelling the issue found
        ({"@type": ["WebPage", "NewsArticle"]}, True),
        ({"@type": "https://schema.org/NewsArticle"}, True),
        ({"@type": "http://schema.org/OpinionNewsArticle"}, True),
        ({"@type": "schema:BlogPosting"}, True),
        ({"@type": "WebPage"}, False),
        ({"@type": "NewsMediaOrganization"}, False),
        ({}, False),
    ],
)
def test_is_article(node, expected):
    assert is_article(node) is expected


@pytest.mark.parametrize(
    "value, expected",
    [("NewsArticle", "NewsArticle"), ("https://schema.org/Report", "Report"), (" schema:Article ", "Article")],
)
def test_type_name(value, expected):
    assert type_name(value) == expected


# From bbc/simorgh, the Pidgin article page's test (pathname /pidgin/tori-51745682): the
# linkedData BBC World Service pages carry, a ReportageNewsArticle (trimmed: image and about).
BBC_PIDGIN = {
    "@context": "http://schema.org",
    "@type": "ReportageNewsArticle",
    "url": "http://localhost:7080/pidgin/tori-51745682",
    "publisher": {"@type": "NewsMediaOrganization", "name": "BBC News Pidgin"},
    "mainEntityOfPage": {
        "@type": "WebPage",
        "@id": "http://localhost:7080/pidgin/tori-51745682",
        "name": "Adams Oshiomhole say 'I still be APC National Chairman'",
    },
    "headline": "Adams Oshiomhole say 'I still be APC National Chairman'",
    "description": "Oga Oshiomhole don cari di mata go Court of Appeal.",
    "datePublished": "2020-03-04T18:58:43.000Z",
    "dateModified": "2020-03-04T19:27:57.000Z",
    "author": {"@type": "NewsMediaOrganization", "name": "BBC News Pidgin"},
}


def test_a_bbc_reportage_news_article():
    html = page_with(BBC_PIDGIN).replace(
        "<body>", '<body><time datetime="2026-01-02T10:00:00Z">2 January 2026</time>', 1
    )
    values = extract_page(html, "https://www.bbc.com/pidgin/tori-51745682")
    assert values["title"] == "Adams Oshiomhole say 'I still be APC National Chairman'"
    # the publication time, not the <time> a kept-up-to-date page prints
    assert values["published_candidates"][0] == "2020-03-04T18:58:43.000Z"
    assert values["modified_raw"] == "2020-03-04T19:27:57.000Z"
    assert values["description"] == "Oga Oshiomhole don cari di mata go Court of Appeal."


@pytest.mark.parametrize(
    "json_ld",
    [
        {"@context": "https://schema.org", "@graph": [{"@type": "WebSite", "name": "Site"}, BBC_PIDGIN]},
        {"@context": "https://schema.org", "@type": "WebPage", "mainEntity": BBC_PIDGIN},
        {"@context": "https://schema.org", "@type": "WebPage", "mainEntity": [{"@type": "Thing"}, BBC_PIDGIN]},
        [{"@type": "BreadcrumbList"}, BBC_PIDGIN],
    ],
    ids=["graph", "mainEntity", "mainEntity list", "top-level list"],
)
def test_the_article_inside_a_graph_or_a_main_entity(json_ld):
    values = extract_page(page_with(json_ld), "https://www.bbc.com/pidgin/tori-51745682")
    assert values["title"] == "Adams Oshiomhole say 'I still be APC National Chairman'"
    assert values["published_candidates"][0] == "2020-03-04T18:58:43.000Z"
