"""The `monitor` CLI through click's runner (crawls through a subprocess, see conftest)."""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys

import click
import pytest
import sqlite_utils
from click.testing import CliRunner

from media_monitor.cli import cli
from media_monitor.config.sources import load_sources
from media_monitor.db import open_database
from tests.conftest import ROOT, crawl, run_monitor

# A sources file whose one outlet fails validation.
BAD_SOURCES = (
    '[[outlet]]\nname = "x"\ntitle = "X"\nhomepage = "https://x.example/"\nlanguage = "en"\n'
    'country = "GE"\ntimezone = "Mars/Olympus"\nfeeds = ["https://x.example/feed"]\n'
)
TIMEZONE_PROBLEM = "outlet 'x' (#1), key 'timezone': 'Mars/Olympus' is not a known IANA timezone"
# Nothing listens on port 1: worker and ingest must refuse the bad option before connecting.
REDIS = ("--redis", "redis://127.0.0.1:1/0")
# Each command that takes the option, given a bad value, and what its message must say. In the
# arguments {bad_sources} and {bad_topic} are files that fail validation, {db} an empty
# database, {missing} no file and {junk} a file that is not a database.
BAD_OPTIONS = [
    *(
        ([*command, "--set", "FOO"], "'FOO' is not KEY=VALUE")
        for command in (["crawl"], ["worker", *REDIS], ["ingest", *REDIS, "--db", "{db}"])
    ),
    (["schedule", "--db", "{db}", "--every", "30m", "--", "--set", "FOO"], "'FOO' is not KEY=VALUE"),
    *(
        ([*command, "--sources", "{bad_sources}"], TIMEZONE_PROBLEM)
        for command in (
            ["crawl"],
            ["worker", *REDIS],
            ["ingest", *REDIS, "--db", "{db}"],
            ["schedule", "--db", "{db}", "--every", "30m"],
            ["sources", "check"],
            ["sources", "list"],
            ["sources", "probe"],
        )
    ),
    *(
        ([*command, "--outlet", "nosuch"], "no outlet named nosuch in ")
        for command in (
            ["crawl", "--db", "{db}"],
            ["worker", *REDIS],
            ["schedule", "--db", "{db}", "--every", "30m"],
            ["sources", "probe"],
            ["export", "--db", "{db}"],
        )
    ),
    *(
        ([*command, "--topic", "{bad_topic}"], "has no [[concept]] tables")
        for command in (["crawl"], ["worker", *REDIS], ["ingest", *REDIS, "--db", "{db}"])
    ),
    (["crawl", "--since", "April"], "'April' is not a date"),
    (["worker", *REDIS, "--until", "May"], "'May' is not a date"),
    (["schedule", "--db", "{db}", "--every", "30m", "--", "--since", "April"], "'April' is not a date"),
    (["schedule", "--db", "{db}", "--cron", "* * *"], "Wrong number of fields"),
    (["schedule", "--db", "{db}", "--every", "soon"], "'soon' is not an interval"),
    (["export", "--db", "{missing}"], "no database at"),
    (["status", "--db", "{missing}"], "no database at"),
    (["export", "--db", "{junk}"], "file is not a database"),
    (["status", "--db", "{junk}"], "file is not a database"),
    # Configuration validated whole: what used to end in a traceback, or pass and break the crawl.
    *(
        ([*command, "--sources", "{" + name + "}"], message)
        for command in (["sources", "check"], ["worker", *REDIS], ["schedule", "--db", "{db}", "--every", "30m"])
        for name, message in {
            "int_outlets": "outlet #1, key 'outlet': 1 is not an [[outlet]] table",
            "utf16_sources": "the sources file is UTF-16 text; save it as UTF-8",
            "ipv6_sources": "key 'feeds': 'http://[::1/feed' is not an http(s) URL",
            "date_format_sources": "key 'listings #1.date_format': 5 must be a strptime format",
            "deep_sources": "is not valid TOML: nested too deeply",
        }.items()
    ),
    *(
        ([*command, "--topic", "{string_topic}"], "key 'terms.en': 'peacekeep*' is a string")
        for command in (["crawl"], ["worker", *REDIS], ["schedule", "--db", "{db}", "--every", "30m", "--"])
    ),
    *(
        ([*command, "--db", "{no_folder}"], "does not exist (create it first)")
        for command in (["crawl"], ["schedule", "--every", "30m"], ["ingest", *REDIS], ["serve"], ["status"])
    ),
]


