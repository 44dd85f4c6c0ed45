"""The date-range picker of the articles tables: ``?_since=2024-04-17&_until=2024-04-18``.

A day is read as people type it (2024-04-17, 17/04/2024, 17 April 2024: ``normalise.days``).
Both days are included, in UTC, on ``published_at``; a day-only date counts on the day it
printed (``published_day``). It is a filter like any other: the count, the facets, every page
and every export (CSV, JSON) of the view follow it. templates/table.html draws the two date inputs.
"""

from __future__ import annotations

import urllib.parse
from datetime import date

from datasette import hookimpl
from datasette.filters import FilterArguments
from datasette.utils import path_with_removed_args
from datasette.utils.asgi import BadRequest

from media_monitor.normalise import days

DATED_TABLES = ("articles", "distinct_articles")
# The day an article counts on (scraper/web/reader.py registers the function): a day-only date
# on the day it printed, as the dashboard's bars count it.
DAY = "published_day(published_at, published_precision)"
BOUNDS = ("_since", "_until")


def read_day(name: str, value: str) -> date:
    """``value`` as a day, or a one-line error naming the bound."""
    day = days.read_day(value)
    if day is None:
        raise BadRequest(f"{name}={value!r} is not a day: use e.g. 2024-04-17 or 17/04/2024")
    return date.fromisoformat(day)


def date_range(since: str | None, until: str | None) -> tuple[list[str], dict[str, str], list[str]]:
    """Where clauses, parameters and a human description for the range (either end open)."""
    clauses, params, described = [], {}, []
    if since:
        first = read_day("_since", since)
        clauses.append(f"{DAY} >= :monitor_since")
        params["monitor_since"] = first.isoformat()
        described.append(f"published on or after {first.isoformat()}")
    if until:
        last = read_day("_until", until)
        clauses.append(f"{DAY} <= :monitor_until")
        params["monitor_until"] = last.isoformat()
        described.append(f"published on or before {last.isoformat()}")
    if described:
        described = [" and ".join(described) + " (UTC)"]
    return clauses, params, described


@hookimpl
def filters_from_request(request, table):
    if table not in DATED_TABLES:
        return None
    clauses, params, described = date_range(request.args.get("_since"), request.args.get("_until"))
    if not clauses:
        return None
    return FilterArguments(clauses, params=params, human_descriptions=described)


@hookimpl
def extra_template_vars(view_name, table, request, datasette):
    """``monitor_date_range`` on the dated tables' pages: the picker's values, the view's other
    arguments (kept by the picker's form) and the view without the range."""
    if view_name != "table" or table not in DATED_TABLES or request is None:
        return {}
    dropped = {*BOUNDS, "_next"}
    return {
        "monitor_date_range": {
            **{bound: request.args.get(bound, "") for bound in BOUNDS},
            "kept": [(k, v) for k, v in urllib.parse.parse_qsl(request.query_string) if k not in dropped],
            "every_date": datasette.urls.path(path_with_removed_args(request, dropped)),
        }
    }
