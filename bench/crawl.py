"""Crawl benchmark: a generated site of N articles on loopback, politeness off, crawled
single-process (`monitor crawl`) and by 2 workers + 1 writer (`monitor worker`, `monitor ingest`
on a private redis-server), then re-crawled unchanged (single-process).

    python bench/crawl.py [--articles 5000] [--rounds 3] [--set KEY=VALUE ...]

The single-process and the scale-out crawls are alternated ``--rounds`` times and their median
times compared, so that both meet this shared machine's slow and fast spells. Prints
articles/second, peak RSS of each process, CPU per article, and CPU per article by stage.
Stage CPU is measured inside the single-process crawl (the spiders time extraction, the
pipelines time themselves: ``monitor/cpu/*`` stats, read from the crawl's log), and in-process
on the saved real news pages of ../shared/realpages/trafilatura when present (generated pages
are real-size but cheaper to extract than real ones); "download and engine" is the crawl's CPU
per article minus its stages: Scrapy's own work, feeds and sitemaps included; beside it, what
Scrapy alone spends to fetch one of the same pages (``bench/scrapy_floor.py``). The site's pages
are rendered to files before the first crawl starts, so that the site server in this process
spends only HTTP's CPU on the shared cores while the crawls are timed (an outlet's servers are
not on the crawling machine).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import scrapy_floor  # bench/scrapy_floor.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SERVER_CPU: list[float] = []
FAST = [
    "--set",
    "AUTOTHROTTLE_ENABLED=False",
    "--set",
    "CONCURRENT_REQUESTS_PER_DOMAIN=16",
    "--set",
    "CONCURRENT_REQUESTS=16",
]


def run(procs: list[list[str]], log: Path | None = None) -> tuple[float, list[tuple[float, int]]]:
    """Start the commands together; wall seconds and each one's (CPU seconds, peak RSS KB).
    ``log``: where the first command's log goes."""
    started, server_cpu = time.monotonic(), time.process_time()
    running = {
        subprocess.Popen(
            [sys.executable, "-m", "media_monitor", *a],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=log.open("w") if log and i == 0 else subprocess.DEVNULL,
        ).pid: i
        for i, a in enumerate(procs)
    }
    out: list = [None] * len(procs)
    while running:
        pid, _status, usage = os.wait4(-1, 0)
        if pid in running:
            out[running.pop(pid)] = (usage.ru_utime + usage.ru_stime, usage.ru_maxrss)
    wall = time.monotonic() - started
    SERVER_CPU.append(time.process_time() - server_cpu)  # the site server's CPU (this process)
    return wall, out


REAL_PAGES = ROOT.parent / "shared" / "realpages" / "trafilatura"  # bench/extraction.py's default set
STAGES = ("extraction", "normalisation", "window", "topic", "dedupe", "store")
# Scrapy's closing stats dump, as the crawl logs it at INFO: 'monitor/cpu/topic': 1.23,
CPU_STAT = re.compile(r"'monitor/cpu/(\w+)': ([0-9.e+-]+)")


def crawl_stage_cpu(log: Path) -> dict[str, float]:
    """CPU seconds of each stage inside a crawl, summed over its spiders (pipelines.timed and
    the spiders' extraction timing, from the stats each spider dumps when it closes)."""
    cpu = dict.fromkeys(STAGES, 0.0)
    for stage, seconds in CPU_STAT.findall(log.read_text(encoding="utf-8", errors="replace")):
        if stage in cpu:
            cpu[stage] += float(seconds)
    return cpu


def real_pages() -> list[tuple[str, str]]:
    """(html, url) of the saved real news pages (../shared/realpages/trafilatura), decoded as a
    spider gets them, as bench/extraction.py reads them; [] when the folder is absent."""
    from extraction import decode, trafilatura_set  # bench/extraction.py, beside this script

    return [(decode(path.read_bytes(), url), url) for url, _, path in trafilatura_set(REAL_PAGES) or []]


