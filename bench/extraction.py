"""Extraction and normalisation accuracy on saved real pages, ours next to trafilatura alone.

    python bench/extraction.py                      # both default sets, ours and trafilatura
    python bench/extraction.py --trafilatura-set DIR --aeb-set DIR
    python bench/extraction.py --languages          # language detection on tests/data/languages.tsv
    python bench/extraction.py --show-misses title  # list the pages a field missed (ours)

"Ours" is exactly what a crawl stores: each page's bytes are decoded by Scrapy
(``HtmlResponse(...).text``; spiders decode with ``media_monitor.extraction.encoding.response_text``,
which can differ only for a missing or wrong charset and gives the same text on every page of both
sets), then ``media_monitor.extraction.page.extract_page`` and
``media_monitor.normalise.article.normalise_article`` run on them with ``raw`` built as
``spiders/base.py`` ``parse_article`` builds it (page values + url + fetched_at). Times cover
extraction and normalisation (language detection and date parsing included) per page, in this
one process pinned to one core; Scrapy's decoding is not timed. "trafilatura" is
``trafilatura.bare_extraction(html, url=url, with_metadata=True)`` on the same decoded text.

Sets (paths relative to the repository root; a missing folder is reported and skipped):

* ``../shared/realpages/trafilatura`` — ``tests/evaldata.json``; only the pages whose file is
  present are scored. The rules are those that reproduce the issue's figures for trafilatura
  2.3.1 alone on this set (title 133, author 93 of 144); the stricter rule is printed too:
    - title: equal ignoring case, after collapsing whitespace (strict: equal with case — the
      ground truth sometimes copies a CSS ``text-transform: uppercase`` rendering);
    - date: the ground truth's YYYY-MM-DD equals the local date of the publication time, i.e.
      ``published_at`` (UTC) moved back to ``published_offset``; pages are read with the
      timezone ``UTC`` (the outlet's zone is unknown), so a date printed without a time
      keeps its day;
    - author: one of the ground truth and the byline (the authors, then the agencies, joined
      by ``"; "``) contains the other,
      ignoring case, both non-empty (strict: trafilatura's ``tests/eval_authors.py`` rule,
      equal after collapsing whitespace); a ground truth given as a list of names is joined
      by ``"; "`` first; only pages whose ground truth has an author count;
    - with / without: trafilatura's own rule (``tests/eval_common.py`` ``count_item``): a
      snippet counts as found when it is a substring of the text, both whitespace-collapsed.
* ``../shared/realpages/article-extraction-benchmark`` — ``ground-truth.json``; main text
  precision, recall and F1 computed as that benchmark's ``evaluate.py`` does: ``\\w+``
  tokens, 4-token shingles counted as multisets, tp/fp/fn normalised per page, precision and
  recall averaged over pages, F1 of the two averages. A bag-of-tokens F1 (unigrams) is shown
  too.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import statistics
import sys
import time
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402
from scrapy.http import HtmlResponse  # noqa: E402

from media_monitor.extraction.page import extract_page  # noqa: E402
from media_monitor.normalise.article import normalise_article  # noqa: E402

DEFAULT_TRAFILATURA = ROOT.parent / "shared" / "realpages" / "trafilatura"
DEFAULT_AEB = ROOT.parent / "shared" / "realpages" / "article-extraction-benchmark"
DEFAULT_LANGUAGES = ROOT / "tests" / "data" / "languages.tsv"
FIELDS = ("title", "title, strict", "date", "author", "author, strict", "with", "without")
TIMEZONE = "UTC"  # the benchmark pages' outlets are unknown; see the module docstring


def norm(text: str | None) -> str:
    return re.sub(r"\s+", " ", text or "").strip()


def decode(body: bytes, url: str) -> str:
    """The page's text as a spider receives it."""
    return HtmlResponse(url=url, body=body).text


def run_ours(html: str, url: str, fetched_at: str) -> tuple[dict, float]:
    start = time.perf_counter()
    raw = {**extract_page(html, url), "url": url, "fetched_at": fetched_at}
    record, _ = normalise_article(raw, TIMEZONE, None)
    return record, time.perf_counter() - start


def run_trafilatura(html: str, url: str) -> tuple[dict, float]:
    start = time.perf_counter()
    document = trafilatura.bare_extraction(html, url=url, with_metadata=True, include_comments=False)
    elapsed = time.perf_counter() - start
    if document is None:
        return {}, elapsed
    data = document.as_dict() if hasattr(document, "as_dict") else dict(document)
    return data, elapsed


