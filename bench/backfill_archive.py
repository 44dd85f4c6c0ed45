"""What a windowed backfill through the Wayback Machine costs in archive requests, per stored article.

    python bench/backfill_archive.py [--since 2024-04-01 --until 2024-06-30] [--delay 1.0]

Serves the live sample site and the stand-in archive of the archive scenario
(``archive_scenario.karabakh_scenario``), runs `monitor crawl --since … --until …` of its sources
(``archive_outlets.toml``) with ``MONITOR_ARCHIVE_DELAY=0`` (to be fast), GDELT and Common Crawl
off, and prints from the archive's ``request_log`` and the database: the archive requests by kind,
the articles stored by ``fetched_from``, the archive requests per article stored from the archive
(with and without the CDX listings), the wall time the same requests would take at ``--delay``
seconds a request (``MONITOR_ARCHIVE_DELAY``'s default), and the pre-filter's count
(``monitor/archive_prefiltered``, from the crawl's stats dump). A second crawl into a fresh
database runs with ``MONITOR_TOPIC_FILTER=False``, which turns the pre-filter off (and stores
off-topic articles too): the difference in requests is what the pre-filter saves.
The target (issue 15): ≤ 3 archive requests per stored article beyond the listings (the CDX
listings and the replays of the sources' captures, which list articles; ``CaptureChain`` keeps
those to the captures that can list something new).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import sqlite_utils

from media_monitor import settings as defaults
from media_monitor.samplesite import SampleSite
from media_monitor.samplesite.archive import ArchiveRequest, RateLimit
from media_monitor.samplesite.archive_scenario import karabakh_scenario

ROOT = Path(__file__).resolve().parent.parent
# What lists articles: the CDX queries for a source's captures and for the host's URLs, and the
# replays of the feeds' and sitemaps' captures (read as the feeds were then). Their number grows
# with the window and the archive's capture rate, not with the articles stored.
LISTINGS = ("CDX listing of a source", "CDX listing of the host", "replay of a source")
KINDS = (
    *LISTINGS,
    "CDX look-up of an article",
    "replay of an article",
    "replay answered 3xx (followed)",
    "robots.txt",
    "other",
)
STAT = re.compile(r"'monitor/archive_prefiltered': (\d+)")


def is_source(url: str) -> bool:
    """A feed or sitemap URL (the scenario's sources and a sitemap index's children)."""
    path = urlsplit(url).path.lower()
    return path.endswith((".xml", ".rdf", "/feed", "/rss")) or "sitemap" in path or "feed" in path


def replayed_url(target: str) -> str:
    """The original URL of a replay target ``/web/<timestamp>[id_]/<url>``."""
    parts = urlsplit(target).path.split("/", 3)
    return parts[3] if len(parts) > 3 else ""


def kind_of(request: ArchiveRequest) -> str:
    path = urlsplit(request.target).path
    if path == "/robots.txt":
        return "robots.txt"
    if request.family == "cdx":
        query = parse_qs(urlsplit(request.target).query)
        if query.get("matchType", [""])[0] in ("prefix", "host", "domain"):
            return "CDX listing of the host"
        return "CDX listing of a source" if is_source(query.get("url", [""])[0]) else "CDX look-up of an article"
    if request.family == "replay":
        if 300 <= request.status < 400:
            return "replay answered 3xx (followed)"
        return "replay of a source" if is_source(replayed_url(request.target)) else "replay of an article"
    return "other"


def backfill(db: Path, sources: Path, archive, args, *extra: str) -> tuple[list[ArchiveRequest], str, float]:
    start, began = len(archive.request_log), time.perf_counter()
    result = subprocess.run(
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
            "--set",
            f"MONITOR_WAYBACK_URL={archive.base}",
            "--set",
            "MONITOR_CC_INDEX_URL=",
            "--set",
            "MONITOR_CC_DATA_URL=",
            "--set",
            "MONITOR_ARCHIVE_DELAY=0",
            "--set",
            "MONITOR_ARCHIVE_INDEX_DELAY=0",
            "--set",
            "AUTOTHROTTLE_ENABLED=False",
            "--set",
            "CONCURRENT_REQUESTS_PER_DOMAIN=8",
            "--log-level",
            "INFO",
            "--no-gdelt",
            *extra,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode:
        sys.exit(f"the crawl failed (exit {result.returncode}):\n{result.stderr[-3000:]}")
    return archive.request_log[start:], result.stderr + result.stdout, time.perf_counter() - began


def report(
    title: str, db: Path, log: list[ArchiveRequest], output: str, elapsed: float, delay: float, live: int
) -> tuple[int, int]:
    by_kind = Counter(kind_of(r) for r in log)
    stored = Counter(
        dict(
            sqlite_utils.Database(db).execute(
                "select fetched_from || ' (' || topic_status || ')', count(*) from articles group by 1"
            )
        )
    )
    archived = sum(n for key, n in stored.items() if key.startswith("wayback"))
    listings = sum(by_kind[k] for k in LISTINGS)
    paced = sum(1 for r in log if r.family in ("cdx", "replay"))
    prefiltered = sum(int(n) for n in STAT.findall(output))
    print(f"{title}: {len(log)} archive requests ({live} to the live site) in {elapsed:.1f} s (delay 0)")
    for kind in KINDS:
        if by_kind[kind] or kind != "other":
            print(f"  {kind:<34} {by_kind[kind]:>5}")
    print("  articles stored, by fetched_from (topic_status):")
    for key, count in sorted(stored.items()):
        print(f"    {key:<32} {count:>5}")
    beyond = len(log) - listings
    print(
        f"  per article stored from the archive ({archived}): {len(log) / max(1, archived):.2f} archive requests, "
        f"{beyond / max(1, archived):.2f} beyond the {listings} listings (target ≤ 3); "
        f"per article stored ({stored.total()}): {beyond / max(1, stored.total()):.2f} beyond the listings"
    )
    print(f"  at {delay:g} s a request: {paced} paced requests ≈ {paced * delay:.0f} s ({paced * delay / 60:.1f} min)")
    print(f"  pre-filtered (monitor/archive_prefiltered): {prefiltered}")
    return len(log), live


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--since", default="2024-04-01")
    parser.add_argument("--until", default="2024-06-30")
    parser.add_argument("--delay", type=float, default=1.0, help="MONITOR_ARCHIVE_DELAY to price the requests at")
    parser.add_argument(
        "--paced",
        action="store_true",
        help="instead: backfill at the default pace against an archive that answers 429 above IA's limits",
    )
    args = parser.parse_args()
    if args.paced:
        paced(args)
        return
    with SampleSite() as live, karabakh_scenario(live.base) as archive, tempfile.TemporaryDirectory() as tmp:
        sources = Path(tmp) / "sources.toml"
        sources.write_text(archive.sources_toml(), "utf-8")
        window = f"{args.since} … {args.until}"
        runs = {}
        for name, extra in (("on", ()), ("off", ("--set", "MONITOR_TOPIC_FILTER=False"))):
            db, before = Path(tmp) / f"{name}.db", len(live.log)
            log, output, elapsed = backfill(db, sources, archive, args, *extra)
            title = "pre-filter on" if name == "on" else "pre-filter off (MONITOR_TOPIC_FILTER=False)"
            runs[name] = report(f"{title}, {window}", db, log, output, elapsed, args.delay, len(live.log) - before)
        (archive_on, live_on), (archive_off, live_off) = runs["on"], runs["off"]
        print(
            f"the pre-filter saved {archive_off - archive_on} archive requests "
            f"({(archive_off - archive_on) * args.delay:.0f} s at {args.delay:g} s each) "
            f"and {live_off - live_on} requests to the live site"
        )


def paced(args) -> None:
    """A backfill at the default pace (``MONITOR_ARCHIVE_DELAY`` and ``MONITOR_ARCHIVE_INDEX_DELAY``
    as shipped) against a stand-in that answers 429 above the Internet Archive's hard limits, as
    token buckets without slack: 60 CDX searches and 600 replays a minute (the limits
    edgi-govdata-archiving/wayback records). The 429s it provokes, and the wall time."""
    limits = {"cdx": RateLimit(per_second=1.0), "replay": RateLimit(per_second=10.0)}
    with (
        SampleSite() as live,
        karabakh_scenario(live.base, limits=limits) as archive,
        tempfile.TemporaryDirectory() as tmp,
    ):
        sources = Path(tmp) / "sources.toml"
        sources.write_text(archive.sources_toml(), "utf-8")
        log, _, elapsed = backfill(
            Path(tmp) / "paced.db",
            sources,
            archive,
            args,
            *("--set", f"MONITOR_ARCHIVE_DELAY={defaults.MONITOR_ARCHIVE_DELAY}"),
            *("--set", f"MONITOR_ARCHIVE_INDEX_DELAY={defaults.MONITOR_ARCHIVE_INDEX_DELAY}"),
        )
    limited = sum(r.status == 429 for r in log)
    print(
        f"default pace ({defaults.MONITOR_ARCHIVE_DELAY:g} s a request, {defaults.MONITOR_ARCHIVE_INDEX_DELAY:g} s "
        f"an index query), an archive limiting CDX to 60/min and replays to 600/min: "
        f"{len(log)} requests in {elapsed:.0f} s, {limited} answered 429"
    )


if __name__ == "__main__":
    main()
