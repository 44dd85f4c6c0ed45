"""Crawl health: one row per outlet, updated by every run, and what each run found listed."""

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    # How many article links the outlet's feeds, sitemaps and listings offered in a run: zero
    # for three runs is a dead feed or a changed layout, even when nothing failed outright.
    db["crawl_run_outlets"].add_column("listed", int)
    db["crawl_runs"].add_column("listed", int)
    db["outlet_health"].create(
        {
            "outlet": str,
            "last_run_id": int,
            "last_run_at": str,
            "last_status": str,
            "last_success_at": str,
            "consecutive_failures": int,
            "last_listed": int,
            "last_new": int,
            "last_error": str,
            "stale": int,
            "interval_seconds": float,
            "next_crawl_at": str,
        },
        pk="outlet",
    )
