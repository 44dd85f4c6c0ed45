"""Near-duplicate detection: unit behaviour, the labelled evaluation at the configured thresholds,
and clusters that do not depend on the order the stages meet the copies."""

from __future__ import annotations

import random
from datetime import timedelta
from typing import ClassVar

import pytest
import sqlite_utils
from scrapy.utils.test import get_crawler

from media_monitor import compat, settings
from media_monitor.config.sources import Outlet
from media_monitor.items import ArticleItem
from media_monitor.normalise.text import comparison_key, content_hash
from media_monitor.pipelines.dedupe import DedupePipeline
from media_monitor.pipelines.signature import TextSignaturePipeline
from media_monitor.pipelines.store import StorePipeline
from media_monitor.samplesite.copies import OUTLETS, copy_pages, expected_clusters, expected_originals, expected_origins
from media_monitor.samplesite.pairs import labelled_pairs
from media_monitor.spiders.base import OutletSpider
from media_monitor.storage.minhash import (
    NearDuplicateIndex,
    Signature,
    containment,
    shingles,
    signature,
)
from media_monitor.storage.store import ArticleStore

TEXT = "\n".join(
    f"Paragraph {n} says that the peacekeepers left the base at dawn and drove north along the road." for n in range(8)
)


def test_shingles_stay_inside_paragraphs():
    reordered = "\n".join(reversed(TEXT.split("\n")))
    assert shingles(TEXT) == shingles(reordered)
    assert shingles("too short") == set()


def test_signature_survives_storage():
    sig = signature(TEXT)
    again = Signature.from_bytes(sig.to_bytes(), sig.shingles)
    assert again.jaccard(sig) == 1.0 and again.shingles == sig.shingles
    assert len(sig.to_bytes()) == 4 * 128


def test_containment_of_an_excerpt_is_high_and_of_another_text_low():
    excerpt = "\n".join(TEXT.split("\n")[:5])
    assert containment(signature(TEXT), signature(excerpt)) > 0.9
    other = "\n".join(
        f"Line {n}: the orchestra rehearsed a new symphony in the concert hall tonight." for n in range(8)
    )
    assert containment(signature(TEXT), signature(other)) < 0.1


def test_index_replaces_a_changed_text():
    index = NearDuplicateIndex(0.3, 0.6)
    index.add(1, signature(TEXT))
    other = "\n".join(
        f"Line {n}: the orchestra rehearsed a new symphony in the concert hall tonight." for n in range(8)
    )
    index.add(1, signature(other))
    assert index.best_match(signature(TEXT)) is None
    assert index.best_match(signature(other))[0] == 1


@pytest.fixture(scope="module")
def evaluation():
    """Every distinct text in one index, as in a real database; each pair's second text queried."""
    pairs = labelled_pairs()
    ids, sigs = {}, {}
    index = NearDuplicateIndex(settings.MONITOR_NEAR_LSH_THRESHOLD, settings.MONITOR_NEAR_CONTAINMENT)
    for pair in pairs:
        for text in (pair.a, pair.b):
            if text not in sigs:
                sigs[text] = signature(text)
        if pair.a not in ids:
            ids[pair.a] = len(ids) + 1
            index.add(ids[pair.a], sigs[pair.a])
    outcomes = []
    for pair in pairs:
        # A second text already in the index is not its own match (an identical copy is).
        match = index.best_match(sigs[pair.b], exclude=ids.get(pair.b) if pair.b != pair.a else None)
        outcomes.append((pair, match is not None and match[0] == ids[pair.a]))
    return outcomes


def test_copies_sharing_70_percent_are_found_with_high_precision(evaluation):
    tp = sum(found and pair.copy for pair, found in evaluation)
    fp = sum(found and not pair.copy for pair, found in evaluation)
    fn = sum(not found and pair.copy for pair, found in evaluation)
    assert tp / (tp + fp) >= 0.99
    assert tp / (tp + fn) >= 0.95
    assert {pair.kind for pair, _ in evaluation if pair.copy} >= {
        "new headline",
        "dropped paragraphs",
        "reordered paragraphs",
        "added intro",
        "added byline",
        "truncated, continue reading",
        "boilerplate around",
        "70% kept, 30% local material",
    }


def test_no_false_merge_of_different_reports(evaluation):
    merged = [pair.kind for pair, found in evaluation if found and not pair.copy]
    assert merged == []
    assert sum(pair.same_day for pair, _ in evaluation) >= 10  # the hard ones are in the set
    assert {"daily roundups", "follow-up", "different reports"} <= {pair.kind for pair, _ in evaluation}


def test_bulk_loaded_and_added_signatures_are_both_found():
    texts = {
        n: "\n".join(f"Story {n} paragraph {p}: " + " ".join(f"w{n}x{p}x{k}" for k in range(12)) for p in range(4))
        for n in range(1, 50)
    }
    index = NearDuplicateIndex(0.3, 0.6)
    index.load([(n, signature(t).shingles, signature(t).to_bytes()) for n, t in texts.items() if n < 40])
    for n in range(40, 50):
        index.add(n, signature(texts[n]))
    for n in (3, 39, 45):
        excerpt = "\n".join(texts[n].split("\n")[:3])
        assert index.best_match(signature(excerpt))[0] == n


