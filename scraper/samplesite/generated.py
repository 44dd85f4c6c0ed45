"""A generated sample site of N on-topic English articles, for the scale-out tests and the crawl
benchmark (``bench/crawl.py``): one outlet, a sitemap index of sitemaps of 500 articles each, a
permissive robots.txt, served on 127.0.0.1 by a small threaded http.server that logs every
request (path, status).

Texts are built from templates so the topic filter keeps them (peacekeepers + Karabakh +
withdrawal), with per-article names, numbers and sentence choices so no two texts are near
duplicates and no two titles are equal.
"""

from __future__ import annotations

import random
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from xml.sax.saxutils import escape

PER_SITEMAP = 500
OUTLET = "gen_en"
PLACES = ["Khankendi", "Aghdam", "Lachin", "Khojaly", "Shusha", "Fuzuli", "Kalbajar", "Tartar",
          "Barda", "Yevlakh", "Goris", "Kubatly", "Zangilan", "Jabrayil", "Khojavend", "Askeran"]
UNITS = ["convoy", "column", "battalion", "company", "engineering unit", "medical detachment",
         "logistics group", "signals platoon", "helicopter squadron", "rear guard"]
PEOPLE = ["a ministry spokesman", "a local official", "a military analyst", "a resident",
          "a diplomat", "an aid worker", "a former commander", "a district governor",
          "a border guard officer", "a lawmaker", "a researcher", "a journalist"]
VERBS = ["left", "withdrew from", "pulled out of", "departed from", "handed over", "abandoned",
         "vacated", "cleared", "dismantled", "closed"]
THINGS = ["observation post", "checkpoint", "base", "depot", "field camp", "command post",
          "barracks", "supply point", "airfield", "garrison"]
ADJ = ["quiet", "hurried", "orderly", "long-expected", "sudden", "carefully planned", "delayed",
       "surprising", "gradual", "closely watched"]
WORDS = ("road river bridge village valley hill market school hospital field orchard factory "
         "station tunnel pass ridge forest lake farm square church mosque stadium library").split()


def _sentence(rng: random.Random, n: int) -> str:
    kind = rng.randrange(6)
    place, place2 = rng.sample(PLACES, 2)
    num = rng.randrange(2, 9000)
    w1, w2, w3 = rng.sample(WORDS, 3)
    if kind == 0:
        return (f"Russian peacekeepers {rng.choice(VERBS)} the {rng.choice(THINGS)} near the {w1} of {place} "
                f"on day {num % 60 + 1}, according to {rng.choice(PEOPLE)}.")
    if kind == 1:
        return (f"A {rng.choice(ADJ)} {rng.choice(UNITS)} of {num} troops moved along the {w1} towards "
                f"{place2}, passing the old {w2} and the {w3}.")
    if kind == 2:
        return (f"'We watched them leave the {w1} at {num % 24:02d}:{num % 60:02d},' said {rng.choice(PEOPLE)} "
                f"from {place}, describing report number {n}-{num}.")
    if kind == 3:
        return (f"The withdrawal from Karabakh included {num} vehicles and {num % 97 + 3} trucks that crossed "
                f"the {w2} near {place2} after the {w3} was cleared.")
    if kind == 4:
        return (f"Officials in {place} counted {num} residents who gathered by the {w1} while the "
                f"{rng.choice(UNITS)} {rng.choice(VERBS)} the {rng.choice(THINGS)} beside the {w3}.")
    return (f"In {place2}, {rng.choice(PEOPLE)} said the {rng.choice(ADJ)} drawdown of peacekeeping forces "
            f"ends a mission of {num % 40 + 1} months, case {n}/{num}, along the {w2}.")


def article(n: int, seed: int = 0) -> tuple[str, str, str]:
    """(title, published ISO date, text) of article n: deterministic, distinct."""
    rng = random.Random(seed * 1_000_003 + n)
    place = rng.choice(PLACES)
    title = f"Peacekeepers leave {place} in Karabakh: report {n}"
    day = 17 + n % 40
    month, day = (4, day) if day <= 30 else (5, day - 30)
    published = f"2024-{month:02d}-{day:02d}T{n % 24:02d}:{n % 60:02d}:00+04:00"
    text = [f"Russian peacekeepers continued their withdrawal from the Karabakh region, report {n} says."]
    text += [_sentence(rng, n) for _ in range(rng.randrange(9, 14))]
    return title, published, " ".join(text)


