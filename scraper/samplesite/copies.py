"""A site of syndicated copies whose feeds and sitemaps list them in a chosen order, for testing
that syndication clusters do not depend on the order a crawl meets the pages.

Real article bodies (the sample site's English reports, ``pairs.sample_texts``) are copied
across five outlets the way wire copies are: trimmed with a new intro, reordered with a byline,
cut to 75%, lightly edited, split in two halves that share one paragraph (each half is inside
the full text, but not inside the other half), republished verbatim (``content_hash``), and
re-posted by one outlet under the same headline three times five days apart (``title_window``:
the first and the last are ten days apart, so only the middle one links them). Some copies
are published before their fuller original, and some at the same minute as another copy, so
that the origin of a cluster is decided by the tie-break. Negatives sit beside them: follow-ups
quoting two paragraphs of a story, and unrelated reports ending with the same boilerplate
paragraph.

``CopiesSite(order=...)`` serves the pages, with each outlet's feed (RSS) or news sitemap
listing its pages ``"listed"`` (as built), ``"reversed"``, or shuffled by an integer seed;
``only`` restricts the listed pages to a set of paths (a crawl in waves). Both can change
between crawls. ``expected_clusters()`` and ``expected_originals()`` give what a correct crawl
must make of the pages, as paths, whatever the order.
"""

from __future__ import annotations

import json
import random
import tomllib
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from functools import lru_cache
from xml.sax.saxutils import escape

from media_monitor.samplesite.pairs import BOILERPLATE_BOTTOM, BYLINE, INTRO, sample_texts
from media_monitor.samplesite.server import HTML, MANIFEST, NOT_FOUND, Answer, LocalSite

# name, title, how it lists its pages
OUTLETS = (
    ("wire_en", "Caucasus Wire", "feed"),
    ("daily_en", "Regional Daily", "sitemap"),
    ("post_en", "Evening Post", "feed"),
    ("review_en", "Weekly Review", "sitemap"),
    ("times_en", "Mountain Times", "feed"),
)
FOLLOW_UP = "As we reported earlier:"
UPDATE = "Update: officials confirmed the details of this report on {day}, and the story was revised."
CONTINUE = "Continue reading on the original site."


@dataclass(frozen=True)
class CopyPage:
    outlet: str
    slug: str
    title: str
    published: datetime  # UTC
    text: str  # one paragraph a line
    story: str  # the cluster a correct crawl puts it in
    kind: str  # how the page was made

    @property
    def path(self) -> str:
        return f"/{self.outlet}/{self.slug}"

    @property
    def published_iso(self) -> str:
        return self.published.strftime("%Y-%m-%dT%H:%M:%SZ")


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n") if p.strip()]


def _first_share(paras: list[str], share: float) -> list[str]:
    """The first paragraphs holding at least ``share`` of the words."""
    words, kept, total = 0, [], sum(len(p.split()) for p in paras)
    for paragraph in paras:
        if words >= share * total:
            break
        kept.append(paragraph)
        words += len(paragraph.split())
    return kept


