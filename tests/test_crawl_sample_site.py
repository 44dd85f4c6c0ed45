"""A real crawl of the sample site (feeds, sitemaps, listings; no window, no GDELT), checked
against the site's manifest."""

from __future__ import annotations

import json

import pytest
import sqlite_utils

from tests.conftest import crawl


def _article(db, site, path):
    rows = list(db.query("select * from articles where canonical_url = ?", [site.base + path]))
    return rows[0] if rows else None


def _pages(manifest, *expects):
    """Pages a crawl without GDELT reaches: through a feed, a sitemap or a listing."""
    return [p for p in manifest if p["expect"] in expects and set(p["found_via"]) - {"gdelt"}]


def test_first_crawl_succeeds_and_prints_counts(crawled, manifest):
    _, first, _, _ = crawled
    assert first.returncode == 0, first.stderr
    lines = first.stdout.splitlines()
    assert lines[0].split()[:9] == [
        "outlet",
        "fetched",
        "new",
        "borderline",
        "updated",
        "unchanged",
        "duplicates",
        "off_topic",
        "failed",
    ]
    assert {line.split()[0] for line in lines[1:-2]} == {p["outlet"] for p in _pages(manifest, "stored")}


def test_on_topic_articles_are_stored_with_utc_dates_and_languages(db, site, manifest):
    for page in _pages(manifest, "stored"):
        row = _article(db, site, page["path"])
        assert row, f"{page['path']} not stored"
        assert row["outlet"] == page["outlet"]
        assert row["title"] == page["title"]
        assert row["language"] == page["language"], page["path"]
        assert row["published_at"] == (page["published_at"] or None), page["path"]
        assert row["duplicate_of"] is None
        assert row["word_count"] > 100
        assert json.loads(row["matched_terms"])
        assert row["relevance"] >= 0.8
    assert {r["language"] for r in db.query("select distinct language from articles")} == {"en", "ru", "hy", "az"}


def test_language_evidence_is_recorded(db):
    sources = {
        r["language"]: r["language_source"]
        for r in db.query("select language, language_source from articles group by language")
    }
    assert sources["hy"] == "script"  # langdetect alone would say Estonian
    assert sources["az"] == "letters"  # and Turkish here


def test_windows_1251_page_is_decoded(db, site, manifest):
    (page,) = [p for p in manifest if p.get("encoding") == "windows-1251"]
    row = _article(db, site, page["path"])
    assert row["title"] == page["title"]
    assert "миротвор" in row["text"].lower()
    assert "\ufffd" not in row["text"]


def test_absurd_date_is_not_stored_as_truth(db, site, manifest, crawled):
    # the page says 2099 and its feed item has no date: the day in its URL dates it
    page = next(p for p in _pages(manifest, "stored") if p["path"].endswith("/withdrawal-completed"))
    row = _article(db, site, page["path"])
    assert row["published_at"] == page["published_at"] == "2024-06-11T20:00:00Z"
    assert row["published_raw"] == "url:2024-06-12"  # says where the date came from
    runs = list(
        db.query("select dates_rejected from crawl_run_outlets where outlet = ? and crawl_run_id = 1", [page["outlet"]])
    )
    assert runs[0]["dates_rejected"] == 1


def test_off_topic_articles_are_dropped(db, site, manifest):
    for page in _pages(manifest, "off_topic"):
        assert _article(db, site, page["path"]) is None, page["path"]
    counted = db.execute("select sum(off_topic) from crawl_run_outlets where crawl_run_id = 1").fetchone()[0]
    assert counted == len(_pages(manifest, "off_topic"))


@pytest.mark.parametrize("how", ["canonical_url", "content_hash", "title_window"])
def test_duplicates_are_marked(db, site, manifest, how):
    pages = [p for p in _pages(manifest, "duplicate") if p["how"] == how]
    assert pages
    for page in pages:
        original = _article(db, site, page["duplicate_of"])
        if how == "canonical_url":
            # the AMP or tracking-tagged URL is the same article: no row of its own
            assert (
                site.base + page["path"].split("?")[0] == original["canonical_url"]
                or _article(db, site, page["path"]) is None
            )
            continue
        copy = _article(db, site, page["path"])
        pair = sorted([copy, original], key=lambda r: r["duplicate_of"] is not None)
        assert pair[0]["duplicate_of"] is None, "one of the pair is the original"
        assert pair[1]["duplicate_of"] == pair[0]["id"], "the other points to it"
        if copy["published_at"] != original["published_at"]:
            assert copy["duplicate_of"] == original["id"], "the earliest published is the original"


def test_one_row_per_canonical_url(db, manifest):
    stored = len(_pages(manifest, "stored"))
    kept_copies = len([p for p in _pages(manifest, "duplicate") if p["how"] != "canonical_url"])
    assert db["articles"].count == stored + kept_copies
    assert db.execute("select count(*) from articles where duplicate_of is null").fetchone()[0] == stored


def test_broken_pages_are_counted_not_stored(db, site, manifest):
    broken = _pages(manifest, "not_found", "server_error", "empty")
    for page in broken:
        assert _article(db, site, page["path"]) is None
    failed = db.execute("select sum(failed) from crawl_run_outlets where crawl_run_id = 1").fetchone()[0]
    assert failed == len(broken)


def test_robots_txt_is_obeyed(crawled, manifest):
    _, _, _, requested = crawled
    blocked = _pages(manifest, "robots_blocked")
    assert blocked and "/robots.txt" in requested
    for page in blocked:
        assert page["path"] not in requested


