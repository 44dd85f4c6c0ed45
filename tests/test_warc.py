"""Keeping the bytes (issue 15, parts 3–4): a real crawl of the sample site writes every article
page to a WARC file beside the database, each row names its record and its provenance, and
`monitor reextract` runs extraction again over the kept pages without the network."""

from __future__ import annotations

import asyncio
import importlib
import shutil
import sqlite3
import urllib.request
import zlib
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
import sqlite_utils
from click.testing import CliRunner
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from media_monitor import compat
from media_monitor.cli import cli
from media_monitor.config.sources import Outlet
from media_monitor.crawling.requestmeta import ARCHIVE_URL, ARTICLE, CAPTURED_AT, FETCHED_FROM
from media_monitor.crawling.warcs import WarcFile, http_headers, read_page
from media_monitor.db import open_database
from media_monitor.spiders.base import OutletSpider
from media_monitor.web.app import make_datasette
from tests.conftest import ROOT, crawl, run_monitor

HERALD = Outlet(
    name="herald_en", title="Herald", homepage="https://news.example/", language="en", country="GB", timezone="UTC"
)
PREVIOUS_MIGRATIONS = ("m0001_initial", "m0002_discovery", "m0003_syndication", "m0004_health")
ADDED_SENTENCE = " The kept page was edited after the crawl."


def warc_folder(db: Path) -> Path:
    return Path(f"{db}-warc")


def response_records(folder: Path) -> list[tuple[str, bytes, StatusAndHeaders]]:
    """(target URI, body, HTTP headers) of every response record of the folder's files."""
    found = []
    for path in sorted(folder.glob("*.warc.gz")):
        with path.open("rb") as file:
            for record in ArchiveIterator(file):
                if record.rec_type == "response":
                    url = record.rec_headers.get_header("WARC-Target-URI")
                    found.append((url, record.content_stream().read(), record.http_headers))
    return found


def articles(db: Path) -> list[dict]:
    return list(sqlite_utils.Database(db).query("select * from articles order by id"))


@pytest.fixture
def copy(crawled, tmp_path) -> Path:
    """A copy of the crawled database and its WARC folder, for reextract to write to."""
    target = tmp_path / "monitor.db"
    sqlite3.connect(crawled[0]).backup(sqlite3.connect(target))
    shutil.copytree(warc_folder(crawled[0]), warc_folder(target))
    return target


def test_the_warc_keeps_every_article_page_as_served(crawled, site):
    records = response_records(warc_folder(crawled[0]))
    assert records
    for url, body, headers in records:
        with urllib.request.urlopen(url) as live:
            assert body == live.read(), url
            assert headers.get_header("Content-Type") == live.headers["Content-Type"]
        assert headers.get_statuscode() == "200"
        assert headers.get_header("Content-Length") == str(len(body))
    assert {row["url"] for row in articles(crawled[0])} <= {url for url, _, _ in records}


def test_every_row_names_its_record_and_is_live(crawled):
    folder = warc_folder(crawled[0])
    rows = articles(crawled[0])
    assert rows
    for row in rows:
        assert (row["fetched_from"], row["archive_url"]) == ("live", None)
        with (folder / row["warc_file"]).open("rb") as file:
            file.seek(row["warc_offset"])
            member = file.read(row["warc_length"])
        # The length is exactly the record's gzip member, which holds the row's page.
        unzip = zlib.decompressobj(wbits=31)
        assert unzip.decompress(member).startswith(b"WARC/1.0") and unzip.eof and not unzip.unused_data
        record = next(iter(ArchiveIterator(BytesIO(member))))
        assert record.rec_type == "response"
        assert record.rec_headers.get_header("WARC-Target-URI") == row["url"]
        assert record.rec_headers.get_header("Monitor-Fetched-From") == "live"
        # A live fetch is its own capture: the row's captured_at is the record's date.
        assert record.rec_headers.get_header("WARC-Date") == row["captured_at"].replace("+00:00", "Z")


def test_reextract_with_the_same_extractor_changes_nothing(copy, sources):
    before = articles(copy)
    result = run_monitor("reextract", "--db", str(copy), "--sources", str(sources))
    assert result.returncode == 0, result.stderr
    assert f"{len(before)} rows re-extracted" in result.stdout
    assert "0 updated" in result.stdout and "0 without a record" in result.stdout
    assert articles(copy) == before
    assert sqlite_utils.Database(copy)["article_versions"].count == 0

    herald = run_monitor("reextract", "--db", str(copy), "--sources", str(sources), "--outlet", "herald_en")
    assert f"{sum(row['outlet'] == 'herald_en' for row in before)} rows re-extracted" in herald.stdout


