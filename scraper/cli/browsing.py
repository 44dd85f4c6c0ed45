"""Commands that read the database: `monitor serve` (Datasette), `monitor export` (CSV or
JSON Lines), `monitor status` (recent runs and crawl health)."""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from media_monitor.cli.options import db_option, outlet_option, since_option, until_option, usage_errors

if TYPE_CHECKING:
    import sqlite_utils


def _existing_database(db_path: str) -> sqlite_utils.Database:
    """The database a reading command reads: a missing or unreadable file is a bad --db."""
    from media_monitor.db import open_database

    if not Path(db_path).exists():
        raise click.BadParameter(f"no database at {db_path}: run `monitor crawl` first", param_hint=["--db"])
    with usage_errors("--db", also=(sqlite3.DatabaseError,)):
        return open_database(db_path)


@click.command()
@db_option
@click.option("--host", default=None, help="Interface to bind.  [default: 127.0.0.1; 0.0.0.0 with --public]")
@click.option("--port", default=8001, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--public",
    is_flag=True,
    help="Serve other machines: bind all interfaces (0.0.0.0) with arbitrary SQL turned off; "
    "tables, facets, search, the canned queries and the dashboard remain.",
)
def serve(db_path, host, port, public):
    """Browse the database in Datasette, with the project's metadata and dashboard.

    Binds 127.0.0.1 (this machine only) unless --public or --host says otherwise. The front
    page leads to the coverage dashboard (/-/dashboards/coverage). In public mode a malformed
    parameter gets a 400, /-/versions and /-/threads are hidden, and one CSV download stops at
    MONITOR_PUBLIC_MAX_CSV_MB megabytes (default 100).

    \b
    Example:
        monitor serve --db monitor.db --port 8001
        monitor serve --db monitor.db --public      # for the team: no arbitrary SQL
    """
    import uvicorn

    from media_monitor.web.app import make_datasette
    from media_monitor.web.public import csv_cap_mb

    host = host or ("0.0.0.0" if public else "127.0.0.1")
    if public:
        with usage_errors():
            csv_cap_mb()
    datasette = make_datasette(db_path, public=public)
    shown = "127.0.0.1" if host == "0.0.0.0" else host
    click.echo(
        f"Datasette: http://{shown}:{port}/-/dashboards/coverage (articles: /{Path(db_path).stem}/articles)"
        + (f"; public on {host}, arbitrary SQL off" if public else ""),
        err=True,
    )
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning", lifespan="on")


@click.command()
@db_option
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@since_option
@until_option
@outlet_option
@click.option(
    "--language", "languages", multiple=True, metavar="CODE", help="Only this ISO 639-1 language (repeatable)."
)
@click.option(
    "--query",
    metavar="TERM",
    help="Only articles whose title or text match this full-text query (SQLite FTS5, as Datasette's "
    'search box: words, "a phrase", prefix*, OR, NOT; Nagorno-Karabakh or U.S. search for their words).',
)
@click.option("--include-duplicates", is_flag=True, help="Also export rows that copy another article.")
@click.option(
    "--include-borderline",
    is_flag=True,
    help="Also export borderline articles (scored below the topic's threshold, kept for review).",
)
@click.option(
    "--one-per-cluster",
    is_flag=True,
    help="One row per syndication cluster: its earliest published article (cluster_size counts the rest).",
)
@click.option(
    "--excel",
    is_flag=True,
    help="CSV for spreadsheets: UTF-8 with a byte order mark, so Excel reads Armenian and Cyrillic text.",
)
@click.option(
    "--raw-cells",
    is_flag=True,
    help="CSV: keep cells starting with =, +, -, @, tab or CR as they are (by default they get a "
    "leading ' so that a spreadsheet does not run them as formulas).",
)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Write here instead of stdout.")
def export(
    db_path,
    fmt,
    since,
    until,
    outlets,
    languages,
    query,
    include_duplicates,
    include_borderline,
    one_per_cluster,
    excel,
    raw_cells,
    output,
):
    """Export articles as UTF-8 CSV (with a header row) or JSON Lines, oldest first.

    The columns are described in db/data-dictionary.md (and at /-/data-dictionary in
    Datasette). CSV cells that a spreadsheet would run as a formula are prefixed with ' unless
    --raw-cells.

    \b
    Example:
        monitor export --since 2024-04-01 --until 2024-06-30 --language ru -o ru.csv
        monitor export --one-per-cluster -o stories.csv   # each wire story once
        monitor export --query 'Khojaly OR Ходжалы' --excel -o khojaly.csv
    """
    from media_monitor.storage.export import WRITERS, select_articles

    if excel and fmt != "csv":
        raise click.BadParameter("--excel writes CSV; leave out --format jsonl", param_hint="--excel")
    db = _existing_database(db_path)
    # Checked against the database, not a sources file: it also holds the outlets GDELT found.
    _known_or_error(
        outlets, {row["name"] for row in db.query("select name from outlets")}, "outlet", "--outlet", db_path
    )
    known_languages = {row["language"] for row in db.query("select distinct language from articles")} - {None}
    _known_or_error(languages, known_languages, "language", "--language", db_path)
    if query:
        from media_monitor.storage.search import forgiving_query

        if not forgiving_query(query):
            raise click.BadParameter(f"{query!r} has no word to search for", param_hint="--query")
    rows = select_articles(
        db,
        since,
        until,
        outlets,
        languages,
        include_duplicates,
        one_per_cluster,
        query=query,
        topic_statuses=("on_topic", "borderline") if include_borderline else ("on_topic",),
    )
    encoding = "utf-8-sig" if excel else "utf-8"
    if output:
        with open(output, "w", encoding=encoding, newline="") as out:
            count = WRITERS[fmt](rows, out, raw_cells=raw_cells)
        click.echo(f"{count} articles written to {output}", err=True)
    else:
        # UTF-8 whatever the locale: a CSV of Armenian text (with the BOM for --excel).
        sys.stdout.reconfigure(encoding=encoding)
        WRITERS[fmt](rows, sys.stdout, raw_cells=raw_cells)