def test_a_signature_computed_by_a_worker_reaches_the_writer_unchanged():
    from media_monitor.items import ArticleItem
    from media_monitor.scaleout.distributed import decode_item, encode_item

    text = "\n".join(
        f"Paragraph {n}: Russian peacekeepers leave Karabakh, convoy number {n} crossed." for n in range(9)
    )
    item = ArticleItem(outlet="o", url="https://news.example/a", text=text, text_signature=signature(text))
    received = decode_item(encode_item(item))["text_signature"]
    assert received.shingles == item["text_signature"].shingles
    assert received.to_bytes() == item["text_signature"].to_bytes()


def test_matches_are_every_link_and_the_same_from_either_side():
    texts = [TEXT, "\n".join(TEXT.split("\n")[:5]), "\n".join(TEXT.split("\n")[3:])]
    index = NearDuplicateIndex(0.3, 0.6)
    for n, text in enumerate(texts, 1):
        index.add(n, signature(text))
    assert [m[0] for m in index.matches(signature(TEXT), exclude=1)] == [2, 3]
    for a in (1, 2, 3):
        for b, score in index.matches(index.signatures[a], exclude=a):
            assert dict(index.matches(index.signatures[b], exclude=b))[a] == score  # symmetric


# -- clusters in any order, on the real stages and a real SQLite file ---------------------------

COPIES_BASE = "https://copies.example"


def _items():
    """The copies site's pages as the normalise stage leaves them."""
    for page in copy_pages():
        url = COPIES_BASE + page.path
        yield ArticleItem(
            outlet=page.outlet,
            url=url,
            canonical_url=url,
            met_urls=[url],
            fetched_at="2024-06-20T12:00:00+00:00",
            title=page.title,
            title_key=comparison_key(page.title),
            published_at=page.published_iso,
            text=page.text,
            word_count=len(page.text.split()),
            content_hash=content_hash(page.text),
        )


class CopiesSpider(OutletSpider):
    """A spider whose items belong to the copies site's five outlets (as a discovery spider's)."""

    name = "copies"
    outlets: ClassVar[dict[str, Outlet]] = {
        name: Outlet(name, title, f"{COPIES_BASE}/{name}/", "en", "GE", "UTC", feeds=(f"{COPIES_BASE}/{name}/feed",))
        for name, title, _ in OUTLETS
    }
    outlet = outlets["wire_en"]

    def outlet_for(self, item):
        return self.outlets[item["outlet"]]


def run_stages(db_path, items) -> dict:
    """Feed the items through the signature, dedupe and store stages; return the crawler's
    monitor/ counters."""
    crawler = get_crawler(CopiesSpider, {"MONITOR_DB": str(db_path), "MONITOR_BATCH_SIZE": 7})
    crawler.spider = compat.create_spider(crawler)
    stages = [cls.from_crawler(crawler) for cls in (TextSignaturePipeline, DedupePipeline, StorePipeline)]
    for stage in stages[1:]:
        stage.open_spider()
    for item in items:
        for stage in stages:
            item = stage.process_item(item)
    for stage in reversed(stages[1:]):
        stage.close_spider()
    return {k.split("/", 1)[1]: v for k, v in crawler.stats.get_stats().items() if k.startswith("monitor/")}


def stored_outcome(db_path) -> dict:
    db = sqlite_utils.Database(db_path)
    path = {r["id"]: r["canonical_url"].removeprefix(COPIES_BASE) for r in db.query("select * from articles")}
    members: dict[int, set[str]] = {}
    for row in db.query("select id, cluster_id from articles"):
        members.setdefault(row["cluster_id"], set()).add(path[row["id"]])
    return {
        "partition": {frozenset(m) for m in members.values()},
        "origins": {
            frozenset(members[r["cluster_id"]]): path[r["origin_id"]] for r in db.query("select * from clusters")
        },
        "originals": {path[r["id"]]: path.get(r["duplicate_of"]) for r in db.query("select * from articles")},
        "links": {
            (path[r["article_id"]], path[r["duplicate_of"]], r["method"], r["similarity"])
            for r in db.query("select * from duplicates")
        },
    }


def _orders():
    items = list(_items())
    yield "listed", items
    yield "reversed", items[::-1]
    yield "latest first", sorted(items, key=lambda i: (i["published_at"], i["url"]), reverse=True)
    for seed in range(5):
        shuffled = items[:]
        random.Random(seed).shuffle(shuffled)
        yield f"shuffled {seed}", shuffled


