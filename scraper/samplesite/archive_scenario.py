"""``karabakh_scenario(live_base)``: the archive (an ``ArchiveSite``) of the sample site's story (the live ``SampleSite``
runs at ``live_base``): the Caspian Courier, redesigned in 2026 (its 2024 pages answer 404 live and
their bytes, in ``site/courier/_archived/``, are served by the archive only), and the Caucasus
Herald, whose pages still live. ``archive_outlets.toml`` is its sources file, ``archive_manifest.toml``
what a correct backfill stores.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

from surt import surt

from media_monitor.samplesite.archive import (
    IA,
    ArchiveSite,
    Capture,
    CdxQuirks,
    fill_bases,
    payload_digest,
)
from media_monitor.samplesite.server import CONTENT_TYPES, HTML, NOT_FOUND, SITE_DIR

ARCHIVED_DIR = SITE_DIR / "courier" / "_archived"  # the Courier's 2024 pages: served by the archive only
LD_JSON = re.compile(rb'<script type="application/ld\+json">\s*(.*?)\s*</script>', re.S)
XML = "application/xml"  # as the live site serves feeds and sitemaps
COURIER_TITLES = {"en": "Caspian Courier", "ru": "Каспийский курьер"}
FEED_SIZE = 5  # items a 2024 feed listed: the latest ones
# What the 2024 feeds linked instead of an article's own URL: a tracking query, and a slug
# renamed after publication (the old one answers 301 to the new).
FEED_LINKS = {
    "/courier/en/news/2024/04/26/aghdam-centre-lowers-flags": (
        "/courier/en/news/2024/04/26/aghdam-centre-lowers-flags?utm_source=rss&utm_medium=feed"
    ),
    "/courier/en/news/2024/05/08/army-takes-over-lachin-road-posts": "/courier/en/news/2024/05/08/lachin-road-posts",
}
LIVE_BLOG = "/courier/en/live/withdrawal"  # in the sitemap; its captures redirect in a loop
LIVE_BLOG_LATEST = "/courier/en/live/withdrawal/latest"
LIVE_BLOG_STARTED = ("20240530090000", "2024-05-30T13:00:00+04:00")
BLOCKED_PAGE = "/courier/ru/news/2024/06/03/intervyu-s-ofitserom-kontingenta"  # excluded from the Wayback Machine

# When the Wayback Machine captured the Courier's feeds and sitemaps in 2024 (a capture that found
# nothing new is a revisit), and once each in 2026, after the redesign.
COURIER_SOURCE_CAPTURES = {
    "en/feed.xml": (
        "20240403061512",
        "20240418052240",
        "20240427071003",
        "20240503064418",
        "20240509055120",
        "20240517062231",
        "20240525090412",
        "20240601051845",
        "20240613043027",
        "20240622070511",
    ),
    "ru/feed.xml": (
        "20240418063015",
        "20240504081122",
        "20240516054510",
        "20240604060129",
        "20240613051540",
        "20240620044410",
    ),
    "en/sitemap.xml": ("20240415000312", "20240501002201", "20240601001510", "20240701003005"),
    "ru/sitemap.xml": ("20240501002340", "20240601001622", "20240701003117"),
}
COURIER_SOURCES_2026 = {"en/feed.xml": "20260305101010", "ru/feed.xml": "20260306083020"}
COURIER_SOURCES_2026 |= {"en/sitemap.xml": "20260306090000", "ru/sitemap.xml": "20260306090012"}
# Where the Wayback Machine holds each 2024 page (path under /courier/): the first timestamp
# captured it, later ones found it unchanged (revisits).
COURIER_WAYBACK = {
    "en/news/2024/03/27/baku-questions-peacekeeping-mission": ("20240327101544", "20240405120000"),
    "en/news/2024/04/17/peskov-confirms-troops-leaving": ("20240417121502", "20240420083011"),
    "en/news/2024/04/26/aghdam-centre-lowers-flags": ("20240501002255",),
    "en/news/2024/05/02/sturgeon-hatchery-release": ("20240503064530",),
    "en/news/2024/05/08/army-takes-over-lachin-road-posts": ("20240509055240",),
    "en/news/2024/05/24/half-of-contingent-has-left": ("20240525090530",),
    "ru/news/2024/04/17/mirotvortsy-nachali-vyvod": ("20240418063120",),
    "ru/news/2024/05/03/mirotvortsy-ostavili-posty-v-lachine": ("20240504081230", "20240516054612", "20240604060233"),
    "ru/news/2024/05/15/kolonna-pokinula-bazu-pod-khodzhaly": ("20240516054700",),
    "ru/news/2024/05/20/vystavka-kovrov-v-baku": ("20240521070110",),
    "ru/news/2024/06/03/intervyu-s-ofitserom-kontingenta": ("20240604060300",),
    "ru/news/2024/06/12/shtab-pod-khodzhaly-opustel": ("20240613051640",),
}
COPIES = {"20240417121502": 2, "20240525090530": 3}  # captures that several index shards list
# Where Common Crawl holds them: (path under /courier/, crawl, timestamp). The last English
# report is in no Wayback capture: a backfill finds it only here.
COURIER_COMMON_CRAWL = (
    ("en/news/2024/04/17/peskov-confirms-troops-leaving", "CC-MAIN-2024-18", "20240419034512"),
    ("ru/news/2024/04/17/mirotvortsy-nachali-vyvod", "CC-MAIN-2024-18", "20240421101732"),
    ("en/news/2024/05/08/army-takes-over-lachin-road-posts", "CC-MAIN-2024-22", "20240519142216"),
    ("ru/news/2024/05/15/kolonna-pokinula-bazu-pod-khodzhaly", "CC-MAIN-2024-22", "20240522061148"),
    ("en/news/2024/06/12/khojaly-headquarters-empty", "CC-MAIN-2024-26", "20240614094521"),
    ("ru/news/2024/06/12/shtab-pod-khodzhaly-opustel", "CC-MAIN-2024-26", "20240615170302"),
)
# The Herald's pages still live: its captures hold what the live site serves (path under /herald/).
HERALD_WAYBACK = {
    "feed.xml": "20240613104500",
    "news-sitemap.xml": "20240613104530",
    "news/2024/04/17/peacekeepers-begin-withdrawal": "20240417113000",
    "amp/news/2024/04/17/peacekeepers-begin-withdrawal": "20240417113020",
    "news/2024/04/20/tbilisi-wine-festival": "20240420090000",
    "news/2024/04/27/aghdam-monitoring-centre-closes": "20240427100000",
    "news/2024/04/27/aghdam-monitoring-centre-closes?utm_source=rss&utm_medium=feed&utm_campaign=main": "20240427100010",
    "news/2024/05/02/un-peacekeepers-lebanon": "20240502080000",
    "news/2024/05/15/last-convoy-leaves-khojaly-base": "20240515100000",
    "news/2024/05/20/deleted-story": "20240520090000",  # an archived 404
    "news/2024/05/21/empty-page": "20240521080000",
    "news/2024/06/12/withdrawal-completed": "20240612130000",
}
HERALD_COMMON_CRAWL = (
    ("news/2024/04/17/peacekeepers-begin-withdrawal", "CC-MAIN-2024-18", "20240418021500"),
    ("news/2024/05/15/last-convoy-leaves-khojaly-base", "CC-MAIN-2024-22", "20240520113000"),
    ("news/2024/06/12/withdrawal-completed", "CC-MAIN-2024-26", "20240613120000"),
    ("news/2024/05/20/deleted-story", "CC-MAIN-2024-26", "20240614080000"),
)
ORIGIN_503 = (
    b"<html><head><title>503 Service Temporarily Unavailable</title></head><body>"
    b"<center><h1>503 Service Temporarily Unavailable</h1></center><hr><center>nginx</center></body></html>\n"
)
ORIGIN_429 = (
    b"<html><head><title>429 Too Many Requests</title></head><body>"
    b"<center><h1>429 Too Many Requests</h1></center><hr><center>nginx</center></body></html>\n"
)
ORIGIN_MOVED = (
    b'<!DOCTYPE HTML PUBLIC "-//IETF//DTD HTML 2.0//EN">\n<html><head><title>301 Moved Permanently</title></head>'
    b"<body><h1>Moved Permanently</h1><p>The document has moved.</p></body></html>\n"
)


@dataclass(frozen=True)
class ArchivedPage:
    """A 2024 page of the Courier: its bytes in ``site/courier/_archived/`` and its JSON-LD."""

    path: str
    language: str
    title: str
    author: str
    description: str
    published: datetime
    body: bytes

    @property
    def timestamp(self) -> str:
        """When it was published, as a 14-digit UTC timestamp."""
        return self.published.astimezone(UTC).strftime("%Y%m%d%H%M%S")


def courier_pages(live_base: str) -> list[ArchivedPage]:
    pages = []
    for file in sorted(ARCHIVED_DIR.rglob("*.html")):
        body = fill_bases(file.read_bytes(), live_base)
        data = json.loads(LD_JSON.search(body)[1])
        path = "/courier/" + file.relative_to(ARCHIVED_DIR).with_suffix("").as_posix()
        published = datetime.fromisoformat(data["datePublished"])
        author = data["author"]["name"]
        pages.append(
            ArchivedPage(path, data["inLanguage"], data["headline"], author, data["description"], published, body)
        )
    return pages


def _rss_item(page: ArchivedPage, live_base: str) -> str:
    link = live_base + FEED_LINKS.get(page.path, page.path)
    return (
        f"<item><title>{escape(page.title)}</title><link>{escape(link)}</link>"
        f'<guid isPermaLink="false">courier-{page.language}-{page.timestamp}</guid>'
        f"<pubDate>{format_datetime(page.published)}</pubDate><dc:creator>{escape(page.author)}</dc:creator>"
        f"<description>{escape(page.description)}</description></item>\n"
    )


def courier_feed(pages: list[ArchivedPage], language: str, at: str, live_base: str) -> bytes:
    """The Courier's RSS feed of one language as it stood at ``at``: its latest items."""
    mine = [p for p in pages if p.language == language and p.timestamp <= at]
    listed = sorted(mine, key=lambda p: p.published, reverse=True)[:FEED_SIZE]
    items = "".join(_rss_item(page, live_base) for page in listed)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"><channel>\n'
        f"<title>{COURIER_TITLES[language]}</title><link>{live_base}/courier/{language}/</link>"
        f"<language>{language}</language><lastBuildDate>{format_datetime(listed[0].published)}</lastBuildDate>\n"
        f"{items}</channel></rss>\n"
    ).encode()


