"""Near-duplicate detection: accuracy on labelled pairs, and cost at scale.

    python bench/dedupe.py --evaluate            # precision/recall for a grid of thresholds
    python bench/dedupe.py --articles 100000     # time per article and peak memory through
                                                 # the real dedupe and store stages

The scale run inserts synthetic articles (300 words drawn from a 20,000-word vocabulary, one in
ten a copy of an earlier one with a paragraph dropped) through TextSignaturePipeline,
DedupePipeline and StorePipeline on a real SQLite file (with its full-text index), timing only
these stages, then reopens the
database and times the index rebuild from the stored signatures. Peak memory is the process's.
"""

from __future__ import annotations

import argparse
import random
import resource
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from media_monitor.storage.minhash import NearDuplicateIndex, containment, signature


def evaluate(lsh_thresholds=(0.2, 0.3, 0.5), containments=(0.5, 0.6, 0.7, 0.8, 0.85, 0.9)) -> None:
    from media_monitor.samplesite.pairs import labelled_pairs

    pairs = labelled_pairs()
    sigs = {}
    for pair in pairs:
        for text in (pair.a, pair.b):
            if text not in sigs:
                sigs[text] = signature(text)
    positives = [p for p in pairs if p.copy]
    print(
        f"{len(pairs)} pairs: {len(positives)} copies, {len(pairs) - len(positives)} negatives "
        f"({sum(p.same_day for p in pairs)} different reports of the same day)"
    )
    scores = defaultdict(list)
    for p in pairs:
        scores[(p.copy, p.kind)].append(containment(sigs[p.a], sigs[p.b]))
    print("\nestimated containment by kind: min / median / max")
    for (copy, kind), values in sorted(scores.items()):
        print(
            f"  {'copy' if copy else 'not '} {kind:<34} {min(values):.2f} / {statistics.median(values):.2f} / {max(values):.2f}"
        )
    print("\nLSH  containment  precision  recall  false merges (same day)")
    for lsh in lsh_thresholds:
        candidates = []
        for p in pairs:  # does the LSH index return a for b? (probabilistic: part of the measure)
            index = NearDuplicateIndex(lsh, 0.0)
            index.add(1, sigs[p.a])
            candidates.append(index.best_match(sigs[p.b]))
        for minimum in containments:
            tp = fp = fn = same_day_fp = 0
            for p, match in zip(pairs, candidates, strict=False):
                found = match is not None and match[1] >= minimum
                tp += found and p.copy
                fp += found and not p.copy
                fn += (not found) and p.copy
                same_day_fp += found and p.same_day
            precision = tp / (tp + fp) if tp + fp else 1.0
            print(f"{lsh:>4}  {minimum:>11}  {precision:>9.3f}  {tp / (tp + fn):>6.3f}  {fp:>5} ({same_day_fp})")


VOCABULARY = [f"w{n}" for n in range(20_000)]


def synthetic_text(n: int) -> str:
    """Article n's text, made again on demand so the run holds no corpus in memory: five
    paragraphs of 60 words drawn uniformly (a Zipf draw would repeat whole 5-word runs, which
    real prose does not); every tenth article copies an earlier one minus its last paragraph."""
    rng = random.Random(n)
    if n and n % 10 == 0:
        return "\n".join(synthetic_text(rng.randrange(n)).split("\n")[:-1])
    return "\n".join(" ".join(rng.choices(VOCABULARY, k=60)) for _ in range(5))


def scale(count: int) -> None:
    from scrapy.utils.test import get_crawler

    from media_monitor import compat
    from media_monitor.config.sources import Outlet
    from media_monitor.items import ArticleItem
    from media_monitor.normalise.text import comparison_key, content_hash
    from media_monitor.pipelines.dedupe import DedupePipeline
    from media_monitor.pipelines.signature import TextSignaturePipeline
    from media_monitor.pipelines.store import StorePipeline
    from media_monitor.spiders.base import OutletSpider
    from media_monitor.storage.store import ArticleStore

    outlet = Outlet(
        name="bench",
        title="Bench",
        homepage="https://bench.example/",
        language="en",
        country="GE",
        timezone="UTC",
        feeds=("https://bench.example/feed",),
    )

    def item(n: int) -> ArticleItem:
        text = synthetic_text(n)
        return ArticleItem(
            outlet="bench",
            url=f"https://bench.example/{n}",
            canonical_url=f"https://bench.example/{n}",
            fetched_at="2024-06-20T12:00:00+00:00",
            title=f"Story {n}",
            title_key=comparison_key(f"Story {n}"),
            text=text,
            word_count=len(text.split()),
            content_hash=content_hash(text),
            met_urls=[f"https://bench.example/{n}"],
            published_at=f"2024-{1 + n % 12:02d}-{1 + n % 28:02d}T{n % 24:02d}:00:00Z",
        )

    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        crawler = get_crawler(OutletSpider.for_outlet(outlet), {"MONITOR_DB": str(db), "MONITOR_BATCH_SIZE": 500})
        crawler.spider = compat.create_spider(crawler)
        stateful = [DedupePipeline.from_crawler(crawler), StorePipeline.from_crawler(crawler)]
        stages = [TextSignaturePipeline.from_crawler(crawler), *stateful]
        for stage in stateful:
            stage.open_spider()
        elapsed = cpu = 0.0
        marks = {}
        for n in range(count):
            article = item(n)  # making the text is the benchmark's work, not the pipeline's
            began, cpu_began = time.perf_counter(), time.process_time()
            for stage in stages:
                article = stage.process_item(article)
            elapsed += time.perf_counter() - began
            cpu += time.process_time() - cpu_began
            if n + 1 in (count // 10, count):
                marks[n + 1] = (elapsed, cpu)
        for stage in reversed(stateful):
            stage.close_spider()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        store = ArticleStore.acquire(db)
        rebuild_began = time.perf_counter()
        index = store.near_duplicates(0.3, 0.6)
        rebuild = time.perf_counter() - rebuild_began
        joined = store.db.execute("select count(*) from articles where cluster_id != id").fetchone()[0]
        store.release()
    first, last = marks[count // 10], marks[count]
    print(
        f"{count} articles: {last[0] / count * 1000:.3f} ms per article "
        f"({last[1] / count * 1000:.3f} ms CPU); first {count // 10}: {first[0] / (count // 10) * 1000:.3f} ms; "
        f"last {count - count // 10}: {(last[0] - first[0]) / (count - count // 10) * 1000:.3f} ms"
    )
    print(
        f"peak memory {peak_mb:.0f} MB; index rebuilt from {len(index.signatures)} stored signatures in "
        f"{rebuild:.2f} s ({rebuild / len(index.signatures) * 10_000:.2f} s per 10,000); {joined} articles joined "
        f"an earlier one's cluster ({count // 10 - 1} copies were generated)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--evaluate", action="store_true", help="precision and recall on the labelled pairs")
    parser.add_argument("--articles", type=int, help="insert this many synthetic articles and time it")
    args = parser.parse_args()
    if args.evaluate or not args.articles:
        evaluate()
    if args.articles:
        scale(args.articles)


if __name__ == "__main__":
    main()
