"""The article reader and the story page (a second Datasette plugin module, registered by app.py).

- An articles row page (`/<db>/articles/<id>`, templates/row.html + _reader.html) reads as one
  column: title, outlet, time in UTC and at the page's own offset, language, authors, the
  canonical link and the archived copy, the text in paragraphs, then its story (the other
  on-topic articles of its cluster, with their delay after the first report) and its duplicates.
- A story page (`/<db>/-/story/<cluster_id>`, templates/story.html): who ran the cluster, when,
  in which language, and the spread.
- Cells link there: a cluster_id to its story, an origin_id to the origin's reader, an
  origin_title to its story (in any table or canned query that has those columns).
- SQL function ``delay_after(minutes)`` (the dashboard's first-report table uses it) prints a
  delay as the reader does: "+3 h 15 min".
"""

from __future__ import annotations

import contextlib
import json
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import markupsafe
from datasette import hookimpl
from datasette.utils.asgi import NotFound, Response

from media_monitor.normalise.dates import published_day, published_span
from media_monitor.web.plugin import cell_value


def format_delay(minutes: float | None) -> str:
    """A delay after the first report as people read it: "+3 h 15 min", "+2 d 1 h", "first"."""
    if minutes is None:
        return ""
    total = round(minutes)
    if total <= 0:
        return "first"
    days, rest = divmod(total, 1440)
    hours, mins = divmod(rest, 60)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{mins} min" if mins else ""]
    return "+" + " ".join(part for part in parts if part)


def minutes_between(start: str | None, end: str | None) -> float | None:
    """Minutes from ``start`` to ``end`` (ISO 8601 times, as published_at holds them)."""
    if not start or not end:
        return None
    return (_parse(end) - _parse(start)).total_seconds() / 60


def _parse(value: str) -> datetime:
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def local_time(published_at: str | None, offset: str | None, tz_name: str | None) -> str:
    """The publication time as the page printed it: at the page's own UTC offset (``+04:00``),
    else in the outlet's timezone; empty when neither is known."""
    if not published_at:
        return ""
    moment = _parse(published_at)
    if offset:
        sign = -1 if offset.startswith("-") else 1
        hours, _, mins = offset.lstrip("+-").partition(":")
        zone = timezone(sign * timedelta(hours=int(hours), minutes=int(mins or 0)))
    else:
        try:
            zone = ZoneInfo(tz_name) if tz_name else None
        except (ZoneInfoNotFoundError, ValueError):
            zone = None
        if zone is None:
            return ""
    local = moment.astimezone(zone)
    offset_text = local.strftime("%z")
    return f"{local:%Y-%m-%d %H:%M} (UTC{offset_text[:3]}:{offset_text[3:]})"


def printed_day(published_at: str | None, precision: str | None, tz_name: str | None) -> str:
    """The day (or month) a page that gives no time printed, in its outlet's timezone, where it
    is stored as its start: "2024-04-17, the day only"; empty for a page that gives a time."""
    if not published_at or precision not in ("day", "month"):
        return ""
    moment = _parse(published_at)
    with contextlib.suppress(ZoneInfoNotFoundError, ValueError):  # an unknown zone: the UTC day
        moment = moment.astimezone(ZoneInfo(tz_name)) if tz_name else moment
    return f"{moment:%Y-%m}, the month only" if precision == "month" else f"{moment:%Y-%m-%d}, the day only"