def test_the_same_copies_in_any_order_give_the_same_clusters_origins_and_links(tmp_path):
    outcomes = {}
    for name, items in _orders():
        db_path = tmp_path / f"{name}.db"
        counts = run_stages(db_path, items)
        outcomes[name] = stored_outcome(db_path)
        assert outcomes[name]["partition"] == expected_clusters(), name
        assert outcomes[name]["origins"] == expected_origins(), name
        assert outcomes[name]["originals"] == expected_originals(), name
        # The run's counters count each page as it arrives: new, or a copy of a stored one (of
        # three re-posts, the middle one met last links the other two: two new, then a copy).
        assert counts.get("new", 0) + counts.get("duplicates", 0) == len(copy_pages()), name
    assert len({frozenset(o["links"]) for o in outcomes.values()}) == 1
    # as built, the two halves of story 2 come before the full text, which merges their clusters
    merges = sqlite_utils.Database(tmp_path / "listed.db").query(
        "select * from cluster_changes where merged_cluster_id is not null"
    )
    assert list(merges)


def test_a_text_joining_two_clusters_merges_them_and_records_it(tmp_path):
    pages = {p.path: p for p in copy_pages()}
    items = {i["url"].removeprefix(COPIES_BASE): i for i in _items()}
    first, second, full = "/daily_en/story-2-first-take", "/review_en/story-2-second-take", "/wire_en/story-2-full"
    assert containment(signature(pages[first].text), signature(pages[second].text)) < 0.6
    db_path = tmp_path / "monitor.db"
    counts = run_stages(db_path, [items[first], items[second], items[full]])
    db = sqlite_utils.Database(db_path)
    ids = {r["canonical_url"].removeprefix(COPIES_BASE): r for r in db["articles"].rows}
    assert len({r["cluster_id"] for r in ids.values()}) == 1 and counts["cluster_merges"] == 1
    (change,) = db["cluster_changes"].rows
    assert change["article_id"] == ids[full]["id"]
    assert {change["cluster_id"], change["merged_cluster_id"]} == {ids[first]["id"], ids[second]["id"]}
    # the two takes share a minute: the first canonical URL is the origin, before and after
    assert change["origin_before"] == change["origin_after"] == ids[first]["id"]
    links = {(r["article_id"], r["duplicate_of"]) for r in db["duplicates"].rows}
    assert links == {(ids[full]["id"], ids[first]["id"]), (ids[full]["id"], ids[second]["id"])}  # later -> earlier


def test_relink_finds_nothing_new_after_incremental_links_and_repairs_best_match_clusters(tmp_path):
    db_path = tmp_path / "monitor.db"
    run_stages(db_path, list(_items())[::-1])
    before = stored_outcome(db_path)
    store = ArticleStore(db_path)
    near = store.near_duplicates(settings.MONITOR_NEAR_LSH_THRESHOLD, settings.MONITOR_NEAR_CONTAINMENT)
    window = timedelta(days=settings.MONITOR_TITLE_WINDOW_DAYS)
    assert store.relink(near, window) == {
        "articles": len(copy_pages()),
        "links_added": 0,
        "clusters_merged": 0,
        "rows_relabelled": 0,
        "originals_changed": 0,
    }
    # As an older monitor left it: each article in its best match's cluster only, one link
    # each, the first met of a pair the original. m0007 asks for a relink; opening the dedupe
    # stage runs it.
    with store.db.conn:
        store.db.execute(
            "delete from duplicates where rowid not in (select min(rowid) from duplicates group by article_id)"
        )
        store.db.execute(
            "update articles set cluster_id = id + 1000, duplicate_of = null where canonical_url like '%-first-take' or canonical_url like '%/post_en/story-4-verbatim' or canonical_url like '%story-5-v3'"
        )
        store.db.execute(
            "insert into cluster_relinks (requested_at, reason) values ('2026-01-01T00:00:00+00:00', 'test')"
        )
    store.db.close()
    assert stored_outcome(db_path)["partition"] != before["partition"]
    run_stages(db_path, [])
    after = stored_outcome(db_path)
    assert after == before
    (relink,) = sqlite_utils.Database(db_path).query("select * from cluster_relinks where reason = 'test'")
    assert relink["finished_at"] and relink["clusters_merged"] >= 2 and relink["links_added"] > 0


def test_m0007_asks_a_database_with_articles_for_one_relink(tmp_path):
    from media_monitor.db import open_database

    def pending() -> bool:
        store = ArticleStore(db_path)
        try:
            return store.relink_pending()
        finally:
            store.db.close()

    db_path = tmp_path / "monitor.db"
    run_stages(db_path, list(_items()))
    assert not pending()  # a database made with every link has nothing to relink
    db = sqlite_utils.Database(db_path)  # as the database was before m0007
    for statement in (
        "drop view clusters",
        "drop index idx_articles_cluster_origin",
        "drop table cluster_changes",
        "drop table cluster_relinks",
        "delete from schema_migrations where name = 'm0007_stable_clusters'",
    ):
        db.execute(statement)
    db.conn.commit()
    db.close()
    open_database(db_path).close()
    assert pending()
    run_stages(db_path, [])  # the dedupe stage opens: the relink runs before any article
    assert not pending()
    assert stored_outcome(db_path)["partition"] == expected_clusters()
