"""Commands that crawl: `monitor crawl` once, `monitor schedule` on a cadence, `monitor demo`
on the bundled sample site; `monitor reextract` runs a crawl's extraction again over the pages
the crawls kept."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import click

from media_monitor.cli.browsing import serve
from media_monitor.cli.options import (
    archive_option,
    db_option,
    gdelt_option,
    log_level_option,
    no_topic_filter_option,
    outlet_option,
    set_option,
    since_option,
    sources_option,
    topic_option,
    until_option,
    usage_errors,
)


def _print_run(run: dict, outlets: list[dict]) -> None:
    from media_monitor.storage.store import COUNT_COLUMNS

    columns = tuple(c for c in COUNT_COLUMNS if c != "listed")  # what a crawl did; listed is health's

    def line(name: str, row: dict, status: str) -> str:
        return f"{name:<22}" + "".join(f"{row[c] or 0:>{len(c) + 2}}" for c in columns) + f"  {status}"

    click.echo(f"{'outlet':<22}" + "".join(f"{c:>{len(c) + 2}}" for c in columns) + "  status")
    for row in outlets:
        click.echo(line(row["outlet"], row, row["status"] + (f" ({row['error']})" if row.get("error") else "")))
    click.echo(line("total", run, run["status"]))
    click.echo(f"crawl run {run['id']}: {run['started_at']} → {run['finished_at']}")


@click.command()
@db_option
@sources_option
@topic_option
@outlet_option
@since_option
@until_option
@gdelt_option
@archive_option
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
@no_topic_filter_option
@set_option
@log_level_option
def crawl(
    db_path,
    sources,
    topic,
    outlets,
    since,
    until,
    gdelt,
    archive,
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
    from media_monitor.crawl import CrawlJob, run_crawl, run_summary

    settings = {"LOG_LEVEL": log_level.upper()}
    if per_domain:
        settings["CONCURRENT_REQUESTS_PER_DOMAIN"] = str(per_domain)
    job = CrawlJob(
        db=db_path,
        sources=sources,
        outlets=list(outlets),
        topic=topic,
        topic_filter=not no_topic_filter,
        since=since,
        until=until,
        refresh=refresh,
        gdelt=gdelt,
        archive=archive,
        job_dir=job_dir,
        overrides={**settings, **overrides},
    )
    # The options' callbacks have checked the files: what run_crawl can still refuse, before
    # it crawls, is an outlet the sources file lacks.
    with usage_errors("--outlet"):
        run_id = run_crawl(job)
    if run_id is None:
        click.echo("Every outlet asked for is being crawled by another process: nothing to do.", err=True)
        return
    run, rows = run_summary(db_path, run_id)
    _print_run(run, rows)
    if run["status"] == "failed":
        sys.exit(1)


@click.command()
@db_option
@sources_option
@topic_option
@outlet_option
@since_option
@click.option(
    "--warc-dir",
    type=click.Path(file_okay=False),
    envvar="MONITOR_WARC_DIR",
    help="The WARC folder the crawls kept (default: <db>-warc beside the database; or set MONITOR_WARC_DIR).",
)
@no_topic_filter_option
def reextract(db_path, sources, topic, outlets, since, warc_dir, no_topic_filter):
    """Extract the stored articles again from their kept pages (WARC), without the network.

    Runs extraction, normalisation, topic and dedupe over each selected row's WARC record, as a
    crawl would: a changed text updates the row (the old one goes to article_versions). After
    an extractor fix it brings the rows up to date; with an unchanged extractor it changes
    nothing. Prints how many rows were updated, unchanged, without a record, and dropped (an
    article now off topic or without text is left as it is).

    \b
    Example:
        monitor reextract --db coverage.db
        monitor reextract --outlet oc_media --since 2024-04-01
    """
    from media_monitor.operations.reextract import reextract as run_reextract

    if not Path(db_path).exists():
        raise click.BadParameter(f"no database at {db_path}: run `monitor crawl` first", param_hint=["--db"])
    result = run_reextract(
        db_path,
        sources=sources,
        topic=topic,
        topic_filter=not no_topic_filter,
        outlets=tuple(outlets),
        since=since,
        warc_dir=warc_dir,
    )
    counts = result.outcomes
    click.echo(
        f"{result.rows} rows re-extracted from {result.folder}: {counts['updated']} updated, "
        f"{counts['unchanged']} unchanged, {counts['missing']} without a record"
    )
    if result.dropped:
        dropped = ", ".join(f"{outcome} {n}" for outcome, n in result.dropped.items())
        click.echo(f"left as they are, their page now dropped: {dropped}")


def _outlet_budget(overrides: dict) -> float:
    """The MONITOR_OUTLET_BUDGET the scheduled crawls will run with: --set's, else the settings'."""
    from media_monitor import settings

    with usage_errors("--set"):
        return float(overrides.get("MONITOR_OUTLET_BUDGET", settings.MONITOR_OUTLET_BUDGET))


@click.command()
@db_option
@click.option("--every", help="Tick at this interval: 90s, 30m, 2h, 1d.")
@click.option("--cron", help='Tick at the times of this cron expression, e.g. "0 * * * *".')
@sources_option
@outlet_option
@click.option("--max-runs", type=int, help="Stop after this many crawls (default: run until stopped).")
@click.argument("crawl_args", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def schedule(ctx, db_path, every, cron, sources, outlets, max_runs, crawl_args):
    """Crawl on an interval or a cron schedule until stopped, each outlet at its own pace.

    At each tick the outlets that are due are crawled by a `monitor crawl` child process. An
    outlet is due again sooner while it keeps bringing new articles and later while it brings
    none (between half and eight times the interval), and backs off exponentially while it
    fails. Outlets are locked, so no two crawls of one outlet overlap (with cron-started
    crawls either). SIGTERM/SIGINT finish the crawl in flight, record it as interrupted, and
    exit. Arguments after `--` go to `monitor crawl`. A sources or topic file that turns bad
    while the scheduler runs is logged as one error and its last good version (kept in
    <db>-schedule/) is crawled until it is fixed.

    \b
    Example:
        monitor schedule --every 30m --db monitor.db
        monitor schedule --cron "*/15 * * * *" -- --per-domain 1
    """
    import logging

    from cronsim import CronSimError

    from media_monitor.operations.schedule import Cadence, Scheduler, parse_every

    with usage_errors("--every", "--cron", also=(CronSimError,)):
        plan = Cadence(every=parse_every(every) if every else None, cron=cron)
    # Parsed now, as `monitor crawl` will parse them: a bad one stops the scheduler here
    # instead of failing every crawl it starts.
    crawl_params = crawl.make_context("crawl", list(crawl_args), parent=ctx.parent).params
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    with usage_errors("--outlet"):  # the files are checked, and copied aside, before any crawl
        scheduler = Scheduler(
            db=db_path,
            schedule=plan,
            sources=sources,
            outlets=list(outlets),
            crawl_args=list(crawl_args),
            max_runs=max_runs,
            budget=_outlet_budget(crawl_params["overrides"]),
            topic=crawl_params.get("topic"),
        )
    runs = scheduler.run()
    click.echo(f"{runs} crawls run", err=True)


@click.command()
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
