"""The database behind the pipelines: the article store, the MinHash index of stored texts,
outlet health, and the export of rows for research."""
