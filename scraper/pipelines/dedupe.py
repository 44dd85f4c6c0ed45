"""The dedupe stage: new, updated, unchanged or a copy, and the syndication cluster."""

from __future__ import annotations

from datetime import timedelta

from media_monitor import settings as defaults  # a crawler built without the project settings
from media_monitor.normalise.urls import url_key
from media_monitor.pipelines.stage import StoreStage, timed
from media_monitor.storage.minhash import signature


class DedupePipeline(StoreStage):
    """Decides whether an article is new, changed, unchanged or a copy, and its cluster.

    - same URL key as a stored row (any spelling of its URL): unchanged, or updated when its
      text changed (a second URL of it met in the same run counts as a duplicate);
    - same normalised text as a stored row under another URL: a copy (``content_hash``);
    - same outlet and normalised title within the window (Media Cloud's rule): a copy
      (``title_window``);
    - otherwise a new article; if its text largely contains, or is contained in, a stored
      one (a syndicated wire story), it joins that article's cluster (``near_text``).
    A copy keeps a row with ``duplicate_of``; the earliest published of a pair is the original.
    """

    def open_spider(self):
        super().open_spider()
        self.window = timedelta(
            days=self.settings.getint("MONITOR_TITLE_WINDOW_DAYS", defaults.MONITOR_TITLE_WINDOW_DAYS)
        )
        self.near = self.store.near_duplicates(
            self.settings.getfloat("MONITOR_NEAR_LSH_THRESHOLD", defaults.MONITOR_NEAR_LSH_THRESHOLD),
            self.settings.getfloat("MONITOR_NEAR_CONTAINMENT", defaults.MONITOR_NEAR_CONTAINMENT),
        )
        self.seen_this_run: set[str] = set()

    @timed("dedupe")
    def process_item(self, item):
        item["url_key"] = url_key(item["canonical_url"])
        existing = self.store.by_url_key(item["url_key"])
        if item["url_key"] in self.seen_this_run:
            item["article_id"] = existing["id"] if existing else None
            self.drop(item, "duplicates", f"Another URL of {item['canonical_url']}: {item['url']}")
        self.seen_this_run.add(item["url_key"])
        if "text_signature" not in item:
            # Not through TextSignaturePipeline: queued by a worker older than 0.6.1, or a text
            # too short to have a signature (its JSON leaves the None out).
            item["text_signature"] = signature(item["text"])
        if existing:
            changed = existing["content_hash"] != item["content_hash"]
            item["dedupe_status"] = "updated" if changed else "unchanged"
            item["article_id"], item["duplicate_of"] = existing["id"], None
            return item

        original, method = self.store.original_with_hash(item["content_hash"]), "content_hash"
        if not original and item.get("title_key"):
            around = item.get("published_at") or item["fetched_at"]
            original = self.store.original_with_title(item["outlet"], item["title_key"], around, self.window)
            method = "title_window"
        if original:
            item["cluster_id"] = original["cluster_id"]
            item["match"] = (original["id"], method, 1.0 if method == "content_hash" else None)
            if _published_earlier(item, original):
                # The copy met first is not the original: the earliest published one is.
                item["dedupe_status"], item["duplicate_of"] = "new", None
                item["replaces_original"] = original["id"]
            else:
                item["dedupe_status"], item["duplicate_of"] = "duplicate", original["id"]
            return item

        item["dedupe_status"], item["duplicate_of"] = "new", None
        near = self.near.best_match(item["text_signature"]) if item["text_signature"] else None
        if near:
            matched_id, score = near
            item["cluster_id"] = self.store.cluster_of(matched_id)
            item["match"] = (matched_id, "near_text", round(score, 3))
            self.count("near_duplicates")
        return item


def _published_earlier(item, stored: dict) -> bool:
    return bool(
        item.get("published_at") and stored.get("published_at") and item["published_at"] < stored["published_at"]
    )
