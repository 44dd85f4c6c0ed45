"""The article reader, the story page, the date-range picker and the dashboard's counts, through
Datasette's own client over the tied database (tests/tieddb.py: 2,026 articles, copies, clusters)."""

from __future__ import annotations

import asyncio
import csv
import html
import io
import json
import re
import sqlite3
import urllib.parse

import pytest

from media_monitor.web.app import make_datasette
from media_monitor.web.reader import authors, format_delay, local_time, minutes_between, printed_day

DB = "tied"


@pytest.fixture(scope="module")
def datasette(tied):
    return make_datasette(tied)


@pytest.fixture(scope="module")
def sql(tied):
    connection = sqlite3.connect(tied)
    connection.row_factory = sqlite3.Row
    yield lambda query, *params: connection.execute(query, params).fetchall()
    connection.close()


def get(datasette, path):
    return asyncio.run(datasette.client.get(path))


def text_of(page: str) -> str:
    """The visible text of an HTML page, whitespace folded."""
    body = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body)))


@pytest.mark.parametrize(
    "minutes, expected",
    [
        (None, ""),
        (0, "first"),
        (0.4, "first"),
        (1, "+1 min"),
        (60, "+1 h"),
        (195, "+3 h 15 min"),
        (1440, "+1 d"),
        (1480, "+1 d 40 min"),
        (1964, "+1 d 8 h 44 min"),
    ],
)
def test_format_delay(minutes, expected):
    assert format_delay(minutes) == expected


@pytest.mark.parametrize(
    "published_at, offset, tz_name, expected",
    [
        ("2024-04-17T08:02:00Z", "+04:00", None, "2024-04-17 12:02 (UTC+04:00)"),
        ("2024-04-17T22:30:00Z", "+03:00", "Asia/Baku", "2024-04-18 01:30 (UTC+03:00)"),  # the page's own offset wins
        ("2024-04-17T08:02:00Z", "-05:30", None, "2024-04-17 02:32 (UTC-05:30)"),
        ("2024-04-17T08:02:00Z", None, "Asia/Yerevan", "2024-04-17 12:02 (UTC+04:00)"),
        ("2024-04-17T08:02:00Z", None, "Nowhere/Else", ""),
        ("2024-04-17T08:02:00Z", None, None, ""),
        (None, "+04:00", None, ""),
    ],
)
def test_local_time(published_at, offset, tz_name, expected):
    assert local_time(published_at, offset, tz_name) == expected


@pytest.mark.parametrize(
    "value, expected",
    [(None, []), ("[]", []), ('["A. Petrosyan", "Ли Н."]', ["A. Petrosyan", "Ли Н."]), ("Staff", ["Staff"])],
)
def test_authors(value, expected):
    assert authors(value) == expected


def test_minutes_between():
    assert minutes_between("2024-04-17T08:00:00Z", "2024-04-17T11:15:00Z") == 195
    assert minutes_between(None, "2024-04-17T11:15:00Z") is None


def _widest_story(sql):
    """The cluster whose on-topic articles are the furthest apart (delays of hours and days)."""
    return sql(
        "select * from clusters where size > 2 and outlet_count > 1 order by spread_minutes desc, cluster_id limit 1"
    )[0]


def test_reader_shows_the_article_then_its_story_and_duplicates(datasette, sql):
    cluster = _widest_story(sql)
    members = sql(
        "select * from articles where cluster_id = ? and topic_status = 'on_topic' "
        "order by published_at, canonical_url, id",
        cluster["cluster_id"],
    )
    last = members[-1]
    page = get(datasette, f"/{DB}/articles/{last['id']}")
    assert page.status_code == 200
    body = page.text
    assert f"<h1>{html.escape(last['title'])}</h1>" in body
    # the text in paragraphs, one per line of the stored text
    paragraphs = re.findall(r"<p>(.*?)</p>", body.split('class="article-text">', 1)[1].split("</div>", 1)[0])
    assert [html.unescape(p) for p in paragraphs] == [line for line in last["text"].splitlines() if line.strip()]
    # the canonical link, not the fetched URL with its utm_ parameter
    facts = body.split('class="reader-facts"', 1)[1].split("</dl>", 1)[0]
    assert f'class="reader-link" href="{last["canonical_url"]}"' in facts and "utm_source" not in facts
    assert "(UTC+04:00) on the page" in text_of(facts)  # no offset stored: the outlet's timezone (Asia/Baku)
    # its story: every on-topic member, each with its delay after the first report
    story = body.split('class="reader-story"', 1)[1].split("</section>", 1)[0]
    delays = [html.unescape(d) for d in re.findall(r'class="story-delay">([^<]*)<', story)]
    expected = [format_delay(minutes_between(cluster["origin_published_at"], m["published_at"])) for m in members]
    assert delays == expected and delays[0] == "first" and re.fullmatch(r"\+\d+ d( \d+ h)?( \d+ min)?", delays[-1])
    assert f'href="/{DB}/-/story/{cluster["cluster_id"]}"' in story
    for member in members:
        assert f'href="/{DB}/articles/{member["id"]}"' in story
    # its duplicates: every link of the duplicates table that names it, with the method
    links = sql("select * from duplicates where article_id = ? or duplicate_of = ?", last["id"], last["id"])
    duplicates = body.split('class="reader-duplicates"', 1)[1].split("</section>", 1)[0]
    assert links and len(re.findall(r"<li>", duplicates)) == len(links)
    for link in links:
        other = link["duplicate_of"] if link["article_id"] == last["id"] else link["article_id"]
        assert f'href="/{DB}/articles/{other}"' in duplicates
    assert "Every column of this row" in body  # the raw row stays, folded


