"""Exports that hold every row exactly once (registered by scraper/web/app.py).

- Stable order: Datasette 0.65 sorts a table's first page by its sort column alone and the next
  pages by that column then the primary key, so rows sharing a publication time (minute-precision
  times, day-only dates) are lost or repeated across pages. Every page's SQL is given the same
  tie-break on the primary key (views: their ``id`` or first column): see
  ``compat.tie_broken_table_page``. Paging, facets, filters, search and the streamed CSV (which
  pages the same way) follow.
- A table's CSV streams all its rows, 1,000 per query (``_stream=on&_size=max`` unless the URL
  sets ``_stream``, ``_next`` or ``_size``; ``_stream=`` asks for one page): without ``_size``, Datasette streams 50 rows per query (44 s on 20,260 rows).
- A canned query's CSV holds all its rows: Datasette's stops at ``max_returned_rows`` (1,000)
  without a word. /<db>/<query>.csv (and /<db>.csv?sql=…, for whoever may run SQL) is answered
  by ``query_csv``, which streams the query's whole result; the query's page says when it shows
  fewer rows than the CSV holds.
- Dates as typed: a canned query's ``since``/``until`` read as people type them (17/04/2024,
  2024-4-17, 17 April 2024), a message on the page when one cannot be read; an empty one
  leaves that side open. A table filter ``<time>__lte=<day>`` includes that whole day (and
  ``__gt=<day>`` starts after it), as the times are ISO strings that sort after the bare day.
- Datasette's CSV, as ``monitor export``'s, is spreadsheet safe (scraper/web/csvsafe.py).
"""

from __future__ import annotations

import asyncio
import csv
import json
import re
import threading
import urllib.parse
from datetime import date, timedelta

import markupsafe
from datasette import hookimpl
from datasette.utils import InvalidSql, tilde_decode, validate_sql_select
from datasette.utils.asgi import AsgiStream, Response

from media_monitor import compat
from media_monitor.normalise.days import EXAMPLE, read_day
from media_monitor.web import csvsafe, search

DATE_PARAMETERS = ("since", "until")  # the canned queries' parameters that are days
CSV_ROUTE = "/-/monitor-query-csv"
CSV_BATCH = 500  # rows a query's CSV reads at a time
_PARAMETER = re.compile(r"(?<![:\w]):(\w+)")
_BARE_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME_BOUND = re.compile(r"(?P<column>\w+_at)__(?P<op>lte|gt)")


# -- the tie-break on every page ------------------------------------------------------------------


async def _tie_breaks(database) -> dict[str, str]:
    """Each table's primary key (or rowid), each view's ``id`` column (or its first)."""
    tie_breaks = {}
    for table in await database.table_names():
        pks = await database.primary_keys(table)
        tie_breaks[table] = pks[0] if len(pks) == 1 else "rowid"
    for view in await database.view_names():
        columns = await database.table_columns(view)
        if columns:
            tie_breaks[view] = "id" if "id" in columns else columns[0]
    return tie_breaks


def _with_tie_breaks(database, tie_breaks: dict[str, str]) -> None:
    execute = database.execute

    async def execute_in_stable_order(sql, *args, **kwargs):
        return await execute(compat.tie_broken_table_page(sql, tie_breaks), *args, **kwargs)

    database.execute = execute_in_stable_order


@hookimpl
def startup(datasette):
    async def inner():
        for name, database in datasette.databases.items():
            if name != "_internal" and not getattr(database, "monitor_stable_order", False):
                _with_tie_breaks(database, await _tie_breaks(database))
                database.monitor_stable_order = True

    return inner


# -- query strings: dates as typed, whole days, every CSV row ------------------------------------


def _next_day(day: str) -> str:
    return (date.fromisoformat(day) + timedelta(days=1)).isoformat()