def courier_sitemap(pages: list[ArchivedPage], language: str, at: str, live_base: str) -> bytes:
    """The Courier's sitemap of one language as it stood at ``at``: every article so far."""
    listed = [(p.path, p.published.isoformat()) for p in pages if p.language == language and p.timestamp <= at]
    if language == "en" and at >= LIVE_BLOG_STARTED[0]:
        listed.append((LIVE_BLOG, LIVE_BLOG_STARTED[1]))
    urls = "".join(
        f"<url><loc>{escape(live_base + path)}</loc><lastmod>{lastmod}</lastmod></url>\n"
        for path, lastmod in sorted(listed, key=lambda entry: entry[1], reverse=True)
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n{urls}</urlset>\n'
    ).encode()


def snapshots(url: str, stamps: Iterable[str], render: Callable[[str], bytes]) -> list[Capture]:
    """Captures of a page that changes; one that finds what the last one got is a revisit."""
    captures, previous = [], None
    for stamp in stamps:
        body = render(stamp)
        unchanged = body == previous
        kind = "revisit" if unchanged else "response"
        captures.append(
            Capture(url, stamp, headers=(("Content-Type", XML),), body=b"" if unchanged else body, kind=kind)
        )
        previous = body
    return captures


def _site_file(path: str) -> Path | None:
    file = SITE_DIR / path.lstrip("/")
    return next((f for f in (file, file.with_name(file.name + ".html")) if f.is_file()), None)


