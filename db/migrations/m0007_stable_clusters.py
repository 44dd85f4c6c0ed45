"""Stable clusters: syndication clusters and origins that do not depend on the arrival order.

From this version an article links to every stored article it copies or is copied by, and the
clusters its links reach merge (``ArticleStore.link_article``); before, it joined the cluster
of its single best match, so the clusters depended on which copy the crawl met first.

- the ``clusters`` view: the origin is the earliest published member, then the first canonical
  URL (before: then the row id, which is the arrival order); ``origin_url`` is the origin's
  canonical URL. One sort of the table instead of three subqueries a cluster. Only the on-topic
  members count (size, outlets, origin, spread): a borderline or off-topic row stays in its
  cluster, but a cluster without an on-topic member is not a story and has no row.
- the ``distinct_articles`` view: the on-topic articles with copies excluded, which the
  dashboard, the canned queries and ``monitor export`` count. A copy group (an original and the
  rows whose ``duplicate_of`` is it) counts once, by its first on-topic member in the origin
  order: the original when it is on topic, else its first on-topic copy (a copy on topic whose
  original is borderline is counted, not hidden behind the borderline row).
- an index on ``articles (cluster_id, published_at, canonical_url)``: a cluster's origin in
  two look-ups whatever its size, when an article joins it.
- ``cluster_changes``: each merge of clusters (the cluster that kept its id, the one merged
  into it, the article whose link merged them) and each change of a cluster's origin, with
  the origin before and after.
- ``cluster_relinks``: a pass that finds every link among the stored articles again and joins
  them (``ArticleStore.relink``). A database with articles asks for one here: its clusters were
  made the old way, and the next crawl (or ``monitor ingest``) runs it when it opens the
  near-duplicate index, before any new article.
"""

from datetime import UTC, datetime

import sqlite_utils

CLUSTERS_VIEW = """
with ranked as (
  select id, cluster_id, outlet, title, canonical_url, published_at,
    row_number() over (
      partition by cluster_id order by published_at is null, published_at, canonical_url, id
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
  min(published_at) as origin_published_at,
  max(case when rank_in_cluster = 1 then title end) as origin_title,
  group_concat(distinct outlet) as outlets,
  cast(round((julianday(max(published_at)) - julianday(min(published_at))) * 1440) as integer)
    as spread_minutes,
  max(case when rank_in_cluster = 1 then canonical_url end) as origin_url
from ranked
group by cluster_id
"""

# "Earlier" in the origin order (ORIGIN_ORDER in scraper/storage/store.py) as one row value.
_ORDER_KEY = "({t}.published_at is null, coalesce({t}.published_at, ''), {t}.canonical_url, {t}.id)"


def first_of_copy_group(row: str, statuses: str) -> str:
    """SQL true when the articles row ``row`` is the first member of its copy group whose
    ``topic_status`` is in ``statuses`` (an SQL list): no such member is its original or an
    earlier copy of the same original. The row's own status is the caller's to check."""
    earlier = _ORDER_KEY.format(t="e") + " < " + _ORDER_KEY.format(t=row)
    return (
        f"({row}.duplicate_of is null or not exists (select 1 from articles e "
        f"where e.topic_status in {statuses} and (e.id = {row}.duplicate_of "
        f"or (e.duplicate_of = {row}.duplicate_of and {earlier}))))"
    )


DISTINCT_ARTICLES_VIEW = f"""
select a.* from articles a
where a.topic_status = 'on_topic' and {first_of_copy_group("a", "('on_topic')")}
"""


def migrate(db: sqlite_utils.Database) -> None:
    db.execute("DROP VIEW IF EXISTS clusters")
    db.create_view("clusters", CLUSTERS_VIEW)
    db.execute("DROP VIEW IF EXISTS distinct_articles")
    db.create_view("distinct_articles", DISTINCT_ARTICLES_VIEW)
    db["articles"].create_index(
        ["cluster_id", "published_at", "canonical_url"], index_name="idx_articles_cluster_origin", if_not_exists=True
    )
    db["cluster_changes"].create(
        {
            "id": int,
            "changed_at": str,
            "article_id": int,  # the article whose links changed the cluster; null for a relink
            "cluster_id": int,  # the cluster after the change
            "merged_cluster_id": int,  # a cluster merged into it (null: only the origin changed)
            "origin_before": int,
            "origin_after": int,
        },
        pk="id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db["cluster_changes"].create_index(["cluster_id"])
    db["cluster_relinks"].create(
        {
            "id": int,
            "requested_at": str,
            "finished_at": str,
            "reason": str,
            "articles": int,
            "links_added": int,
            "clusters_merged": int,
            "rows_relabelled": int,
            "originals_changed": int,
        },
        pk="id",
    )
    if db.execute("select count(*) from articles").fetchone()[0]:
        db["cluster_relinks"].insert(
            {
                "requested_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "reason": "m0007: clusters made by the best match only, before every link was kept",
            }
        )