def paragraphs(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def authors(value: str | None) -> list[str]:
    """The authors column (a JSON list) as names; a value that is no JSON list reads as one name."""
    if not value:
        return []
    try:
        names = json.loads(value)
    except ValueError:
        return [value]
    return [str(name) for name in names] if isinstance(names, list) else [str(names)]


def web_link(value) -> str | None:
    """``value`` when it is an http(s) URL (an archive's replay URL is; a WARC place is not)."""
    return value if isinstance(value, str) and value.startswith(("http://", "https://")) else None


def origin_order(member: dict) -> tuple:
    """The clusters view's origin order (db/migrations/m0009_precision.py): the dated first, by
    the latest each may have been published (a day-only date at its day's end), then the
    canonical URL and the id."""
    published = member["published_at"]
    if published is None:
        return (True, datetime.min.replace(tzinfo=UTC), member["canonical_url"] or "", member["id"])
    start = _parse(published)
    end = published_span(start, member["published_precision"])[1]
    latest = end - timedelta(seconds=1) if end > start else start
    return (False, latest, member["canonical_url"] or "", member["id"])


def _story_rows(members: list[dict], first_published: str | None) -> list[dict]:
    """The members with their delay after the first report; a later member dated no later than
    it is a tie ("+0 min") or, giving only its day (month), of the "same day" ("same month")."""
    rows = []
    for index, member in enumerate(members):
        minutes = minutes_between(first_published, member["published_at"])
        delay = format_delay(minutes)
        if index and minutes is not None and minutes <= 0:
            delay = {"day": "same day", "month": "same month"}.get(member.get("published_precision"), "+0 min")
        rows.append(dict(member, delay=delay))
    return rows


async def _rows(db, sql: str, params: dict) -> list[dict]:
    return [dict(row) for row in (await db.execute(sql, params)).rows]


async def story(db, cluster_id) -> dict | None:
    """The cluster's row of the clusters view and its on-topic articles in the origin order,
    each with its delay after the first report; None when the cluster has no on-topic article."""
    summary = await _rows(db, "select * from clusters where cluster_id = :cluster", {"cluster": cluster_id})
    if not summary:
        return None
    members = await _rows(
        db,
        "select id, outlet, language, title, canonical_url, url, published_at, published_precision, duplicate_of"
        " from articles where cluster_id = :cluster and topic_status = 'on_topic'",
        {"cluster": cluster_id},
    )
    members.sort(key=origin_order)
    info = summary[0]
    return {
        **info,
        "spread": format_delay(info["spread_minutes"]).lstrip("+") if info["spread_minutes"] else "none",
        "languages": sorted({m["language"] for m in members if m["language"]}),
        "members": _story_rows(members, info["origin_published_at"]),
    }


async def article(datasette, database: str, article_id: str) -> dict | None:
    """Everything the reader shows of one article, or None when no such row."""
    db = datasette.get_database(database)
    found = await _rows(
        db,
        "select a.*, o.title as outlet_title, o.timezone as outlet_timezone"
        " from articles a left join outlets o on o.name = a.outlet where a.id = :id",
        {"id": article_id},
    )
    if not found:
        return None
    row = found[0]
    duplicates = await _rows(
        db,
        "select case when d.article_id = :id then 'copies' else 'copied by' end as direction,"
        " d.method, d.similarity, a.id, a.outlet, a.title, a.published_at"
        " from duplicates d join articles a"
        " on a.id = case when d.article_id = :id then d.duplicate_of else d.article_id end"
        " where d.article_id = :id or d.duplicate_of = :id order by a.published_at, a.id, d.method",
        {"id": row["id"]},
    )
    return {
        "row": row,
        "local_time": local_time(row["published_at"], row["published_offset"], row["outlet_timezone"]),
        "printed_day": printed_day(row["published_at"], row["published_precision"], row["outlet_timezone"]),
        "authors": authors(row["authors"]),
        "link": row["canonical_url"] or row["url"],
        "archive_link": web_link(row["archive_url"]),
        "paragraphs": paragraphs(row["text"]),
        "story": await story(db, row["cluster_id"]) if row["cluster_id"] is not None else None,
        "duplicates": duplicates,
    }


@hookimpl
def extra_template_vars(template, database, table, view_name, request, datasette):
    """``monitor_article`` for the articles row page (templates/row.html reads it)."""
    if view_name != "row" or table != "articles" or request is None:
        return {}

    async def reader_vars():
        return {"monitor_article": await article(datasette, database, request.url_vars["pks"])}

    return reader_vars


async def story_page(datasette, request):
    database = request.url_vars["database"]
    try:
        db = datasette.get_database(database)
    except KeyError:
        raise NotFound("No such database") from None
    # Whoever may see the articles table may see its stories (the page runs no SQL of theirs).
    await datasette.ensure_permissions(
        request.actor, [("view-table", (database, "articles")), ("view-database", database), "view-instance"]
    )
    found = await story(db, request.url_vars["cluster_id"])
    if found is None:
        raise NotFound(f"No story (on-topic cluster) {request.url_vars['cluster_id']}")
    return Response.html(
        await datasette.render_template("story.html", {"database": database, "story": found}, request=request)
    )


@hookimpl
def register_routes():
    return [(r"^/(?P<database>[^/]+)/-/story/(?P<cluster_id>\d+)$", story_page)]


def story_url(datasette, database: str, cluster_id) -> str:
    return datasette.urls.database(database) + f"/-/story/{cluster_id}"


@hookimpl
def render_cell(row, value, column, table, database, datasette):
    """A story's cells open it: cluster_id and origin_title its story page, origin_id its reader."""
    if value is None or value == "":
        return None
    if column == "cluster_id" and isinstance(value, int):
        return markupsafe.Markup('<a href="{}">{}</a>').format(story_url(datasette, database, value), value)
    if column == "origin_id" and isinstance(value, int):
        href = datasette.urls.row(database, "articles", str(value))
        return markupsafe.Markup('<a href="{}">{}</a>').format(href, value)
    cluster = cell_value(row, "cluster_id")
    if column == "origin_title" and isinstance(cluster, int):
        return markupsafe.Markup('<a href="{}">{}</a>').format(story_url(datasette, database, cluster), value)
    return None


@hookimpl
def prepare_connection(conn):
    conn.create_function("delay_after", 1, format_delay, deterministic=True)
    # The day an article is charted and picked on: a day-only date on the day it printed.
    conn.create_function("published_day", 2, published_day, deterministic=True)
