"""Public mode (`monitor serve --public`) through Datasette's own client: what a stranger may
send gets a 4xx, never a 500; the server's versions and threads are hidden; a CSV is capped."""

from __future__ import annotations

import asyncio
import json
import urllib.parse

import pytest
import sqlite_utils
from click.testing import CliRunner

from media_monitor.cli import cli
from media_monitor.db import open_database
from media_monitor.web.app import make_datasette
from media_monitor.web.public import DEFAULT_CSV_CAP_MB, parameter_problem


def get(datasette, path):
    return asyncio.run(datasette.client.get(path))


@pytest.fixture(scope="module")
def public(crawled):
    return make_datasette(crawled[0], public=True)


def _through(**value):
    return urllib.parse.quote(json.dumps(value))


@pytest.mark.parametrize(
    "path, message",
    [
        ("/monitor/articles?_sort=length(title)", "_sort: 'length(title)' is not a column of articles"),
        ("/monitor/articles?_sort=nosuch", "_sort: 'nosuch' is not a column of articles"),
        ("/monitor/articles?_sort_desc=rowid", "_sort_desc: 'rowid' is not a column of articles"),
        ("/monitor/distinct_articles?_sort=1%2B1", "_sort: '1+1' is not a column of distinct_articles"),
        ("/monitor/articles?_sort=title&_sort_desc=title", "give _sort or _sort_desc, not both"),
        ("/monitor/articles?_through=xyz", "_through is JSON"),
        ("/monitor/articles?_through=%7B%7D", "_through is JSON"),
        (f"/monitor/articles?_through={_through(table='x', column='y', value=1)}", "_through: 'x' is not a table"),
        (
            f"/monitor/articles?_through={_through(table='article_versions', column='y', value=1)}",
            "_through: 'y' is not a column of article_versions",
        ),
        (
            f"/monitor/articles?_through={_through(table='outlets', column='name', value='x')}",
            "_through: outlets has no foreign key to articles",
        ),
        ("/monitor/articles?_timelimit=soon", "_timelimit: 'soon' is not a number of milliseconds"),
    ],
)
def test_malformed_parameters_answer_400(public, path, message):
    page = get(public, path)
    assert page.status_code == 400 and message in page.text, page.text
    as_json = get(public, path.replace("/articles?", "/articles.json?").replace("_articles?", "_articles.json?"))
    assert as_json.status_code == 400 and message in as_json.json()["error"]


def test_well_formed_parameters_still_answer(public, crawled):
    assert get(public, "/monitor/articles?_sort=title").status_code == 200
    assert get(public, "/monitor/articles.json?_sort_desc=published_at&_timelimit=500").status_code == 200
    through = _through(table="article_versions", column="id", value="1")
    assert get(public, f"/monitor/articles?_through={through}").status_code == 200
    # ... and outside public mode Datasette answers as it always has.
    assert get(make_datasette(crawled[0]), "/monitor/articles?_sort=nosuch").status_code == 500


@pytest.mark.parametrize(
    "query", ["search_articles?term=Khojaly", "coverage_between_dates?since=2024-04-01&until=2024-05-01"]
)
def test_a_post_on_a_canned_query_is_refused(public, query):
    response = asyncio.run(public.client.post(f"/monitor/{query}", data={"term": "x"}))
    assert response.status_code == 405 and response.headers["allow"] == "GET, HEAD"
    assert get(public, f"/monitor/{query}").status_code == 200


def test_versions_and_threads_are_hidden(public, crawled):
    for path in ("/-/versions", "/-/versions.json", "/-/threads", "/-/threads.json"):
        assert get(public, path).status_code == 404, path
        assert get(make_datasette(crawled[0]), path).status_code == 200, path  # the local default shows them


@pytest.mark.parametrize(
    "args, problem",
    [
        ({"_sort": "title"}, None),
        ({"_sort": "title desc"}, "_sort: 'title desc' is not a column of articles (sort by a column's name)"),
        ({"_sort_desc": "id", "_timelimit": "100"}, None),
        ({"_timelimit": "-1"}, "_timelimit: '-1' is not a number of milliseconds"),
        ({"_through": '{"table": "versions", "column": "id", "value": 1}'}, None),
        ({"_through": '{"table": "versions", "column": "id", "value": [1]}'}, "_through: [1] is not a value"),
        ({"_through": '{"table": "versions", "column": "id", "value": 1, "x": 2}'}, "_through is JSON"),
        ({"_through": "[1]"}, "_through is JSON"),
    ],
)
def test_parameter_problem(args, problem):
    columns = {"articles": ["id", "title"], "versions": ["id", "article_id"]}
    foreign_keys = [{"column": "article_id", "other_table": "articles", "other_column": "id"}]
    found = parameter_problem(args, "articles", columns, foreign_keys)
    assert found == problem or (problem is not None and found.startswith(problem))


def test_one_csv_is_capped_in_public_mode(tmp_path, monkeypatch):
    db = tmp_path / "big.db"
    open_database(db).close()
    now = "2024-04-17T10:00:00Z"
    sqlite_utils.Database(db)["articles"].insert_all(
        {
            "url": f"https://x.example/{i}",
            "canonical_url": f"https://x.example/{i}",
            "outlet": "x",
            "text": "word " * 20_000,
            "title": "title " * 6_000,  # 1.2 MB of titles, which the canned queries show
            "topic_status": "on_topic",
        }
        | {"first_seen_at": now, "last_seen_at": now}
        for i in range(40)
    )  # 4 MB of text
    assert make_datasette(db, public=True).setting("max_csv_mb") == DEFAULT_CSV_CAP_MB
    monkeypatch.setenv("MONITOR_PUBLIC_MAX_CSV_MB", "1")
    capped = get(make_datasette(db, public=True), "/big/articles.csv")
    assert capped.status_code == 200
    assert len(capped.content) < 1.1 * 2**20 and capped.text.rstrip().endswith("CSV contains more than 1048576 bytes")
    assert len(get(make_datasette(db), "/big/articles.csv").content) > 4_000_000  # the local default is not capped

    # A canned query's CSV (streamed by scraper/web/exact.py, past Datasette's 1,000 rows) too.
    query = get(make_datasette(db, public=True), "/big/unique_articles.csv")
    assert query.status_code == 200 and query.text.count("\n") > 10
    assert len(query.content) < 1.1 * 2**20 and query.text.rstrip().endswith("CSV contains more than 1048576 bytes")

    monkeypatch.setenv("MONITOR_PUBLIC_MAX_CSV_MB", "lots")
    refused = CliRunner().invoke(cli, ["serve", "--db", str(db), "--public"])
    assert refused.exit_code == 2
    assert "MONITOR_PUBLIC_MAX_CSV_MB='lots' is not a whole number of megabytes" in refused.output