def _known_or_error(asked: tuple[str, ...], known: set[str], what: str, option: str, db_path: str) -> None:
    """A usage error naming the values of ``option`` the database does not hold, and those it does."""
    unknown = sorted(set(asked) - known)
    if unknown:
        raise click.BadParameter(
            f"no {what} named {', '.join(unknown)} in {db_path} (it has: {', '.join(sorted(known)) or 'none'})",
            param_hint=[option],
        )


@click.command()
@db_option
@click.option("--runs", default=5, show_default=True, help="How many recent runs to show.")
@click.option(
    "--check",
    is_flag=True,
    help="Exit 1 when an outlet is stale or keeps hitting a bound (for a scheduler or a monitor to alert on).",
)
def status(db_path, runs, check):
    """Recent crawl runs, per-outlet totals and crawl health.

    An outlet is STALE when its last 3 runs each listed no article or failed: a dead feed or
    a changed layout. It is BOUNDED when its last 2 runs each hit a bound on what an outlet
    controls (sitemaps, feed entries, listing pages, body size, its time budget): a hostile
    or broken site, or a bound to raise (docs/reliability.md#outlet-bounds).

    \b
    Example:
        monitor status --db monitor.db --runs 10
        monitor status --check || notify-operator    # alert on stale outlets
    """
    db = _existing_database(db_path)
    click.echo("Recent runs:")
    for run in db.query("select * from crawl_runs order by id desc limit ?", [runs]):
        click.echo(
            f"  #{run['id']} {run['started_at']} {run['status']:<11} fetched {run['fetched'] or 0}, "
            f"new {run['new'] or 0}, borderline {run['borderline'] or 0}, updated {run['updated'] or 0}, "
            f"duplicates {run['duplicates'] or 0}, "
            f"off-topic {run['off_topic'] or 0}, failed {run['failed'] or 0}"
            + (f", held back by bounds {run['bounds_hit']}" if run["bounds_hit"] else "")
        )
    click.echo("Outlets (distinct on-topic articles / rows, newest article; health):")
    rows = db.query(
        "select o.name, count(a.id) as rows, "
        "(select count(*) from distinct_articles d where d.outlet = o.name) as distinct_rows, "
        "max(a.published_at) as newest, h.last_status, h.last_success_at, h.consecutive_failures, h.last_listed, "
        "h.last_error, h.stale, h.next_crawl_at, h.bounded_runs, h.last_bounds from outlets o left join articles a on a.outlet = o.name "
        "left join outlet_health h on h.outlet = o.name group by o.name order by o.name"
    )
    from media_monitor.crawling.bounds import BOUNDED_RUNS

    stale, bounded = [], []
    for row in rows:
        health = (
            "never crawled"
            if row["last_status"] is None
            else (
                f"last {row['last_status']}, listed {row['last_listed'] or 0}, success {row['last_success_at'] or 'never'}, "
                f"failures in a row {row['consecutive_failures'] or 0}, next {row['next_crawl_at']}"
            )
        )
        if row["last_bounds"]:
            health += f"; bounds hit: {row['last_bounds']}"
        if (row["bounded_runs"] or 0) >= BOUNDED_RUNS:
            bounded.append(row["name"])
            health = f"BOUNDED ({row['bounded_runs']} runs in a row): " + health
        if row["stale"]:
            stale.append(row["name"])
            health = "STALE: " + health + (f"; last error: {row['last_error']}" if row["last_error"] else "")
        click.echo(
            f"  {row['name']:<22} {row['distinct_rows'] or 0:>6} / {row['rows']:<6} {row['newest'] or '-':<21} {health}"
        )
    if check and (stale or bounded):
        if stale:
            click.echo(f"stale: {', '.join(stale)}", err=True)
        if bounded:
            click.echo(f"bounded: {', '.join(bounded)}", err=True)
        sys.exit(1)
