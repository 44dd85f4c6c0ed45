"""The schema.org types a page's JSON-LD names its article with.

Taken from schema.org's type hierarchy (https://schema.org/Article, "More specific Types",
followed down; schema.org 29.x): every subtype of ``Article``, among them ``NewsArticle`` and
its six kinds of news article. A type's spelling must be exact: "ReportageNews" is no
schema.org type, and a page typed ``ReportageNewsArticle`` (the BBC's) must be read.
"""

from __future__ import annotations

from typing import Any

# Each type with its parent, as schema.org lists them.
ARTICLE_HIERARCHY = {
    "Article": "CreativeWork",
    "AdvertiserContentArticle": "Article",
    "NewsArticle": "Article",
    "AnalysisNewsArticle": "NewsArticle",
    "AskPublicNewsArticle": "NewsArticle",
    "BackgroundNewsArticle": "NewsArticle",
    "OpinionNewsArticle": "NewsArticle",
    "ReportageNewsArticle": "NewsArticle",
    "ReviewNewsArticle": "NewsArticle",
    "Report": "Article",
    "SatiricalArticle": "Article",
    "ScholarlyArticle": "Article",
    "MedicalScholarlyArticle": "ScholarlyArticle",
    "SocialMediaPosting": "Article",
    "BlogPosting": "SocialMediaPosting",
    "LiveBlogPosting": "BlogPosting",
    "DiscussionForumPosting": "SocialMediaPosting",
    "TechArticle": "Article",
    "APIReference": "TechArticle",
}
ARTICLE_TYPES = frozenset(ARTICLE_HIERARCHY)
# How a type may be written besides its bare name: "https://schema.org/NewsArticle",
# "http://schema.org/NewsArticle", "schema:NewsArticle".
_PREFIXES = ("https://schema.org/", "http://schema.org/", "schema:")


def type_name(value: str) -> str:
    """A type's bare name: "https://schema.org/NewsArticle" -> "NewsArticle"."""
    value = value.strip()
    for prefix in _PREFIXES:
        if value.startswith(prefix):
            return value[len(prefix) :]
    return value


def is_article(node: dict[str, Any]) -> bool:
    """Is this JSON-LD object typed as an article (one of its types, if it has several)?"""
    kind = node.get("@type")
    kinds = kind if isinstance(kind, list) else [kind]
    return any(type_name(k) in ARTICLE_TYPES for k in kinds if isinstance(k, str))
