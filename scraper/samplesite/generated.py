"""A generated sample site of N on-topic English articles, for the scale-out tests and the crawl
benchmark (``bench/crawl.py``): one outlet, a sitemap index of sitemaps of 500 articles each, a
permissive robots.txt, served on 127.0.0.1 by the sample sites' server (``server.LocalSite``),
which logs every request (path, status) and answers conditional GETs (ETag).

Texts are built from templates so the topic filter keeps them (peacekeepers + Karabakh +
withdrawal), with per-article names, numbers and sentence choices so no two texts are near
duplicates and no two titles are equal.

Article pages have the size and shape of real news pages, so that what a crawl costs per
article is measured on what it meets. The median page of the 204 real news pages in
trafilatura's test set is 78 KB (11 KB of it scripts), with 637 elements, 107 ``<div>``
elements, 21 ``<p>``, 109 links, elements nested 16 deep at most and 8.8 on average, and ~565
words of article text. A generated page is ~75 KB with 690 elements, 115 ``<div>`` elements,
20 ``<p>``, 158 links, nested 15 deep (8.5 on average): inline critical CSS and scripts
(analytics, ad slots, a JSON-LD block, a hydration state of the page's teasers), a cookie
banner, a header with a mega-menu of 48 links, layout grid wrappers, breadcrumbs, the article
(600-850 words in 12-18 paragraphs, each in its editor block, a "read also" box, a figure,
tags, share buttons with inline SVG icons), related and most-read teaser cards and a footer of
link columns. ``tests/test_generated_site.py`` checks the shape, and that a page extracts
exactly. Everything is deterministic: the site's shared parts come from ``seed``, each
article's from ``seed`` and its number.
"""

from __future__ import annotations

import json
import random
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape

from media_monitor.samplesite.server import HTML, Answer, LocalSite

