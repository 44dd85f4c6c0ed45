"""The topic's precision and recall on the labelled reports of tests/data/topic/, per language
and per kind, with the review band (borderline) beside them.

    python bench/topic.py                       # the bundled topic
    python bench/topic.py --topic my.toml       # another topic file on the same set
    python bench/topic.py --misses              # every wrong or borderline item, with its reason
    python bench/topic.py --labelled DIR        # another labelled set in the same format (a held-out one)

Kept = decided on topic; precision = kept items labelled on / kept; recall = kept on items / on
items. Borderline items are neither kept nor lost: they wait for review, and count as not kept
here. The last table is each language's shortest agency flash in words, which the short-page
limit (MONITOR_MIN_WORDS_SHORT) is set below.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from media_monitor.normalise.text import word_count
from media_monitor.story.topic import BORDERLINE, ON_TOPIC, Topic, TopicMatch, load_topic

LABELLED = Path(__file__).resolve().parent.parent / "tests" / "data" / "topic"


@dataclass(frozen=True)
class Item:
    language: str
    on: bool  # labelled on topic
    kind: str
    title: str
    text: str
    where: str  # file:line


def load_items(folder: Path = LABELLED) -> list[Item]:
    """Every item of the folder's <language>.tsv files: ``label kind | headline | text``."""
    items = []
    for path in sorted(folder.glob("*.tsv")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if not line.strip() or line.startswith("#"):
                continue
            head, title, text = (part.strip() for part in line.split(" | ", 2))
            label, kind = head.split()
            text = "\n".join(p.strip() for p in text.split(" ¶ "))
            items.append(Item(path.stem, label == "on", kind, title, text, f"{path.name}:{number}"))
    return items


@dataclass
class Tally:
    items: int = 0
    on: int = 0
    kept: int = 0
    kept_on: int = 0
    borderline_on: int = 0
    borderline_off: int = 0

    def add(self, item: Item, match: TopicMatch) -> None:
        self.items += 1
        self.on += item.on
        self.kept += match.status == ON_TOPIC
        self.kept_on += item.on and match.status == ON_TOPIC
        self.borderline_on += item.on and match.status == BORDERLINE
        self.borderline_off += not item.on and match.status == BORDERLINE

    @property
    def precision(self) -> float:
        return self.kept_on / self.kept if self.kept else 1.0

    @property
    def recall(self) -> float:
        return self.kept_on / self.on if self.on else 1.0


def score(topic: Topic, items: list[Item]) -> list[tuple[Item, TopicMatch]]:
    return [(item, topic.match(item.title, item.text)) for item in items]


def tallies(scored: list[tuple[Item, TopicMatch]], key) -> dict[str, Tally]:
    by: dict[str, Tally] = defaultdict(Tally)
    for item, match in scored:
        by[key(item)].add(item, match)
        by["all"].add(item, match)
    return dict(by)


def print_table(title: str, by: dict[str, Tally]) -> None:
    print(f"\n| {title} | items | on | kept | precision | recall | borderline (on / off) |")
    print("|---|---|---|---|---|---|---|")
    for name in sorted(by, key=lambda n: (n == "all", n)):
        t = by[name]
        row = f"{t.items} | {t.on} | {t.kept} | {t.precision:.3f} | {t.recall:.3f} | {t.borderline_on} / {t.borderline_off}"
        print(f"| {'**all**' if name == 'all' else name} | {row} |")


def shortest_flashes(items: list[Item]) -> dict[str, int]:
    shortest: dict[str, int] = {}
    for item in items:
        if item.kind == "flash":
            shortest[item.language] = min(shortest.get(item.language, 10**6), word_count(item.text))
    return shortest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--topic", help="topic file (default: the bundled one)")
    parser.add_argument("--misses", action="store_true", help="print every wrong or borderline item")
    parser.add_argument(
        "--labelled",
        type=Path,
        default=LABELLED,
        help="folder of <language>.tsv files in tests/data/topic/'s format (default: that folder)",
    )
    args = parser.parse_args()
    if not any(args.labelled.glob("*.tsv")):
        parser.error(f"no <language>.tsv file in {args.labelled}")
    topic = load_topic(args.topic)
    items = load_items(args.labelled)
    scored = score(topic, items)
    print(f"{len(items)} items ({sum(i.on for i in items)} on topic) in {len({i.language for i in items})} languages")
    print_table("language", tallies(scored, lambda i: i.language))
    print_table("kind", tallies(scored, lambda i: ("on " if i.on else "off ") + i.kind))
    print("\n| language | shortest flash (words) |\n|---|---|")
    for language, words in sorted(shortest_flashes(items).items()):
        print(f"| {language} | {words} |")
    if args.misses:
        print()
        for item, match in scored:
            if (match.status == ON_TOPIC) != item.on or match.status == BORDERLINE:
                print(f"{item.where} [{'on' if item.on else 'off'} {item.kind}] {item.title}\n    {match.reason}")


if __name__ == "__main__":
    main()