GOOD_SOURCES = BAD_SOURCES.replace("Mars/Olympus", "Asia/Tbilisi")
LISTING = '[[outlet.listings]]\nurl = "https://x.example/p/{page}"\nlinks = "a"\n'
BAD_CONFIG = {  # name: (text, encoding)
    "int_outlets": ("outlet = [1, 2]\n", "utf-8"),
    "utf16_sources": (GOOD_SOURCES, "utf-16"),
    "ipv6_sources": (GOOD_SOURCES.replace("https://x.example/feed", "http://[::1/feed"), "utf-8"),
    "date_format_sources": (GOOD_SOURCES + LISTING + "date_format = 5\n", "utf-8"),
    "deep_sources": ("outlet = " + "[" * 3000 + "]" * 3000 + "\n", "utf-8"),
    "string_topic": ('[[concept]]\nname = "force"\n[concept.terms]\nen = "peacekeep*"\n', "utf-8"),
}


def invoke(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def command_paths(group: click.Group, path: tuple[str, ...] = ()):
    """Every command and subcommand under the group, as the words that name it."""
    for name, command in group.commands.items():
        yield (*path, name)
        if isinstance(command, click.Group):
            yield from command_paths(command, (*path, name))


@pytest.fixture
def bad_files(tmp_path) -> dict[str, str]:
    files = {name: tmp_path / name for name in ("bad_sources", "bad_topic", "db", "missing", "junk", *BAD_CONFIG)}
    files["bad_sources"].write_text(BAD_SOURCES, encoding="utf-8")
    files["bad_topic"].write_text('name = "no_concepts"\n', encoding="utf-8")
    open_database(files["db"]).close()
    files["junk"].write_text("not SQLite\n", encoding="utf-8")
    for name, (text, encoding) in BAD_CONFIG.items():
        files[name].write_text(text, encoding=encoding)
    return {name: str(path) for name, path in files.items()} | {"no_folder": str(tmp_path / "typo" / "m.db")}


def test_every_command_has_help_with_an_example():
    for command in ("crawl", "serve", "export", "status", "demo"):
        result = invoke(command, "--help")
        assert result.exit_code == 0
        assert "Example:" in result.output and f"monitor {command}" in result.output


def test_export_csv_writes_one_row_per_distinct_article(crawled, db):
    result = invoke("export", "--db", str(crawled[0]), "--format", "csv")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == db.execute("select count(*) from articles where duplicate_of is null").fetchone()[0]
    assert {"id", "outlet", "title", "url", "published_at", "language", "text"} <= set(rows[0])
    assert all(r["duplicate_of"] == "" for r in rows)
    assert {r["language"] for r in rows} == {"en", "ru", "hy", "az"}
    dated = [r["published_at"] for r in rows if r["published_at"]]
    assert dated == sorted(dated) and all(d.endswith("Z") for d in dated)


def test_export_filters(crawled, manifest, tmp_path):
    out = tmp_path / "ru.csv"
    result = invoke("export", "--db", str(crawled[0]), "--language", "ru", "--include-duplicates", "-o", str(out))
    assert result.exit_code == 0
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    russian = [
        p
        for p in manifest
        if p["language"] == "ru"
        and set(p["found_via"]) - {"gdelt"}
        and (p["expect"] == "stored" or p["how"] in ("content_hash", "title_window"))
    ]
    assert len(rows) == len(russian) and {r["language"] for r in rows} == {"ru"}
    assert sum(1 for r in rows if r["duplicate_of"]) == 1

    result = invoke(
        "export",
        "--db",
        str(crawled[0]),
        "--format",
        "jsonl",
        "--since",
        "2024-04-17",
        "--until",
        "2024-04-17",
        "--outlet",
        "baku_az",
    )
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert [r["published_at"] for r in rows] == ["2024-04-17T15:10:00Z"]
    assert isinstance(rows[0]["authors"], list) and isinstance(rows[0]["matched_terms"], list)

    result = invoke("export", "--db", str(crawled[0]), "--format", "jsonl", "--since", "2024-05-01T00:00:00+04:00")
    assert all(json.loads(line)["published_at"] >= "2024-04-30T20:00:00Z" for line in result.output.splitlines())


@pytest.mark.parametrize("path", [(), *command_paths(cli)], ids=lambda path: " ".join(("monitor", *path)))
def test_the_group_and_every_command_have_help_with_an_example(path):
    result = invoke(*path, "--help")
    assert result.exit_code == 0
    assert "Example" in result.output and " ".join(("monitor", *path)) in result.output


@pytest.mark.parametrize(
    "args, message", BAD_OPTIONS, ids=lambda value: " ".join(value) if isinstance(value, list) else ""
)
def test_a_bad_option_or_file_is_a_usage_error(args, message, bad_files):
    result = CliRunner().invoke(cli, [arg.format(**bad_files) for arg in args])
    assert result.exit_code == 2, result.output
    assert "Error: " in result.output and message in result.output
    assert "Traceback" not in result.output and isinstance(result.exception, SystemExit)


def test_export_rejects_a_bad_date(crawled):
    result = CliRunner().invoke(cli, ["export", "--db", str(crawled[0]), "--since", "April"])
    assert result.exit_code == 2 and "'April' is not a date" in result.output


def test_export_without_a_database_says_so(tmp_path):
    result = CliRunner().invoke(cli, ["export", "--db", str(tmp_path / "none.db")])
    assert result.exit_code == 2 and "no database at" in result.output
    assert not (tmp_path / "none.db").exists()


def test_status_lists_runs_and_outlets(crawled):
    result = invoke("status", "--db", str(crawled[0]))
    assert result.exit_code == 0
    assert "#2" in result.output and "#1" in result.output and "completed" in result.output
    for outlet in ("herald_en", "vestnik_ru", "yerevan_hy", "baku_az", "ararat_hy"):
        assert outlet in result.output


def test_monitor_db_environment_variable(crawled):
    result = CliRunner().invoke(cli, ["status"], env={"MONITOR_DB": str(crawled[0])})
    assert result.exit_code == 0 and "herald_en" in result.output


def test_a_database_in_a_missing_folder_is_refused_not_created(sources, tmp_path):
    result = run_monitor("crawl", "--db", str(tmp_path / "typo" / "m.db"), "--sources", str(sources))
    assert result.returncode == 2 and "does not exist (create it first)" in result.stderr
    assert not (tmp_path / "typo").exists()


def test_bad_sources_file_gets_a_clear_message(tmp_path):
    bad = tmp_path / "sources.toml"
    bad.write_text(BAD_SOURCES)
    result = run_monitor("crawl", "--db", str(tmp_path / "m.db"), "--sources", str(bad))
    assert result.returncode == 2
    assert TIMEZONE_PROBLEM in result.stderr
    assert "Traceback" not in result.stderr


def test_unknown_outlet_is_refused(sources, tmp_path):
    result = run_monitor("crawl", "--db", str(tmp_path / "m.db"), "--sources", str(sources), "--outlet", "nope")
    assert result.returncode == 2 and "no outlet named nope" in result.stderr


def test_a_failing_outlet_does_not_stop_the_others(site, tmp_path):
    sources = tmp_path / "sources.toml"
    broken = (
        '\n[[outlet]]\nname = "gone_en"\ntitle = "Gone"\nhomepage = "{base}/gone/"\nlanguage = "en"\n'
        'country = "GE"\ntimezone = "Asia/Tbilisi"\nfeeds = ["{base}/gone/feed.xml", "{base}/herald/"]\n'
    )
    sources.write_text(site.sources_toml() + broken.format(base=site.base), encoding="utf-8")
    db = tmp_path / "m.db"
    result = crawl(db, sources, "--outlet", "gone_en", "--outlet", "yerevan_hy")
    assert result.returncode == 0
    assert "gone_en" in result.stdout and "no feed or sitemap could be read" in result.stdout
    rows = {
        r[0]: r[1:] for r in sqlite3.connect(db).execute("select outlet, status, failed, new from crawl_run_outlets")
    }
    assert rows["gone_en"][:2] == ("failed", 2)  # a 404 feed and an HTML page where a feed was expected
    assert rows["yerevan_hy"][2] == 2

    only_broken = crawl(db, sources, "--outlet", "gone_en")
    assert only_broken.returncode == 1  # every outlet failed


def test_no_topic_filter_keeps_off_topic_articles(sources, manifest, tmp_path):
    db = tmp_path / "all.db"
    assert crawl(db, sources, "--no-topic-filter", "--outlet", "herald_en").returncode == 0
    rows = list(sqlite_utils.Database(db).query("select relevance from articles"))
    off_topic = [p for p in manifest if p["outlet"] == "herald_en" and p["expect"] == "off_topic"]
    assert sum(1 for r in rows if r["relevance"] < 0.8) == len(off_topic)


def test_scrapy_list_shows_one_spider_per_outlet(sources):
    listed = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "MONITOR_SOURCES": str(sources)},
    )
    outlets = [o.name for o in load_sources(sources)]
    assert listed.stdout.split() == sorted([*outlets, "gdelt"])  # one per outlet, and GDELT discovery
    default = subprocess.run([sys.executable, "-m", "scrapy", "list"], cwd=ROOT, capture_output=True, text=True)
    assert len(default.stdout.split()) >= 5 and "oc_media" in default.stdout.split()