def test_reader_of_an_article_nobody_copied(datasette, sql):
    alone = sql("select a.* from articles a join clusters c using (cluster_id) where c.size = 1 limit 1")[0]
    body = get(datasette, f"/{DB}/articles/{alone['id']}").text
    assert "None: no other stored article copies this one." in body
    assert re.findall(r'class="story-delay">([^<]*)<', body) == ["first"]


def test_other_rows_keep_datasettes_row_page(datasette, sql):
    outlet = sql("select name from outlets limit 1")[0]["name"]
    page = get(datasette, f"/{DB}/outlets/{outlet}")
    assert page.status_code == 200 and "monitor-reader" not in page.text and "rows-and-columns" in page.text


def test_story_page_shows_who_ran_it_when_in_which_language(datasette, sql):
    cluster = _widest_story(sql)
    page = get(datasette, f"/{DB}/-/story/{cluster['cluster_id']}")
    assert page.status_code == 200
    members = sql(
        "select * from articles where cluster_id = ? and topic_status = 'on_topic' "
        "order by published_at, canonical_url, id",
        cluster["cluster_id"],
    )
    rows = re.findall(
        r"<tr(?: class=\"story-current\")?>\s*<td class=\"story-time\">(.*?)</td>\s*<td class=\"story-delay\">(.*?)</td>\s*<td>(.*?)</td>\s*<td>(.*?)</td>",
        page.text,
    )
    assert [(o, lang) for _, _, o, lang in rows] == [(m["outlet"], m["language"]) for m in members]
    assert [t for t, _, _, _ in rows] == [m["published_at"][:16].replace("T", " ") for m in members]
    text = text_of(page.text)
    languages = ", ".join(sorted({m["language"] for m in members}))
    assert f"Languages {languages}" in text
    assert f"Spread {format_delay(cluster['spread_minutes']).lstrip('+')} from the first" in text
    assert (
        f"by {cluster['origin_outlet']}" in text
        and f"{cluster['size']} articles by {cluster['outlet_count']} outlets" in text
    )


def test_story_and_reader_in_public_mode(tied, sql):
    public = make_datasette(tied, public=True)
    cluster = _widest_story(sql)
    assert get(public, f"/{DB}.json?sql=select+1").status_code == 403  # no SQL of the visitor's
    story = get(public, f"/{DB}/-/story/{cluster['cluster_id']}")
    assert story.status_code == 200 and 'class="story-delay">first<' in story.text
    reader = get(public, f"/{DB}/articles/{cluster['origin_id']}")
    assert reader.status_code == 200 and 'class="monitor-reader"' in reader.text


def test_story_page_follows_the_permissions_of_the_articles_table(tied, sql):
    from datasette.app import Datasette

    from media_monitor.web.app import register_plugin
    from media_monitor.web.plugin import TEMPLATES

    register_plugin()
    metadata = {"databases": {DB: {"tables": {"articles": {"allow": False}}}}}
    hidden = Datasette([str(tied)], metadata=metadata, template_dir=str(TEMPLATES))
    assert get(hidden, f"/{DB}/-/story/{_widest_story(sql)['cluster_id']}").status_code == 403


def test_unknown_story_is_a_404(datasette):
    page = get(datasette, f"/{DB}/-/story/99999999")
    assert page.status_code == 404 and "No story" in page.text


def test_cluster_and_origin_cells_link_to_the_story_and_the_reader(datasette, sql):
    cluster = _widest_story(sql)
    story = f'href="/{DB}/-/story/{cluster["cluster_id"]}"'
    view = get(datasette, f"/{DB}/clusters?cluster_id={cluster['cluster_id']}").text
    assert f"<a {story}>{cluster['cluster_id']}</a>" in view
    assert f'<a href="/{DB}/articles/{cluster["origin_id"]}">{cluster["origin_id"]}</a>' in view
    assert f"<a {story}>{html.escape(cluster['origin_title'])}</a>" in view
    canned = get(datasette, f"/{DB}/syndicated_stories").text  # a canned query: the same links
    assert f"<a {story}>{cluster['cluster_id']}</a>" in canned
    articles = get(datasette, f"/{DB}/articles?cluster_id={cluster['cluster_id']}&_col=cluster_id&_col=title").text
    assert articles.count(f"<a {story}>") == cluster["size"]