def article_html(base: str, n: int, seed: int = 0) -> str:
    title, published, text = article(n, seed)
    sentences = text.split(". ")
    paragraphs = "".join(f"<p>{escape(' '.join(sentences[i:i + 3]))}</p>\n" for i in range(0, len(sentences), 3))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{escape(title)} | Generated News</title>
<link rel="canonical" href="{base}/a/{n}.html">
<meta property="og:title" content="{escape(title)}">
<meta property="article:published_time" content="{published}">
</head><body>
<header><a href="/">Generated News</a><nav><a href="/world">World</a> <a href="/region">Region</a></nav></header>
<main><article><h1>{escape(title)}</h1><p class="byline">By Staff Reporter · <time datetime="{published}">{published[:10]}</time></p>
{paragraphs}</article></main>
<footer><p>© Generated News. All rights reserved.</p></footer></body></html>
"""


class GeneratedSite:
    """The generated site, served on 127.0.0.1 (ephemeral port) from memory, pages built on
    request. ``log`` lists (path, status) of every request, ``article_hits()`` counts 200s per
    article path."""

    def __init__(self, articles: int, seed: int = 0, host: str = "127.0.0.1", port: int = 0):
        self.articles, self.seed = articles, seed
        self.log: list[tuple[str, int]] = []
        self._lock = threading.Lock()
        site = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self):  # noqa: N802
                status, body, ctype = site.page(self.path.split("?")[0])
                with site._lock:
                    site.log.append((self.path, status))
                data = body.encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer((host, port), Handler)
        self.server.daemon_threads = True
        self.base = f"http://{host}:{self.server.server_address[1]}"
        self._thread: threading.Thread | None = None

    def page(self, path: str) -> tuple[int, str, str]:
        if path == "/robots.txt":
            return 200, f"User-agent: *\nAllow: /\n\nSitemap: {self.base}/sitemap-index.xml\n", "text/plain"
        if path == "/sitemap-index.xml":
            parts = (self.articles + PER_SITEMAP - 1) // PER_SITEMAP
            entries = "".join(f"<sitemap><loc>{self.base}/sitemap-{i}.xml</loc></sitemap>" for i in range(parts))
            return 200, ('<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns='
                         f'"http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</sitemapindex>'), "application/xml"
        if path.startswith("/sitemap-") and path.endswith(".xml") and path[9:-4].isdigit():
            part = int(path[9:-4])
            numbers = range(part * PER_SITEMAP, min(self.articles, (part + 1) * PER_SITEMAP))
            if not numbers:
                return 404, "not found", "text/plain"
            entries = "".join(f"<url><loc>{self.base}/a/{n}.html</loc></url>" for n in numbers)
            return 200, ('<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns='
                         f'"http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'), "application/xml"
        if path.startswith("/a/") and path.endswith(".html") and path[3:-5].isdigit():
            n = int(path[3:-5])
            if n < self.articles:
                return 200, article_html(self.base, n, self.seed), "text/html; charset=utf-8"
        return 404, "<h1>Not found</h1>", "text/html; charset=utf-8"

    def sources_toml(self) -> str:
        return (f'[[outlet]]\nname = "{OUTLET}"\ntitle = "Generated News"\nhomepage = "{self.base}/"\n'
                'language = "en"\ncountry = "GE"\ntimezone = "Asia/Tbilisi"\nfeeds = []\n'
                f'sitemaps = ["{self.base}/sitemap-index.xml"]\n')

    def write_sources(self, path: Path) -> Path:
        path.write_text(self.sources_toml(), encoding="utf-8")
        return path

    def article_hits(self) -> dict[str, int]:
        hits: dict[str, int] = {}
        with self._lock:
            for path, status in self.log:
                if path.startswith("/a/") and status == 200:
                    hits[path] = hits.get(path, 0) + 1
        return hits

    def start(self) -> "GeneratedSite":
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


if __name__ == "__main__":  # python -m scraper.samplesite.generated N: serve until Ctrl-C
    import sys
    import time

    with GeneratedSite(int(sys.argv[1]) if len(sys.argv) > 1 else 2000) as served:
        print(served.base, flush=True)
        while True:
            time.sleep(3600)
