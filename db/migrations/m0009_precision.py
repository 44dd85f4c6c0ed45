"""How precisely an article's date is known, and the agencies it credits.

- ``articles.published_precision``: ``second``, ``minute``, ``day`` or ``month``, what the
  page's date states (``media_monitor.normalise.dates.precision_of``). A day-only date is
  stored as the day's start (the outlet's midnight, in UTC) and stands for the whole day.
  Rows stored before are given the precision of their ``published_raw``.
- ``articles.agencies``: the news agencies the byline credits (AP, Reuters, dpa …), a JSON
  list apart from ``authors``, which from this version names people only; empty for the rows
  stored before.
- the ``clusters`` view treats a day-only (month-only) date as the whole day (month): in the
  origin order a member counts as published at the end of its day, so a report that gives
  only its day never comes before a report of that day that gives its time;
  ``origin_published_at`` is the origin's own ``published_at``; ``spread_minutes`` measures
  from the middle of such a day.
"""

import sqlite_utils

from media_monitor.normalise.dates import precision_of

_TIME = "'%Y-%m-%dT%H:%M:%SZ'"


def published_shifted(table: str, day: str, month: str) -> str:
    """SQL: ``{table}.published_at`` moved by ``day`` for a day-only date and by ``month`` for a
    month-only one (SQLite date modifiers), as stored (ISO 8601, UTC, "Z")."""
    return (
        f"case {table}published_precision "
        f"when 'day' then strftime({_TIME}, {table}published_at, {day}) "
        f"when 'month' then strftime({_TIME}, {table}published_at, {month}) "
        f"else {table}published_at end"
    )


def published_by(table: str = "") -> str:
    """SQL: the latest a stored article may have been published: ``published_at``, or the last
    second of the day (month) a day-only (month-only) date names. ``table`` is an alias and
    its dot ("a.") or empty."""
    return published_shifted(table, "'+1 day', '-1 second'", "'+1 month', '-1 second'")


def published_middle(table: str = "") -> str:
    """SQL: ``published_at``, or the middle of the day (month) a day-only (month-only) date names."""
    return published_shifted(table, "'+12 hours'", "'+15 days'")


CLUSTERS_VIEW = f"""
with ranked as (
  select id, cluster_id, outlet, title, canonical_url, published_at,
    {published_middle()} as published_middle,
    row_number() over (
      partition by cluster_id order by published_at is null, {published_by()}, canonical_url, id
    ) as rank_in_cluster
  from articles
  where topic_status = 'on_topic'
)
select
  cluster_id,
  count(*) as size,
  count(distinct outlet) as outlet_count,
  max(case when rank_in_cluster = 1 then id end) as origin_id,
  max(case when rank_in_cluster = 1 then outlet end) as origin_outlet,
  max(case when rank_in_cluster = 1 then published_at end) as origin_published_at,
  max(case when rank_in_cluster = 1 then title end) as origin_title,
  group_concat(distinct outlet) as outlets,
  cast(round((julianday(max(published_middle)) - julianday(min(published_middle))) * 1440) as integer)
    as spread_minutes,
  max(case when rank_in_cluster = 1 then canonical_url end) as origin_url
from ranked
group by cluster_id
"""


def migrate(db: sqlite_utils.Database) -> None:
    articles = db["articles"]
    articles.add_column("published_precision", str)
    articles.add_column("agencies", str)
    dated = db.execute(
        "select id, published_raw from articles where published_at is not null and published_raw is not null"
    )
    db.conn.executemany(
        "update articles set published_precision = ? where id = ?",
        [(precision_of(raw), article_id) for article_id, raw in dated.fetchall()],
    )
    db.execute("DROP VIEW IF EXISTS clusters")
    db.create_view("clusters", CLUSTERS_VIEW)