def test_second_crawl_adds_nothing_and_downloads_no_known_article(db, crawled, manifest):
    _, _, second, _ = crawled
    assert second.returncode == 0, second.stderr
    runs = list(db.query("select * from crawl_runs order by id"))
    assert [r["status"] for r in runs] == ["completed", "completed"]
    assert runs[1]["new"] == 0 and runs[1]["updated"] == 0 and runs[1]["fetched"] == 0
    assert runs[1]["skipped_known"] >= db["articles"].count
    assert db.execute("select count(*) from article_versions").fetchone()[0] == 0
    assert db.execute("select count(*) from articles where crawl_run_id = 2").fetchone()[0] == 0
    assert db.execute("select count(*) from articles where last_seen_at < first_seen_at").fetchone()[0] == 0


def test_runs_record_per_outlet_counts(db, manifest):
    rows = {r["outlet"]: r for r in db.query("select * from crawl_run_outlets where crawl_run_id = 1")}
    assert set(rows) == {o["name"] for o in db["outlets"].rows}
    run = db["crawl_runs"].get(1)
    for column in ("fetched", "new", "borderline", "duplicates", "off_topic", "failed"):
        assert run[column] == sum(r[column] for r in rows.values())
    assert run["new"] == len(_pages(manifest, "stored"))  # distinct articles
    assert run["duplicates"] == 4  # two other URLs of stored articles, two copies kept as marked rows
    # A windowless crawl reads no archive: every new row is live.
    for row in [*rows.values(), run]:
        assert row["archive_listings"] == row["archive_captures"] == 0
        assert row["stored_wayback"] == row["stored_commoncrawl"] == 0
    stored = db.execute("select count(*) from articles where crawl_run_id = 1").fetchone()[0]
    assert run["stored_live"] == stored


def test_full_text_search_finds_articles_in_every_script(db):
    for term in ("Khojaly", "миротворцы", "խաղաղապահները", "sülhməramlıları"):
        hits = db.execute("select count(*) from articles_fts where articles_fts match ?", [f'"{term}"']).fetchone()[0]
        assert hits >= 1, term


def test_outlets_table_comes_from_the_sources_file(db, sources):
    from media_monitor.config.sources import load_sources

    assert {r["name"]: r["timezone"] for r in db["outlets"].rows} == {o.name: o.timezone for o in load_sources(sources)}
    assert db["outlets"].get("baku_az")["timezone"] == "Asia/Baku"


def test_listing_pages_are_followed_to_their_end(crawled, manifest, db, site):
    _, _, _, requested = crawled
    listing_only = [p for p in _pages(manifest, "stored") if p["found_via"] == ["listing"]]
    assert listing_only
    for page in listing_only:
        assert _article(db, site, page["path"]), page["path"]
    assert "/ararat/en/tag/peacekeepers/page/4" in requested  # the 404 that ends the listing


def test_syndicated_copies_join_the_origins_cluster(db, site, manifest):
    copies = [p for p in _pages(manifest, "stored") if p.get("cluster_of")]
    assert len(copies) == 2
    for page in copies:
        copy, origin = _article(db, site, page["path"]), _article(db, site, page["cluster_of"])
        assert copy["duplicate_of"] is None  # an article of its own outlet, not a row to hide
        assert copy["cluster_id"] == origin["cluster_id"]
        cluster = db.execute(
            "select origin_id, size, outlet_count from clusters where cluster_id = ?", [copy["cluster_id"]]
        ).fetchone()
        assert cluster == (origin["id"], 2, 2)  # the earliest published is the origin
        (link,) = db.query(
            "select * from duplicates where article_id = ? or duplicate_of = ?", [copy["id"], copy["id"]]
        )
        assert link["method"] == "near_text" and link["similarity"] >= 0.6


def test_no_unrelated_articles_are_merged(db, manifest):
    multi = list(db.query("select cluster_id, size from clusters where size > 1"))
    kept_copies = [p for p in _pages(manifest, "duplicate") if p["how"] in ("content_hash", "title_window")]
    syndicated = [p for p in _pages(manifest, "stored") if p.get("cluster_of")]
    assert len(multi) == len(kept_copies) + len(syndicated)
    assert all(c["size"] == 2 for c in multi)
    methods = {r["method"] for r in db.query("select method from duplicates")}
    assert methods <= {"content_hash", "title_window", "near_text"}


def test_every_url_of_a_redirect_chain_finds_the_stored_article(site, tmp_path):
    from urllib.parse import quote

    moved = f"{site.base}/fault/moved/flaky-500"  # 301 to /fault/moved-here/flaky-500
    sources = tmp_path / "sources.toml"
    sources.write_text(
        '[[outlet]]\nname = "moved_en"\ntitle = "Moved"\nhomepage = "{b}/fault/"\nlanguage = "en"\n'
        'country = "GE"\ntimezone = "Asia/Tbilisi"\nfeeds = ["{b}/fault/link-feed?to={to}"]\n'.format(
            b=site.base, to=quote(moved, safe="")
        ),
        encoding="utf-8",
    )
    db = tmp_path / "m.db"
    first = crawl(db, sources)
    assert first.returncode == 0, first.stderr
    stored = sqlite_utils.Database(db)
    (article,) = stored["articles"].rows
    assert article["url"] == f"{site.base}/fault/moved-here/flaky-500"  # the URL as fetched
    met = {r["url"]: r["article_id"] for r in stored["urls"].rows}
    assert met[moved] == met[article["url"]] == article["id"]  # the redirect's source finds it too

    start = len(site.log)
    again = crawl(db, sources)
    assert again.returncode == 0
    assert not [p for p, _ in site.log[start:] if p.startswith("/fault/moved")]  # known: not asked again
