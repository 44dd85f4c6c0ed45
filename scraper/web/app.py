"""Datasette over the monitor's database, configured by db/metadata.yaml."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import yaml
from datasette.app import Datasette
from datasette.plugins import pm

from media_monitor.db import METADATA, open_database
from media_monitor.web import daterange, exact, plugin, reader, search
from media_monitor.web import public as public_mode
from media_monitor.web.plugin import (
    DASHBOARD_ACTOR,
    PLUGIN,
    TEMPLATES,
    dashboard_queries,
)

METADATA_DATABASE_KEY = "monitor"
SETTINGS = {
    "default_page_size": 50,
    "facet_time_limit_ms": 500,
    "sql_time_limit_ms": 3000,
    # CSV of any filtered view, all of its rows: the "stream all rows" option (?_stream=on),
    # which scraper/web/exact.py turns on for every table CSV; a canned query's CSV streams too.
    "allow_csv_stream": True,
    "max_csv_mb": 1024,
}


def _rename_database(value, old: str, new: str):
    """``value`` with every dashboard ``db: old`` and every ``/old/`` link pointing at ``new``."""
    if isinstance(value, dict):
        return {k: (new if k == "db" and v == old else _rename_database(v, old, new)) for k, v in value.items()}
    if isinstance(value, list):
        return [_rename_database(v, old, new) for v in value]
    if isinstance(value, str):
        return value.replace(f"/{old}/", f"/{new}/")
    return value


def load_metadata(db_path: str | os.PathLike) -> dict:
    """The project's metadata with its database section keyed by this file's name (and the
    dashboards' database references and the descriptions' links following it)."""
    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    name = Path(db_path).stem
    databases = metadata.get("databases", {})
    if name != METADATA_DATABASE_KEY and METADATA_DATABASE_KEY in databases:
        databases[name] = databases.pop(METADATA_DATABASE_KEY)
        metadata["description_html"] = _rename_database(metadata["description_html"], METADATA_DATABASE_KEY, name)
        if "plugins" in metadata:
            metadata["plugins"] = _rename_database(metadata["plugins"], METADATA_DATABASE_KEY, name)
    return metadata


# The project's plugin modules: scraper/web/plugin.py, then one module per concern.
# plugin.py (the dashboard, cells), reader.py (the article and story pages), daterange.py (the
# date picker), exact.py (stable order, complete CSV), search.py (forgiving search), public.py
# (public mode's guard).
PLUGIN_MODULES = {
    PLUGIN: plugin,
    f"{PLUGIN}-reader": reader,
    f"{PLUGIN}-daterange": daterange,
    f"{PLUGIN}-exact": exact,
    f"{PLUGIN}-search": search,
    f"{PLUGIN}-public": public_mode,
}


def register_plugin() -> None:
    """The project's plugin modules, once per process."""
    for name, module in PLUGIN_MODULES.items():
        if not pm.is_registered(module):
            pm.register(module, name=name)


def make_datasette(db_path: str | os.PathLike, public: bool = False, settings: dict | None = None) -> Datasette:
    """A Datasette for ``db_path`` (migrated first, so an old file gets the current schema).

    ``public`` turns off arbitrary SQL: tables, facets, search, the canned queries and the
    dashboard (whose chart queries only are allowed, see scraper/web/plugin.py) remain;
    malformed parameters get a 4xx and one CSV is capped (scraper/web/public.py).
    """
    open_database(db_path).close()
    metadata = load_metadata(db_path)
    if public:
        # Only the dashboard's actor, given to the dashboard's own chart requests, may run SQL.
        metadata["allow_sql"] = {"id": DASHBOARD_ACTOR}
        metadata.setdefault("plugins", {}).setdefault(PLUGIN, {})["public"] = True
        settings = {"max_csv_mb": public_mode.csv_cap_mb(), **(settings or {})}
    register_plugin()
    datasette = Datasette(
        [str(db_path)], metadata=metadata, settings={**SETTINGS, **(settings or {})}, template_dir=str(TEMPLATES)
    )
    datasette.monitor_dashboard_queries = dashboard_queries(metadata) if public else {}
    asyncio.run(datasette.invoke_startup())
    return datasette
