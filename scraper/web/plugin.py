"""The monitor's Datasette plugin and templates (loaded by scraper/web/app.py).

- render_cell: an article's title links to the original page (its canonical URL), its archive_url to the archived
  copy; its text reads as paragraphs; an outlet's title links to that outlet's articles.
- extra_template_vars + templates/_table.html: the articles table shows a readable set of
  columns by default (every column stays in the CSV and JSON; `?_all_columns=1`, `?_col=`, `?_nocol=` choose).
- a "country" facet over the outlet column (country lives in the outlets table); selecting a
  country filters the articles with `outlet__in=`.
- CSV of any view or canned query holds all its rows, spreadsheet safe: scraper/web/exact.py.
- /-/data-dictionary: db/data-dictionary.md (what `monitor export` writes), rendered, its
  `/monitor/…` paths naming the served database.
- public mode (`monitor serve --public`): arbitrary SQL is off; the dashboard's own chart
  queries (an allow-list built from its configuration) are the only SQL run from a browser.
"""

from __future__ import annotations

import itertools
import re
import urllib.parse
from pathlib import Path

import markupsafe
from datasette import hookimpl
from datasette.facets import Facet
from datasette.utils import path_with_added_args, path_with_removed_args
from datasette.utils.asgi import Response

from media_monitor.db import DATA_DICTIONARY

PLUGIN = "media-monitor"
TEMPLATES = Path(__file__).parent / "templates"
DASHBOARD_ACTOR = "monitor-dashboard"  # the actor a dashboard request runs as in public mode
ARTICLE_COLUMNS = ("id", "title", "outlet", "published_at", "language", "relevance", "word_count")


def _config(datasette) -> dict:
    return datasette.plugin_config(PLUGIN) or {}


def cell_value(row, key):
    """A row's value of ``key`` in render_cell, None where the row has no such column."""
    try:
        return row[key]
    except (KeyError, IndexError):
        return None


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    if column == "title" and table in ("articles", None) and value:
        url = cell_value(row, "canonical_url") or cell_value(row, "url")  # the article's identity, not the fetched URL
        if isinstance(url, str) and url.startswith(("http://", "https://")):
            return markupsafe.Markup('<a href="{}" rel="noopener noreferrer">{}</a>').format(url, value)
    # A replay URL opens the archived copy; a Common Crawl WARC place (file, offset, length) is no link.
    if column == "archive_url" and table == "articles" and str(value).startswith(("http://", "https://")):
        return markupsafe.Markup('<a href="{}" rel="noopener noreferrer">{}</a>').format(value, value)
    if column == "text" and table == "articles" and value:
        paragraphs = [p.strip() for p in str(value).splitlines() if p.strip()]
        return markupsafe.Markup('<div class="article-text">{}</div>').format(
            markupsafe.Markup("").join(markupsafe.Markup("<p>{}</p>").format(p) for p in paragraphs)
        )
    if column == "title" and table == "outlets":
        name = cell_value(row, "name")
        if name:
            href = datasette.urls.table(database, "articles") + "?" + urllib.parse.urlencode({"outlet": name})
            return markupsafe.Markup('{} · <a href="{}">articles</a>').format(value or name, href)
    return None


@hookimpl
def extra_template_vars(template, database, table, view_name, request):
    """``monitor_columns``: the columns the articles table shows unless the URL picks some."""
    chosen = request is not None and {"_col", "_nocol", "_all_columns"} & set(request.args.keys())
    if view_name == "table" and table == "articles" and request is not None and not chosen:
        return {"monitor_columns": list(ARTICLE_COLUMNS)}
    return {"monitor_columns": None}