def live_capture(live_base: str, path: str, timestamp: str, archive: str = IA) -> Capture:
    """A capture of what the live sample site serves at ``path`` (its file, or a 404)."""
    file = _site_file(urlsplit(path).path)
    if file is None:
        return Capture(live_base + path, timestamp, 404, body=NOT_FOUND.body, archive=archive)
    headers = (("Content-Type", CONTENT_TYPES.get(file.suffix, "application/octet-stream")),)
    return Capture(
        live_base + path, timestamp, headers=headers, body=fill_bases(file.read_bytes(), live_base), archive=archive
    )


def _courier_sources(live_base: str, pages: list[ArchivedPage]) -> list[Capture]:
    captures = []
    for source, stamps in COURIER_SOURCE_CAPTURES.items():
        language, kind = source.split("/")
        render = courier_feed if kind == "feed.xml" else courier_sitemap
        url = f"{live_base}/courier/{source}"
        captures += snapshots(url, stamps, lambda at, r=render, lang=language: r(pages, lang, at, live_base))
    captures += [live_capture(live_base, f"/courier/{source}", ts) for source, ts in COURIER_SOURCES_2026.items()]
    return captures


def _courier_articles(live_base: str, pages: list[ArchivedPage]) -> list[Capture]:
    body = {page.path: page.body for page in pages}
    captures = []
    for path, stamps in COURIER_WAYBACK.items():
        url, first, *later = f"{live_base}/courier/{path}", *stamps
        captures.append(Capture(url, first, body=body[f"/courier/{path}"], copies=COPIES.get(first, 1)))
        captures += [Capture(url, stamp, kind="revisit") for stamp in later]
    for path, crawl, stamp in COURIER_COMMON_CRAWL:
        captures.append(Capture(f"{live_base}/courier/{path}", stamp, body=body[f"/courier/{path}"], archive=crawl))
    return captures


