"""Public mode's guard (`monitor serve --public`): what a stranger may send gets a 4xx, never a
500 with a traceback in the server's log, and the pages that describe the server are hidden.

Datasette 0.65 answers 500 to a ``_sort`` that is an expression or no column, to a ``_through``
that is not JSON or names no foreign key, to a non-numeric ``_timelimit``, and to a POST on a
canned query; it shows its versions and its threads to anyone. This plugin, apart from the
project's own (plugin.py), checks those parameters of a table or view page against the
database's schema before Datasette sees them. Public mode is read-only: any method but GET and
HEAD is refused (405).
"""

from __future__ import annotations

import json
import os
import re
import urllib.parse

from datasette import hookimpl
from datasette.utils import tilde_decode
from datasette.utils.asgi import asgi_send, asgi_send_json

from media_monitor.web.plugin import PLUGIN

DEFAULT_CSV_CAP_MB = 100


def csv_cap_mb() -> int:
    """How many megabytes one CSV download may reach in public mode (Datasette's max_csv_mb: the
    stream ends there, with a line saying so): every table's CSV streams all of its rows, and an
    anonymous visitor should not pull the whole database in a loop."""
    value = os.environ.get("MONITOR_PUBLIC_MAX_CSV_MB", str(DEFAULT_CSV_CAP_MB))
    if not value.strip().isdigit() or int(value) < 1:
        raise ValueError(f"MONITOR_PUBLIC_MAX_CSV_MB={value!r} is not a whole number of megabytes (1 or more)")
    return int(value)


HIDDEN = re.compile(r"^/-/(versions|threads)(\.json)?$")  # which SQLite, Python, threads run here
TABLE_PAGE = re.compile(r"^/(?P<database>[^/]+)/(?P<table>[^/]+?)(?:\.(?:json|csv))?$")


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def guard(scope, receive, send):
            if scope.get("type") != "http" or not (datasette.plugin_config(PLUGIN) or {}).get("public"):
                await app(scope, receive, send)
                return
            path = scope.get("path", "")
            if scope.get("method", "GET") not in ("GET", "HEAD"):
                await _refuse(send, path, 405, "the public database is read-only: only GET", {"allow": "GET, HEAD"})
            elif HIDDEN.match(path):
                await _refuse(send, path, 404, "not found")
            elif problem := await _table_page_problem(datasette, path, scope.get("query_string", b"")):
                await _refuse(send, path, 400, problem)
            else:
                await app(scope, receive, send)

        return guard

    return wrap


async def _refuse(send, path: str, status: int, message: str, headers: dict | None = None) -> None:
    if path.endswith(".json"):
        await asgi_send_json(send, {"ok": False, "error": message, "status": status}, status, headers)
    else:
        await asgi_send(send, f"{status}: {message}\n", status, headers)


async def _table_page_problem(datasette, path: str, query_string: bytes) -> str | None:
    """What is wrong with the parameters of a table or view page, or None."""
    args = urllib.parse.parse_qs(query_string.decode("latin-1"))
    if not {"_sort", "_sort_desc", "_through", "_timelimit"} & set(args):
        return None
    match = TABLE_PAGE.match(path)
    if not match or tilde_decode(match["database"]) not in datasette.databases:
        return None
    db, table = datasette.get_database(tilde_decode(match["database"])), tilde_decode(match["table"])
    tables = set(await db.table_names()) | set(await db.view_names())
    if table not in tables:
        return None  # Datasette's own 404
    first = {key: values[0] for key, values in args.items()}
    through = _through_table(first.get("_through"))
    foreign_keys = await db.foreign_keys_for_table(through) if through in tables else []
    columns = {name: await db.table_columns(name) for name in {table, through} & tables}
    return parameter_problem(first, table, columns, foreign_keys)


def _through_table(value: str | None) -> str | None:
    """The table ``_through`` names, if it is JSON naming one."""
    try:
        through = json.loads(value or "")
    except ValueError:
        return None
    return through.get("table") if isinstance(through, dict) and isinstance(through.get("table"), str) else None


def parameter_problem(
    args: dict[str, str], table: str, columns: dict[str, list[str]], foreign_keys: list[dict]
) -> str | None:
    """The first malformed parameter of a request for ``table``, as a message; None when all
    are well formed. ``columns``: the columns of ``table`` and of ``_through``'s table (when it
    is one); ``foreign_keys``: ``_through``'s table's outgoing foreign keys."""
    if "_sort" in args and "_sort_desc" in args:
        return "give _sort or _sort_desc, not both"
    for key in ("_sort", "_sort_desc"):
        if key in args and args[key] not in columns[table]:
            return f"{key}: {args[key]!r} is not a column of {table} (sort by a column's name)"
    if "_timelimit" in args and not args["_timelimit"].isdigit():
        return f"_timelimit: {args['_timelimit']!r} is not a number of milliseconds"
    if "_through" in args:
        return _through_problem(args["_through"], table, columns, foreign_keys)
    return None


def _through_problem(value: str, table: str, columns: dict[str, list[str]], foreign_keys: list[dict]) -> str | None:
    shape = '_through is JSON: {"table": …, "column": …, "value": …}'
    try:
        through = json.loads(value)
    except ValueError:
        return f"{shape}, not {value!r}"
    if not isinstance(through, dict) or set(through) != {"table", "column", "value"}:
        return f"{shape}, not {value!r}"
    other, column = through["table"], through["column"]
    if not isinstance(other, str) or other not in columns:
        return f"_through: {other!r} is not a table"
    if column not in columns[other]:
        return f"_through: {column!r} is not a column of {other}"
    if not isinstance(through["value"], str | int | float) or isinstance(through["value"], bool):
        return f"_through: {through['value']!r} is not a value"
    if not any(fk["other_table"] == table for fk in foreign_keys):
        return f"_through: {other} has no foreign key to {table}"
    return None
