"""Syndication: URL identity keys, near-duplicate signatures, clusters of copies.

- ``articles.url_key`` (see ``media_monitor.normalise.urls.url_key``) and ``urls.url_key``: any
  spelling of an article's URL finds it.
- ``articles.cluster_id``: the syndication group; an article alone is its own cluster.
- ``duplicates``: why an article copies another (canonical_url, content_hash, title_window,
  near_text) and how similar they are.
- ``text_signatures``: each article's MinHash, so the near-duplicate index is rebuilt from the
  database instead of from the texts.
- the ``clusters`` view: size, origin (the earliest published member), outlets, spread.
- the full-text index's update trigger fires only when the title or text changes.
"""

import sqlite_utils

from media_monitor.normalise.urls import url_key

CLUSTERS_VIEW = """
select
  a.cluster_id,
  count(*) as size,
  count(distinct a.outlet) as outlet_count,
  (select o.id from articles o where o.cluster_id = a.cluster_id
     order by o.published_at is null, o.published_at, o.id limit 1) as origin_id,
  (select o.outlet from articles o where o.cluster_id = a.cluster_id
     order by o.published_at is null, o.published_at, o.id limit 1) as origin_outlet,
  min(a.published_at) as origin_published_at,
  (select o.title from articles o where o.cluster_id = a.cluster_id
     order by o.published_at is null, o.published_at, o.id limit 1) as origin_title,
  group_concat(distinct a.outlet) as outlets,
  cast(round((julianday(max(a.published_at)) - julianday(min(a.published_at))) * 1440) as integer)
    as spread_minutes
from articles a
group by a.cluster_id
"""


# The full-text index is rewritten only when the indexed columns change: a re-crawl that
# touches last_seen_at, or the cluster bookkeeping, must not re-index the whole text.
FTS_UPDATE_TRIGGER = """
CREATE TRIGGER "articles_au" AFTER UPDATE OF "title", "text" ON "articles" BEGIN
  INSERT INTO "articles_fts" ("articles_fts", rowid, "title", "text") VALUES('delete', old.rowid, old."title", old."text");
  INSERT INTO "articles_fts" (rowid, "title", "text") VALUES (new.rowid, new."title", new."text");
END
"""


def migrate(db: sqlite_utils.Database) -> None:
    db.execute('DROP TRIGGER IF EXISTS "articles_au"')
    db.execute(FTS_UPDATE_TRIGGER)
    articles = db["articles"]
    articles.add_column("url_key", str)
    articles.add_column("cluster_id", int)
    for row in list(db.query("select id, canonical_url, duplicate_of from articles")):
        db.execute(
            "update articles set url_key = ?, cluster_id = ? where id = ?",
            [url_key(row["canonical_url"]), row["duplicate_of"] or row["id"], row["id"]],
        )
    articles.create_index(["url_key"])
    articles.create_index(["cluster_id"])

    db["urls"].add_column("url_key", str)
    for row in list(db.query("select url from urls")):
        db.execute("update urls set url_key = ? where url = ?", [url_key(row["url"]), row["url"]])
    db["urls"].create_index(["url_key"])

    db["duplicates"].create(
        {"article_id": int, "duplicate_of": int, "method": str, "similarity": float, "found_at": str},
        pk=("article_id", "duplicate_of", "method"),
        foreign_keys=[("article_id", "articles", "id"), ("duplicate_of", "articles", "id")],
    )
    db["duplicates"].create_index(["duplicate_of"])
    db.execute(
        "insert into duplicates (article_id, duplicate_of, method, similarity, found_at) "
        "select c.id, c.duplicate_of, case when c.content_hash = o.content_hash then 'content_hash' "
        "else 'title_window' end, case when c.content_hash = o.content_hash then 1.0 else null end, "
        "c.first_seen_at from articles c join articles o on o.id = c.duplicate_of"
    )

    db["text_signatures"].create(
        {"article_id": int, "shingles": int, "minhash": bytes},
        pk="article_id",
        foreign_keys=[("article_id", "articles", "id")],
    )
    db.create_view("clusters", CLUSTERS_VIEW)