def test_scrapy_crawl_runs_one_outlet_and_records_its_own_run(sources, tmp_path):
    db = tmp_path / "scrapy.db"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "crawl",
            "yerevan_hy",
            "-s",
            f"MONITOR_DB={db}",
            "-s",
            "AUTOTHROTTLE_ENABLED=False",
            "-s",
            "LOG_LEVEL=WARNING",
            "-s",
            f"HTTPCACHE_DIR={tmp_path / 'cache'}",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "MONITOR_SOURCES": str(sources)},
    )
    assert result.returncode == 0, result.stderr
    stored = sqlite_utils.Database(db)
    assert [r["status"] for r in stored["crawl_runs"].rows] == ["completed"]
    assert [r["status"] for r in stored["crawl_run_outlets"].rows] == ["partial"]  # the sitemap's 404 link
    assert stored.execute("select count(*) from articles where outlet = 'yerevan_hy'").fetchone()[0] == 2


def test_sources_list_and_check(sources):
    listed = invoke("sources", "list", "--sources", str(sources))
    assert listed.exit_code == 0
    assert "ararat_en" in listed.output and listed.output.rstrip().endswith("outlets in az, en, hy, ru")
    checked = invoke("sources", "check")  # the bundled file
    assert checked.exit_code == 0 and "OK" in checked.output