def _lightly_edited(paras: list[str]) -> list[str]:
    """A word inserted in the middle of each long paragraph, and "said" made "stated"."""
    edited = []
    for paragraph in paras:
        words = paragraph.replace(" said ", " stated ", 1).split()
        if len(words) >= 12:
            words.insert(len(words) // 2, "reportedly")
        edited.append(" ".join(words))
    return edited


def _long(paras: list[str]) -> list[int]:
    return [i for i, p in enumerate(paras) if len(p.split()) >= 20]


@lru_cache(maxsize=1)
def _bodies() -> tuple[tuple[str, str], ...]:
    """(headline, text) of the sample site's distinct on-topic English reports."""
    pages = {p["path"]: p for p in tomllib.loads(MANIFEST.read_text("utf-8"))["page"]}
    bodies = []
    for path, _, text in sample_texts():
        page = pages[path]
        if page["expect"] == "stored" and page.get("language") == "en":
            paras = _paragraphs(text)
            bodies.append((paras[0], "\n".join(paras)))
    return tuple(bodies)


def copy_pages() -> list[CopyPage]:
    """Every page of the site, in the order built (story by story, the fuller text first)."""
    bodies = _bodies()
    pages: list[CopyPage] = []
    day0 = datetime(2024, 4, 17, tzinfo=UTC)

    def add(outlet, slug, title, at, paras, story, kind):
        pages.append(CopyPage(outlet, slug, title, at, "\n".join(paras), story, kind))

    # Stories 1 to 3: a full report and its copies; the two halves only meet through the
    # fuller texts. In story 2 the halves come first (two takes of a developing story, at the
    # same minute: the tie-break decides the origin) and the full text hours later.
    for n, (halves_first, body) in enumerate(((False, bodies[0]), (True, bodies[1]), (False, bodies[2]))):
        headline, text = body
        paras = _paragraphs(text)
        story, at = f"story-{n + 1}", day0 + timedelta(days=3 * n, hours=8)
        middle = len(paras) // 2
        first_half, second_half = paras[: middle + 1], paras[middle:]  # they share one paragraph
        rng = random.Random(n)
        reordered = paras[:]
        rng.shuffle(reordered)
        if halves_first:
            add("daily_en", f"{story}-first-take", f"{headline} (first take)", at, first_half, story, "first half")
            add("review_en", f"{story}-second-take", f"{headline} (second take)", at, second_half, story, "second half")
            full_at = at + timedelta(hours=7)
        else:
            add(
                "daily_en",
                f"{story}-trimmed",
                f"{headline}: what we know",
                at + timedelta(hours=1),
                [INTRO, *_first_share(paras, 0.5)],
                story,
                "trimmed with a new intro",
            )
            add(
                "review_en",
                f"{story}-second-half",
                f"{headline}, continued",
                at + timedelta(hours=2),
                [*second_half, CONTINUE],
                story,
                "second half",
            )
            full_at = at
        add("wire_en", f"{story}-full", headline, full_at, paras, story, "full report")
        add(
            "post_en",
            f"{story}-reordered",
            f"{headline} (analysis)",
            full_at + timedelta(hours=3),
            [BYLINE, *reordered],
            story,
            "reordered with a byline",
        )
        add(
            "times_en",
            f"{story}-edited",
            f"{headline} — report",
            full_at + timedelta(hours=4),
            _lightly_edited(paras),
            story,
            "lightly edited",
        )
        if not halves_first:
            add(
                "times_en",
                f"{story}-cut",
                f"{headline} (short)",
                full_at + timedelta(hours=5),
                _first_share(paras, 0.75),
                story,
                "cut to 75%",
            )

    # Story 4: verbatim copies (content_hash) published at the same minute: the original is the
    # one with the first canonical URL; a trimmed copy joins the cluster.
    headline, text = bodies[3]
    paras, at = _paragraphs(text), day0 + timedelta(days=10, hours=6)
    add("wire_en", "story-4-verbatim", headline, at, paras, "story-4", "verbatim")
    add("post_en", "story-4-verbatim", headline, at, paras, "story-4", "verbatim")
    add("times_en", "story-4-verbatim", headline, at + timedelta(hours=2), paras, "story-4", "verbatim")
    add(
        "daily_en",
        "story-4-trimmed",
        f"{headline}: briefly",
        at + timedelta(hours=3),
        [INTRO, *_first_share(paras, 0.6)],
        "story-4",
        "trimmed with a new intro",
    )

    # Story 5: one outlet re-posts a report under the same headline, five and ten days later,
    # with an update each time (title_window links the first to the second, the second to the
    # third); the wire's copy, an hour earlier, is the origin.
    headline, text = bodies[4]
    paras, at = _paragraphs(text), day0 + timedelta(days=14, hours=9)
    add(
        "wire_en",
        "story-5-wire",
        f"{headline} (wire)",
        at - timedelta(hours=1),
        [BYLINE, *paras],
        "story-5",
        "added byline",
    )
    versions = paras
    for version in range(3):
        when = at + timedelta(days=5 * version)
        if version:
            versions = [*versions, UPDATE.format(day=when.strftime("%d %B"))]
        add("review_en", f"story-5-v{version + 1}", headline, when, versions, "story-5", f"re-post {version + 1}")

    # Negatives: follow-ups quoting two paragraphs of stories 1 and 2 (one from each half), and
    # two unrelated reports ending with the same boilerplate.
    for n, (quoted, body) in enumerate(((bodies[0], bodies[5]), (bodies[1], bodies[6]))):
        source, own = _paragraphs(quoted[1]), _paragraphs(body[1])
        long = _long(source)
        shared = [source[long[0]], source[long[-1]]]
        add(
            ("post_en", "wire_en")[n],
            f"follow-up-{n + 1}",
            f"{body[0]}: follow-up",
            day0 + timedelta(days=20 + n),
            [*own, FOLLOW_UP, *shared],
            f"follow-up-{n + 1}",
            "follow-up sharing two paragraphs",
        )
    for n, body in enumerate(bodies[7:9]):
        add(
            ("daily_en", "times_en")[n],
            f"unrelated-{n + 1}",
            body[0],
            day0 + timedelta(days=25, hours=n),
            [*_paragraphs(body[1]), BOILERPLATE_BOTTOM],
            f"unrelated-{n + 1}",
            "shares a boilerplate paragraph",
        )
    return pages


def _order_key(page: CopyPage) -> tuple:
    return (page.published, page.path)  # one host: the canonical URLs sort as their paths


def expected_clusters(pages: Iterable[CopyPage] | None = None) -> set[frozenset[str]]:
    """The partition a correct crawl makes of the pages: each story's paths."""
    stories: dict[str, set[str]] = {}
    for page in copy_pages() if pages is None else pages:
        stories.setdefault(page.story, set()).add(page.path)
    return {frozenset(paths) for paths in stories.values()}


def expected_origins(pages: Iterable[CopyPage] | None = None) -> dict[frozenset[str], str]:
    """Each cluster's origin: its earliest published page, then the first canonical URL."""
    stories: dict[str, list[CopyPage]] = {}
    for page in copy_pages() if pages is None else pages:
        stories.setdefault(page.story, []).append(page)
    return {frozenset(p.path for p in members): min(members, key=_order_key).path for members in stories.values()}


def expected_originals(pages: Iterable[CopyPage] | None = None) -> dict[str, str | None]:
    """Each page's original (``duplicate_of``) as a path, None for an original: of verbatim
    copies, and of one outlet's re-posts under one headline, the earliest published, then the
    first canonical URL."""
    pages = copy_pages() if pages is None else list(pages)
    groups: dict[tuple, list[CopyPage]] = {}
    for page in pages:
        if page.kind == "verbatim":
            groups.setdefault(("text", page.story), []).append(page)
        elif page.kind.startswith("re-post"):
            groups.setdefault(("title", page.story), []).append(page)
    originals: dict[str, str | None] = {page.path: None for page in pages}
    for members in groups.values():
        first = min(members, key=_order_key)
        originals.update({p.path: first.path for p in members if p is not first})
    return originals


def article_html(base: str, page: CopyPage) -> str:
    outlet_title = dict((name, title) for name, title, _ in OUTLETS)[page.outlet]
    json_ld = json.dumps(
        {
            "@context": "https://schema.org",
            "@type": "NewsArticle",
            "headline": page.title,
            "datePublished": page.published_iso,
            "author": [{"@type": "Person", "name": f"{outlet_title} staff"}],
            "publisher": {"@type": "Organization", "name": outlet_title},
            "inLanguage": "en",
        },
        ensure_ascii=False,
    )
    body = "\n".join(f"<p>{escape(p)}</p>" for p in _paragraphs(page.text))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(page.title)} | {escape(outlet_title)}</title>
