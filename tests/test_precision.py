"""A day-only date is the whole day, not its first moment (issue 18): stored with
``published_precision``; the clusters view, the first-report query and the dashboard's chart
never put such a report before a report of the same day that gives its time."""

from __future__ import annotations

import asyncio
import re

import pytest
import yaml

from media_monitor.db import METADATA, open_database
from media_monitor.db.migrations import m0009_precision
from media_monitor.normalise.article import normalise_article
from media_monitor.normalise.dates import published_day
from media_monitor.web import reader
from media_monitor.web.app import make_datasette

FETCHED = "2024-06-20T12:00:00+00:00"


def store(db, rows):
    """Articles of one cluster: (id, outlet, published_at, precision)."""
    db["outlets"].upsert_all([{"name": row[1]} for row in rows], pk="name")
    for article_id, outlet, published_at, precision in rows:
        db["articles"].insert(
            {
                "id": article_id,
                "url": f"https://{outlet}.example/{article_id}",
                "canonical_url": f"https://{outlet}.example/{article_id}",
                "outlet": outlet,
                "title": f"Report {article_id}",
                "published_at": published_at,
                "published_precision": precision,
                "cluster_id": 1,
                "first_seen_at": FETCHED,
                "last_seen_at": FETCHED,
            }
        )


@pytest.fixture
def db(tmp_path):
    database = open_database(tmp_path / "monitor.db")
    reader.prepare_connection(database.conn)  # the dashboard's SQL functions, as Datasette has them
    return database


def test_a_day_only_report_is_not_the_origin_of_its_day(db):
    # the case: "Jun 05, 2024" read in New York is 04:00 UTC, before a report at 09:00
    store(db, [(1, "daily", "2024-06-05T04:00:00Z", "day"), (2, "wire", "2024-06-05T09:00:00Z", "second")])
    (cluster,) = db.query("select * from clusters")
    assert (cluster["origin_id"], cluster["origin_published_at"]) == (2, "2024-06-05T09:00:00Z")
    # measured from the day's middle (16:00 UTC), not its first moment
    assert cluster["spread_minutes"] == 7 * 60


def test_a_day_only_report_of_an_earlier_day_is_the_origin(db):
    store(db, [(1, "daily", "2024-06-04T04:00:00Z", "day"), (2, "wire", "2024-06-05T09:00:00Z", "second")])
    (cluster,) = db.query("select * from clusters")
    assert cluster["origin_id"] == 1
    assert cluster["spread_minutes"] == 17 * 60  # 4 June 16:00 to 5 June 09:00


def test_timed_reports_keep_their_order_and_spread(db):
    store(db, [(1, "daily", "2024-06-05T04:00:00Z", "second"), (2, "wire", "2024-06-05T09:00:00Z", "minute")])
    (cluster,) = db.query("select * from clusters")
    assert (cluster["origin_id"], cluster["spread_minutes"]) == (1, 300)


def queries():
    metadata = yaml.safe_load(METADATA.read_text("utf-8"))
    canned = metadata["databases"]["monitor"]["queries"]["first_report_per_outlet"]["sql"]
    chart = metadata["plugins"]["datasette-dashboards"]["coverage"]["charts"]
    (who_first,) = [c["query"] for c in chart.values() if "first_published" in c.get("query", "")]
    return canned, re.sub(r"\[\[.*?\]\]", "", who_first)


def test_who_reported_first_puts_a_day_only_report_after_the_timed_ones_of_its_day(db):
    store(
        db,
        [
            (1, "daily", "2024-06-05T04:00:00Z", "day"),
            (2, "wire", "2024-06-05T09:00:00Z", "second"),
            (3, "weekly", "2024-06-04T04:00:00Z", "day"),
            (4, "daily", "2024-06-06T05:00:00Z", "minute"),
        ],
    )
    canned, chart = queries()
    first = list(db.query(canned))
    assert [(r["outlet"], r["id"]) for r in first] == [("weekly", 3), ("wire", 2), ("daily", 1)]
    assert first[2]["first_published"] == "2024-06-05T04:00:00Z" and first[2]["published_precision"] == "day"
    assert [r["outlet"] for r in db.query(chart)] == ["weekly", "wire", "daily"]


