"""The article store: lookups for dedupe, batched writes, crawl-run records.

All spiders of one process share one connection per database file. They run on one reactor
thread, and a second connection would wait on the first one's open write transaction while
blocking the thread that could commit it. Sharing also lets dedupe see the rows written
earlier in the same, not yet committed, batch.
"""

from __future__ import annotations

import json
import os
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import sqlite_utils

from media_monitor.db import open_database
from media_monitor.normalise.urls import canonicalise_url, url_key
from media_monitor.storage.health import STALE_RUNS, is_stale, next_interval
from media_monitor.storage.minhash import NearDuplicateIndex, Signature
from media_monitor.story.topic import BORDERLINE, OFF_TOPIC, ON_TOPIC

# Columns copied from a normalised item into the articles table.
ARTICLE_COLUMNS = (
    "url",
    "canonical_url",
    "outlet",
    "title",
    "published_at",
    "published_raw",
    "published_offset",
    "published_precision",
    "language",
    "language_source",
    "authors",
    "agencies",
    "description",
    "text",
    "word_count",
    "relevance",
    "matched_terms",
    "topic_status",
    "topic_reason",
    "content_hash",
    "title_key",
    "duplicate_of",
    "feed_guid",
    "url_key",
    "cluster_id",
    "fetched_from",
    "archive_url",
    "captured_at",
    "warc_file",
    "warc_offset",
    "warc_length",
)
# A run's counts (crawl_runs, crawl_run_outlets): new counts the new on-topic articles, borderline
# the new ones kept apart for review, off_topic those dropped (or stored, without the filter).
COUNT_COLUMNS = (
    "fetched",
    "new",
    "borderline",
    "updated",
    "unchanged",
    "duplicates",
    "off_topic",
    "failed",
    "skipped_known",
    "outside_window",
    "listed",
)
# A run's archive work and where its new rows came from: recorded and totalled as the counts
# above, but not printed by `monitor crawl` (its table is wide enough).
ARCHIVE_COUNT_COLUMNS = ("archive_listings", "archive_captures", "stored_live", "stored_wayback", "stored_commoncrawl")
# What the outlet bounds held back (m0008, media_monitor.crawling.bounds), totalled as the others.
BOUND_COUNT_COLUMNS = ("bounds_hit",)


# Copies kept as rows with duplicate_of; near_text links only join clusters.
EXACT_METHODS = frozenset({"content_hash", "title_window"})
# "The earliest published" of a cluster (its origin) or of a copy group (its original): dated
# before undated, then the publication time, then the canonical URL; the row id, which depends
# on the arrival order, only between two rows of one URL (which url_key prevents). The clusters
# view (m0007) and `monitor export --one-per-cluster` order by the same key.
ORIGIN_ORDER = "published_at is null, published_at, canonical_url, id"


def order_key(row: dict) -> tuple:
    """``ORIGIN_ORDER`` for a row with id, published_at and canonical_url (SQLite compares
    text as UTF-8 bytes, which order as Python orders the code points)."""
    return (row["published_at"] is None, row["published_at"] or "", row["canonical_url"], row["id"])


@dataclass(frozen=True)
class Linked:
    """Where an article stands once its links are joined (``ArticleStore.link_article``)."""

    cluster_id: int
    duplicate_of: int | None
    merges: int  # clusters that existed and were merged into this one
    origin_changed: bool


class _Partition:
    """Union-find over article ids (path halving; the smaller id is the root)."""

    def __init__(self) -> None:
        self.parent: dict[int, int] = {}

    def find(self, x: int) -> int:
        while (up := self.parent.get(x, x)) != x:
            self.parent[x] = self.parent.get(up, up)
            x = up
        return x

    def union(self, a: int, b: int) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra != rb:
            self.parent[max(ra, rb)] = min(ra, rb)

    def parts(self, ids: Iterable[int]) -> list[list[int]]:
        groups: dict[int, list[int]] = defaultdict(list)
        for i in ids:
            groups[self.find(i)].append(i)
        return list(groups.values())


def utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _json(value: Any) -> str | None:
    return json.dumps(value, ensure_ascii=False) if value else None


