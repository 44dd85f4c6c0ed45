"""How many requests a windowed backfill of the sample site costs, against what it stores.

    python bench/backfill_requests.py [--since 2024-04-01 --until 2024-06-30]

Serves the bundled sample site on 127.0.0.1, runs `monitor crawl --since … --until …` twice
(GDELT discovery pointed at the site's GDELT-shaped endpoint), and prints the requests of each
run by kind next to the articles stored. The ideal is about one request per article plus one
per feed, sitemap partition, listing page and API call.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
import tomllib
from collections import Counter
from pathlib import Path

import sqlite_utils

from media_monitor.samplesite import SampleSite
from media_monitor.samplesite.server import MANIFEST

ROOT = Path(__file__).resolve().parent.parent


def kind_of(path: str, articles: set[str]) -> str:
    if path == "/robots.txt":
        return "robots.txt"
    if path.startswith("/gdelt/"):
        return "GDELT API"
    if "/tag/" in path:
        return "listing page"
    if path.endswith((".xml", ".rdf")):
        return "feed/sitemap"
    if path in articles:
        return "article"
    return "other"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--since", default="2024-04-01")
    parser.add_argument("--until", default="2024-06-30")
    args = parser.parse_args()
    articles = {p["path"] for p in tomllib.loads(MANIFEST.read_text("utf-8"))["page"]}
    with SampleSite() as site, tempfile.TemporaryDirectory() as tmp:
        sources = site.write_sources(Path(tmp) / "sources.toml")
        db = Path(tmp) / "monitor.db"
        for run in (1, 2):
            start, began = len(site.log), time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-m",
                    "media_monitor",
                    "crawl",
                    "--db",
                    str(db),
                    "--sources",
                    str(sources),
                    "--since",
                    args.since,
                    "--until",
                    args.until,
                    "--no-archive",  # the sample site's live route only; bench/backfill_archive.py measures the archives'
                    "--set",
                    f"MONITOR_GDELT_URL={site.base}/gdelt/api/v2/doc/doc",
                    "--set",
                    "MONITOR_GDELT_DELAY=0",
                    "--set",
                    "MONITOR_GDELT_CHUNK_DAYS=31",
                    "--set",
                    "AUTOTHROTTLE_ENABLED=False",
                ],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
            elapsed = time.perf_counter() - began
            log = site.log[start:]
            by_kind = Counter(kind_of(path, articles) for path, _ in log)
            not_modified = sum(1 for path, status in log if status == 304)
            stored = (
                sqlite_utils.Database(db).execute("select count(*), sum(duplicate_of is null) from articles").fetchone()
            )
            print(
                f"run {run}: {len(log)} requests in {elapsed:.1f}s; articles stored {stored[0]} "
                f"({stored[1]} distinct); {not_modified} answered 304 Not Modified"
            )
            for kind, count in sorted(by_kind.items()):
                print(f"  {kind:<14} {count}")


if __name__ == "__main__":
    main()