class CountryFacet(Facet):
    """Facet an outlet column by the outlets' country: ``{"country": "outlet"}`` in metadata."""

    type = "country"

    async def suggest(self):
        return []

    async def facet_results(self):
        results, timed_out = [], []
        for source_and_config in self.get_configs():
            column = source_and_config["config"].get("column") or source_and_config["config"]["simple"]
            sql = f"""
                select o.country as value, count(*) as count, group_concat(distinct o.name) as outlets
                from ({self.sql}) t join outlets o on o.name = t.[{column}]
                where o.country is not null
                group by o.country order by count desc, value
            """
            rows = (
                await self.ds.execute(
                    self.database,
                    sql,
                    self.params,
                    truncate=False,
                    custom_time_limit=self.ds.setting("facet_time_limit_ms"),
                )
            ).rows
            key = f"{column}__in"
            current = self.request.args.get(key)
            values = []
            for row in rows:
                outlets = ",".join(sorted(row["outlets"].split(",")))
                selected = current is not None and sorted(current.split(",")) == outlets.split(",")
                if selected:
                    path = path_with_removed_args(self.request, {key: current})
                else:
                    path = path_with_added_args(self.request, {key: outlets})
                values.append(
                    {
                        "value": row["value"],
                        "label": row["value"],
                        "count": row["count"],
                        "toggle_url": self.ds.absolute_url(self.request, self.ds.urls.path(path)),
                        "selected": selected,
                    }
                )
            results.append(
                {
                    "name": "country",
                    "type": self.type,
                    "hideable": source_and_config["source"] != "metadata",
                    "toggle_url": self.ds.urls.path(path_with_removed_args(self.request, {"_facet_country": column})),
                    "results": values,
                    "truncated": False,
                }
            )
        return results, timed_out


@hookimpl
def register_facet_classes():
    return [CountryFacet]


async def data_dictionary(datasette, request):
    import markdown

    text = DATA_DICTIONARY.read_text(encoding="utf-8")
    served = [name for name in datasette.databases if name != "_internal"]
    if served:  # the dictionary's paths are written for monitor.db
        text = text.replace("/monitor/", datasette.urls.database(served[0]) + "/")
    body = markdown.markdown(text, extensions=["tables"])
    return Response.html(
        await datasette.render_template(
            "monitor_page.html", {"page_title": "Data dictionary", "body": markupsafe.Markup(body)}, request=request
        )
    )


@hookimpl
def register_routes():
    return [(r"^/-/data-dictionary$", data_dictionary)]


def dashboard_queries(metadata: dict) -> dict[str, set[str]]:
    """Every SQL text the dashboards can send from a browser, per database: each chart's query
    with each subset of its dashboard's filters filled in, as datasette-dashboards fills them."""
    from datasette_dashboards import replace_opts_in_query

    allowed: dict[str, set[str]] = {}
    dashboards = (metadata.get("plugins") or {}).get("datasette-dashboards") or {}
    for dashboard in dashboards.values():
        keys = list((dashboard.get("filters") or {}).keys())
        for chart in (dashboard.get("charts") or {}).values():
            if "query" not in chart or "db" not in chart:
                continue
            for size in range(len(keys) + 1):
                for subset in itertools.combinations(keys, size):
                    query = replace_opts_in_query(chart["query"], {k: "x" for k in subset})
                    allowed.setdefault(chart["db"], set()).add(query)
    return allowed


@hookimpl
def actor_from_request(datasette, request):
    """In public mode, a dashboard page, or a request for one of its charts' data, runs as the
    dashboard actor: the only actor allowed to execute SQL (see scraper/web/app.py)."""
    config = _config(datasette)
    if not config.get("public"):
        return None
    if request.path.startswith("/-/dashboards"):
        return {"id": DASHBOARD_ACTOR}
    match = re.fullmatch(r"/([^/]+)\.json", request.path)
    if match and "_where" not in request.args:
        allowed = getattr(datasette, "monitor_dashboard_queries", {}).get(urllib.parse.unquote(match.group(1)), ())
        if request.args.get("sql") in allowed:
            return {"id": DASHBOARD_ACTOR}
    return None
