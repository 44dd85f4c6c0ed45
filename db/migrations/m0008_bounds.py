"""Outlet bounds: what the bounds on an outlet's feeds, sitemaps, listings, bodies and time held
back in each run (``media_monitor.crawling.bounds``).

- ``crawl_run_outlets.bounds_hit``: how much the bounds held back in the outlet's part of the
  run (sitemaps not followed, entries not read, bodies over the size limit, 1 for a spent
  budget); ``crawl_run_outlets.bounds``: which bounds, with their counts (``budget 1, sitemaps
  634``), empty when none was hit. ``crawl_runs.bounds_hit`` totals the outlets'.
- ``outlet_health.bounded_runs``: the outlet's runs in a row that hit a bound (``monitor status
  --check`` flags two); ``outlet_health.last_bounds``: the bounds its last run hit.

0 and empty for the runs before, which had no bounds to hit.
"""

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    for table in ("crawl_runs", "crawl_run_outlets"):
        db[table].add_column("bounds_hit", int, not_null_default=0)
    db["crawl_run_outlets"].add_column("bounds", str)
    db["outlet_health"].add_column("bounded_runs", int, not_null_default=0)
    db["outlet_health"].add_column("last_bounds", str)