PER_SITEMAP = 500
OUTLET = "gen_en"
PLACES = [
    "Khankendi",
    "Aghdam",
    "Lachin",
    "Khojaly",
    "Shusha",
    "Fuzuli",
    "Kalbajar",
    "Tartar",
    "Barda",
    "Yevlakh",
    "Goris",
    "Kubatly",
    "Zangilan",
    "Jabrayil",
    "Khojavend",
    "Askeran",
]
UNITS = [
    "convoy",
    "column",
    "battalion",
    "company",
    "engineering unit",
    "medical detachment",
    "logistics group",
    "signals platoon",
    "helicopter squadron",
    "rear guard",
    "motor rifle unit",
    "demining team",
    "fuel convoy",
    "reconnaissance patrol",
    "repair crew",
    "liaison group",
]
PEOPLE = [
    "a ministry spokesman",
    "a local official",
    "a military analyst",
    "a resident",
    "a diplomat",
    "an aid worker",
    "a former commander",
    "a district governor",
    "a border guard officer",
    "a lawmaker",
    "a researcher",
    "a journalist",
    "a shopkeeper",
    "a teacher",
    "a taxi driver",
    "a priest",
    "a farmer",
    "a nurse",
    "a retired colonel",
    "a student",
    "an engineer",
    "a bus driver",
    "a pensioner",
    "a volunteer",
]
VERBS = [
    "left",
    "withdrew from",
    "pulled out of",
    "departed from",
    "handed over",
    "abandoned",
    "vacated",
    "cleared",
    "dismantled",
    "closed",
    "evacuated",
    "gave up",
    "packed up at",
    "moved out of",
    "stripped",
    "boarded up",
]
THINGS = [
    "observation post",
    "checkpoint",
    "base",
    "depot",
    "field camp",
    "command post",
    "barracks",
    "supply point",
    "airfield",
    "garrison",
    "radio mast",
    "fuel dump",
    "warehouse",
    "roadblock",
    "watchtower",
    "helipad",
]
ADJ = [
    "quiet",
    "hurried",
    "orderly",
    "long-expected",
    "sudden",
    "carefully planned",
    "delayed",
    "surprising",
    "gradual",
    "closely watched",
    "muddled",
    "silent",
    "noisy",
    "chaotic",
    "well-rehearsed",
    "much-debated",
]
WORDS = [
    "road",
    "river",
    "bridge",
    "village",
    "valley",
    "hill",
    "market",
    "school",
    "hospital",
    "field",
    "orchard",
    "factory",
    "station",
    "tunnel",
    "pass",
    "ridge",
    "forest",
    "lake",
    "farm",
    "square",
    "church",
    "mosque",
    "stadium",
    "library",
    "bakery",
    "cemetery",
    "vineyard",
    "quarry",
    "dam",
    "canal",
    "reservoir",
    "bus-stop",
    "pharmacy",
    "post-office",
    "clinic",
    "sawmill",
    "greenhouse",
    "monastery",
    "ruin",
    "fortress",
    "spring",
    "meadow",
    "crossroads",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
REPORTERS = [
    "Anna Petrosyan",
    "Elchin Mammadov",
    "Olga Ivanova",
    "Tom Barker",
    "Leyla Aliyeva",
    "Davit Grigoryan",
    "Maria Lopez",
    "Sergei Volkov",
    "Nino Beridze",
    "James Hart",
]
SECTIONS = {
    "World": ["Europe", "Asia", "Americas", "Africa", "Middle East", "Oceania", "UN", "Migration"],
    "Region": ["Azerbaijan", "Armenia", "Georgia", "Russia", "Turkey", "Iran", "Central Asia", "Caspian"],
    "Politics": ["Elections", "Parliament", "Diplomacy", "Security", "Defence", "Courts", "Protests", "Parties"],
    "Business": ["Energy", "Markets", "Trade", "Banking", "Transport", "Agriculture", "Tech", "Jobs"],
    "Society": ["Health", "Education", "Religion", "Media", "Housing", "Refugees", "Rights", "Youth"],
    "Culture": ["Books", "Film", "Music", "Heritage", "Theatre", "Food", "Travel", "Art"],
    "Opinion": ["Editorials", "Columns", "Letters", "Analysis", "Interviews", "Podcasts", "Video", "Explainers"],
    "Sport": ["Football", "Wrestling", "Chess", "Boxing", "Athletics", "Tennis", "Basketball", "Olympics"],
}
TAGS = [
    "Karabakh",
    "Peacekeepers",
    "Russia",
    "Azerbaijan",
    "Armenia",
    "Security",
    "Diplomacy",
    "Military",
    "South Caucasus",
    "Refugees",
    "Border",
    "Kremlin",
]


# Sentence shapes of a generated report; _sentence fills the fields from seeded draws.
SENTENCES = (
    "Russian peacekeepers {verb} the {thing} near the {w1} of {place} on day {day}, according to {person}.",
    "A {adj} {unit} of {num} troops moved along the {w1} towards {place2}, passing the old {w2} and the {w3}.",
    "'We watched them leave the {w1} at {hour:02d}:{minute:02d},' said {person} from {place}, describing "
    "report number {n}-{num}.",
    "The withdrawal from Karabakh included {num} vehicles and {trucks} trucks that crossed the {w2} near "
    "{place2} after the {w3} was cleared.",
    "Officials in {place} counted {num} residents who gathered by the {w1} while the {unit} {verb} the "
    "{thing} beside the {w3}.",
    "In {place2}, {person} said the {adj} drawdown of peacekeeping forces ends a mission of {months} months, "
    "case {n}/{num}, along the {w2}.",
    "On {weekday} {person} near the {w1} in {place} counted {lorries} lorries, {tankers} fuel tankers and a "
    "{adj} {unit}.",
    "Satellite images dated {may_day} May showed the {thing} by the {w2} at {place2} empty except for "
    "{tents} tents and a {w3} sign.",
    "{Person} in {place} recalled that the {w1} had been guarded since November 2020, when {soldiers} "
    "soldiers first arrived at the {w3}.",
    "Asked about the {w2} of {place2}, {person} said talks on item {item} of file {n}-{file} would continue "
    "without the {unit}.",
)


def _sentence(rng: random.Random, n: int) -> str:
    template = rng.choice(SENTENCES)
    place, place2 = rng.sample(PLACES, 2)
    num = rng.randrange(2, 9000)
    w1, w2, w3 = rng.sample(WORDS, 3)
    person = rng.choice(PEOPLE)
    return template.format(
        n=n,
        num=num,
        place=place,
        place2=place2,
        w1=w1,
        w2=w2,
        w3=w3,
        person=person,
        Person=person.capitalize(),
        verb=rng.choice(VERBS),
        thing=rng.choice(THINGS),
        adj=rng.choice(ADJ),
        unit=rng.choice(UNITS),
        weekday=rng.choice(WEEKDAYS),
        day=num % 60 + 1,
        hour=num % 24,
        minute=num % 60,
        trucks=num % 97 + 3,
        months=num % 40 + 1,
        lorries=num % 300 + 2,
        tankers=num % 13 + 1,
        may_day=num % 28 + 1,
        tents=num % 50 + 2,
        soldiers=num % 2000 + 1000,
        item=num % 300 + 1,
        file=num % 77,
    )


def title(n: int, seed: int = 0) -> str:
    return f"Peacekeepers leave {random.Random(seed * 1_000_003 + n).choice(PLACES)} in Karabakh: report {n}"


def _summary(n: int, seed: int = 0) -> str:
    """A teaser's one-line summary of article n (cheaper than building its text)."""
    rng = random.Random(seed * 5_000_011 + n)
    return (
        f"A {rng.choice(ADJ)} {rng.choice(UNITS)} {rng.choice(VERBS)} the {rng.choice(THINGS)} near "
        f"{rng.choice(PLACES)}, {rng.choice(PEOPLE)} told us."
    )


def article(n: int, seed: int = 0) -> tuple[str, str, str]:
    """(title, published ISO date, text) of article n: deterministic, distinct. The text's
    paragraphs (12-18 of 2-3 sentences, 600-850 words) are separated by newlines."""
    rng = random.Random(seed * 1_000_003 + n)
    rng.choice(PLACES)  # the title's place (see title())
    day = 17 + n % 40
    month, day = (4, day) if day <= 30 else (5, day - 30)
    published = f"2024-{month:02d}-{day:02d}T{n % 24:02d}:{n % 60:02d}:00+04:00"
    paragraphs = [f"Russian peacekeepers continued their withdrawal from the Karabakh region, report {n} says."]
    words = len(paragraphs[0].split())
    target = rng.randrange(600, 820)
    while words < target:
        paragraph = " ".join(_sentence(rng, n) for _ in range(rng.randrange(2, 4)))
        paragraphs.append(paragraph)
        words += len(paragraph.split())
    return title(n, seed), published, "\n".join(paragraphs)


def _icon(rng: random.Random) -> str:
    """An inline SVG icon, as share buttons and menus carry them."""
    points = " ".join(
        f"{rng.randrange(24)}.{rng.randrange(10)} {rng.randrange(24)}.{rng.randrange(10)}" for _ in range(12)
    )
    return (
        f'<svg class="icon" viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">'
        f'<path fill="currentColor" d="M{points}Z"/></svg>'
    )


def _sprite(rng: random.Random) -> str:
    """The hidden SVG sprite of the site's icons, inlined at the top of <body>."""
    symbols = []
    for name in (
        "logo",
        "search",
        "menu",
        "close",
        "user",
        "facebook",
        "x",
        "telegram",
        "whatsapp",
        "linkedin",
        "email",
        "clock",
        "comment",
        "play",
        "arrow",
        "bookmark",
    ):
        points = " ".join(
            f"{rng.randrange(24)}.{rng.randrange(100):02d} {rng.randrange(24)}.{rng.randrange(100):02d}"
            for _ in range(28)
        )
        symbols.append(f'<symbol id="icon-{name}" viewBox="0 0 24 24"><path d="M{points}Z"/></symbol>')
    return f'<svg xmlns="http://www.w3.org/2000/svg" style="display:none">{"".join(symbols)}</svg>\n'


def _stylesheet(rng: random.Random) -> str:
    props = {
        "display": ["block", "flex", "grid", "inline-flex", "none"],
        "margin": ["0", "0 auto", "8px 0", "16px"],
        "padding": ["0", "4px 8px", "12px 16px", "24px"],
        "color": ["#111", "#333", "#666", "#b00020", "#fff"],
        "font-size": ["12px", "14px", "16px", "1.25rem", "2rem"],
        "line-height": ["1.2", "1.4", "1.6"],
        "border-bottom": ["1px solid #ddd", "2px solid #b00020", "0"],
        "gap": ["4px", "8px", "16px"],
    }
    rules = []
    for block in (
        "site-header",
        "site-nav",
        "mega-menu",
        "breadcrumbs",
        "article",
        "article-body",
        "share",
        "teaser",
        "related",
        "most-read",
        "newsletter",
        "site-footer",
        "cookie-banner",
        "ad-slot",
        "read-also",
        "breadcrumbs",
        "figure",
        "tags",
    ):
        for element in ("", "__inner", "__title", "__link", "__item", "--active", "__meta"):
            chosen = rng.sample(sorted(props), 3)
            rules.append(f".{block}{element}{{{';'.join(f'{k}:{rng.choice(props[k])}' for k in chosen)}}}")
    return "".join(rules)


def _script_bundle(rng: random.Random) -> str:
    """A minified-looking analytics and consent bundle (never run; pages carry such code)."""
    names = ["consent", "track", "lazy", "ads", "paywall", "share", "menu", "video", "ab", "metrics"]
    parts = []
    for i in range(60):
        name, other = rng.sample(names, 2)
        parts.append(
            f"function {name}{i}(e,t){{var n=e&&e.{other}||{{}};return t?n[t]||(n[t]=[{rng.randrange(999)},"
            f'"{name}-{rng.randrange(99999):05d}"]):n}}'
        )
    return "!function(w,d){" + ";".join(parts) + ";w.__site={ready:!0}}(window,document);"


@lru_cache(maxsize=4)
def _chrome(seed: int) -> tuple[str, str, str]:
    """The parts every page of the site shares, built once: assets of <head>, the top of
    <body> (cookie banner, header, mega-menu), and the footer with its scripts."""
    rng = random.Random(seed)
    head = (
        f"<style>{_stylesheet(rng)}</style>\n"
        '<link rel="preconnect" href="https://cdn.generated-news.example">\n'
        '<link rel="icon" href="/favicon.ico"><link rel="apple-touch-icon" href="/apple-touch-icon.png">\n'
        f"<script>{_script_bundle(rng)}</script>\n"
    )
    menu = "".join(
        f'<li class="site-nav__item"><a class="site-nav__link" href="/{section.lower()}" data-track="nav|{section.lower()}">'
        f'{section}</a><ul class="mega-menu">'
        + "".join(
            f'<li class="mega-menu__item"><a class="mega-menu__link" href="/{section.lower()}/'
            f'{sub.lower().replace(" ", "-")}" data-track="nav|{section.lower()}|{sub.lower()}">{sub}</a></li>'
            for sub in subs[:6]
        )
        + "</ul></li>"
        for section, subs in SECTIONS.items()
    )
    top = (
        _sprite(rng)
        + '<div class="cookie-banner" role="dialog" aria-label="Cookies"><p class="cookie-banner__text">We use cookies '
        "to measure our audience and to show advertising. You can change your choice at any time.</p>"
        '<button class="cookie-banner__accept">Accept all</button><button class="cookie-banner__reject">Reject all'
        '</button><a class="cookie-banner__link" href="/privacy">Privacy policy</a></div>\n'
        '<header class="site-header"><div class="site-header__inner"><a class="site-header__logo" href="/" '
        f'aria-label="Generated News">{_icon(rng)}<span>Generated News</span></a>'
        '<form class="site-header__search" action="/search"><input type="search" name="q" placeholder="Search">'
        '</form><a class="site-header__link" href="/subscribe">Subscribe</a><a class="site-header__link" '
        f'href="/login">Sign in</a></div>\n<nav class="site-nav" aria-label="Sections"><ul class="site-nav__list">{menu}'
        "</ul></nav></header>\n"
    )
    columns = "".join(
        f'<div class="site-footer__column"><h3 class="site-footer__title">{section}</h3><ul>'
        + "".join(
            f'<li class="site-footer__item"><a href="/{section.lower()}/{sub.lower().replace(" ", "-")}">{sub}</a></li>'
            for sub in subs[:4]
        )
        + "</ul></div>"
        for section, subs in SECTIONS.items()
    )
    slots = json.dumps(
        [
            {
                "id": f"ad-{i}",
                "sizes": [[300, 250], [728, 90]],
                "targeting": {"section": "region", "pos": i, "kw": rng.sample(TAGS, 3)},
                "refresh": rng.randrange(30, 90),
            }
            for i in range(12)
        ]
    )
    bottom = (
        f'<footer class="site-footer"><div class="site-footer__inner">{columns}</div>'
        '<p class="site-footer__meta">© 2024 Generated News. All rights reserved. <a href="/about">About us</a> '
        '<a href="/contact">Contact</a> <a href="/terms">Terms of use</a> <a href="/privacy">Privacy</a> '
        '<a href="/rss">RSS</a></p></footer>\n'
        f"<script>window.adSlots={slots};</script>\n"
        '<script async src="https://cdn.generated-news.example/js/app.3f9c2a.js"></script>\n'
    )
    return head, top, bottom


def _teasers(base: str, numbers: list[int], seed: int, css: str) -> str:
    """Teaser cards, nested as front-end frameworks render them (a card, its picture, its body)."""
    return "".join(
        f'<div class="{css}__item card teaser" data-id="{m}"><a class="card__media teaser__link" '
        f'href="{base}/a/{m}.html" data-track="{css}|{m}" tabindex="-1"><picture class="teaser__picture">'
        f'<source type="image/webp" srcset="/img/{m}-320.webp 320w, /img/{m}-640.webp 640w" sizes="320px">'
        f'<img class="teaser__image" src="/img/{m}-320.jpg" alt="" loading="lazy" decoding="async" width="320" '
        f'height="180"></picture></a><div class="card__body"><span class="teaser__kicker">Region</span>'
        f'<h3 class="teaser__title"><a href="{base}/a/{m}.html" data-track="{css}|{m}">{escape(title(m, seed))}</a></h3>'
        f'<div class="teaser__summary">{escape(_summary(m, seed))}</div></div><span class="card__footer">'
        f'<svg class="icon"><use href="#icon-clock"/></svg> {m % 9 + 1} min read</span></div>'
        for m in numbers
    )


def _paragraph_block(paragraph: str) -> str:
    """A paragraph of the article in the block a CMS's editor wraps each one in."""
    return (
        f'<div class="article-body__block article-body__block--text"><p class="article-body__paragraph">'
        f"{escape(paragraph)}</p></div>\n"
    )


def article_html(base: str, n: int, seed: int = 0) -> str:
    head, top, bottom = _chrome(seed)
    headline, published, text = article(n, seed)
    rng = random.Random(seed * 7_000_003 + n)
    paragraphs = text.split("\n")
    reporter, tags = rng.choice(REPORTERS), rng.sample(TAGS, 5)
    related = rng.sample(range(max(n + 1, 40)), 12)
    most_read = rng.sample(range(max(n + 1, 40)), 10)
    middle = len(paragraphs) // 2
    body = "".join(_paragraph_block(p) for p in paragraphs[:middle])
    body += (
        f'<aside class="read-also"><span class="read-also__label">Read also</span> '
        f'<a class="read-also__link" href="{base}/a/{related[0]}.html">{escape(title(related[0], seed))}</a></aside>\n'
    )
    body += "".join(_paragraph_block(p) for p in paragraphs[middle:])
    description = paragraphs[0]
    share = "".join(
        f'<div class="share__item"><a class="share__link share__link--{name.lower()}" href="https://'
        f'{name.lower()}.example/share?u={base}/a/{n}.html" data-track="share|{name.lower()}" rel="noopener" '
        f'target="_blank" aria-label="Share on {name}">{_icon(rng)}</a></div>'
        for name in ("Facebook", "X", "Telegram", "WhatsApp", "LinkedIn", "Email")
    )
    json_ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": headline,
            "description": description,
            "datePublished": published,
            "dateModified": published,
            "author": [
                {"@type": "Person", "name": reporter, "url": f"{base}/authors/{reporter.lower().replace(' ', '-')}"}
            ],
            "publisher": {
                "@type": "Organization",
                "name": "Generated News",
                "logo": {"@type": "ImageObject", "url": f"{base}/logo.png", "width": 600, "height": 60},
            },
            "image": [f"{base}/img/{n}-1200.jpg"],
            "mainEntityOfPage": f"{base}/a/{n}.html",
            "keywords": tags,
            "articleSection": "Region",
            "inLanguage": "en",
        },
        ensure_ascii=False,
    )
    # The client-side framework's hydration state repeats the article and its teasers.
    state = json.dumps(
        {
            "page": {
                "id": n,
                "type": "article",
                "section": "region",
                "tags": tags,
                "title": headline,
                "published": published,
                "author": reporter,
                "body": paragraphs,
            },
            "teasers": [
                {
                    "id": m,
                    "title": title(m, seed),
                    "summary": _summary(m, seed),
                    "url": f"/a/{m}.html",
                    "image": f"/img/{m}-320.jpg",
                }
                for m in related + most_read
            ],
        },
        ensure_ascii=False,
    )
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(headline)} | Generated News</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="description" content="{escape(description, {'"': "&quot;"})}">
<meta name="keywords" content="{", ".join(tags)}">
<link rel="canonical" href="{base}/a/{n}.html">
<meta property="og:type" content="article"><meta property="og:site_name" content="Generated News">
<meta property="og:title" content="{escape(headline)}">
<meta property="og:url" content="{base}/a/{n}.html"><meta property="og:image" content="{base}/img/{n}-1200.jpg">
<meta name="twitter:card" content="summary_large_image"><meta name="twitter:site" content="@generatednews">
<meta property="article:published_time" content="{published}">
<meta property="article:section" content="Region">
{head}<script type="application/ld+json">{json_ld}</script>
<script>window.dataLayer=window.dataLayer||[];dataLayer.push({{"event":"pageview","contentId":{n},"section":"region","author":"{reporter}","words":{len(text.split())}}});</script>
</head><body class="page page--article">
{top}<div class="site-wrapper"><div class="container"><main class="site-main"><div class="row"><div class="col col--main">
<nav class="breadcrumbs" aria-label="Breadcrumbs"><a href="/">Home</a> › <a href="/region">Region</a> › <a href="/region/azerbaijan">Azerbaijan</a></nav>
<div class="ad-slot" id="ad-0" data-slot="top"></div>
<article class="article"><header class="article__header"><div class="article__header-inner"><div class="article__kicker"><a href="/region">Region</a></div>
<h1 class="article__title">{escape(headline)}</h1>
<p class="article__standfirst">{escape(description)}</p>
<p class="article__meta byline">By <a rel="author" href="{base}/authors/{reporter.lower().replace(" ", "-")}">{reporter}</a> · <time datetime="{published}">{published[:10]}</time></p>
<div class="share"><div class="share__inner">{share}</div></div></div></header>
<figure class="article__figure"><img src="/img/{n}-1200.jpg" srcset="/img/{n}-640.jpg 640w, /img/{n}-1200.jpg 1200w" sizes="(max-width: 800px) 100vw, 800px" alt="A convoy on the road near {title(n, seed).split()[2]}" width="1200" height="675"><figcaption>A convoy on the road. Photo: Generated News</figcaption></figure>
<div class="article-body"><div class="article-body__inner">
{body}</div></div>
<ul class="article__tags">{"".join(f'<li><a href="/tags/{t.lower().replace(" ", "-")}" rel="tag">{t}</a></li>' for t in tags)}</ul>
</article>
<div class="ad-slot" id="ad-1" data-slot="mid"></div>
<section class="related"><div class="related__header"><h2 class="related__title">Related</h2></div><div class="related__list grid">{_teasers(base, related, seed, "related")}</div></section>
</div><div class="col col--aside">
<aside class="most-read"><div class="most-read__header"><h2 class="most-read__title">Most read</h2></div><div class="most-read__list">{_teasers(base, most_read, seed, "most-read")}</div></aside>
<form class="newsletter" action="/newsletter"><h2 class="newsletter__title">The Caucasus briefing</h2><p>Every weekday morning in your inbox.</p><input type="email" name="email" placeholder="Your e-mail"><button>Sign up</button></form>
</div></div></main></div></div>
{bottom}<script>window.__STATE__={state};</script>
</body></html>
"""


class GeneratedSite(LocalSite):
    """The generated site, served on 127.0.0.1 (ephemeral port) by ``LocalSite``: pages built on
    request, or all at start into the folder ``prerender_to`` and read from there. ``log`` lists
    (path, status) of every request, ``article_hits()`` counts 200s per article path."""

    protocol_version = "HTTP/1.1"  # keep-alive: a connection serves many requests

    def __init__(
        self, articles: int, seed: int = 0, host: str = "127.0.0.1", port: int = 0, prerender_to: Path | None = None
    ):
        super().__init__(host, port)
        self.articles, self.seed = articles, seed
        self._rendered_dir = prerender_to
        if prerender_to is not None:
            # Pages built before any crawl starts, so that serving one costs only HTTP: an
            # outlet's servers do not share the crawling machine's CPU (the crawl benchmark).
            # On disk, not in memory: a large parent process inflates its children's peak RSS.
            for n in range(articles):
                (prerender_to / f"{n}.html").write_text(article_html(self.base, n, seed), encoding="utf-8")

    def answer(self, path: str, query: dict[str, list[str]]) -> Answer:
        # Every answer has an ETag, as real sitemaps have: the crawler's cache revalidates an
        # unchanged sitemap with a conditional GET, answered 304 without a body.
        if path == "/robots.txt":
            robots = f"User-agent: *\nAllow: /\n\nSitemap: {self.base}/sitemap-index.xml\n"
            return Answer(200, robots.encode(), "text/plain", etag=True)
        if path == "/sitemap-index.xml":
            parts = (self.articles + PER_SITEMAP - 1) // PER_SITEMAP
            entries = "".join(f"<sitemap><loc>{self.base}/sitemap-{i}.xml</loc></sitemap>" for i in range(parts))
            return _xml(f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>')
        if path.startswith("/sitemap-") and path.endswith(".xml") and path[9:-4].isdigit():
            part = int(path[9:-4])
            numbers = range(part * PER_SITEMAP, min(self.articles, (part + 1) * PER_SITEMAP))
            if not numbers:
                return Answer(404, b"not found", "text/plain", etag=True)
            entries = "".join(f"<url><loc>{self.base}/a/{n}.html</loc></url>" for n in numbers)
            return _xml(f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>')
        if path.startswith("/a/") and path.endswith(".html") and path[3:-5].isdigit():
            n = int(path[3:-5])
            if n < self.articles:
                html = (
                    (self._rendered_dir / f"{n}.html").read_bytes()
                    if self._rendered_dir
                    else article_html(self.base, n, self.seed).encode("utf-8")
                )
                return Answer(200, html, HTML, etag=True)
        return Answer(404, b"<h1>Not found</h1>", HTML, etag=True)

    def sources_toml(self) -> str:
        return (
            f'[[outlet]]\nname = "{OUTLET}"\ntitle = "Generated News"\nhomepage = "{self.base}/"\n'
            'language = "en"\ncountry = "GE"\ntimezone = "Asia/Tbilisi"\nfeeds = []\n'
            f'sitemaps = ["{self.base}/sitemap-index.xml"]\n'
        )

    def article_hits(self) -> dict[str, int]:
        """Per article path: how many times it was answered 200."""
        hits: dict[str, int] = {}
        with self._lock:
            for path, status in self.log:
                if path.startswith("/a/") and status == 200:
                    hits[path] = hits.get(path, 0) + 1
        return hits


def _xml(document: str) -> Answer:
    return Answer(200, f'<?xml version="1.0" encoding="UTF-8"?>\n{document}'.encode(), "application/xml", etag=True)


if __name__ == "__main__":  # python -m media_monitor.samplesite.generated N: serve until Ctrl-C
    import sys
    import time

    with GeneratedSite(int(sys.argv[1]) if len(sys.argv) > 1 else 2000) as served:
        print(served.base, flush=True)
        while True:
            time.sleep(3600)
