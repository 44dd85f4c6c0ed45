"""Commands of a crawl split over machines: `monitor worker` (any number) fetch onto a shared
Redis queue, `monitor ingest` (one) writes what they found."""

from __future__ import annotations

import os

import click

from media_monitor.cli.options import (
    archive_option,
    db_option,
    gdelt_option,
    log_level_option,
    no_topic_filter_option,
    outlet_option,
    redis_option,
    set_option,
    since_option,
    sources_option,
    topic_option,
    until_option,
    usage_errors,
)


def _key_prefix() -> str:
    """The namespace of the deployment's Redis keys: several crawls can share one Redis."""
    return os.environ.get("MONITOR_REDIS_PREFIX", "monitor")


@click.command()
@redis_option
@sources_option
@outlet_option
@topic_option
@no_topic_filter_option
@since_option
@until_option
@gdelt_option
@archive_option
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
@set_option
@log_level_option
def worker(
    redis_url,
    sources,
    outlets,
    topic,
    no_topic_filter,
    since,
    until,
    gdelt,
    archive,
    idle_exit,
    cache_dir,
    overrides,
    log_level,
):
    """Crawl as one of many workers on a shared Redis queue (scrapy-redis): fetch, extract,
    normalise and filter, and push the items to Redis for `monitor ingest`. Exits when the
    round's queue is done. See docs/scale-out.md.

    \b
    Examples:
        monitor worker --redis redis://queue-host:6379/0
        monitor worker --since 2024-04-01 --until 2024-06-30   # a backfill round, with GDELT
    """
    from media_monitor.scaleout.worker import run_worker

    # The options' callbacks have checked the files: what run_worker can still refuse, before
    # it touches Redis, is an outlet the sources file lacks.
    with usage_errors("--outlet"):
        run_worker(
            redis_url,
            sources=sources,
            outlets=outlets,
            topic=topic,
            topic_filter=not no_topic_filter,
            since=since,
            until=until,
            gdelt=gdelt,
            archive=archive,
            idle_exit=idle_exit,
            cache_dir=cache_dir,
            key_prefix=_key_prefix(),
            overrides={"LOG_LEVEL": log_level.upper(), **overrides},
        )


@click.command()
@redis_option
@db_option
@sources_option
@topic_option
@click.option("--batch", default=200, show_default=True, type=click.IntRange(1), help="Items per write transaction.")
@click.option(
    "--idle-exit",
    type=float,
    metavar="SECONDS",
    help="Exit once the item list has been empty this long and no worker is alive (default: run until stopped).",
)
@set_option
def ingest(redis_url, db_path, sources, topic, batch, idle_exit, overrides):
    """The one writer of a scaled-out crawl: drain the workers' items from Redis into the
    database through the same dedupe and store stages as `monitor crawl`.

    \b
    Example:
        monitor ingest --redis redis://queue-host:6379/0 --db monitor.db --idle-exit 10
    """
    import logging

    from media_monitor.crawl import CrawlJob
    from media_monitor.scaleout.ingest import Ingest

    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(levelname)s: %(message)s")
    job = CrawlJob(db=db_path, sources=sources, topic=topic, overrides=overrides)
    writer = Ingest(redis_url, job.settings(), batch=batch, key_prefix=_key_prefix())
    try:
        result = writer.run(idle_exit=idle_exit)
    except KeyboardInterrupt:
        result = writer.result
    click.echo(
        f"ingested {result.items} items in {result.batches} batches: {writer.stat('new')} new, "
        f"{writer.stat('updated')} updated, {writer.stat('unchanged')} unchanged, "
        f"{writer.stat('duplicates')} duplicates (crawl run {result.run_id})"
    )