def test_sources_check_names_the_problem(tmp_path):
    bad = tmp_path / "sources.toml"
    bad.write_text(
        '[[outlet]]\nname = "x"\ntitle = "X"\nhomepage = "https://x.example/"\nlanguage = "en"\n'
        'country = "GE"\ntimezone = "UTC"\n[[outlet.listings]]\nurl = "https://x.example/p/{page}"\n'
        'links = "a[href"\n'
    )
    result = CliRunner().invoke(cli, ["sources", "check", "--sources", str(bad)])
    assert result.exit_code == 2 and "key 'listings #1.links': CSS selector 'a[href' does not compile" in result.output


def test_sources_probe_reports_each_source(site, sources, tmp_path):
    result = invoke("sources", "probe", "--sources", str(sources), "--outlet", "herald_en", "--outlet", "ararat_en")
    assert result.exit_code == 0, result.output
    lines = {
        line.split()[1] + " " + line.split()[-1].replace(site.base, ""): line for line in result.output.splitlines()
    }
    assert "8 items, newest 2024-05-21T07:00:00Z" in lines["feed /herald/feed.xml"]
    assert " 200 " in lines["sitemap /herald/news-sitemap.xml"]
    assert "3 items" in lines["listing /ararat/en/tag/peacekeepers/page/1"]

    broken = tmp_path / "broken.toml"
    broken.write_text(
        site.sources_toml()
        .replace("/herald/feed.xml", "/herald/gone.xml")
        .replace("/herald/news-sitemap.xml", "/herald/"),
        encoding="utf-8",
    )
    result = invoke("sources", "probe", "--sources", str(broken), "--outlet", "herald_en")
    assert result.exit_code == 1
    assert "HTTP 404" in result.output and "not a sitemap" in result.output
    assert "no working source: herald_en" in result.output


def test_export_one_per_cluster(crawled, db):
    everything = list(csv.DictReader(io.StringIO(invoke("export", "--db", str(crawled[0])).output)))
    stories = list(csv.DictReader(io.StringIO(invoke("export", "--db", str(crawled[0]), "--one-per-cluster").output)))
    clusters = db.execute("select count(distinct cluster_id) from articles where duplicate_of is null").fetchone()[0]
    assert len(stories) == clusters < len(everything)
    assert len({r["cluster_id"] for r in stories}) == len(stories)
    syndicated = [r for r in stories if int(r["cluster_size"]) > 1]
    for story in syndicated:  # the row kept is the cluster's origin
        origin = db.execute("select origin_id from clusters where cluster_id = ?", [story["cluster_id"]]).fetchone()[0]
        assert int(story["id"]) == origin


@pytest.mark.parametrize("command", ["crawl", "worker"])
def test_crawl_and_worker_share_the_window_options(command):
    """A backfill round of workers is asked as a crawl is: the same window and discovery options."""
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0
    for option in ("--since", "--until", "--gdelt / --no-gdelt", "--archive / --no-archive"):
        assert option in result.output
