"""Provenance: where each article's bytes came from, and the WARC record that keeps them.

- ``fetched_from``: ``live``, ``wayback`` or ``commoncrawl``; every row stored before is live.
- ``archive_url``: an archived fetch's replay URL (or the archive's WARC file, offset and length).
- ``captured_at``: when the page was captured (UTC); a live fetch is its own capture. Unknown
  for the rows stored before, so left empty.
- ``warc_file``, ``warc_offset``, ``warc_length``: the response record in the monitor's own WARC
  folder (``media_monitor.crawling.warcs``) from which the row's text was extracted.
- ``crawl_runs`` and ``crawl_run_outlets``: ``archive_listings`` (CDX and Common Crawl index
  queries answered), ``archive_captures`` (the captures they listed), ``stored_live``,
  ``stored_wayback`` and ``stored_commoncrawl`` (the new rows stored, by ``fetched_from``); 0 for
  the runs before, which read no archive and kept no provenance.

The full-text index, its triggers and the ``clusters`` view name only ``title``, ``text`` and
columns that stay as they are, so adding columns leaves them consistent.
"""

import sqlite_utils

# As media_monitor.storage.store.ARCHIVE_COUNT_COLUMNS then: a migration keeps its own copy.
ARCHIVE_COUNT_COLUMNS = ("archive_listings", "archive_captures", "stored_live", "stored_wayback", "stored_commoncrawl")


def migrate(db: sqlite_utils.Database) -> None:
    articles = db["articles"]
    articles.add_column("fetched_from", str, not_null_default="live")
    articles.add_column("archive_url", str)
    articles.add_column("captured_at", str)
    articles.add_column("warc_file", str)
    articles.add_column("warc_offset", int)
    articles.add_column("warc_length", int)
    for table in ("crawl_runs", "crawl_run_outlets"):
        for column in ARCHIVE_COUNT_COLUMNS:
            db[table].add_column(column, int, not_null_default=0)
