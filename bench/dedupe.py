"""Near-duplicate detection: accuracy on labelled pairs, and cost at scale.

    python bench/dedupe.py --evaluate            # precision/recall for a grid of thresholds
    python bench/dedupe.py --articles 100000     # time per article and peak memory through
                                                 # the real dedupe and store stages

The scale run inserts synthetic articles (300 words drawn from a 20,000-word vocabulary, one in
ten a copy of an earlier one with a paragraph dropped, and in every twenty a story met in the
order that merges clusters: its first three paragraphs, then its last three, which share one
and are not near-duplicates of each other, then the full text, which links both) through
TextSignaturePipeline, DedupePipeline and StorePipeline on a real SQLite file (with its
full-text index), timing only these stages and, apart, the articles whose links merged
clusters. Then it reopens the database, times the index rebuild from the stored signatures,
and relinks every stored article at once (``ArticleStore.relink``): nothing may change, the
clusters the stages made one article at a time being the ones all the links give. Peak memory
is the process's.
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
from datetime import timedelta
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


def _paragraphs(seed: int | str) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(rng.choices(VOCABULARY, k=60)) for _ in range(5)]


def synthetic_text(n: int) -> str:
    """Article n's text, made again on demand so the run holds no corpus in memory: five
    paragraphs of 60 words drawn uniformly (a Zipf draw would repeat whole 5-word runs, which
    real prose does not); every tenth article copies an earlier one minus its last paragraph
    (down to two paragraphs: a copy of a copy of a copy);
    articles 3, 4 and 5 of every twenty are one story's first three paragraphs, its last three,
    and its full text (the halves share a third of their shingles: no link between them)."""
    rng = random.Random(n)
    if n and n % 10 == 0:
        source = synthetic_text(rng.randrange(n)).split("\n")
        return "\n".join(source[:-1] if len(source) > 2 else source)  # a copy of a copy keeps two
    if n % 20 in MERGE_ORDER:
        story = _paragraphs(f"story {n // 20}")
        return "\n".join(story[slice(*MERGE_ORDER[n % 20])])
    return "\n".join(_paragraphs(n))


MERGE_ORDER = {3: (0, 3), 4: (2, 5), 5: (0, 5)}  # n % 20: the story's paragraphs it prints


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
        merging = [0, 0.0, 0.0]  # articles whose links merged clusters: count, their wall and CPU time
        for n in range(count):
            article = item(n)  # making the text is the benchmark's work, not the pipeline's
            merges_before = crawler.stats.get_value("monitor/cluster_merges", 0)
            began, cpu_began = time.perf_counter(), time.process_time()
            for stage in stages:
                article = stage.process_item(article)
            spent, cpu_spent = time.perf_counter() - began, time.process_time() - cpu_began
            elapsed, cpu = elapsed + spent, cpu + cpu_spent
            if crawler.stats.get_value("monitor/cluster_merges", 0) > merges_before:
                merging = [merging[0] + 1, merging[1] + spent, merging[2] + cpu_spent]
            if n + 1 in (count // 10, count):
                marks[n + 1] = (elapsed, cpu, merging[:])
        for stage in reversed(stateful):
            stage.close_spider()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        store = ArticleStore.acquire(db)
        rebuild_began = time.perf_counter()
        index = store.near_duplicates(0.3, 0.6)
        rebuild = time.perf_counter() - rebuild_began
        query = store.db.execute
        joined = query("select count(*) from articles where cluster_id != id").fetchone()[0]
        links = query("select count(*) from duplicates").fetchone()[0]
        merged = query("select count(*) from cluster_changes where merged_cluster_id is not null").fetchone()[0]
        origin_changes = query("select count(*) from cluster_changes").fetchone()[0] - merged
        largest = query("select max(size) from (select count(*) as size from articles group by cluster_id)").fetchone()[
            0
        ]
        cluster_of = dict(query("select url, cluster_id from articles").fetchall())
        apart = [
            n
            for n in range(count)
            if n % 20 == max(MERGE_ORDER)
            and len({cluster_of[f"https://bench.example/{n - back}"] for back in range(len(MERGE_ORDER))}) > 1
        ]
        relink_began = time.perf_counter()
        relinked = store.relink(index, timedelta(days=7))
        relink = time.perf_counter() - relink_began
        store.release()
    first, last = marks[count // 10], marks[count]
    others = count - last[2][0]
    print(
        f"{count} articles: {last[0] / count * 1000:.3f} ms per article "
        f"({last[1] / count * 1000:.3f} ms CPU); first {count // 10}: {first[0] / (count // 10) * 1000:.3f} ms; "
        f"last {count - count // 10}: {(last[0] - first[0]) / (count - count // 10) * 1000:.3f} ms"
    )
    print(
        f"merges: {last[2][0]} articles merged {merged} clusters: {last[2][1] / last[2][0] * 1000:.3f} ms each "
        f"({last[2][2] / last[2][0] * 1000:.3f} ms CPU) against {(last[0] - last[2][1]) / others * 1000:.3f} ms "
        f"({(last[1] - last[2][2]) / others * 1000:.3f} ms CPU) for the others; first {count // 10}: "
        f"{first[2][1] / max(first[2][0], 1) * 1000:.3f} ms a merge, last {count - count // 10}: "
        f"{(last[2][1] - first[2][1]) / max(last[2][0] - first[2][0], 1) * 1000:.3f} ms; "
        f"{origin_changes} origins changed without a merge; largest cluster {largest}"
    )
    stories = sum(1 for n in range(count) if n % 20 == max(MERGE_ORDER))
    print(
        f"peak memory {peak_mb:.0f} MB; index rebuilt from {len(index.signatures)} stored signatures in "
        f"{rebuild:.2f} s ({rebuild / len(index.signatures) * 10_000:.2f} s per 10,000); {joined} articles joined "
        f"an earlier one's cluster ({count // 10 - 1} copies and {stories} stories of three were generated: "
        f"{count // 10 - 1 + 2 * stories} expected); {links} links; stories not in one cluster: {apart}"
    )
    print(
        f"relink of every stored article at once: {relink:.2f} s ({relink / count * 10_000:.2f} s per 10,000); "
        f"{relinked['links_added']} links added, {relinked['clusters_merged']} clusters merged, "
        f"{relinked['rows_relabelled']} rows relabelled, {relinked['originals_changed']} originals changed"
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
