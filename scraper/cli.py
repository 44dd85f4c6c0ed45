"""The `monitor` command: crawl, serve, export, status, demo."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import click

from media_monitor import __version__

SOURCES_OPTION = click.option(
    "--sources",
    type=click.Path(exists=True, dir_okay=False),
    envvar="MONITOR_SOURCES",
    help="Sources file (default: the bundled scraper/config/sources.toml).",
)

DB_OPTION = click.option(
    "--db",
    "db_path",
    envvar="MONITOR_DB",
    default="monitor.db",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="SQLite database file (or set MONITOR_DB).",
)


def _utc_bound(value: str | None, option: str) -> str | None:
    """A --since/--until value as a date (YYYY-MM-DD) or a UTC time (…Z)."""
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date (2024-04-17) or time (2024-04-17T14:05+04:00)", param_hint=option
        ) from None
    if len(value) == 10:
        return value
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _print_run(run: dict, outlets: list[dict]) -> None:
    columns = (
        "fetched",
        "new",
        "updated",
        "unchanged",
        "duplicates",
        "off_topic",
        "failed",
        "skipped_known",
        "outside_window",
    )

    def line(name: str, row: dict, status: str) -> str:
        return f"{name:<22}" + "".join(f"{row[c] or 0:>{len(c) + 2}}" for c in columns) + f"  {status}"

    click.echo(f"{'outlet':<22}" + "".join(f"{c:>{len(c) + 2}}" for c in columns) + "  status")
    for row in outlets:
        click.echo(line(row["outlet"], row, row["status"] + (f" ({row['error']})" if row.get("error") else "")))
    click.echo(line("total", run, run["status"]))
    click.echo(f"crawl run {run['id']}: {run['started_at']} → {run['finished_at']}")


@click.group()
@click.version_option(__version__, prog_name="monitor")
def cli():
    """Monitor a story's coverage across outlets: crawl, dedupe, browse, export.

    \b
    Example:
        monitor demo                 # crawl the bundled sample site, open Datasette
        monitor crawl && monitor serve
    """


@cli.command()
@DB_OPTION
@click.option(
    "--sources",
    type=click.Path(exists=True, dir_okay=False),
    envvar="MONITOR_SOURCES",
    help="Sources file (default: the bundled scraper/config/sources.toml).",
)
@click.option(
    "--topic",
    type=click.Path(exists=True, dir_okay=False),
    envvar="MONITOR_TOPIC",
    help="Topic file (default: the bundled Karabakh peacekeepers topic).",
)
@click.option(
    "--outlet",
    "outlets",
    multiple=True,
    metavar="NAME",
    help="Crawl only this outlet (repeatable). Default: every outlet.",
)
@click.option(
    "--since", help="Backfill: only articles published on or after this date/time (UTC unless an offset is given)."
)
@click.option("--until", help="Backfill: only articles published up to this date (inclusive) or before this time.")
@click.option(
    "--gdelt/--no-gdelt",
    default=None,
    help="Discover articles through the GDELT DOC API too. Default: on with --since/--until.",
)
@click.option("--refresh", is_flag=True, help="Download article pages again even when their URL is already known.")
@click.option(
    "--job-dir",
    type=click.Path(file_okay=False),
    help="Keep each spider's queue here: a crawl stopped by SIGTERM/SIGINT resumes from it next time.",
)
@click.option(
    "--per-domain",
    type=click.IntRange(1, 64),
    metavar="N",
    help="At most N concurrent requests per domain (default 2).",
)
@click.option("--no-topic-filter", is_flag=True, help="Keep off-topic articles too (still scored).")
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="KEY=VALUE",
    help="Override a Scrapy setting, e.g. --set DOWNLOAD_DELAY=2 (repeatable).",
)
@click.option(
    "--log-level",
    default="WARNING",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
    help="Scrapy's log level (INFO shows every dropped article and the stats).",
)
def crawl(
    db_path,
    sources,
    topic,
    outlets,
    since,
    until,
    gdelt,
    refresh,
    job_dir,
    per_domain,
    no_topic_filter,
    overrides,
    log_level,
):
    """Crawl the outlets' feeds, sitemaps and listings into the database.

    Prints per outlet what was fetched, new, updated, unchanged, duplicated, off topic and
    failed, and records the run in crawl_runs. Exits 1 when every outlet failed. An article
    URL met before is not downloaded again (unless --refresh); feeds and sitemaps are
    revalidated with conditional GETs.

    \b
    Example:
        monitor crawl --db coverage.db --outlet oc_media --outlet tass_en
        monitor crawl --since 2024-04-01 --until 2024-06-30     # historical backfill
    """
    from media_monitor.config.sources import SourcesError
    from media_monitor.crawl import CrawlJob, run_crawl, run_summary
    from media_monitor.story.topic import TopicError

    settings = {"LOG_LEVEL": log_level.upper()}
    if per_domain:
        settings["CONCURRENT_REQUESTS_PER_DOMAIN"] = str(per_domain)
    for pair in overrides:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise click.BadParameter(f"{pair!r} is not KEY=VALUE", param_hint="--set")
        settings[key] = value
    job = CrawlJob(
        db=db_path,
        sources=sources,
        outlets=list(outlets),
        topic=topic,
        topic_filter=not no_topic_filter,
        since=_utc_bound(since, "--since"),
        until=_utc_bound(until, "--until"),
        refresh=refresh,
        gdelt=gdelt,
        job_dir=job_dir,
        overrides=settings,
    )
    try:
        run_id = run_crawl(job)
    except (SourcesError, TopicError, ValueError) as exc:
        raise click.ClickException(str(exc)) from None
    if run_id is None:
        click.echo("Every outlet asked for is being crawled by another process: nothing to do.", err=True)
        return
    run, rows = run_summary(db_path, run_id)
    _print_run(run, rows)
    if run["status"] == "failed":
        sys.exit(1)


@cli.command()
@DB_OPTION
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
    page leads to the coverage dashboard (/-/dashboards/coverage).

    \b
    Example:
        monitor serve --db monitor.db --port 8001
        monitor serve --db monitor.db --public      # for the team: no arbitrary SQL
    """
    import uvicorn

    from media_monitor.web.app import make_datasette

    host = host or ("0.0.0.0" if public else "127.0.0.1")
    datasette = make_datasette(db_path, public=public)
    shown = "127.0.0.1" if host == "0.0.0.0" else host
    click.echo(
        f"Datasette: http://{shown}:{port}/-/dashboards/coverage (articles: /{Path(db_path).stem}/articles)"
        + (f"; public on {host}, arbitrary SQL off" if public else ""),
        err=True,
    )
    uvicorn.run(datasette.app(), host=host, port=port, log_level="warning", lifespan="on")