def whole_day_bounds(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Table filters with ``<time>__lte=<day>`` made ``__lt=<next day>`` (the whole day in) and
    ``<time>__gt=<day>`` made ``__gte=<next day>`` (the whole day out); others unchanged."""
    out = []
    for key, value in pairs:
        match = _TIME_BOUND.fullmatch(key)
        if match and _BARE_DAY.fullmatch(value) and read_day(value):
            op = "lt" if match.group("op") == "lte" else "gte"
            key, value = f"{match.group('column')}__{op}", _next_day(value)
        out.append((key, value))
    return out


def days_as_typed(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """A canned query's day parameters read as ISO days where they can be; others unchanged."""
    out = []
    for key, value in pairs:
        if key in DATE_PARAMETERS:
            value = value.strip()
            value = (read_day(value) or value) if value else value
        out.append((key, value))
    return out


def unreadable_days(args) -> list[str]:
    """One message per day parameter in ``args`` that is no day."""
    return [
        f"{key}: {args[key]!r} is not a date; write {EXAMPLE}"
        for key in DATE_PARAMETERS
        if (args.get(key) or "").strip() and not read_day(args[key])
    ]


def _canned_queries(datasette, database: str) -> dict:
    return datasette.metadata("queries", database=database) or {}


def _route(datasette, path: str) -> tuple[str, str | None, str | None]:
    """(kind, database, name) of a path: "query" (a canned query), "table" (a table, view or
    anything else under a database), "sql" (a database's CSV: its ``?sql=``), or "other"."""
    parts = [tilde_decode(p) for p in path.strip("/").split("/")]
    if parts[0].startswith("-") or len(parts) > 2:
        return "other", None, None
    if len(parts) == 1:
        database = parts[0][: -len(".csv")]
        return (
            ("sql", database, None)
            if parts[0].endswith(".csv") and database in datasette.databases
            else ("other", None, None)
        )
    database, name = parts
    name = name[: -len(".csv")] if name.endswith(".csv") else name.rsplit(".json", 1)[0]
    if database not in datasette.databases:
        return "other", None, None
    return ("query" if name in _canned_queries(datasette, database) else "table"), database, name


@hookimpl
def asgi_wrapper(datasette):
    def wrap(app):
        async def exact_exports(scope, receive, send):
            if scope.get("type") != "http":
                return await app(scope, receive, send)
            path = scope.get("path", "")
            asked = urllib.parse.parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
            pairs = list(asked)
            kind, database, name = _route(datasette, path)
            is_csv = path.endswith(".csv")
            if kind == "other":
                return await app(scope, receive, send)
            if kind == "table":
                pairs = whole_day_bounds(pairs)
                keys = {key for key, _ in pairs}
                if is_csv and not {"_stream", "_next"} & keys:
                    pairs += [("_stream", "on")] + ([] if "_size" in keys else [("_size", "max")])
                if "_search" in keys and not is_csv and not path.endswith(".json"):
                    send = search.with_search_form(send, path, pairs)
            elif kind == "query" or (kind == "sql" and dict(pairs).get("sql")):
                pairs = days_as_typed(pairs) if kind == "query" else pairs
                if is_csv:
                    path = "/".join(urllib.parse.quote(part) for part in (CSV_ROUTE, database, name) if part)
                    scope = dict(scope, path=path, raw_path=path.encode("latin-1"))
            if pairs != asked:
                scope = dict(scope, query_string=urllib.parse.urlencode(pairs).encode("latin-1"))
            if is_csv and not dict(pairs).get("_trace"):
                send = csvsafe.safe_csv_send(send, bom=dict(pairs).get("_bom", "") not in ("", "0", "off"))
            await app(scope, receive, send)

        return exact_exports

    return wrap


# -- a canned query's CSV: every row ---------------------------------------------------------------


async def _stream_rows(database, sql: str, params: dict, write_batch) -> None:
    """Run ``sql`` on one of ``database``'s connections and hand its columns, then its rows in
    batches, to ``write_batch`` (a coroutine) as they are read: no row limit, no time limit, a
    bounded queue between the reading thread and the response."""
    loop = asyncio.get_running_loop()
    batches: asyncio.Queue = asyncio.Queue(maxsize=4)
    stop = threading.Event()

    def put(item) -> None:
        if not stop.is_set():
            asyncio.run_coroutine_threadsafe(batches.put(item), loop).result()

    def read(connection) -> None:
        try:
            cursor = connection.execute(sql, params)
            put(("columns", [d[0] for d in cursor.description]))
            while not stop.is_set() and (rows := cursor.fetchmany(CSV_BATCH)):
                put(("rows", rows))
            put(("end", None))
        except Exception as exc:  # handed to the response, which reports it
            put(("error", exc))

    reading = asyncio.ensure_future(database.execute_fn(read))
    try:
        while True:
            kind, value = await batches.get()
            if kind == "end":
                break
            if kind == "error":
                raise value
            await write_batch(kind, value)
    finally:
        stop.set()
        while not reading.done():  # let a reader blocked on the full queue finish
            while not batches.empty():
                batches.get_nowait()
            await asyncio.sleep(0.01)


async def _query_of(datasette, request, database_name: str, name: str | None) -> dict | None:
    """The canned query ``name``, or the request's ``?sql=``, if the actor may run it."""
    if name is None:
        await datasette.ensure_permissions(
            request.actor, [("execute-sql", database_name), ("view-database", database_name), "view-instance"]
        )
        validate_sql_select(request.args.get("sql", ""))  # InvalidSql: answered 400
        return {"sql": request.args["sql"]}
    await datasette.ensure_permissions(
        request.actor, [("view-query", (database_name, name)), ("view-database", database_name), "view-instance"]
    )
    return await datasette.get_canned_query(database_name, name, request.actor)


class _Lines:
    """A csv.writer's file that keeps nothing: ``writerow`` answers the row's line."""

    def write(self, text: str) -> str:
        return text


class CsvCapReachedError(Exception):
    """The CSV reached ``max_csv_mb``: it ends there, with Datasette's own last line."""


async def query_csv(datasette, request):
    """A canned query's CSV (or a database's ``?sql=`` CSV): every row, streamed."""
    database_name = urllib.parse.unquote(request.url_vars["database"])
    name = urllib.parse.unquote(request.url_vars["query"]) if request.url_vars.get("query") else None
    try:
        query = await _query_of(datasette, request, database_name, name)
    except InvalidSql as exc:
        return Response.text(f"{exc}\n", status=400)
    if query is None:
        return Response.text(f"no query named {name}", status=404)
    problems = unreadable_days(request.args)
    if problems:
        return Response.text("; ".join(problems) + "\n", status=400)
    params = {key: request.args.get(key, "") for key in set(_PARAMETER.findall(query["sql"]))}
    database = datasette.get_database(database_name)

    cap = (datasette.setting("max_csv_mb") or 0) * 1024 * 1024  # public mode's, as Datasette's CSVs

    async def stream(response):
        writer = csv.writer(_Lines())
        written = 0

        async def write_batch(kind, value):
            nonlocal written
            lines = []
            for row in [value] if kind == "columns" else value:
                line = writer.writerow(row)
                if cap:
                    written += len(line.encode())
                    if written > cap:
                        await response.write("".join(lines))
                        raise CsvCapReachedError
                lines.append(line)
            await response.write("".join(lines))

        try:
            await _stream_rows(database, query["sql"], params, write_batch)
        except CsvCapReachedError:
            await response.write(f"CSV contains more than {cap} bytes\n")
        except Exception as exc:
            await response.write(f"\nerror: {exc}\n")

    headers = {}
    if request.args.get("_dl"):
        headers["content-disposition"] = f'attachment; filename="{name or database_name}.csv"'
    content_type = "text/csv; charset=utf-8" if request.args.get("_dl") else "text/plain; charset=utf-8"
    return AsgiStream(stream, headers=headers, content_type=content_type)


@hookimpl
def register_routes():
    return [(rf"^{CSV_ROUTE}/(?P<database>[^/]+)(?:/(?P<query>[^/]+))?$", query_csv)]


# -- what a canned query's page says -------------------------------------------------------------


# The table page's CSV options get a box for the byte-order mark Excel needs.
BOM_OPTION_SCRIPT = """
document.addEventListener('DOMContentLoaded', () => {
  const submit = document.querySelector('form[action$=".csv"] input[type=submit]');
  if (!submit) return;
  const label = document.createElement('label');
  label.innerHTML = '<input type="checkbox" name="_bom" value="1"> for Excel (byte-order mark)';
  submit.before(label, ' ');
});
"""


@hookimpl
def extra_body_script(template, database, view_name, request, datasette):
    """On a table's page: the byte-order mark option of its CSV. On a canned query's page: a
    note when the page shows fewer rows than the query returns (the CSV holds them all), and
    one for each date that cannot be read."""
    if not (template or "").startswith("query") or request is None or database is None:
        return BOM_OPTION_SCRIPT if view_name == "table" else None
    name = request.path.rstrip("/").rsplit("/", 1)[-1]
    query = _canned_queries(datasette, database).get(tilde_decode(name))
    if query is None:
        return None

    async def inner():
        notes = unreadable_days(request.args)
        params = {key: request.args.get(key, "") for key in set(_PARAMETER.findall(query["sql"]))}
        cap = datasette.setting("max_returned_rows")
        if not notes:
            try:
                total = (
                    await datasette.get_database(database).execute(f"select count(*) from ({query['sql']})", params)
                ).single_value()
            except Exception:  # the page shows the query's own error
                total = 0
            if total > cap:
                csv_url = request.path + ".csv?" + request.query_string
                notes.append(
                    markupsafe.Markup(
                        'This page shows the first {:,} of {:,} rows; <a href="{}">the CSV</a> holds all of them.'
                    ).format(cap, total, csv_url)
                )
        if not notes:
            return ""
        html = "".join(markupsafe.Markup('<p class="message-warning monitor-note">{}</p>').format(n) for n in notes)
        return (
            "document.addEventListener('DOMContentLoaded', () => {"
            f"const place = document.querySelector('form.sql') || document.querySelector('h1');"
            f"place.insertAdjacentHTML('afterend', {json.dumps(str(html))});"
            "});"
        )

    return inner
