"""The `monitor` command: crawl, schedule, demo, reextract; serve, export, status; sources list, check
and probe; topic test, borderline and promote; worker and ingest for a crawl split over machines.

Each command lives in the module of what users do with it (``crawling``, ``browsing``,
``sources``, ``topic``, ``scaleout``); the options they share, and the one way a bad option or file ends
(exit 2), are in ``options``.
"""

from __future__ import annotations

import click

from media_monitor import __version__
from media_monitor.cli.browsing import export, serve, status
from media_monitor.cli.crawling import crawl, demo, reextract, schedule
from media_monitor.cli.scaleout import ingest, worker
from media_monitor.cli.sources import sources_group
from media_monitor.cli.topic import topic_group


@click.group()
@click.version_option(__version__, prog_name="monitor")
def cli():
    """Monitor a story's coverage across outlets: crawl, dedupe, browse, export.

    \b
    Example:
        monitor demo                 # crawl the bundled sample site, open Datasette
        monitor crawl && monitor serve
    """


for command in (crawl, serve, export, status, schedule, demo, reextract, sources_group, topic_group, worker, ingest):
    cli.add_command(command)