def test_the_migration_gives_stored_rows_the_precision_of_their_raw_date(tmp_path):
    import sqlite_utils

    from media_monitor.db import _migrations

    db = sqlite_utils.Database(tmp_path / "old.db")
    for name, module in _migrations():
        if name < "m0009":
            module.migrate(db)
    raws = {"Jun 05, 2024": "day", "2024-06-05T09:00:00Z": "second", "url:2024-06-05": "day", None: None}
    db["outlets"].insert({"name": "x"})
    for n, raw in enumerate(raws, 1):
        db["articles"].insert(
            {
                "id": n,
                "url": f"https://x.example/{n}",
                "canonical_url": f"https://x.example/{n}",
                "outlet": "x",
                "published_at": "2024-06-05T04:00:00Z" if raw else None,
                "published_raw": raw,
                "first_seen_at": FETCHED,
                "last_seen_at": FETCHED,
            }
        )
    m0009_precision.migrate(db)
    stored = [r["published_precision"] for r in db.query("select published_precision from articles order by id")]
    assert stored == list(raws.values())
    assert db["articles"].columns_dict["agencies"] is str


def test_normalise_stores_the_precision_and_the_agencies():
    record, _ = normalise_article(
        {
            "url": "https://daily.example/a",
            "fetched_at": FETCHED,
            "published_candidates": ["Jun 05, 2024"],
            "authors": ["Ann\u00ad Lee"],
            "agencies": ["AP"],
            "text": "Peacekeepers left the region. " * 10,
        },
        "America/New_York",
        "en",
    )
    assert (record["published_at"], record["published_precision"]) == ("2024-06-05T04:00:00Z", "day")
    assert (record["authors"], record["agencies"]) == (["Ann Lee"], ["AP"])


@pytest.mark.parametrize(
    ("published_at", "precision", "day"),
    [
        ("2024-04-16T20:00:00Z", "day", "2024-04-17"),  # Baku's midnight of the 17th, printed "17 April"
        ("2024-06-05T04:00:00Z", "day", "2024-06-05"),  # New York's midnight of the 5th
        ("2024-03-31T20:00:00Z", "month", "2024-04-01"),  # "April 2024" in Baku
        ("2024-04-16T20:00:00Z", "minute", "2024-04-16"),  # a time: its UTC day
        ("2024-04-16T20:00:00+04:00", None, "2024-04-16"),
        (None, "day", None),
    ],
)
def test_published_day(published_at, precision, day):
    assert published_day(published_at, precision) == day


def test_the_dashboard_and_the_date_picker_count_a_day_only_report_on_its_day(db, tmp_path):
    """A Baku page that prints only "17 April" is stored at 20:00 UTC on the 16th: its bar is the 17th's,
    and picking the 17th finds it."""
    store(db, [(1, "daily", "2024-04-16T20:00:00Z", "day"), (2, "wire", "2024-04-16T21:00:00Z", "minute")])
    db.execute("update articles set topic_status = 'on_topic'")
    db.conn.commit()
    metadata = yaml.safe_load(METADATA.read_text("utf-8"))
    charts = metadata["plugins"]["datasette-dashboards"]["coverage"]["charts"]
    (per_day,) = [c["query"] for c in charts.values() if "as day, outlet" in c.get("query", "")]
    bars = {(r["day"], r["outlet"]) for r in db.query(re.sub(r"\[\[.*?\]\]", "", per_day))}
    assert bars == {("2024-04-17", "daily"), ("2024-04-16", "wire")}
    datasette = make_datasette(db.conn.execute("pragma database_list").fetchone()[2])
    picked = asyncio.run(
        datasette.client.get("/monitor/articles.json?_since=2024-04-17&_until=2024-04-17&_shape=array")
    )
    assert [row["id"] for row in picked.json()] == [1]


def test_the_story_page_lists_a_cluster_in_the_views_origin_order(db):
    """A day-only report of the same day comes after the timed one, as the clusters view says."""
    store(db, [(1, "daily", "2024-06-05T04:00:00Z", "day"), (2, "wire", "2024-06-05T09:00:00Z", "second")])
    db.execute("update articles set topic_status = 'on_topic'")
    db.conn.commit()
    datasette = make_datasette(db.conn.execute("pragma database_list").fetchone()[2])
    story = asyncio.run(reader.story(datasette.get_database("monitor"), 1))
    assert story["origin_id"] == 2
    assert [(m["id"], m["delay"]) for m in story["members"]] == [(2, "first"), (1, "same day")]
