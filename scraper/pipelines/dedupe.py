"""The dedupe stage: new, updated, unchanged or a copy, and every link to a stored article."""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from media_monitor import settings as defaults  # a crawler built without the project settings
from media_monitor.normalise.urls import url_key
from media_monitor.pipelines.stage import StoreStage, timed
from media_monitor.storage.minhash import signature

logger = logging.getLogger(__name__)


class DedupePipeline(StoreStage):
    """Decides whether an article is new, changed, unchanged or a copy, and what it links to.

    - same URL key as a stored row (any spelling of its URL): unchanged, or updated when its
      text changed (a second URL of it met in the same run counts as a duplicate);
    - otherwise a new article, linked to every stored article (``match``, a list of
      (article id, method, similarity)):
      - with the same normalised text under another URL (``content_hash``),
      - of the same outlet with the same normalised title within the window, Media Cloud's
        rule (``title_window``),
      - whose text largely contains, or is contained in, its own (``near_text``: a syndicated
        wire story, a cut or an edited copy).
    An article with a ``content_hash`` or ``title_window`` link is a copy (counted among the
    duplicates). The store stage records every link and joins what they link
    (``ArticleStore.link_article``): copy groups, whose original is the earliest published,
    and syndication clusters, whose origin is the earliest published. Every link depends only
    on its two articles, so the clusters do not depend on which copy a crawl meets first. An
    updated text is linked again, from its new text.
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
        if self.store.relink_pending():  # clusters an older monitor made (m0007): linked again once
            began = time.monotonic()
            counts = self.store.relink(self.near, self.window)
            logger.warning("Clusters relinked in %.1f s: %s", time.monotonic() - began, counts)
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
        item["duplicate_of"], item["cluster_id"] = None, None  # the store stage joins the links
        if existing:
            changed = existing["content_hash"] != item["content_hash"]
            item["dedupe_status"] = "updated" if changed else "unchanged"
            item["article_id"] = existing["id"]
            if changed:
                item["match"] = self.links(item, exclude=existing["id"])
            return item

        item["match"] = links = self.links(item)
        copy = any(method != "near_text" for _, method, _ in links)
        item["dedupe_status"] = "duplicate" if copy else "new"
        if any(method == "near_text" for _, method, _ in links):
            self.count("near_duplicates")
        return item

    def links(self, item, exclude: int | None = None) -> list[tuple[int, str, float | None]]:
        """(article id, method, similarity) of every stored article the item copies or is
        copied by. A pair with the same text is not linked again as near_text."""
        found = [(other, "content_hash", 1.0) for other in self.store.same_text(item["content_hash"], exclude)]
        if item.get("title_key"):
            around = item.get("published_at") or item["fetched_at"]
            found += [
                (other, "title_window", None)
                for other in self.store.same_title(item["outlet"], item["title_key"], around, self.window, exclude)
            ]
        if item["text_signature"]:
            same_text = {other for other, method, _ in found if method == "content_hash"}
            found += [
                (other, "near_text", round(score, 3))
                for other, score in self.near.matches(item["text_signature"], exclude)
                if other not in same_text
            ]
        return found
