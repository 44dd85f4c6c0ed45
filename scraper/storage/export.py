"""Export articles as CSV or JSON Lines for research."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Iterator
from typing import IO

import sqlite_utils

from media_monitor.storage.search import forgiving_query

EXPORT_COLUMNS = (
    "id",
    "outlet",
    "title",
    "url",
    "canonical_url",
    "published_at",
    "published_raw",
    "published_offset",
    "published_precision",
    "language",
    "language_source",
    "authors",
    "agencies",
    "word_count",
    "relevance",
    "matched_terms",
    "topic_status",
    "topic_reason",
    "duplicate_of",
    "cluster_id",
    "cluster_size",
    "first_seen_at",
    "last_seen_at",
    "fetched_from",
    "archive_url",
    "captured_at",
    "description",
    "text",
)


# "Earlier" in the origin order (ORIGIN_ORDER in storage/store.py) as one row value.
_ORDER_KEY = "({t}.published_at is null, coalesce({t}.published_at, ''), {t}.canonical_url, {t}.id)"


def first_of_copy_group(statuses: str) -> str:
    """SQL true when the ``articles`` row is the first member of its copy group (its original
    and the rows copying it) whose ``topic_status`` is in ``statuses`` (an SQL list): the
    original when it is one of them, else the first such copy in the origin order. The
    distinct_articles view (m0007) is this rule for on-topic rows."""
    earlier = _ORDER_KEY.format(t="e") + " < " + _ORDER_KEY.format(t="articles")
    return (
        "(articles.duplicate_of is null or not exists (select 1 from articles e "
        f"where e.topic_status in {statuses} and (e.id = articles.duplicate_of "
        f"or (e.duplicate_of = articles.duplicate_of and {earlier}))))"
    )


def select_articles(
    db: sqlite_utils.Database,
    since: str | None = None,
    until: str | None = None,
    outlets: tuple[str, ...] = (),
    languages: tuple[str, ...] = (),
    include_duplicates: bool = False,
    one_per_cluster: bool = False,
    query: str | None = None,
    topic_statuses: tuple[str, ...] = ("on_topic",),
) -> Iterator[dict]:
    """Articles oldest first. ``since``/``until`` are dates or times, compared in UTC; a bare
    ``until`` date includes that whole day. ``topic_statuses``: on-topic articles only, unless
    asked for borderline ones (kept apart for review) or off-topic ones (stored by
    ``--no-topic-filter``) too. Without ``include_duplicates``, a copy group (an original and
    its copies) gives one row: its first member of those statuses (the original, or, when the
    original is not of them, e.g. borderline, its first copy that is), as the distinct_articles
    view counts. ``one_per_cluster`` keeps, of each syndication cluster, the earliest published
    article among those the other filters select, an on-topic one before any other (then the
    first canonical URL, as the clusters view chooses the origin: the same rows whatever order
    the crawl met them in). ``cluster_size`` counts the cluster's on-topic articles, as the
    clusters view does, whatever the filters (0 for a cluster of borderline or off-topic rows
    only). ``query`` is an SQLite FTS5 query over title and text (articles_fts), forgiven as
    Datasette's search box forgives it (storage/search.py)."""
    statuses = f"({', '.join('?' for _ in topic_statuses)})"
    where, params = [f"topic_status in {statuses}"], list(topic_statuses)
    if since:
        where.append("published_at >= ?")
        params.append(since)
    if until:
        where.append("published_at < ?" if "T" in until else "date(published_at) <= ?")
        params.append(until)
    if outlets:
        where.append(f"outlet in ({', '.join('?' for _ in outlets)})")
        params.extend(outlets)
    if languages:
        where.append(f"language in ({', '.join('?' for _ in languages)})")
        params.extend(languages)
    if query:
        where.append("id in (select rowid from articles_fts where articles_fts match ?)")
        params.append(forgiving_query(query) or '""')
    if not include_duplicates:
        where.append(first_of_copy_group(statuses))
        params.extend(topic_statuses)
    columns = ", ".join(c if c != "cluster_size" else "coalesce(sizes.size, 0) as cluster_size" for c in EXPORT_COLUMNS)
    sql = f"""
        with sizes as (
            select cluster_id, count(*) as size from articles where topic_status = 'on_topic' group by cluster_id
        ),
        selected as (
            select *, row_number() over (
                partition by cluster_id
                order by topic_status != 'on_topic', published_at is null, published_at, canonical_url, id
            ) as rank_in_cluster
            from articles where {" and ".join(where)}
        )
        select {columns} from selected left join sizes using (cluster_id)
        {"where rank_in_cluster = 1" if one_per_cluster else ""}
        order by published_at is null, published_at, canonical_url, id
    """
    yield from db.query(sql, params)


# A cell a spreadsheet would run as a formula (CSV injection): it starts with one of these.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# ... unless it is a plain number or a UTC offset, which no spreadsheet runs as code.
_HARMLESS = re.compile(r"[+-]?\d+(\.\d+)?|[+-]\d{2}:\d{2}")


def neutralise(value):
    """``value`` with a leading ``'`` when a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _HARMLESS.fullmatch(value):
        return "'" + value
    return value


def write_csv(rows: Iterator[dict], out: IO[str], raw_cells: bool = False) -> int:
    """CSV with a header row. Unless ``raw_cells``, a text cell starting with =, +, -, @, a
    tab or a carriage return gets a leading ' so that a spreadsheet shows it as text."""
    writer = csv.DictWriter(out, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    count = 0
    for row in rows:
        writer.writerow(row if raw_cells else {k: neutralise(v) for k, v in row.items()})
        count += 1
    return count


def write_jsonl(rows: Iterator[dict], out: IO[str], raw_cells: bool = False) -> int:
    """JSON Lines: values exactly as stored (``raw_cells`` is ignored: no spreadsheet reads it)."""
    count = 0
    for row in rows:
        for key in ("authors", "agencies", "matched_terms"):
            row[key] = json.loads(row[key]) if row[key] else []
        out.write(json.dumps(row, ensure_ascii=False) + "\n")
        count += 1
    return count


WRITERS = {"csv": write_csv, "jsonl": write_jsonl}