def test_reextract_without_a_database_says_so(tmp_path):
    result = CliRunner().invoke(cli, ["reextract", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 2 and "no database at" in result.output
    assert not (tmp_path / "none.db").exists()


def test_reextract_updates_the_row_whose_kept_page_changed(copy, sources, tmp_path):
    before = {row["id"]: row for row in articles(copy)}
    edited = next(row for row in before.values() if row["outlet"] == "herald_en" and row["duplicate_of"] is None)
    ending = " ".join(edited["text"].splitlines()[-1].split()[-4:])  # the last paragraph's last words
    folder = tmp_path / "edited-warc"
    rewrite_with_edit(warc_folder(copy), folder, edited["url"], ending)

    result = run_monitor("reextract", "--db", str(copy), "--sources", str(sources), "--warc-dir", str(folder))
    assert result.returncode == 0, result.stderr
    # Records after the edited one moved in the rewritten file: found by their URL, not lost.
    assert "1 updated" in result.stdout and "0 without a record" in result.stdout, result.stdout
    after = {row["id"]: row for row in articles(copy)}
    assert ADDED_SENTENCE.strip() in after[edited["id"]]["text"]
    assert {i: row for i, row in after.items() if i != edited["id"]} == {
        i: row for i, row in before.items() if i != edited["id"]
    }
    versions = list(sqlite_utils.Database(copy)["article_versions"].rows)
    assert [(v["article_id"], v["text"]) for v in versions] == [(edited["id"], edited["text"])]


def rewrite_with_edit(source: Path, target: Path, url: str, ending: str) -> None:
    """Copy the WARC files of ``source`` into ``target``, adding a sentence after ``ending`` in
    the page of ``url``: the kept page as an extractor fix would read it differently."""
    target.mkdir()
    for path in source.glob("*.warc.gz"):
        with path.open("rb") as old, (target / path.name).open("wb") as new:
            writer = WARCWriter(new, gzip=True)
            for record in ArchiveIterator(old):
                if record.rec_type == "response" and record.rec_headers.get_header("WARC-Target-URI") == url:
                    record = edited_record(writer, record, ending)
                writer.write_record(record)


def edited_record(writer: WARCWriter, record, ending: str):
    body = record.content_stream().read()
    before, found, after = body.rpartition(ending.encode())  # the last: the first may be a meta's
    assert found, "the paragraph's end is printed as is in the page"
    body = before + found + ADDED_SENTENCE.encode() + after
    headers = [(k, str(len(body)) if k == "Content-Length" else v) for k, v in record.http_headers.headers]
    kept = ("WARC-Date", "Monitor-Fetched-From")
    return writer.create_warc_record(
        record.rec_headers.get_header("WARC-Target-URI"),
        "response",
        payload=BytesIO(body),
        length=len(body),
        http_headers=StatusAndHeaders(record.http_headers.statusline, headers, protocol=record.http_headers.protocol),
        warc_headers_dict={name: record.rec_headers.get_header(name) for name in kept},
    )


def test_settings_move_the_warc_folder_or_keep_none(site, sources, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    moved = tmp_path / "moved.db"
    crawl(moved, sources, "--outlet", "herald_en", "--set", f"MONITOR_WARC_DIR={elsewhere}")
    assert not warc_folder(moved).exists()
    assert [path.name for path in elsewhere.iterdir()] == ["run-000001.warc.gz"]
    assert all((elsewhere / row["warc_file"]).is_file() for row in articles(moved))

    none = tmp_path / "none.db"
    crawl(none, sources, "--outlet", "herald_en", "--set", "MONITOR_KEEP_WARC=False")
    assert not warc_folder(none).exists()
    rows = articles(none)
    assert rows and all(row["warc_file"] is None and row["fetched_from"] == "live" for row in rows)


def test_an_archived_fetch_keeps_its_capture_date_in_the_record_and_on_the_item(tmp_path):
    capture = {
        FETCHED_FROM: "wayback",
        ARCHIVE_URL: "https://web.archive.org/web/20240417101500id_/https://news.example/a",
        CAPTURED_AT: "2024-04-17T10:15:00+00:00",
    }
    page = (ROOT / "scraper/samplesite/site/herald/news/2024/04/17/peacekeepers-begin-withdrawal.html").read_bytes()
    fetched = HtmlResponse(
        "https://news.example/a",
        body=page,
        headers={"Content-Type": "text/html; charset=utf-8"},
        request=Request("https://news.example/a", meta={ARTICLE: True, **capture}),
    )
    warc = WarcFile.acquire(tmp_path / "archived.warc.gz")
    place = warc.write(fetched, datetime(2025, 1, 2, 3, 4, 5, tzinfo=UTC))
    warc.release()

    kept = read_page(tmp_path, place)
    assert (kept.url, kept.body, kept.fetched_at) == (fetched.url, page, "2025-01-02T03:04:05+00:00")
    assert kept.provenance == capture
    spider = compat.create_spider(get_crawler(OutletSpider.for_outlet(HERALD)))
    (item,) = spider.parse_article(kept.response(), {})
    assert {k: item[k] for k in ("fetched_from", "archive_url", "captured_at")} == {
        "fetched_from": "wayback",
        "archive_url": capture[ARCHIVE_URL],
        "captured_at": "2024-04-17T10:15:00+00:00",  # the capture's, not the fetch's
    }
    assert item["fetched_at"] == "2025-01-02T03:04:05+00:00"
    assert {k: item[k] for k in ("warc_file", "warc_offset", "warc_length")} == place


def test_datasette_facets_provenance_and_links_the_archived_copy(copy):
    replay = "https://web.archive.org/web/20240417101500id_/https://news.example/a"
    with sqlite3.connect(copy) as conn:
        conn.execute("update articles set fetched_from = 'wayback', archive_url = ? where id = 1", [replay])
    datasette = make_datasette(copy)
    data = asyncio.run(datasette.client.get("/monitor/articles.json?_extra=facet_results&_shape=objects")).json()
    facets = data["facet_results"].get("results", data["facet_results"])
    assert {v["value"]: v["count"] for v in facets["fetched_from"]["results"]} == {
        "live": len(articles(copy)) - 1,
        "wayback": 1,
    }
    row_page = asyncio.run(datasette.client.get("/monitor/articles/1")).text
    assert f'<a href="{replay}" rel="noopener noreferrer">' in row_page


def test_the_wire_framing_of_a_decoded_body_is_renamed():
    body = b"<html><body><p>Decoded.</p></body></html>"
    chunked = HtmlResponse(
        "https://news.example/a",
        body=body,
        headers={"Transfer-Encoding": "chunked", "Content-Length": "25", "Content-Type": "text/html"},
    )
    kept = http_headers(chunked)
    assert kept.get_header("X-Archive-Orig-Transfer-Encoding") == "chunked"
    assert kept.get_header("X-Archive-Orig-Content-Length") == "25"
    assert kept.get_header("Content-Length") == str(len(body))
    assert kept.get_header("Transfer-Encoding") is None and kept.statusline == "200 OK"

    plain = http_headers(HtmlResponse("https://news.example/b", body=body, headers={"Content-Length": str(len(body))}))
    assert plain.headers == [("Content-Length", str(len(body)))]


def test_the_migration_upgrades_a_database_of_the_previous_schema(tmp_path):
    path = tmp_path / "previous.db"
    db = sqlite_utils.Database(path)
    db["schema_migrations"].create({"name": str, "applied_at": str}, pk="name")
    for name in PREVIOUS_MIGRATIONS:
        importlib.import_module(f"media_monitor.db.migrations.{name}").migrate(db)
        db["schema_migrations"].insert({"name": name, "applied_at": "2024-06-01T00:00:00+00:00"})
    db["outlets"].insert({"name": "herald_en", "title": "Herald"})
    db["articles"].insert(
        {
            "url": "https://herald.example/a",
            "canonical_url": "https://herald.example/a",
            "outlet": "herald_en",
            "title": "Peacekeepers leave",
            "text": "Russian peacekeepers left Karabakh.",
            "first_seen_at": "2024-06-01T00:00:00+00:00",
            "last_seen_at": "2024-06-01T00:00:00+00:00",
        }
    )
    db.close()

    upgraded = open_database(path)
    assert "m0005_provenance" in {row["name"] for row in upgraded["schema_migrations"].rows}
    (row,) = upgraded["articles"].rows
    assert row["fetched_from"] == "live"
    assert [row[c] for c in ("archive_url", "captured_at", "warc_file", "warc_offset", "warc_length")] == [None] * 5
    # The full-text index and its triggers still follow the table.
    upgraded.execute("update articles set text = 'Convoys crossed the Lachin corridor.' where id = ?", [row["id"]])
    assert upgraded.execute("select rowid from articles_fts where articles_fts match 'Lachin'").fetchall() == [
        (row["id"],)
    ]