@cli.command()
@DB_OPTION
@click.option("--format", "fmt", type=click.Choice(["csv", "jsonl"]), default="csv", show_default=True)
@click.option("--since", help="Published on or after this date/time (UTC unless an offset is given).")
@click.option("--until", help="Published up to this date (inclusive) or before this time.")
@click.option("--outlet", "outlets", multiple=True, metavar="NAME", help="Only this outlet (repeatable).")
@click.option(
    "--language", "languages", multiple=True, metavar="CODE", help="Only this ISO 639-1 language (repeatable)."
)
@click.option(
    "--query",
    metavar="TERM",
    help="Only articles whose title or text match this full-text query (SQLite FTS5, as Datasette's "
    'search box: words, "a phrase", prefix*, OR, NOT).',
)
@click.option("--include-duplicates", is_flag=True, help="Also export rows that copy another article.")
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
    db_path, fmt, since, until, outlets, languages, query, include_duplicates, one_per_cluster, excel, raw_cells, output
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
    import sqlite3

    from media_monitor.db import open_database
    from media_monitor.storage.export import WRITERS, select_articles

    if excel and fmt != "csv":
        raise click.BadParameter("--excel writes CSV; leave out --format jsonl", param_hint="--excel")
    if not Path(db_path).exists():
        raise click.ClickException(f"no database at {db_path}: run `monitor crawl` first")
    db = open_database(db_path)
    if query:
        try:
            db.execute("select count(*) from articles_fts where articles_fts match ?", [query]).fetchone()
        except sqlite3.OperationalError as exc:
            raise click.BadParameter(f"{query!r} is not a full-text query ({exc})", param_hint="--query") from None
    rows = select_articles(
        db,
        _utc_bound(since, "--since"),
        _utc_bound(until, "--until"),
        outlets,
        languages,
        include_duplicates,
        one_per_cluster,
        query=query,
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


@cli.command()
@DB_OPTION
@click.option("--runs", default=5, show_default=True, help="How many recent runs to show.")
@click.option(
    "--check", is_flag=True, help="Exit 1 when an outlet is stale (for a scheduler or a monitor to alert on)."
)
def status(db_path, runs, check):
    """Recent crawl runs, per-outlet totals and crawl health.

    An outlet is STALE when its last 3 runs each listed no article or failed: a dead feed or
    a changed layout.

    \b
    Example:
        monitor status --db monitor.db --runs 10
        monitor status --check || notify-operator    # alert on stale outlets
    """
    from media_monitor.db import open_database

    if not Path(db_path).exists():
        raise click.ClickException(f"no database at {db_path}: run `monitor crawl` first")
    db = open_database(db_path)
    click.echo("Recent runs:")
    for run in db.query("select * from crawl_runs order by id desc limit ?", [runs]):
        click.echo(
            f"  #{run['id']} {run['started_at']} {run['status']:<11} fetched {run['fetched'] or 0}, "
            f"new {run['new'] or 0}, updated {run['updated'] or 0}, duplicates {run['duplicates'] or 0}, "
            f"off-topic {run['off_topic'] or 0}, failed {run['failed'] or 0}"
        )
    click.echo("Outlets (distinct / rows, newest article; health):")
    rows = db.query(
        "select o.name, count(a.id) as rows, sum(a.id is not null and a.duplicate_of is null) as distinct_rows, "
        "max(a.published_at) as newest, h.last_status, h.last_success_at, h.consecutive_failures, h.last_listed, "
        "h.last_error, h.stale, h.next_crawl_at from outlets o left join articles a on a.outlet = o.name "
        "left join outlet_health h on h.outlet = o.name group by o.name order by o.name"
    )
    stale = []
    for row in rows:
        health = (
            "never crawled"
            if row["last_status"] is None
            else (
                f"last {row['last_status']}, listed {row['last_listed'] or 0}, success {row['last_success_at'] or 'never'}, "
                f"failures in a row {row['consecutive_failures'] or 0}, next {row['next_crawl_at']}"
            )
        )
        if row["stale"]:
            stale.append(row["name"])
            health = "STALE: " + health + (f"; last error: {row['last_error']}" if row["last_error"] else "")
        click.echo(
            f"  {row['name']:<22} {row['distinct_rows'] or 0:>6} / {row['rows']:<6} {row['newest'] or '-':<21} {health}"
        )
    if check and stale:
        click.echo(f"stale: {', '.join(stale)}", err=True)
        sys.exit(1)


@cli.command()
@DB_OPTION
@click.option("--every", help="Tick at this interval: 90s, 30m, 2h, 1d.")
@click.option("--cron", help='Tick at the times of this cron expression, e.g. "0 * * * *".')
@SOURCES_OPTION
@click.option("--outlet", "outlets", multiple=True, metavar="NAME", help="Only this outlet (repeatable).")
@click.option("--max-runs", type=int, help="Stop after this many crawls (default: run until stopped).")
@click.argument("crawl_args", nargs=-1, type=click.UNPROCESSED)
def schedule(db_path, every, cron, sources, outlets, max_runs, crawl_args):
    """Crawl on an interval or a cron schedule until stopped, each outlet at its own pace.

    At each tick the outlets that are due are crawled by a `monitor crawl` child process. An
    outlet is due again sooner while it keeps bringing new articles and later while it brings
    none (between half and eight times the interval), and backs off exponentially while it
    fails. Outlets are locked, so no two crawls of one outlet overlap (with cron-started
    crawls either). SIGTERM/SIGINT finish the crawl in flight, record it as interrupted, and
    exit. Arguments after `--` go to `monitor crawl`.

    \b
    Example:
        monitor schedule --every 30m --db monitor.db
        monitor schedule --cron "*/15 * * * *" -- --per-domain 1
    """
    import logging

    from media_monitor.operations.schedule import Cadence, Scheduler, parse_every

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    try:
        plan = Cadence(every=parse_every(every) if every else None, cron=cron)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--every/--cron") from None
    runs = Scheduler(
        db=db_path,
        schedule=plan,
        sources=sources,
        outlets=list(outlets),
        crawl_args=list(crawl_args),
        max_runs=max_runs,
    ).run()
    click.echo(f"{runs} crawls run", err=True)


@cli.command()
@click.option(
    "--db",
    "db_path",
    default="demo.db",
    show_default=True,
    type=click.Path(dir_okay=False),
    help="Database for the demo crawl (kept apart from your real monitor.db).",
)
@click.option("--port", default=8001, show_default=True, type=int, help="Port for Datasette.")
@click.option(
    "--site-port",
    default=8765,
    show_default=True,
    type=int,
    help="Port for the sample site. Keep it fixed: its URLs are the articles' identities.",
)
@click.option("--no-serve", is_flag=True, help="Crawl only; do not start Datasette.")
def demo(db_path, port, site_port, no_serve):
    """Crawl the bundled sample site (no network needed), then browse it in Datasette.

    Serves the sample site's outlets (en, ru, hy, az; one in three editions) on 127.0.0.1, crawls them with the
    real spiders and pipelines through a generated sources file, and serves the result.

    \b
    Example:
        monitor demo --port 8001     # then open http://127.0.0.1:8001/demo/articles
    """
    from media_monitor.samplesite import SampleSite

    with SampleSite(port=site_port) as site, tempfile.TemporaryDirectory() as tmp:
        sources = site.write_sources(Path(tmp) / "sources.toml")
        click.echo(f"Sample site at {site.base}; crawling it into {db_path}", err=True)
        # The crawl runs in a child process: Twisted's reactor cannot share a process with a
        # later Datasette server. Politeness delays are off: the site is on this machine.
        code = subprocess.call(
            [
                sys.executable,
                "-m",
                "media_monitor",
                "crawl",
                "--db",
                db_path,
                "--sources",
                str(sources),
                "--set",
                "AUTOTHROTTLE_ENABLED=False",
                "--set",
                "CONCURRENT_REQUESTS_PER_DOMAIN=8",
            ]
        )
    if code != 0:
        raise click.ClickException(f"the demo crawl failed (exit {code})")
    if not no_serve:
        click.get_current_context().invoke(serve, db_path=db_path, host="127.0.0.1", port=port)


def _load_outlets(sources):
    from media_monitor.config.sources import SourcesError, load_sources

    try:
        return load_sources(sources)
    except SourcesError as exc:
        raise click.ClickException(str(exc)) from None


@cli.group()
def sources():
    """Inspect, validate and probe the sources file.

    \b
    Example:
        monitor sources check --sources my-outlets.toml
    """


@sources.command("list")
@SOURCES_OPTION
def sources_list(sources):
    """One line per outlet: name, language, country, timezone and its source types.

    \b
    Example:
        monitor sources list
    """
    outlets = _load_outlets(sources)
    click.echo(
        f"{'name':<22} {'lang':<4} {'cc':<2} {'timezone':<18} {'feeds':>5} {'sitemaps':>8} {'listings':>8}  title"
    )
    for o in outlets:
        click.echo(
            f"{o.name:<22} {o.language:<4} {o.country:<2} {o.timezone:<18} {len(o.feeds):>5} "
            f"{len(o.sitemaps):>8} {len(o.listings):>8}  {o.title}"
        )
    languages = sorted({o.language for o in outlets})
    click.echo(f"{len(outlets)} outlets in {', '.join(languages)}")


@sources.command("check")
@SOURCES_OPTION
def sources_check(sources):
    """Validate the file: names, URLs, timezones, languages, listing selectors.

    Exits 1 with a message naming the outlet and key when something is wrong. Also warns
    about a feed or sitemap URL listed by two outlets.

    \b
    Example:
        monitor sources check --sources my-outlets.toml
    """
    from media_monitor.config.sources import sources_path

    outlets = _load_outlets(sources)
    owners: dict[str, str] = {}
    for outlet in outlets:
        for url in outlet.source_urls:
            if url in owners:
                click.echo(f"warning: {url} is listed by both {owners[url]} and {outlet.name}", err=True)
            owners.setdefault(url, outlet.name)
    click.echo(f"{sources_path(sources)}: {len(outlets)} outlets, {len(owners)} source URLs, OK")


@sources.command("probe")
@SOURCES_OPTION
@click.option("--outlet", "names", multiple=True, metavar="NAME", help="Only this outlet (repeatable).")
@click.option("--timeout", default=20.0, show_default=True, help="Seconds to wait for each URL.")
def sources_probe(sources, names, timeout):
    """Fetch each feed, sitemap and listing once (needs a network) and report its HTTP status,
    item count and newest item's date. Exits 1 when an outlet has no working source.

    \b
    Example:
        monitor sources probe --outlet oc_media --outlet news_am_en
    """
    from media_monitor.operations.probe import probe_outlets
    from media_monitor.settings import USER_AGENT

    outlets = [o for o in _load_outlets(sources) if not names or o.name in names]
    results = probe_outlets(outlets, USER_AGENT, timeout)
    for r in results:
        verdict = f"{r.items} items, newest {r.newest or '-'}" if r.ok else (r.error or "no items")
        click.echo(f"{r.outlet:<22} {r.kind:<8} {r.status or '-':>4}  {verdict}  {r.url}")
    dead = sorted({r.outlet for r in results} - {r.outlet for r in results if r.ok})
    if dead:
        click.echo(f"no working source: {', '.join(dead)}", err=True)
        sys.exit(1)


@cli.command()
@click.option(
    "--redis",
    "redis_url",
    envvar="MONITOR_REDIS_URL",
    required=True,
    help="Redis URL of the shared queue, e.g. redis://queue-host:6379/0 (or set MONITOR_REDIS_URL).",
)
@SOURCES_OPTION
@click.option("--outlet", "outlets", multiple=True, metavar="NAME", help="Only this outlet (repeatable).")
@click.option(
    "--topic",
    type=click.Path(exists=True, dir_okay=False),
    envvar="MONITOR_TOPIC",
    help="Topic file (default: the bundled topic).",
)
@click.option("--no-topic-filter", is_flag=True, help="Keep off-topic articles too (still scored).")
@click.option("--since", help="Backfill: only articles published on or after this date/time (as `monitor crawl`).")
@click.option("--until", help="Backfill: only articles published up to this date (inclusive) or before this time.")
@click.option(
    "--gdelt/--no-gdelt",
    default=None,
    help="Discover articles through the GDELT DOC API too. Default: on with --since/--until.",
)
@click.option(
    "--idle-exit",
    default=5.0,
    show_default=True,
    type=float,
    envvar="MONITOR_WORKER_IDLE_EXIT",
    help="Exit once the shared queue and every worker's leases have been empty this many seconds.",
)
@click.option(
    "--cache-dir",
    envvar="MONITOR_WORKER_CACHE",
    type=click.Path(file_okay=False),
    help="HTTP cache of feeds and sitemaps (default: ~/.cache/media-monitor/httpcache).",
)
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a Scrapy setting (repeatable).")
@click.option(
    "--log-level",
    default="WARNING",
    show_default=True,
    type=click.Choice(["DEBUG", "INFO", "WARNING", "ERROR"], case_sensitive=False),
)
def worker(
    redis_url, sources, outlets, topic, no_topic_filter, since, until, gdelt, idle_exit, cache_dir, overrides, log_level
):
    """Crawl as one of many workers on a shared Redis queue (scrapy-redis): fetch, extract,
    normalise and filter, and push the items to Redis for `monitor ingest`. Exits when the
    round's queue is done. See README "Scaling out".

    \b
    Examples:
        monitor worker --redis redis://queue-host:6379/0
        monitor worker --since 2024-04-01 --until 2024-06-30   # a backfill round, with GDELT
    """
    import os
    from pathlib import Path as _Path

    from scrapy.crawler import CrawlerProcess

    from media_monitor.config.sources import load_sources
    from media_monitor.crawl import GDELT, CrawlJob
    from media_monitor.scaleout.distributed import worker_settings

    known = load_sources(sources)
    names = list(outlets) or [o.name for o in known]
    unknown = sorted(set(names) - {o.name for o in known})
    if unknown:
        raise click.BadParameter(f"no outlet named {', '.join(unknown)}", param_hint="--outlet")
    values = dict(item.split("=", 1) for item in overrides)
    job = CrawlJob(
        db="worker.db",
        sources=sources,
        outlets=names,
        topic=topic,
        topic_filter=not no_topic_filter,
        since=_utc_bound(since, "--since"),
        until=_utc_bound(until, "--until"),
        gdelt=gdelt,
        overrides={
            **worker_settings(redis_url, os.environ.get("MONITOR_REDIS_PREFIX", "monitor")),
            "MONITOR_WORKER_IDLE_EXIT": idle_exit,
            "LOG_LEVEL": log_level.upper(),
            "HTTPCACHE_DIR": str(_Path(cache_dir or _Path.home() / ".cache/media-monitor/httpcache")),
        },
    )
    settings = job.settings()
    for key, value in values.items():
        settings.set(key, value, priority="cmdline")
    process = CrawlerProcess(settings)
    for name in names + ([GDELT] if job.uses_gdelt else []):
        process.crawl(name)
    process.start()


@cli.command()
@click.option(
    "--redis",
    "redis_url",
    envvar="MONITOR_REDIS_URL",
    required=True,
    help="Redis URL of the shared queue (or set MONITOR_REDIS_URL).",
)
@DB_OPTION
@SOURCES_OPTION
@click.option("--topic", type=click.Path(exists=True, dir_okay=False), envvar="MONITOR_TOPIC")
@click.option("--batch", default=200, show_default=True, type=click.IntRange(1), help="Items per write transaction.")
@click.option(
    "--idle-exit",
    type=float,
    metavar="SECONDS",
    help="Exit once the item list has been empty this long and no worker is alive (default: run until stopped).",
)
@click.option("--set", "overrides", multiple=True, metavar="KEY=VALUE", help="Override a setting (repeatable).")
def ingest(redis_url, db_path, sources, topic, batch, idle_exit, overrides):
    """The one writer of a scaled-out crawl: drain the workers' items from Redis into the
    database through the same dedupe and store stages as `monitor crawl`."""
    import logging
    import os

    from media_monitor.crawl import CrawlJob
    from media_monitor.scaleout.ingest import Ingest

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    job = CrawlJob(db=db_path, sources=sources, topic=topic, overrides=dict(item.split("=", 1) for item in overrides))
    writer = Ingest(
        redis_url, job.settings(), batch=batch, key_prefix=os.environ.get("MONITOR_REDIS_PREFIX", "monitor")
    )
    try:
        result = writer.run(idle_exit=idle_exit)
    except KeyboardInterrupt:
        result = writer.result
    click.echo(
        f"ingested {result.items} items in {result.batches} batches: {writer.stat('new')} new, "
        f"{writer.stat('updated')} updated, {writer.stat('unchanged')} unchanged, "
        f"{writer.stat('duplicates')} duplicates (crawl run {result.run_id})"
    )
