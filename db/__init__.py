"""The database: schema migrations and Datasette metadata.

``open_database`` is the only way the project opens its SQLite file: it sets WAL (readers such
as Datasette never block the crawl's writes), a busy timeout, foreign keys, and brings the
schema up to date through the versioned migrations in ``media_monitor.db.migrations``.
"""

from __future__ import annotations

import importlib
import os
import pkgutil
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from media_monitor.db import migrations

METADATA = Path(__file__).parent / "metadata.yaml"
DATA_DICTIONARY = Path(__file__).parent / "data-dictionary.md"  # served at /-/data-dictionary
BUSY_TIMEOUT_MS = 30_000


def _migrations() -> list[tuple[str, object]]:
    names = sorted(m.name for m in pkgutil.iter_modules(migrations.__path__) if m.name[:1] == "m")
    return [(name, importlib.import_module(f"media_monitor.db.migrations.{name}")) for name in names]


def migrate(db: sqlite_utils.Database) -> list[str]:
    """Apply the migrations not yet applied; return their names."""
    db["schema_migrations"].create({"name": str, "applied_at": str}, pk="name", if_not_exists=True)
    done = {row["name"] for row in db["schema_migrations"].rows}
    applied = []
    for name, module in _migrations():
        if name in done:
            continue
        with db.conn:
            module.migrate(db)
            db["schema_migrations"].insert(
                {"name": name, "applied_at": datetime.now(UTC).isoformat(timespec="seconds")}
            )
        applied.append(name)
    return applied


def open_database(path: str | os.PathLike) -> sqlite_utils.Database:
    """Open (creating if needed) the monitor's database, migrated to the current schema."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True)
    db = sqlite_utils.Database(path)
    db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    db.execute("PRAGMA foreign_keys = ON")
    db.enable_wal()
    # In WAL mode NORMAL never corrupts the database; a power cut may lose the last commits,
    # which the next crawl fetches again. FULL would fsync every batch.
    db.execute("PRAGMA synchronous = NORMAL")
    migrate(db)
    return db