def local_date(record: dict) -> str | None:
    """YYYY-MM-DD of the publication time in the page's own offset."""
    if not record.get("published_at"):
        return None
    utc = datetime.strptime(record["published_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    offset = record.get("published_offset") or "+00:00"
    sign = -1 if offset.startswith("-") else 1
    hours, minutes = (int(x) for x in offset[1:].split(":"))
    return (utc + sign * timedelta(hours=hours, minutes=minutes)).strftime("%Y-%m-%d")


class Tally:
    def __init__(self) -> None:
        self.hits: Counter = Counter()
        self.totals: Counter = Counter()
        self.times: list[float] = []
        self.misses: dict[str, list] = defaultdict(list)

    def score(self, field: str, ok: bool, n: int = 1, hit: int | None = None, miss=None) -> None:
        self.totals[field] += n
        self.hits[field] += int(ok) if hit is None else hit
        if miss is not None and (not ok if hit is None else hit < n):
            self.misses[field].append(miss)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def time_row(times: list[float]) -> str:
    return f"median {statistics.median(times) * 1000:.1f} ms, p95 {percentile(times, 0.95) * 1000:.1f} ms"


def names_agree(found: str | None, gold: str) -> bool:
    found, gold = norm(found).casefold(), norm(gold).casefold()
    return bool(found and gold) and (found in gold or gold in found)


def score_trafilatura_page(tally: Tally, truth: dict, title, date, authors: str | None, text: str, who: str):
    textn = norm(text)
    miss = (truth["file"], title, truth["title"])
    tally.score("title", norm(title).casefold() == norm(truth["title"]).casefold(), miss=miss)
    tally.score("title, strict", norm(title) == norm(truth["title"]), miss=miss)
    tally.score("date", date == truth["date"], miss=(truth["file"], date, truth["date"]))
    if truth.get("author"):
        gold = truth["author"]
        gold = "; ".join(gold) if isinstance(gold, list) else gold  # 4 entries list several names
        tally.score("author", names_agree(authors, gold), miss=(truth["file"], authors, gold))
        tally.score("author, strict", norm(authors) == norm(gold), miss=(truth["file"], authors, gold))
    found = [s for s in truth["with"] if norm(s) in textn]
    tally.score(
        "with",
        True,
        len(truth["with"]),
        len(found),
        miss=(truth["file"], [s for s in truth["with"] if norm(s) not in textn]),
    )
    absent = [s for s in truth["without"] if norm(s) not in textn]
    tally.score(
        "without",
        True,
        len(truth["without"]),
        len(absent),
        miss=(truth["file"], [s for s in truth["without"] if norm(s) in textn]),
    )


def trafilatura_set(folder: Path) -> list[tuple[str, dict, Path]] | None:
    """(url, ground truth, file) of the set's pages that are present; None without the set."""
    evaldata = folder / "tests" / "evaldata.json"
    if not evaldata.is_file():
        return None
    pages = []
    for url, truth in json.loads(evaldata.read_text(encoding="utf-8")).items():
        for sub in ("eval", "cache"):
            path = folder / "tests" / sub / truth["file"]
            if path.is_file():
                pages.append((url, truth, path))
                break
    return pages


def bench_trafilatura_set(folder: Path, fetched_at: str, show: str | None, limit: int | None) -> dict | None:
    pages = trafilatura_set(folder)
    if pages is None:
        print(f"skipped: trafilatura set not found ({folder / 'tests' / 'evaldata.json'})")
        return None
    pages = pages[:limit] if limit else pages
    ours, theirs = Tally(), Tally()
    for url, truth, path in pages:
        html = decode(path.read_bytes(), url)
        record, elapsed = run_ours(html, url, fetched_at)
        ours.times.append(elapsed)
        score_trafilatura_page(
            ours,
            truth,
            record["title"],
            local_date(record),
            "; ".join([*record["authors"], *record["agencies"]]) or None,  # the byline: people, then agencies
            record["text"],
            "ours",
        )
        data, elapsed = run_trafilatura(html, url)
        theirs.times.append(elapsed)
        score_trafilatura_page(
            theirs,
            truth,
            data.get("title"),
            (data.get("date") or "")[:10] or None,
            data.get("author"),
            data.get("text") or "",
            "trafilatura",
        )
    print(f"\n== trafilatura evaluation set: {folder} ({len(pages)} pages present)")
    print(f"{'field':<15} {'ours':>18} {'trafilatura':>18}")
    for field in FIELDS:
        cells = []
        for tally in (ours, theirs):
            h, n = tally.hits[field], tally.totals[field]
            cells.append(f"{h}/{n} {h / n:6.1%}" if n else "-")
        print(f"{field:<15} {cells[0]:>18} {cells[1]:>18}")
    print(f"{'time':<15} ours: {time_row(ours.times)}; trafilatura: {time_row(theirs.times)}")
    if show:
        print(f"\nmisses of ours on {show}:")
        for miss in ours.misses.get(show, []):
            print("  ", miss)
    return {"ours": ours, "trafilatura": theirs}


_TOKEN = re.compile(r"\w+", re.UNICODE)


def shingle_tp_fp_fn(true: str, pred: str, n: int = 4) -> tuple[float, float, float]:
    """scrapinghub/article-extraction-benchmark evaluate.py string_shingle_matching."""

    def shingles(text: str) -> Counter:
        tokens = _TOKEN.findall(text or "")
        return Counter(tuple(tokens[i : i + n]) for i in range(max(1, len(tokens) - n + 1)) if tokens[i : i + n])

    t, p = shingles(true), shingles(pred)
    tp = sum((t & p).values())
    fp = sum((p - t).values())
    fn = sum((t - p).values())
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s else (0.0, 0.0, 0.0)


def bag_tp_fp_fn(true: str, pred: str) -> tuple[float, float, float]:
    t, p = Counter(true.split()), Counter(pred.split())
    tp, fp, fn = sum((t & p).values()), sum((p - t).values()), sum((t - p).values())
    s = tp + fp + fn
    return (tp / s, fp / s, fn / s) if s else (0.0, 0.0, 0.0)


def prf(rows: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    """evaluate.py metrics_from_tp_fp_fns: mean precision, mean recall, F1 of the means."""

    def precision(tp, fp, fn):
        return 1.0 if fp == fn == 0 else 0.0 if tp == fp == 0 else tp / (tp + fp)

    def recall(tp, fp, fn):
        return 1.0 if fp == fn == 0 else 0.0 if tp == fn == 0 else tp / (tp + fn)

    p = statistics.mean(precision(*r) for r in rows if r[0] + r[1] > 0)
    r = statistics.mean(recall(*r) for r in rows if r[0] + r[2] > 0)
    return p, r, 2 * p * r / (p + r) if p + r else 0.0


def bench_aeb(folder: Path, fetched_at: str, limit: int | None) -> dict | None:
    truth_file = folder / "ground-truth.json"
    if not truth_file.is_file():
        print(f"skipped: article-extraction-benchmark set not found ({truth_file})")
        return None
    truth = json.loads(truth_file.read_text(encoding="utf-8"))
    items = sorted(truth.items())[:limit] if limit else sorted(truth.items())
    rows = {"ours": ([], [], []), "trafilatura": ([], [], [])}
    for sha, item in items:
        path = folder / "html" / f"{sha}.html.gz"
        if not path.is_file():
            continue
        html = decode(gzip.decompress(path.read_bytes()), item["url"])
        record, elapsed = run_ours(html, item["url"], fetched_at)
        data, elapsed_t = run_trafilatura(html, item["url"])
        for name, text, secs in (("ours", record["text"], elapsed), ("trafilatura", data.get("text") or "", elapsed_t)):
            shingle, bag, times = rows[name]
            shingle.append(shingle_tp_fp_fn(item.get("articleBody", ""), text))
            bag.append(bag_tp_fp_fn(item.get("articleBody", ""), text))
            times.append(secs)
    print(f"\n== article-extraction-benchmark: {folder} ({len(rows['ours'][0])} pages)")
    result = {}
    for name, (shingle, bag, times) in rows.items():
        p, r, f = prf(shingle)
        _, _, fb = prf(bag)
        result[name] = (p, r, f, fb, times)
        print(
            f"{name:<12} precision {p:.4f}  recall {r:.4f}  F1 {f:.4f}   (bag-of-tokens F1 {fb:.4f});  {time_row(times)}"
        )
    return result


def bench_languages(path: Path) -> None:
    from media_monitor.normalise.language import detect_language

    if not path.is_file():
        print(f"skipped: labelled language texts not found ({path})")
        return
    rows = [
        line.split("\t", 2)
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    ]
    for kind in ("headline", "body"):
        subset = [(label, text) for label, k, text in rows if k == kind]
        matrix: dict[str, Counter] = defaultdict(Counter)
        for label, text in subset:
            matrix[label][detect_language(text)[0] or "-"] += 1
        labels = sorted(matrix)
        predicted = sorted({p for c in matrix.values() for p in c} | set(labels))
        correct = sum(matrix[label][label] for label in labels)
        print(
            f"\n== language, {kind}s: {correct}/{len(subset)} = {correct / len(subset):.1%} "
            "(no declared or outlet language given)"
        )
        print("true\\pred " + " ".join(f"{p:>4}" for p in predicted))
        for label in labels:
            print(f"{label:<9} " + " ".join(f"{matrix[label][p] or '.':>4}" for p in predicted))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--trafilatura-set", type=Path, default=DEFAULT_TRAFILATURA)
    parser.add_argument("--aeb-set", type=Path, default=DEFAULT_AEB)
    parser.add_argument(
        "--languages",
        nargs="?",
        const=DEFAULT_LANGUAGES,
        type=Path,
        help="only the language confusion matrix over a labelled TSV",
    )
    parser.add_argument("--show-misses", choices=FIELDS)
    parser.add_argument("--limit", type=int, help="first N pages of each set (quick checks)")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})  # one core
    if args.languages:
        bench_languages(args.languages)
        return
    fetched_at = datetime.now(UTC).isoformat(timespec="seconds")
    # warm up lazy imports and caches (dateparser, langdetect profiles) outside the timings
    run_ours("<html><body><p>Warm up text, 17 April 2024.</p></body></html>", "https://example.org/", fetched_at)
    run_trafilatura("<html><body><p>Warm up text.</p></body></html>", "https://example.org/")
    print(f"trafilatura {trafilatura.__version__}; timezone {TIMEZONE}; fetched_at {fetched_at}")
    bench_trafilatura_set(args.trafilatura_set, fetched_at, args.show_misses, args.limit)
    bench_aeb(args.aeb_set, fetched_at, args.limit)


if __name__ == "__main__":
    main()