def test_titles_link_to_the_canonical_url(datasette, sql):
    page = get(datasette, f"/{DB}/articles?_size=20").text
    hrefs = re.findall(r'<td class="col-title[^"]*"><a href="([^"]+)"', page)
    assert len(hrefs) == 20
    canonical = {r["canonical_url"] for r in sql("select canonical_url from articles")}
    assert all(href in canonical and "utm_" not in href for href in hrefs)


def test_glossary_is_folded_and_the_table_comes_first(datasette):
    page = get(datasette, f"/{DB}/articles").text
    glossary = page.index('<details class="monitor-glossary">')
    assert page.index("</details>", glossary) < page.index('<table class="rows-and-columns">')
    assert "Publication time, ISO 8601 in UTC" in page[glossary:]
    assert "dl.column-descriptions { display: none; }" in page


@pytest.mark.parametrize(
    "since, until", [("2024-04-18", "2024-04-18"), ("2024-04-20", ""), ("", "2024-04-17"), ("2024-04-17", "2024-04-19")]
)
def test_date_range_filters_every_row_and_export(datasette, sql, since, until):
    where = " and ".join(
        clause for clause, value in (("date(published_at) >= ?", since), ("date(published_at) <= ?", until)) if value
    )
    expected = {r["id"] for r in sql(f"select id from articles where {where}", *[v for v in (since, until) if v])}
    query = urllib.parse.urlencode({"_since": since, "_until": until})
    data = get(datasette, f"/{DB}/articles.json?{query}&_shape=objects&_size=max&_col=id").json()
    assert data["filtered_table_rows_count"] == len(expected)
    exported = get(
        datasette, f"/{DB}/articles.csv?{query}&_stream=on&_col=id&_sort=id"
    )  # a unique order: tied times are paged by exact exports (part A)
    assert {int(r["id"]) for r in csv.DictReader(io.StringIO(exported.text))} == expected
    page = get(datasette, f"/{DB}/articles?{query}").text
    assert f'<input id="_since" type="date" name="_since" value="{since}">' in page
    assert f'<input id="_until" type="date" name="_until" value="{until}">' in page
    assert f"{len(expected):,} rows" in text_of(page)


def test_date_range_keeps_the_other_filters_and_refuses_a_bad_day(datasette):
    page = get(datasette, f"/{DB}/articles?language=hy&_since=2024-04-18").text
    form = page.split('class="monitor-date-range"', 1)[1].split("</form>", 1)[0]
    assert '<input type="hidden" name="language" value="hy">' in form
    assert f'class="monitor-every-date" href="/{DB}/articles?language=hy"' in form
    # A day as people type it is read; one that is no day is refused, named.
    typed = get(datasette, f"/{DB}/articles.json?_since=17/04/2024&_until=17 April 2024&_size=max&_shape=array")
    iso = get(datasette, f"/{DB}/articles.json?_since=2024-04-17&_until=2024-04-17&_size=max&_shape=array")
    assert typed.status_code == 200 and typed.json() == iso.json() and typed.json()
    bad = get(datasette, f"/{DB}/articles?_until=18/18/2024")
    assert bad.status_code == 400 and "_until=&#39;18/18/2024&#39; is not a day" in bad.text


def _charts(datasette, path):
    page = get(datasette, path)
    assert page.status_code == 200, page.text
    found = re.findall(r"renderChart\('([\w-]+)', (\{.*?\}), '([^']*)'", page.text)
    return {slug: (json.loads(chart), qs) for slug, chart, qs in found}


def _answer(datasette, chart, qs):
    response = get(datasette, f"/{DB}.json?sql={urllib.parse.quote(chart['query'])}&{qs}&_shape=objects")
    assert response.status_code == 200, response.text
    return response.json()["rows"]


def test_dashboard_opens_on_the_story_window_and_widens(datasette):
    opened = get(datasette, "/-/dashboards/coverage")
    assert opened.status_code == 302 and opened.headers["location"].endswith(
        "date_start=2024-04-17&date_end=2024-06-30"
    )
    page = get(datasette, "/-/dashboards/coverage?date_start=2024-04-17&date_end=2024-06-30").text
    assert 'href="/-/dashboards/coverage?date_start=&amp;date_end="' in page  # every date
    widened = _charts(datasette, "/-/dashboards/coverage?date_start=&date_end=")
    assert ":date_start" not in widened["articles"][0]["query"]


