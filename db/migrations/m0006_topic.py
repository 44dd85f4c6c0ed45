"""Topic decisions: what the topic made of each stored article, and why; borderline ones kept
apart for review.

- ``articles.topic_status``: ``on_topic``; ``borderline`` (scored from the topic's
  ``borderline`` up to its ``threshold``: stored, but counted nowhere until a reviewer promotes
  it with ``monitor topic promote``); ``off_topic`` (stored by ``monitor crawl
  --no-topic-filter``). Every row stored before is ``on_topic``: the filter kept them, or a run
  without it did, which the dashboard counted then too.
- ``articles.topic_reason``: the topic's one-line reason (``Topic.match(...).reason``), or the
  promotion; empty for the rows stored before.
- ``articles.topic_promoted_at``: when a reviewer promoted a borderline article (UTC); a
  promoted article stays on topic when a later crawl stores a new text of it.
- an index on ``topic_status``: the dashboard, the canned queries and the export select on it.
- ``crawl_runs.borderline``, ``crawl_run_outlets.borderline``: the borderline articles a run
  stored for review (from this version ``new`` counts the new on-topic articles only); 0 for
  the runs before, which stored none.
"""

import sqlite_utils


def migrate(db: sqlite_utils.Database) -> None:
    articles = db["articles"]
    articles.add_column("topic_status", str, not_null_default="on_topic")
    articles.add_column("topic_reason", str)
    articles.add_column("topic_promoted_at", str)
    articles.create_index(["topic_status"])
    for table in ("crawl_runs", "crawl_run_outlets"):
        db[table].add_column("borderline", int, not_null_default=0)
