"""A backfill through Common Crawl: a real crawl (a subprocess) of the live sample site and the
stand-in archive (archive_scenario.karabakh_scenario), with the Common Crawl route on."""

from __future__ import annotations

import tomllib
from collections import Counter

import sqlite_utils

from media_monitor.crawling.requestmeta import FETCHED_FROM
from media_monitor.crawling.warcs import read_page, warc_folder
from media_monitor.samplesite import SampleSite
from media_monitor.samplesite.archive import ARCHIVE_MANIFEST
from media_monitor.samplesite.archive_scenario import karabakh_scenario
from tests.conftest import crawl

KHOJALY = "/courier/en/news/2024/06/12/khojaly-headquarters-empty"  # only Common Crawl holds it


def test_an_article_only_common_crawl_holds_is_stored(tmp_path):
    page = next(p for p in tomllib.loads(ARCHIVE_MANIFEST.read_text("utf-8"))["page"] if p["path"] == KHOJALY)
    db = tmp_path / "monitor.db"
    with SampleSite() as live, karabakh_scenario(live.base) as archive:
        sources = tmp_path / "sources.toml"
        sources.write_text(archive.sources_toml(), "utf-8")
        result = crawl(
            db,
            sources,
            *("--since", "2024-04-01", "--until", "2024-06-30", "--no-gdelt"),
            *("--set", f"MONITOR_WAYBACK_URL={archive.base}", "--set", "MONITOR_ARCHIVE_DELAY=0"),
            *("--set", "MONITOR_ARCHIVE_INDEX_DELAY=0"),
            *("--set", f"MONITOR_CC_INDEX_URL={archive.base}", "--set", f"MONITOR_CC_DATA_URL={archive.base}"),
        )
        families = Counter(r.family for r in archive.request_log)
    assert result.returncode == 0, result.stderr[-3000:]
    assert families["cc-index"] >= 2 and families["cc-data"] >= 1, families
    stored = list(sqlite_utils.Database(db).query("select * from articles"))
    [row] = [r for r in stored if (r["canonical_url"] or r["url"]).removeprefix(live.base).split("?")[0] == KHOJALY]
    assert row["fetched_from"] == "commoncrawl"
    assert row["archive_url"] and "/crawl-data/CC-MAIN-2024-26/" in row["archive_url"]
    assert row["captured_at"] and row["captured_at"] > row["published_at"]
    assert row["published_at"] == page["published_at"]  # the page's own date, not the capture's
    # Its bytes are kept in the run's WARC file too: `monitor reextract` needs no network.
    kept = read_page(warc_folder(db), {k: row[k] for k in ("warc_file", "warc_offset", "warc_length")})
    assert kept is not None and kept.url == row["url"] and page["title"].encode() in kept.body
    assert kept.provenance[FETCHED_FROM] == "commoncrawl"
    run = sqlite_utils.Database(db)["crawl_runs"].get(1)  # counted by where the new rows came from
    assert run["stored_commoncrawl"] == sum(r["fetched_from"] == "commoncrawl" for r in stored) >= 1
    assert run["archive_listings"] > 0 and run["archive_captures"] > 0
    for key in ("url", "canonical_url"):
        urls = [r[key] for r in stored if r[key]]
        assert len(urls) == len(set(urls)), f"a {key} stored twice"
