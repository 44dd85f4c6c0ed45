"""Stable clusters: syndication clusters and origins that do not depend on the arrival order.

From this version an article links to every stored article it copies or is copied by, and the
clusters its links reach merge (``ArticleStore.link_article``); before, it joined the cluster
of its single best match, so the clusters depended on which copy the crawl met first.

- the ``clusters`` view: the origin is the earliest published member, then the first canonical
  URL (before: then the row id, which is the arrival order); ``origin_url`` is the origin's
  canonical URL. One sort of the table instead of three subqueries a cluster.
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


def migrate(db: sqlite_utils.Database) -> None:
    db.execute("DROP VIEW IF EXISTS clusters")
    db.create_view("clusters", CLUSTERS_VIEW)
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
