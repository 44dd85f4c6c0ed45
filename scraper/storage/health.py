"""Crawl health: is an outlet alive, and when should it be crawled next?

An outlet is **stale** when its last ``STALE_RUNS`` runs each listed no article or failed:
a dead feed or a layout change, which a scheduler or a monitor should alert on.

Each outlet is polled at its own pace (as Media Cloud's fetcher does): sooner while its
sources keep bringing new articles, later while they bring none, within bounds around the
base interval; an outlet that keeps failing backs off exponentially.
"""

from __future__ import annotations

STALE_RUNS = 3
FASTEST = 0.5  # times the base interval
SLOWEST = 8.0
SPEED_UP, SLOW_DOWN = 0.5, 1.5
MAX_BACKOFF_SECONDS = 24 * 3600


def is_stale(recent_runs: list[dict]) -> bool:
    """``recent_runs``: the outlet's crawl_run_outlets rows, newest first."""
    last = recent_runs[:STALE_RUNS]
    return len(last) == STALE_RUNS and all(r["status"] == "failed" or not r.get("listed") for r in last)


def next_interval(
    current: float | None, base: float, new_articles: int, failed: bool, consecutive_failures: int
) -> float:
    """Seconds until the outlet's next crawl."""
    if failed:
        return min(MAX_BACKOFF_SECONDS, base * 2**consecutive_failures)
    current = current or base
    changed = current * (SPEED_UP if new_articles else SLOW_DOWN)
    return min(base * SLOWEST, max(base * FASTEST, changed))