def _courier_hard_cases(live_base: str, pages: list[ArchivedPage]) -> list[Capture]:
    """The feed's tracking link, the renamed slug's 301, an origin's 503 before its 200, an
    archived 429 of a feed, and the live blog whose two URLs redirect to each other."""
    aghdam, renamed = FEED_LINKS.items()
    aghdam_body = next(page.body for page in pages if page.path == aghdam[0])
    moved = (("Content-Type", "text/html; charset=iso-8859-1"), ("Location", live_base + renamed[0]))
    blog, latest = live_base + LIVE_BLOG, live_base + LIVE_BLOG_LATEST
    return [
        Capture(live_base + aghdam[1], "20240427071120", body=aghdam_body),
        Capture(live_base + renamed[1], "20240509055233", 301, moved, ORIGIN_MOVED),
        Capture(live_base + renamed[1], "20240519142210", 301, moved, ORIGIN_MOVED, archive="CC-MAIN-2024-22"),
        Capture(
            f"{live_base}/courier/en/news/2024/05/24/half-of-contingent-has-left",
            "20240524071500",
            503,
            (("Content-Type", "text/html"), ("Server", "nginx")),
            ORIGIN_503,
        ),
        Capture(
            f"{live_base}/courier/ru/feed.xml",
            "20240521070003",
            429,
            (("Content-Type", "text/html"), ("Retry-After", "6"), ("Server", "nginx")),
            ORIGIN_429,
        ),
        Capture(blog, "20240530090000", 302, (("Content-Type", HTML), ("Location", latest))),
        Capture(latest, "20240530090007", 302, (("Content-Type", HTML), ("Location", blog))),
    ]


def _herald(live_base: str) -> list[Capture]:
    captures = [live_capture(live_base, f"/herald/{path}", stamp) for path, stamp in HERALD_WAYBACK.items()]
    captures += [live_capture(live_base, f"/herald/{path}", stamp, crawl) for path, crawl, stamp in HERALD_COMMON_CRAWL]
    return [*captures, live_capture(live_base, "/robots.txt", "20240418021400", "CC-MAIN-2024-18")]


def karabakh_captures(live_base: str) -> list[Capture]:
    """Everything the archives hold of the sample site at ``live_base`` (see the module's docstring)."""
    pages = courier_pages(live_base)
    courier = _courier_sources(live_base, pages) + _courier_articles(live_base, pages)
    return courier + _courier_hard_cases(live_base, pages) + _herald(live_base)


def junk_lines(live_base: str) -> tuple[str, ...]:
    """CDX lines as the Wayback Machine's index also holds: a data: URL cut from a page, a
    mailto: link taken for a host, a timestamp with day 00."""
    root = surt(f"{live_base}/")  # the host's key, up to and with ")/"
    empty = payload_digest(b"")
    return (
        f'{root}courier/en/%22data:image/png;base64,ivborw0kggo 20240509055301 {live_base}/courier/en/"data:image/png;base64,iVBORw0KGgo image/png 404 {empty} 512',
        f"{root}courier/ru/mailto:desk@courier.example 20240500124512 http://mailto:desk@courier.example/ unk - {empty} -",
    )


def karabakh_options(live_base: str) -> dict:
    """The scenario's knobs: the blocked interview, the junk lines, the live origin."""
    return {
        "blocked": (live_base + BLOCKED_PAGE,),
        "cdx": CdxQuirks(junk=junk_lines(live_base)),
        "live_base": live_base,
    }


def karabakh_scenario(live_base: str, **options) -> ArchiveSite:
    """The archive of the sample site's story at ``live_base`` (see the module's docstring);
    ``options`` replace the scenario's knobs (``karabakh_options``) or add others."""
    return ArchiveSite(karabakh_captures(live_base), **(karabakh_options(live_base) | options))