@pytest.mark.parametrize(
    "filters",
    [
        "date_start=2024-04-17&date_end=2024-06-30",
        "date_start=&date_end=",
        "date_start=2024-04-18&date_end=2024-04-19&language=hy",
    ],
)
def test_dashboard_counts_add_up(datasette, sql, filters):
    charts = _charts(datasette, f"/-/dashboards/coverage?{filters}")
    cards = {slug: _answer(datasette, *charts[slug])[0] for slug in ("on-topic", "articles", "copies", "stories")}
    shown, distinct, copies = cards["on-topic"]["articles"], cards["articles"]["articles"], cards["copies"]["copies"]
    assert distinct + copies == shown
    params = urllib.parse.parse_qs(filters)
    where, args = ["topic_status = 'on_topic'"], []
    for key, clause in (
        ("date_start", "date(published_at) >= ?"),
        ("date_end", "date(published_at) <= ?"),
        ("language", "language = ?"),
    ):
        if params.get(key):
            where.append(clause)
            args.append(params[key][0])
    rows = sql(
        f"select count(*) as n, count(distinct cluster_id) as s from articles where {' and '.join(where)}", *args
    )[0]
    assert (shown, cards["stories"]["stories"]) == (rows["n"], rows["s"])
    # the rows shown by the articles link of the same filters: distinct + copies
    link = {
        "topic_status": "on_topic",
        "_since": params.get("date_start", [""])[0],
        "_until": params.get("date_end", [""])[0],
    }
    link.update({"language": params["language"][0]} if "language" in params else {})
    table = get(datasette, f"/{DB}/articles.json?{urllib.parse.urlencode(link)}&_size=1").json()
    assert table["filtered_table_rows_count"] == distinct + copies
    assert sum(r["articles"] for r in _answer(datasette, *charts["per-day"])) == distinct
    assert sum(r["articles"] for r in _answer(datasette, *charts["by-language"])) == distinct


def test_every_bar_links_to_the_articles_behind_it(datasette):
    charts = _charts(datasette, "/-/dashboards/coverage?date_start=2024-04-17&date_end=2024-06-30")
    for slug in ("per-day", "by-language", "top-outlets"):
        chart, qs = charts[slug]
        assert chart["display"]["encoding"]["href"] == {"field": "link"}
        for bar in _answer(datasette, chart, qs)[:3]:
            assert bar["link"].startswith(f"/{DB}/distinct_articles?")
            behind = get(datasette, bar["link"].replace("?", ".json?", 1) + "&_size=1&_nofacet=1").json()
            assert behind["filtered_table_rows_count"] == bar["articles"], (slug, bar)


def test_first_report_table_has_the_window_and_the_delay_behind_the_first(datasette, sql):
    charts = _charts(datasette, "/-/dashboards/coverage?date_start=2024-04-18&date_end=2024-06-30")
    rows = _answer(datasette, *charts["first-reports"])
    firsts = sql(
        "select outlet, min(published_at) as first from distinct_articles "
        "where date(published_at) >= '2024-04-18' group by outlet order by first, outlet"
    )
    assert [(r["outlet"], r["first published (UTC)"]) for r in rows] == [(f["outlet"], f["first"]) for f in firsts]
    start = firsts[0]["first"]
    assert [r["after the first report"] for r in rows] == [
        format_delay(minutes_between(start, f["first"])) for f in firsts
    ]
    assert all("utm_" not in r["title"] for r in rows)
    delay = get(datasette, f"/{DB}.json?sql=select+delay_after(195)+as+d,+delay_after(0)+as+z&_shape=array").json()
    assert delay == [{"d": "+3 h 15 min", "z": "first"}]


@pytest.mark.parametrize(
    ("published_at", "precision", "tz", "shown"),
    [
        # A Baku page that prints only 17 April is stored at its local midnight, 20:00 UTC the day before.
        ("2024-04-16T20:00:00Z", "day", "Asia/Baku", "2024-04-17, the day only"),
        ("2024-06-05T04:00:00Z", "day", "America/New_York", "2024-06-05, the day only"),
        ("2024-03-31T20:00:00Z", "month", "Asia/Baku", "2024-04, the month only"),
        ("2024-04-16T20:00:00Z", "minute", "Asia/Baku", ""),  # a time: shown as a time
        ("2024-04-16T20:00:00Z", None, "Asia/Baku", ""),
        ("2024-04-17T00:00:00Z", "day", None, "2024-04-17, the day only"),
    ],
)
def test_a_day_only_date_is_shown_as_its_day(published_at, precision, tz, shown):
    assert printed_day(published_at, precision, tz) == shown
