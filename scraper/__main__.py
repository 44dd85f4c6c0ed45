"""`python -m media_monitor`: the `monitor` command, as the crawl's child processes run it."""

from media_monitor.cli import cli

cli()