def stage_cpu(site, pages: list[tuple[str, str]]) -> dict[str, float]:
    """CPU seconds per article of each stage over `pages` ((html, url) pairs)."""
    from scrapy.exceptions import DropItem
    from scrapy.utils.test import get_crawler

    from media_monitor import compat
    from media_monitor.extraction.page import extract_page
    from media_monitor.items import ArticleItem
    from media_monitor.normalise.article import normalise_article
    from media_monitor.normalise.language import _gram_probs, _word_ngrams
    from media_monitor.pipelines.dedupe import DedupePipeline
    from media_monitor.pipelines.signature import TextSignaturePipeline
    from media_monitor.pipelines.store import StorePipeline
    from media_monitor.samplesite.generated import OUTLET
    from media_monitor.scaleout.ingest import IngestSpider
    from media_monitor.story.topic import load_topic

    topic = load_topic(None)
    tmp = Path(tempfile.mkdtemp())
    crawler = get_crawler(IngestSpider, {"MONITOR_DB": str(tmp / "s.db"), "MONITOR_SOURCES": str(tmp / "src.toml")})
    site.write_sources(tmp / "src.toml")
    IngestSpider.outlets = {}
    crawler.spider = compat.create_spider(crawler)
    stateful = [DedupePipeline.from_crawler(crawler), StorePipeline.from_crawler(crawler)]
    stages = [TextSignaturePipeline.from_crawler(crawler), *stateful]
    for s in stateful:
        s.open_spider()
    cpu = dict.fromkeys(("extraction", "normalisation", "topic", "dedupe", "store"), 0.0)
    # Warm up on every page, untimed: a crawl pays these once per process, not per article, and
    # in a 203-page sample they would weigh as if they were per-page costs (dateparser compiles
    # a language's patterns the first time it meets it: ~2 s for one page here, 10 ms on the
    # mean). Also lxml's and extraction's caches, langdetect's profiles (~0.5 s), the topic's
    # patterns. The caches langdetect keeps per word and n-gram are then emptied, so that the
    # timed pass pays for its words as a first reading does.
    for warm_html, warm_url in pages:
        warm = ArticleItem(
            outlet=OUTLET,
            url=warm_url,
            met_urls=[warm_url],
            fetched_at="2024-06-20T12:00:00+00:00",
            **extract_page(warm_html, warm_url),
        )
        warm.update(normalise_article(warm, "Asia/Tbilisi", "en")[0])
        topic.match(warm.get("title") or "", warm.get("description") or "", warm["text"])
    _word_ngrams.cache_clear()
    _gram_probs.cache_clear()
    for html, url in pages:
        t = time.process_time()
        values = extract_page(html, url)
        cpu["extraction"] += time.process_time() - t
        item = ArticleItem(outlet=OUTLET, url=url, met_urls=[url], fetched_at="2024-06-20T12:00:00+00:00", **values)
        t = time.process_time()
        record, _ = normalise_article(item, "Asia/Tbilisi", "en")
        item.update(record)
        cpu["normalisation"] += time.process_time() - t
        t = time.process_time()
        match = topic.match(item.get("title") or "", item.get("description") or "", item["text"])
        item["relevance"], item["matched_terms"] = match.relevance, match.matched_terms
        cpu["topic"] += time.process_time() - t
        for name, stage in zip(("dedupe", "dedupe", "store"), stages, strict=False):  # the signature is dedupe's
            t = time.process_time()
            try:
                item = stage.process_item(item)
            except DropItem:
                break
            finally:
                cpu[name] += time.process_time() - t
    t = time.process_time()
    for s in reversed(stateful):
        s.close_spider()
    cpu["store"] += time.process_time() - t
    shutil.rmtree(tmp)
    return {k: v / len(pages) for k, v in cpu.items()}


