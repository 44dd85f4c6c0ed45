"""Datasette over the monitor's database, configured by db/metadata.yaml."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import yaml
from datasette.app import Datasette

from db import METADATA, open_database

METADATA_DATABASE_KEY = "monitor"


def load_metadata(db_path: str | os.PathLike) -> dict:
    """The project's metadata with its database section keyed by this file's name."""
    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    name = Path(db_path).stem
    databases = metadata.get("databases", {})
    if name != METADATA_DATABASE_KEY and METADATA_DATABASE_KEY in databases:
        databases[name] = databases.pop(METADATA_DATABASE_KEY)
        metadata["description_html"] = metadata["description_html"].replace(
            f"/{METADATA_DATABASE_KEY}/", f"/{name}/")
    return metadata


def make_datasette(db_path: str | os.PathLike, public: bool = False) -> Datasette:
    """A Datasette for ``db_path`` (migrated first, so an old file gets the current schema).

    ``public`` turns off arbitrary SQL: tables, facets, search and the canned queries remain.
    """
    open_database(db_path).close()
    settings = {"default_page_size": 50, "facet_time_limit_ms": 500, "sql_time_limit_ms": 3000}
    metadata = load_metadata(db_path)
    if public:
        metadata["allow_sql"] = False
    datasette = Datasette([str(db_path)], metadata=metadata, settings=settings)
    asyncio.run(datasette.invoke_startup())
    return datasette
