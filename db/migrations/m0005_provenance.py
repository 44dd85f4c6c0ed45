"""Provenance: where each article's bytes came from, and the WARC record that keeps them.

- ``fetched_from``: ``live``, ``wayback`` or ``commoncrawl``; every row stored before is live.
- ``archive_url``: an archived fetch's replay URL (or the archive's WARC file, offset and length).
- ``captured_at``: when the page was captured (UTC); a live fetch is its own capture. Unknown
  for the rows stored before, so left empty.
- ``warc_file``, ``warc_offset``, ``warc_length``: the response record in the monitor's own WARC
  folder (``media_monitor.crawling.warcs``) from which the row's text was extracted.

The full-text index, its triggers and the ``clusters`` view name only ``title``, ``text`` and
columns that stay as they are, so adding columns leaves them consistent.
"""

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    articles = db["articles"]
    articles.add_column("fetched_from", str, not_null_default="live")
    articles.add_column("archive_url", str)
    articles.add_column("captured_at", str)
    articles.add_column("warc_file", str)
    articles.add_column("warc_offset", int)
    articles.add_column("warc_length", int)
