from media_monitor.cli import cli

cli()
