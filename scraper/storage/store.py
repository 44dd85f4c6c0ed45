"""The article store: lookups for dedupe, batched writes, crawl-run records.

All spiders of one process share one connection per database file. They run on one reactor
thread, and a second connection would wait on the first one's open write transaction while
blocking the thread that could commit it. Sharing also lets dedupe see the rows written
earlier in the same, not yet committed, batch.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar

import sqlite_utils

from media_monitor.db import open_database
from media_monitor.normalise.urls import canonicalise_url, url_key
from media_monitor.storage.health import STALE_RUNS, is_stale, next_interval
from media_monitor.storage.minhash import NearDuplicateIndex, Signature

# Columns copied from a normalised item into the articles table.
ARTICLE_COLUMNS = (
    "url",
    "canonical_url",
    "outlet",
    "title",
    "published_at",
    "published_raw",
    "published_offset",
    "language",
    "language_source",
    "authors",
    "description",
    "text",
    "word_count",
    "relevance",
    "matched_terms",
    "content_hash",
    "title_key",
    "duplicate_of",
    "feed_guid",
    "url_key",
    "cluster_id",
)
COUNT_COLUMNS = (
    "fetched",
    "new",
    "updated",
    "unchanged",
    "duplicates",
    "off_topic",
    "failed",
    "skipped_known",
    "outside_window",
    "listed",
)


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

    def original_with_hash(self, content_hash: str) -> dict | None:
        """The first stored article (not itself a duplicate) with this text."""
        return self._one(
            "select id, published_at, cluster_id from articles where content_hash = ? and duplicate_of is null "
            "order by id limit 1",
            (content_hash,),
        )

    def original_with_title(self, outlet: str, title_key: str, around: str, window: timedelta) -> dict | None:
        """An earlier article of the same outlet with the same title within ``window``."""
        moment = datetime.fromisoformat(around.replace("Z", "+00:00"))
        low = (moment - window).strftime("%Y-%m-%dT%H:%M:%SZ")
        high = (moment + window).strftime("%Y-%m-%dT%H:%M:%SZ")
        return self._one(
            "select id, published_at, cluster_id from articles where outlet = ? and title_key = ? and duplicate_of is null "
            "and coalesce(published_at, first_seen_at) between ? and ? order by id limit 1",
            (outlet, title_key, low, high),
        )

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
        values["matched_terms"] = _json(item.get("matched_terms"))
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

    def record_duplicate(self, article_id: int, duplicate_of: int, method: str, similarity: float | None) -> None:
        self.db.execute(
            "insert or replace into duplicates (article_id, duplicate_of, method, similarity, found_at) "
            "values (?, ?, ?, ?, ?)",
            (article_id, duplicate_of, method, similarity, utc_now()),
        )

    def make_original(self, article_id: int, former_original: int) -> None:
        """``article_id`` replaces ``former_original`` as the original of its copies."""
        self.db.execute(
            "update articles set duplicate_of = ? where id = ? or duplicate_of = ?",
            (article_id, former_original, former_original),
        )
        self._wrote()

    def touch_article(self, article_id: int) -> None:
        self.db.execute("update articles set last_seen_at = ? where id = ?", (utc_now(), article_id))
        self._wrote()

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
        }
        with self.db.conn:
            self.db["outlet_health"].upsert(row, pk="outlet")
        return row

    def finish_run(self, run_id: int, status: str | None = None) -> dict:
        """Total the outlets' counts into the run and set its status; return the run row.

        Without an explicit status: ``failed`` when every outlet failed, ``partial`` when some
        did, ``completed`` otherwise.
        """
        self.commit()
        outlets = list(self.db["crawl_run_outlets"].rows_where("crawl_run_id = ?", [run_id]))
        totals = {c: sum(o.get(c) or 0 for o in outlets) for c in COUNT_COLUMNS}
        if status is None:
            failed = sum(o["status"] == "failed" for o in outlets)
            status = "failed" if outlets and failed == len(outlets) else ("partial" if failed else "completed")
        with self.db.conn:
            self.db["crawl_runs"].update(run_id, {"finished_at": utc_now(), "status": status, **totals})
        return self.db["crawl_runs"].get(run_id)
