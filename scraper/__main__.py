from scraper.cli import cli

cli()