def main() -> None:
    from media_monitor.samplesite.generated import GeneratedSite

    parser = argparse.ArgumentParser()
    parser.add_argument("--articles", type=int, default=5000)
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="single-process and scale-out crawls are alternated this many times, so both "
        "meet the machine's slow and fast spells; figures are medians (at most 16)",
    )
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="a Scrapy setting for every crawl of the run (single, workers, re-crawl), e.g. --set CONCURRENT_ITEMS=1",
    )
    args = parser.parse_args()
    FAST.extend(x for pair in args.overrides for x in ("--set", pair))
    n, rounds = args.articles, max(1, min(args.rounds, 16))
    tmp = Path(tempfile.mkdtemp(prefix="bench-crawl-"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    redis_server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(0.5)
    singles, scaled, stages, fetched = [], [], [], []
    try:
        (tmp / "site").mkdir()
        with GeneratedSite(n, prerender_to=tmp / "site") as site:
            sources = str(site.write_sources(tmp / "sources.toml"))
            for r in range(rounds):
                crawl = ["crawl", "--db", str(tmp / f"single-{r}.db"), "--sources", sources, *FAST]
                hits_before = sum(site.article_hits().values())
                singles.append(run([[*crawl, "--log-level", "INFO"]], log=tmp / f"single-{r}.log"))
                stages.append({k: v / n for k, v in crawl_stage_cpu(tmp / f"single-{r}.log").items()})
                fetched.append(sum(site.article_hits().values()) - hits_before)
                url = f"redis://127.0.0.1:{port}/{r}"  # a fresh Redis database each round
                worker = ["worker", "--redis", url, "--sources", sources, "--idle-exit", "1", *FAST]
                scaled.append(
                    run(
                        [
                            [*worker, "--cache-dir", str(tmp / f"c1-{r}")],
                            [*worker, "--cache-dir", str(tmp / f"c2-{r}")],
                            [
                                "ingest",
                                "--redis",
                                url,
                                "--db",
                                str(tmp / f"workers-{r}.db"),
                                "--sources",
                                sources,
                                "--idle-exit",
                                "1",
                            ],
                        ]
                    )
                )
            hits_before = sum(site.article_hits().values())
            wall3, [(cpu3, _)] = run([["crawl", "--db", str(tmp / "single-0.db"), "--sources", sources, *FAST]])
            refetched = sum(site.article_hits().values()) - hits_before
            floor = scrapy_floor.cpu_per_page(site.base, n)
            real = real_pages()
            real_stages = stage_cpu(site, real) if real else None
    finally:
        redis_server.terminate()
    report(n, tmp, singles, scaled, stages, fetched, (wall3, cpu3, refetched), floor, real, real_stages)
    shutil.rmtree(tmp, ignore_errors=True)


def report(n, tmp, singles, scaled, stages, fetched, recrawl, floor, real, real_stages) -> None:
    import sqlite_utils

    rounds = len(singles)
    print(f"settings: {' '.join(FAST[1::2])}; {n} articles; {rounds} rounds, single-process and scale-out alternated")
    for r, ((wall1, [(cpu1, rss1)]), (wall2, res2)) in enumerate(zip(singles, scaled, strict=False)):
        stored1 = sqlite_utils.Database(tmp / f"single-{r}.db")["articles"].count
        stored2 = sqlite_utils.Database(tmp / f"workers-{r}.db")["articles"].count
        print(
            f"round {r + 1}: single {wall1:6.1f} s (CPU {cpu1 / n * 1000:.1f} ms/article, RSS {rss1 / 1024:.0f} MB, "
            f"fetched {fetched[r]}, stored {stored1}); 2 workers+ingest {wall2:6.1f} s (stored {stored2}): "
            f"{wall1 / wall2:.2f}x; server CPU {SERVER_CPU[2 * r]:.1f} / {SERVER_CPU[2 * r + 1]:.1f} s"
        )
        print(
            "         "
            + "; ".join(
                f"{name} CPU {cpu:.1f} s, RSS {rss / 1024:.0f} MB"
                for name, (cpu, rss) in zip(("worker 1", "worker 2", "ingest"), res2, strict=False)
            )
        )
    wall1 = statistics.median(w for w, _ in singles)
    wall2 = statistics.median(w for w, _ in scaled)
    cpu1 = statistics.median(c for _, [(c, _)] in singles)
    print(
        f"single process :  {wall1:6.1f} s  {n / wall1:6.1f} articles/s  CPU {cpu1 / n * 1000:.1f} ms/article (medians)"
    )
    ratios = statistics.median(w1 / w2 for (w1, _), (w2, _) in zip(singles, scaled, strict=False))
    print(
        f"2 workers+ingest: {wall2:6.1f} s  {n / wall2:6.1f} articles/s  speed-up {wall1 / wall2:.2f}x "
        f"(of the medians; median of the rounds' own: {ratios:.2f}x)"
    )
    print(
        f"  worker peak RSS {max(rss for _, res in scaled for _, rss in res[:2]) / 1024:.0f} MB, "
        f"ingest {max(res[2][1] for _, res in scaled) / 1024:.0f} MB (largest of the rounds)"
    )
    wall3, cpu3, refetched = recrawl
    print(
        f"re-crawl unchanged:    {wall3:6.1f} s ({wall3 / wall1:.1%} of a first crawl), CPU {cpu3:.1f} s "
        f"({cpu3 / cpu1:.1%}), article pages fetched again: {refetched}"
    )
    in_situ = {k: statistics.median(s[k] for s in stages) for k in stages[0]}
    download = cpu1 / n - sum(in_situ.values())
    print(
        "CPU per article by stage (ms, medians of the rounds): inside the single-process crawl (generated pages)"
        + (
            f"; in-process on the saved real pages ({len(real)}, {REAL_PAGES}; after an untimed pass)"
            if real_stages
            else f"; real pages skipped: {REAL_PAGES} not found"
        )
    )
    for name in STAGES:
        print(
            f"  {name:<15} {in_situ[name] * 1000:7.2f}"
            + (f" {real_stages[name] * 1000:9.2f}" if real_stages and name in real_stages else "")
        )
    print(
        f"  {'download+engine':<15} {download * 1000:7.2f}  (the crawl's CPU minus its stages; Scrapy's own work,"
        " the same whatever a page holds)"
    )
    print(
        f"  {'of which Scrapy':<15} {floor * 1000:7.2f}  (a bare spider fetching the same pages, start-up apart:"
        " bench/scrapy_floor.py)"
    )
    others = sum(v for k, v in in_situ.items() if k != "extraction")
    print(
        f"stages other than extraction, generated pages: {(others + download) / in_situ['extraction']:.0%} "
        f"of extraction (without download+engine: {others / in_situ['extraction']:.0%})"
    )
    if real_stages:
        others = sum(v for k, v in real_stages.items() if k != "extraction")
        print(
            f"stages other than extraction, real pages: {(others + download) / real_stages['extraction']:.0%} "
            f"of extraction (without download+engine: {others / real_stages['extraction']:.0%})"
        )
    print(
        f"Scrapy alone, before any stage: {floor / in_situ['extraction']:.0%} of extraction on the generated pages"
        + (f", {floor / real_stages['extraction']:.0%} on the real ones" if real_stages else "")
    )


if __name__ == "__main__":
    main()