class ArticleStore:
    _shared: ClassVar[dict[str, tuple[ArticleStore, int]]] = {}

    def __init__(self, path: str | os.PathLike, batch_size: int = 50):
        self.path = str(Path(path).resolve())
        self.db: sqlite_utils.Database = open_database(self.path)
        self.batch_size = batch_size
        self._pending = 0
        # URL keys of the articles requested by any spider of this process's crawl.
        self.requested_this_run: set[str] = set()
        self._near: NearDuplicateIndex | None = None

    # -- sharing ---------------------------------------------------------------------------
    @classmethod
    def acquire(cls, path: str | os.PathLike, batch_size: int = 50) -> ArticleStore:
        key = str(Path(path).resolve())
        store, users = cls._shared.get(key) or (cls(key, batch_size), 0)
        cls._shared[key] = (store, users + 1)
        return store

    def release(self) -> None:
        store, users = self._shared[self.path]
        if users > 1:
            self._shared[self.path] = (store, users - 1)
            return
        del self._shared[self.path]
        self.commit()
        self.db.close()

    # -- transactions ------------------------------------------------------------------------
    def _wrote(self) -> None:
        self._pending += 1
        if self._pending >= self.batch_size:
            self.commit()

    def commit(self) -> None:
        self.db.conn.commit()
        self._pending = 0

    # -- lookups for dedupe ---------------------------------------------------------------
    def _one(self, sql: str, params: tuple) -> dict | None:
        cursor = self.db.execute(sql, params)
        row = cursor.fetchone()
        return dict(zip([c[0] for c in cursor.description], row, strict=False)) if row else None

    def by_url_key(self, key: str) -> dict | None:
        return self._one("select id, content_hash from articles where url_key = ? order by id limit 1", (key,))

    def cluster_of(self, article_id: int) -> int:
        return self.db.execute("select cluster_id from articles where id = ?", (article_id,)).fetchone()[0]

    def near_duplicates(self, lsh_threshold: float, min_containment: float) -> NearDuplicateIndex:
        """The process's near-duplicate index, built once from the stored signatures."""
        if self._near is None:
            self._near = NearDuplicateIndex(lsh_threshold, min_containment)
            self._near.load(self.db.execute("select article_id, shingles, minhash from text_signatures").fetchall())
        return self._near

    def same_text(self, content_hash: str, exclude: int | None = None) -> list[int]:
        """Every stored article with this text (``content_hash``), by id."""
        return [
            row[0]
            for row in self.db.execute(
                "select id from articles where content_hash = ? and id is not ? order by id", (content_hash, exclude)
            )
        ]

    def same_title(
        self, outlet: str, title_key: str, around: str, window: timedelta, exclude: int | None = None
    ) -> list[int]:
        """Every stored article of the outlet with this title published (or, undated, first seen)
        within ``window`` of ``around``, by id: the pairs within the window are links whichever
        came first, so a chain of re-posts is one group in any order."""
        moment = datetime.fromisoformat(around.replace("Z", "+00:00"))
        low = (moment - window).strftime("%Y-%m-%dT%H:%M:%SZ")
        high = (moment + window).strftime("%Y-%m-%dT%H:%M:%SZ")
        return [
            row[0]
            for row in self.db.execute(
                "select id from articles where outlet = ? and title_key = ? and id is not ? "
                "and coalesce(published_at, first_seen_at) between ? and ? order by id",
                (outlet, title_key, exclude, low, high),
            )
        ]

    # -- article URLs met -------------------------------------------------------------------
    def url_outcome(self, key: str) -> tuple[str, str] | None:
        """(outcome, last seen) of the article URL with this key, if it was met before."""
        row = self.db.execute(
            "select outcome, last_seen_at from urls where url_key = ? order by last_seen_at desc limit 1", (key,)
        ).fetchone()
        return tuple(row) if row else None

    def remember_urls(self, urls: list[str], article_id: int | None, outcome: str) -> None:
        """Record what came of these URLs; a later answer replaces an earlier one."""
        now = utc_now()
        for url in dict.fromkeys(canonicalise_url(u) for u in urls):
            self.db.execute(
                "insert into urls (url, url_key, article_id, outcome, first_seen_at, last_seen_at) "
                "values (?, ?, ?, ?, ?, ?) on conflict(url) do update set "
                "article_id = coalesce(excluded.article_id, article_id), outcome = excluded.outcome, "
                "last_seen_at = excluded.last_seen_at",
                (url, url_key(url), article_id, outcome, now, now),
            )
        self._wrote()

    # -- writes -----------------------------------------------------------------------------
    def _article_values(self, item: dict) -> dict:
        values = {column: item.get(column) for column in ARTICLE_COLUMNS}
        values["authors"] = _json(item.get("authors"))
        values["agencies"] = _json(item.get("agencies"))
        values["matched_terms"] = _json(item.get("matched_terms"))
        # An item the topic stage did not see (a test's, or one queued without its decision)
        # was kept by it, as every row was before topic decisions were stored.
        values["topic_status"] = item.get("topic_status") or ON_TOPIC
        # An item without provenance (queued by a scale-out worker that did not carry it) was fetched live.
        values["fetched_from"] = item.get("fetched_from") or "live"
        return values

    def insert_article(self, item: dict, run_id: int | None) -> int:
        now = utc_now()
        values = self._article_values(item)
        values.update(first_seen_at=now, last_seen_at=now, crawl_run_id=run_id)
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        article_id = self.db.execute(
            f"insert into articles ({columns}) values ({marks})", tuple(values.values())
        ).lastrowid
        if values["cluster_id"] is None:  # alone so far: its own cluster
            self.db.execute("update articles set cluster_id = id where id = ?", (article_id,))
        self._save_signature(article_id, item.get("text_signature"))
        self._wrote()
        return article_id

    def _save_signature(self, article_id: int, sig: Signature | None) -> None:
        if sig is None:
            return
        self.db.execute(
            "insert or replace into text_signatures (article_id, shingles, minhash) values (?, ?, ?)",
            (article_id, sig.shingles, sig.to_bytes()),
        )
        if self._near is not None:
            self._near.add(article_id, sig)

    # -- copies and clusters -------------------------------------------------------------------
    def _keyed(self, ids: Iterable[int]) -> dict[int, dict]:
        """id, published_at, canonical_url, cluster_id and duplicate_of of these articles."""
        ids, rows = list(ids), {}
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            cursor = self.db.execute(
                "select id, published_at, canonical_url, cluster_id, duplicate_of from articles "
                f"where id in ({', '.join('?' for _ in chunk)})",
                chunk,
            )
            for row in cursor:
                rows[row[0]] = dict(
                    zip(("id", "published_at", "canonical_url", "cluster_id", "duplicate_of"), row, strict=True)
                )
        return rows

    def origin_of(self, cluster_id: int) -> dict:
        """The cluster's origin, its first row in ``ORIGIN_ORDER``: two look-ups on the index
        (cluster_id, published_at, canonical_url) of m0007, whatever the cluster's size."""
        for where, order in (
            ("published_at is not null", "published_at, canonical_url, id"),
            ("published_at is null", "canonical_url, id"),
        ):
            row = self._one(
                "select id, published_at, canonical_url, cluster_id, duplicate_of from articles "
                f"where cluster_id = ? and {where} order by {order} limit 1",
                (cluster_id,),
            )
            if row:
                return row
        raise KeyError(f"no article in cluster {cluster_id}")

    def link_article(self, article_id: int, links: Iterable[tuple[int, str, float | None]]) -> Linked:
        """Record a stored article's links and join what they link; return where it stands.

        ``links`` are (article id, method, similarity) of every stored article it is linked to
        (the dedupe stage finds them all: the same text, the outlet's same title within the
        window, every near-duplicate text). Then:

        - each link is a row of ``duplicates`` from the later to the earlier published of the
          pair (``ORIGIN_ORDER``), whichever of them was stored first;
        - exact copies (``content_hash``, ``title_window``) join copy groups: the groups the
          article's exact links reach become one, whose original is its earliest published
          row (``duplicate_of`` null), every other row pointing to it;
        - every link joins clusters: the clusters the links reach become one, the largest
          keeping its id and the others' rows taking it; its origin is the earliest published
          of their origins. A merge of clusters that existed, or a changed origin, is a row
          of ``cluster_changes``.

        A cluster is thus a connected part of the graph of links, and a link depends only on
        its two articles: the same articles give the same clusters, origins and originals in
        any order. The clusters view and ``export --one-per-cluster`` read the rows."""
        links = [link for link in links if link[0] != article_id]
        rows = self._keyed({article_id, *(other for other, _, _ in links)})
        me, now = rows[article_id], utc_now()
        for other, method, similarity in links:
            later, earlier = sorted((me, rows[other]), key=order_key, reverse=True)
            self.db.execute(
                "insert or replace into duplicates (article_id, duplicate_of, method, similarity, found_at) "
                "values (?, ?, ?, ?, ?)",
                (later["id"], earlier["id"], method, similarity, now),
            )
        duplicate_of = self._join_copies(me, [rows[other] for other, method, _ in links if method in EXACT_METHODS])
        cluster_id, merges, origin_changed = self._join_clusters(
            me, {rows[other]["cluster_id"] for other, _, _ in links}
        )
        self._wrote()
        return Linked(cluster_id, duplicate_of, merges, origin_changed)

    def _join_copies(self, me: dict, copies: list[dict]) -> int | None:
        """One copy group of ``me`` and the groups of ``copies``; ``me``'s original (None: it is)."""
        if not copies:
            return me["duplicate_of"]
        originals = self._keyed({row["duplicate_of"] or row["id"] for row in (me, *copies)})
        first = min(originals.values(), key=order_key)["id"]
        others = sorted(set(originals) - {first})
        if others:
            marks = ", ".join("?" for _ in others)
            self.db.execute(
                f"update articles set duplicate_of = ? where id in ({marks}) or duplicate_of in ({marks})",
                (first, *others, *others),
            )
        return None if first == me["id"] else first

    def _join_clusters(self, me: dict, reached: set[int]) -> tuple[int, int, bool]:
        """One cluster of ``me``'s and the ``reached`` ones: (its id, merges, origin changed)."""
        clusters = reached | {me["cluster_id"]}
        if len(clusters) == 1:
            return me["cluster_id"], 0, False
        marks = ", ".join("?" for _ in clusters)
        sizes = dict(
            self.db.execute(
                f"select cluster_id, count(*) from articles where cluster_id in ({marks}) group by cluster_id",
                tuple(clusters),
            ).fetchall()
        )
        keep = max(clusters, key=lambda cluster: (sizes[cluster], -cluster))  # the fewest rows relabelled
        origins = {cluster: self.origin_of(cluster) for cluster in clusters}
        before, after = origins[keep]["id"], min(origins.values(), key=order_key)["id"]
        absorbed = sorted(clusters - {keep})
        self.db.execute(
            f"update articles set cluster_id = ? where cluster_id in ({', '.join('?' for _ in absorbed)})",
            (keep, *absorbed),
        )
        # A new article's own cluster of one was no story yet: its joining one is not a merge.
        merged = [c for c in absorbed if not (c == me["cluster_id"] == me["id"] and sizes[c] == 1)]
        changes = [(c, before, after) for c in merged] or ([(None, before, after)] if after != before else [])
        now = utc_now()
        self.db.conn.executemany(
            "insert into cluster_changes (changed_at, article_id, cluster_id, merged_cluster_id, origin_before, "
            "origin_after) values (?, ?, ?, ?, ?, ?)",
            [(now, me["id"], keep, *change) for change in changes],
        )
        return keep, len(merged), after != before

    def relink_pending(self) -> bool:
        """Has a migration asked for the links of the stored articles to be found again?"""
        return self.db.execute("select 1 from cluster_relinks where finished_at is null limit 1").fetchone() is not None

    def relink(self, near: NearDuplicateIndex, window: timedelta) -> dict:
        """Find every link among the stored articles again, and join them all: what
        ``link_article`` makes of articles arriving one by one, made at once from the database.

        For a database whose clusters an older monitor made (each article joined the cluster of
        its single best match: m0007 asks for this once), and as the check that the arrival
        order made no difference (nothing changes then). Clusters and copy groups only merge:
        the stored links and clusters are kept. Returns the counts, also recorded in
        ``cluster_relinks``."""
        self.commit()
        articles = {
            row["id"]: row
            for row in self.db.query(
                "select id, outlet, title_key, content_hash, published_at, first_seen_at, canonical_url, cluster_id, "
                "duplicate_of from articles"
            )
        }
        found: dict[tuple[int, int, str], float | None] = {}

        def link(a: int, b: int, method: str, similarity: float | None) -> None:
            later, earlier = sorted((articles[a], articles[b]), key=order_key, reverse=True)
            found.setdefault((later["id"], earlier["id"], method), similarity)

        by_text: dict[str, list[int]] = defaultdict(list)
        by_title: dict[tuple[str, str], list[tuple[datetime, int]]] = defaultdict(list)
        for row in articles.values():
            if row["content_hash"]:
                by_text[row["content_hash"]].append(row["id"])
            if row["title_key"]:
                moment = datetime.fromisoformat((row["published_at"] or row["first_seen_at"]).replace("Z", "+00:00"))
                by_title[(row["outlet"], row["title_key"])].append((moment, row["id"]))
        for ids in by_text.values():
            for n, a in enumerate(ids):
                for b in ids[:n]:
                    link(a, b, "content_hash", 1.0)
        for entries in by_title.values():
            entries.sort()
            for n, (moment, a) in enumerate(entries):
                before = n - 1
                while before >= 0 and moment - entries[before][0] <= window:
                    link(a, entries[before][1], "title_window", None)
                    before -= 1
        same_text = {(a, b) for a, b, method in found if method == "content_hash"}
        for a, sig in near.signatures.items():
            if a in articles:
                for b, score in near.matches(sig, exclude=a):
                    if b < a and b in articles and (a, b) not in same_text and (b, a) not in same_text:
                        link(a, b, "near_text", round(score, 3))
        stored = self.db.execute("select article_id, duplicate_of, method, similarity from duplicates").fetchall()
        for a, b, method, similarity in stored:
            if a in articles and b in articles and a != b:
                link(a, b, method, similarity)

        clusters, copies, first_of = _Partition(), _Partition(), {}
        for row in articles.values():
            clusters.union(row["id"], first_of.setdefault(row["cluster_id"], row["id"]))
            if row["duplicate_of"] in articles:
                copies.union(row["id"], row["duplicate_of"])
                clusters.union(row["id"], row["duplicate_of"])
        for a, b, method in found:
            clusters.union(a, b)
            if method in EXACT_METHODS:
                copies.union(a, b)

        relabel, originals, changes, now = [], [], [], utc_now()
        for ids in clusters.parts(articles):
            sizes = Counter(articles[i]["cluster_id"] for i in ids)  # the clusters it was made of
            keep = min(sizes, key=lambda cluster: (-sizes[cluster], cluster))
            relabel.extend((keep, i) for i in ids if articles[i]["cluster_id"] != keep)
            if len(sizes) > 1:
                before = min((articles[i] for i in ids if articles[i]["cluster_id"] == keep), key=order_key)["id"]
                after = min((articles[i] for i in ids), key=order_key)["id"]
                changes.extend((now, None, keep, c, before, after) for c in sorted(sizes) if c != keep)
        for ids in copies.parts(articles):
            first = min(ids, key=lambda i: order_key(articles[i]))
            originals.extend(
                (want, i) for i in ids if articles[i]["duplicate_of"] != (want := None if i == first else first)
            )
        kept = {(a, b, method) for a, b, method, _ in stored}
        stale = [key for key in kept if key not in found]
        added = [key for key in found if key not in kept]

        with self.db.conn:
            self.db.conn.executemany("update articles set cluster_id = ? where id = ?", relabel)
            self.db.conn.executemany("update articles set duplicate_of = ? where id = ?", originals)
            self.db.conn.executemany(
                "delete from duplicates where article_id = ? and duplicate_of = ? and method = ?", stale
            )
            self.db.conn.executemany(
                "insert or ignore into duplicates (article_id, duplicate_of, method, similarity, found_at) "
                "values (?, ?, ?, ?, ?)",
                [(a, b, method, found[(a, b, method)], now) for a, b, method in added],
            )
            self.db.conn.executemany(
                "insert into cluster_changes (changed_at, article_id, cluster_id, merged_cluster_id, origin_before, "
                "origin_after) values (?, ?, ?, ?, ?, ?)",
                changes,
            )
            counts = {
                "articles": len(articles),
                "links_added": len(added),
                "clusters_merged": len(changes),
                "rows_relabelled": len(relabel),
                "originals_changed": len(originals),
            }
            if not self.relink_pending():  # asked directly (a check): recorded all the same
                self.db.execute("insert into cluster_relinks (requested_at, reason) values (?, 'asked')", (now,))
            self.db.execute(
                "update cluster_relinks set finished_at = ?, articles = ?, links_added = ?, clusters_merged = ?, "
                "rows_relabelled = ?, originals_changed = ? where finished_at is null",
                (utc_now(), *counts.values()),
            )
        return counts

    def touch_article(self, article_id: int) -> None:
        self.db.execute("update articles set last_seen_at = ? where id = ?", (utc_now(), article_id))
        self._wrote()

    # -- topic review -----------------------------------------------------------------------
    def borderline_articles(self, limit: int) -> list[dict]:
        """The articles kept apart for review, the most relevant first."""
        return list(
            self.db.query(
                "select id, relevance, outlet, published_at, title, topic_reason from articles "
                "where topic_status = ? order by relevance desc, published_at desc limit ?",
                [BORDERLINE, limit],
            )
        )

    def promote_article(self, article_id: int) -> dict:
        """Put an article on topic by a reviewer's decision, recorded in ``topic_promoted_at``
        and ``topic_reason``; return its row as it was (KeyError: no such article)."""
        before = self._one("select id, title, topic_status, topic_reason from articles where id = ?", (article_id,))
        if before is None:
            raise KeyError(article_id)
        if before["topic_status"] != ON_TOPIC:
            now = utc_now()
            self.db.execute(
                "update articles set topic_status = ?, topic_promoted_at = ?, topic_reason = ? where id = ?",
                (ON_TOPIC, now, f"promoted by a reviewer on {now}; was {before['topic_reason']}", article_id),
            )
            self.commit()
        return before

    def _keep_promotion(self, article_id: int) -> None:
        """A promoted article stays on topic when a new text of it is scored: the reviewer
        judged the article, not its words."""
        self.db.execute(
            "update articles set topic_status = ?, topic_reason = 'promoted by a reviewer on ' || topic_promoted_at "
            "|| '; now ' || topic_reason where id = ? and topic_promoted_at is not null and topic_status != ?",
            (ON_TOPIC, article_id, ON_TOPIC),
        )

    def update_article(self, article_id: int, item: dict, run_id: int | None) -> None:
        """Store changed content, keeping the replaced version in ``article_versions``."""
        now = utc_now()
        self.db.execute(
            "insert into article_versions "
            "(article_id, title, text, content_hash, published_at, crawl_run_id, replaced_at) "
            "select id, title, text, content_hash, published_at, crawl_run_id, ? "
            "from articles where id = ?",
            (now, article_id),
        )
        values = self._article_values(item)
        for identity in ("url", "canonical_url", "url_key", "cluster_id", "duplicate_of"):
            del values[identity]  # as first stored: a new text does not make another article
        values.update(last_seen_at=now, crawl_run_id=run_id)
        assignments = ", ".join(f"{column} = ?" for column in values)
        self.db.execute(f"update articles set {assignments} where id = ?", (*values.values(), article_id))
        self._keep_promotion(article_id)
        self._save_signature(article_id, item.get("text_signature"))
        self._wrote()

    # -- outlets and runs -------------------------------------------------------------------
    def upsert_outlets(self, rows: list[dict]) -> None:
        self.commit()
        with self.db.conn:
            self.db["outlets"].upsert_all(rows, pk="name")

    def start_run(
        self, outlets: list[str], topic: str, topic_filter: bool, since: str | None = None, until: str | None = None
    ) -> int:
        with self.db.conn:
            table = self.db["crawl_runs"].insert(
                {
                    "started_at": utc_now(),
                    "status": "running",
                    "outlets": _json(outlets),
                    "topic": topic,
                    "topic_filter": int(topic_filter),
                    "since": since,
                    "until": until,
                }
            )
        return table.last_pk

    def record_outlet_run(self, run_id: int, outlet: str, counts: dict, status: str, error: str | None) -> None:
        self.commit()
        with self.db.conn:
            self.db["crawl_run_outlets"].upsert(
                {
                    "crawl_run_id": run_id,
                    "outlet": outlet,
                    "status": status,
                    "error": error,
                    "finished_at": utc_now(),
                    **counts,
                },
                pk=("crawl_run_id", "outlet"),
            )

    def record_health(
        self, outlet: str, run_id: int, counts: dict, status: str, error: str | None, base_interval: float
    ) -> dict:
        """Update the outlet's health row from the run just recorded; return it."""
        previous = self._one("select * from outlet_health where outlet = ?", (outlet,)) or {}
        recent = list(
            self.db.query(
                "select status, listed from crawl_run_outlets where outlet = ? order by crawl_run_id desc limit ?",
                [outlet, STALE_RUNS],
            )
        )
        failed = status == "failed"
        failures = (previous.get("consecutive_failures") or 0) + 1 if failed else 0
        interval = next_interval(previous.get("interval_seconds"), base_interval, counts["new"], failed, failures)
        now = datetime.now(UTC)
        row = {
            "outlet": outlet,
            "last_run_id": run_id,
            "last_run_at": utc_now(),
            "last_status": status,
            "last_success_at": previous.get("last_success_at") if failed else utc_now(),
            "consecutive_failures": failures,
            "last_listed": counts["listed"],
            "last_new": counts["new"],
            "last_error": error or (previous.get("last_error") if failed else None),
            "stale": int(is_stale(recent)),
            "interval_seconds": interval,
            "next_crawl_at": (now + timedelta(seconds=interval)).isoformat(timespec="seconds"),
            "bounded_runs": (previous.get("bounded_runs") or 0) + 1 if counts.get("bounds_hit") else 0,
            "last_bounds": counts.get("bounds"),
        }
        with self.db.conn:
            self.db["outlet_health"].upsert(row, pk="outlet")
        return row

    def running_runs(self) -> list[tuple[int, list[str]]]:
        """The runs recorded as ``running``, with the outlets (spiders) each crawls."""
        rows = self.db.execute("select id, outlets from crawl_runs where status = 'running' order by id").fetchall()
        return [(run_id, json.loads(outlets or "[]")) for run_id, outlets in rows]

    def finish_killed_run(self, run_id: int) -> dict:
        """Record a run whose process died (SIGKILL, a power cut) as ``interrupted``, each outlet
        not recorded yet with the counts its rows show: the rows that carry the run's id, new (by
        topic status, or a copy) when first seen during the run, updated otherwise. What left no
        row (unchanged pages, failures) is not known."""
        self.commit()
        recorded = {r["outlet"] for r in self.db["crawl_run_outlets"].rows_where("crawl_run_id = ?", [run_id])}
        started = self.db["crawl_runs"].get(run_id)["started_at"]
        tallies: dict[str, Counter] = defaultdict(Counter)
        for outlet, first_seen, topic_status, duplicate_of in self.db.execute(
            "select outlet, first_seen_at, topic_status, duplicate_of from articles where crawl_run_id = ?", [run_id]
        ):
            if first_seen < started:
                counter = "updated"
            elif duplicate_of is not None:
                counter = "duplicates"
            else:
                counter = topic_status if topic_status in (BORDERLINE, OFF_TOPIC) else "new"
            tallies[outlet].update({counter: 1, "fetched": 1})
        for outlet, tally in tallies.items():
            if outlet in recorded:  # its spider closed before the kill and recorded its own counts
                continue
            counts = {column: tally.get(column, 0) for column in COUNT_COLUMNS}
            self.record_outlet_run(run_id, outlet, counts, "interrupted", "the crawl was killed before it finished")
        return self.finish_run(run_id, "interrupted")

    def finish_run(self, run_id: int, status: str | None = None) -> dict:
        """Total the outlets' counts into the run and set its status; return the run row.

        Without an explicit status: ``failed`` when every outlet failed, ``partial`` when some
        did or were stopped at their budget, ``completed`` otherwise.
        """
        self.commit()
        outlets = list(self.db["crawl_run_outlets"].rows_where("crawl_run_id = ?", [run_id]))
        columns = COUNT_COLUMNS + ARCHIVE_COUNT_COLUMNS + BOUND_COUNT_COLUMNS
        totals = {c: sum(o.get(c) or 0 for o in outlets) for c in columns}
        if status is None:
            failed = sum(o["status"] == "failed" for o in outlets)
            stopped = any(o.get("bounds") and "budget" in o["bounds"] for o in outlets)  # cut short
            status = (
                "failed" if outlets and failed == len(outlets) else ("partial" if failed or stopped else "completed")
            )
        with self.db.conn:
            self.db["crawl_runs"].update(run_id, {"finished_at": utc_now(), "status": status, **totals})
        return self.db["crawl_runs"].get(run_id)
