"""Labelled text pairs for measuring near-duplicate detection, built from the sample site.

Positives are copies made by the edits wire copies undergo: a new headline, dropped or
reordered paragraphs, an added intro or byline, a truncated "continue reading" copy,
boilerplate around the text, and the hardest: 70% of the source with 30% of other material.
Each keeps at least 70% of the source's text. Negatives are every
pair of different reports (many on the same event and day), an outlet's daily roundups that
share their template, and an article with its follow-up quoting one of its paragraphs.
"""

from __future__ import annotations

import random
import tomllib
from dataclasses import dataclass

from media_monitor.extraction.page import extract_page
from media_monitor.samplesite.server import MANIFEST, SITE_DIR

INTRO = "This report was first published by our partner agency and is republished with permission."
BYLINE = "By our correspondent in the South Caucasus, with additional reporting by agencies."
BOILERPLATE_TOP = "Subscribe to our newsletter for the day's top stories. Follow us on social media for live updates."
BOILERPLATE_BOTTOM = (
    "Copyright of the original publisher. All rights reserved. This material may not be "
    "published, broadcast, rewritten or redistributed without permission."
)
ROUNDUP_HEAD = (
    "Good morning. This is the daily briefing from our newsroom, with the stories you need to know "
    "about today from across the region, the wider world, business, culture and sport."
)
ROUNDUP_FOOT = (
    "That is all for today's briefing. Send us your tips and feedback, share this newsletter with a "
    "friend, and join us again tomorrow morning for another round of the day's essential news."
)


@dataclass(frozen=True)
class Pair:
    a: str
    b: str
    copy: bool  # True: b is a copy of a
    kind: str  # the edit, or the kind of negative
    same_day: bool = False  # a negative of two reports published the same day


def _paragraphs(text: str) -> list[str]:
    return [p for p in text.split("\n") if p.strip()]


def sample_texts() -> list[tuple[str, str, str]]:
    """(path, published date, main text) of every distinct article page of the sample site."""
    pages = tomllib.loads(MANIFEST.read_text("utf-8"))["page"]
    texts = []
    for page in pages:
        if page["expect"] not in ("stored", "off_topic") or page.get("cluster_of"):
            continue
        file = SITE_DIR / (page["path"].lstrip("/").split("?")[0] + ".html")
        html = file.read_bytes().decode(page.get("encoding") or "utf-8")
        text = extract_page(html, "http://sample.invalid" + page["path"])["text"]
        if len(text.split()) >= 100:
            texts.append((page["path"], page["published_at"][:10], text))
    return texts


def _copies(text: str, other: str, rng: random.Random) -> list[tuple[str, str]]:
    paras = _paragraphs(text)
    words = sum(len(p.split()) for p in paras)
    kept, seventy = [], 0
    for paragraph in paras:  # the first 70% of the words, in whole paragraphs
        if seventy >= 0.7 * words:
            break
        kept.append(paragraph)
        seventy += len(paragraph.split())
    added, extra = [], 0
    for paragraph in _paragraphs(other):  # and as much local material as the copy dropped
        if extra >= words - seventy:
            break
        added.append(paragraph)
        extra += len(paragraph.split())
    keep = max(2, -(-len(paras) * 8 // 10))  # 80% of the paragraphs, rounded up
    shuffled = paras[:]
    rng.shuffle(shuffled)
    dropped = sorted(rng.sample(range(len(paras)), len(paras) - keep))
    return [
        ("new headline", text),  # the headline is not part of the text: the text is identical
        ("dropped paragraphs", "\n".join(p for i, p in enumerate(paras) if i not in dropped)),
        ("reordered paragraphs", "\n".join(shuffled)),
        ("added intro", "\n".join([INTRO, *paras])),
        ("added byline", "\n".join([BYLINE, *paras])),
        ("truncated, continue reading", "\n".join([*paras[:keep], "Continue reading on the original site…"])),
        ("boilerplate around", "\n".join([BOILERPLATE_TOP, *paras, BOILERPLATE_BOTTOM])),
        ("intro and last paragraph dropped", "\n".join([INTRO, *paras[:-1]])),
        ("70% kept, 30% local material", "\n".join([*kept, *added])),
    ]


def labelled_pairs(seed: int = 7) -> list[Pair]:
    rng = random.Random(seed)
    texts = sample_texts()
    pairs = [
        Pair(text, copy, True, kind)
        for n, (_, _, text) in enumerate(texts)
        for kind, copy in _copies(text, texts[(n + 7) % len(texts)][2], rng)
    ]
    for i, (_, day_a, a) in enumerate(texts):
        for _, day_b, b in texts[i + 1 :]:
            pairs.append(Pair(a, b, False, "different reports", same_day=day_a == day_b != ""))
    # A roundup item is an article's lead: its first paragraph long enough not to be a headline.
    firsts = [next(p for p in _paragraphs(t) if len(p.split()) >= 20) for _, _, t in texts]
    for i in range(0, len(firsts) - 6, 3):
        day_one = "\n".join([ROUNDUP_HEAD, *firsts[i : i + 3], ROUNDUP_FOOT])
        day_two = "\n".join([ROUNDUP_HEAD, *firsts[i + 3 : i + 6], ROUNDUP_FOOT])
        pairs.append(Pair(day_one, day_two, False, "daily roundups"))
    for i in range(len(texts) - 1):
        original, other = texts[i][2], texts[i + 1][2]
        quoted = next(p for p in _paragraphs(original) if len(p.split()) >= 20)
        follow_up = "\n".join([*_paragraphs(other), f"As we reported earlier: {quoted}"])
        pairs.append(Pair(original, follow_up, False, "follow-up"))
    return pairs