<link rel="canonical" href="{base}{page.path}">
<meta property="og:title" content="{escape(page.title, {'"': "&quot;"})}">
<meta property="article:published_time" content="{page.published_iso}">
<script type="application/ld+json">{json_ld}</script>
</head><body>
<header><a href="/{page.outlet}/">{escape(outlet_title)}</a></header>
<main><article><h1>{escape(page.title)}</h1>
{body}
</article></main>
<footer><p>{escape(outlet_title)}, a sample outlet.</p></footer>
</body></html>
"""


class CopiesSite(LocalSite):
    """The copies of ``copy_pages()`` on five outlets, each listing its pages in ``order``:
    ``"listed"``, ``"reversed"`` or an integer seed (a shuffle per outlet); only the paths in
    ``only`` when it is set. Sources are never cached by the site's ETag across an order
    change: the body, and so the ETag, changes with it."""

    protocol_version = "HTTP/1.1"

    def __init__(
        self, order: str | int = "listed", only: Collection[str] | None = None, host: str = "127.0.0.1", port: int = 0
    ):
        super().__init__(host, port)
        self.order, self.only = order, only
        self.pages = copy_pages()
        self._by_path = {page.path: page for page in self.pages}

    def listed(self, outlet: str) -> list[CopyPage]:
        """The outlet's pages, as its feed or sitemap lists them now."""
        pages = [p for p in self.pages if p.outlet == outlet and (self.only is None or p.path in self.only)]
        if self.order == "reversed":
            return pages[::-1]
        if isinstance(self.order, int):
            random.Random(f"{self.order}:{outlet}").shuffle(pages)
        return pages

    def answer(self, path: str, query: dict[str, list[str]]) -> Answer:
        if path == "/robots.txt":
            return Answer(200, b"User-agent: *\nAllow: /\n", "text/plain", etag=True)
        outlet, _, rest = path.strip("/").partition("/")
        if rest == "feed.xml":
            return self._feed(outlet)
        if rest == "sitemap.xml":
            return self._sitemap(outlet)
        page = self._by_path.get(path)
        if page is None:
            return NOT_FOUND
        return Answer(200, article_html(self.base, page).encode("utf-8"), HTML, etag=True)

    def _feed(self, outlet: str) -> Answer:
        items = "".join(
            f"<item><title>{escape(p.title)}</title><link>{self.base}{p.path}</link>"
            f'<guid isPermaLink="false">{p.path}</guid><pubDate>{format_datetime(p.published, usegmt=True)}</pubDate>'
            "</item>"
            for p in self.listed(outlet)
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
            f"<title>{outlet}</title><link>{self.base}/{outlet}/</link>{items}</channel></rss>"
        )
        return Answer(200, body.encode("utf-8"), "application/rss+xml; charset=utf-8", etag=True)

    def _sitemap(self, outlet: str) -> Answer:
        entries = "".join(
            f"<url><loc>{self.base}{p.path}</loc><news:news><news:publication_date>{p.published_iso}"
            f"</news:publication_date><news:title>{escape(p.title)}</news:title></news:news></url>"
            for p in self.listed(outlet)
        )
        body = (
            '<?xml version="1.0" encoding="UTF-8"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            f'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">{entries}</urlset>'
        )
        return Answer(200, body.encode("utf-8"), "application/xml", etag=True)

    def sources_toml(self) -> str:
        blocks = []
        for name, title, lists in OUTLETS:
            feeds = f'["{self.base}/{name}/feed.xml"]' if lists == "feed" else "[]"
            sitemaps = f'["{self.base}/{name}/sitemap.xml"]' if lists == "sitemap" else "[]"
            blocks.append(
                f'[[outlet]]\nname = "{name}"\ntitle = "{title}"\nhomepage = "{self.base}/{name}/"\n'
                f'language = "en"\ncountry = "GE"\ntimezone = "UTC"\nfeeds = {feeds}\nsitemaps = {sitemaps}\n'
            )
        return "\n".join(blocks)
