"""media-monitor: crawl a story's coverage, normalise and dedupe it into SQLite, browse it in Datasette."""

__version__ = "0.8.0"
