"""The reader, the story page, the date picker and the dashboard in headless Chromium, over the
tied database (tests/tieddb.py: 2,026 articles, tied times, copies, clusters) served by
`monitor serve`, and the dashboard over the sample-site crawl (few articles a day: small axes)."""

from __future__ import annotations

import pytest

from tests import test_reader
from tests.test_browser import ARTIFACTS, browser_page, serve

sql = test_reader.sql  # the fixture: SQL over the tied database (conftest.py builds it)


@pytest.fixture(scope="module")
def tied_server(tied):
    yield from serve(tied)


@pytest.fixture(scope="module")
def crawl_server(crawled):
    yield from serve(crawled[0])


@pytest.fixture(scope="module")
def page(tied_server):
    yield from browser_page()


def _box(page, selector):
    return page.locator(selector).first.bounding_box()


def test_reader_is_one_readable_column_with_its_story(page, tied_server, sql):
    cluster = sql("select * from clusters where size > 2 and outlet_count > 1 order by spread_minutes desc limit 1")[0]
    page.goto(f"{tied_server}/tied/articles?cluster_id={cluster['cluster_id']}")
    page.locator("td.col-id a").last.click()  # the table's id link opens the reader
    page.wait_for_selector(".monitor-reader")
    text = _box(page, ".monitor-reader > .article-text p")
    assert text["x"] < 400 and 400 < text["width"] <= 800, text  # one column, from the left, a readable width
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280  # no sideways scrolling
    article_id = int(page.url.rsplit("/", 1)[1])
    row = sql("select * from articles where id = ?", article_id)[0]
    assert page.locator(".monitor-reader h1").inner_text() == row["title"]
    assert page.locator(".monitor-reader > .article-text p").count() == len(row["text"].splitlines())
    assert page.locator(".reader-link").get_attribute("href") == row["canonical_url"]
    delays = page.locator(".reader-story .story-delay").all_inner_texts()
    assert len(delays) == cluster["size"] and delays[0] == "first" and any(" h" in d or " d" in d for d in delays)
    assert page.locator(".reader-duplicates li").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "reader.png"), full_page=True)
    page.locator(".reader-story h2 a").click()  # the article opens its story
    page.wait_for_url(f"**/tied/-/story/{cluster['cluster_id']}")
    assert page.locator(".monitor-story .story-members tbody tr").count() == cluster["size"]
    assert not page.errors, page.errors


def test_story_page_from_the_clusters_view(page, tied_server, sql):
    cluster = sql("select * from clusters where outlet_count > 2 order by size desc, cluster_id limit 1")[0]
    page.goto(f"{tied_server}/tied/clusters?_sort_desc=outlet_count")
    page.locator(f"td.col-cluster_id a:text-is('{cluster['cluster_id']}')").click()
    page.wait_for_url(f"**/tied/-/story/{cluster['cluster_id']}")
    assert page.locator(".monitor-story h1").inner_text() == cluster["origin_title"]
    outlets = page.locator(".story-members tbody tr td:nth-child(3)").all_inner_texts()
    assert set(outlets) == set(cluster["outlets"].split(",")) and len(outlets) == cluster["size"]
    languages = page.locator(".story-languages").inner_text().split(", ")
    assert len(languages) == len({*languages}) >= 2
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    page.screenshot(path=str(ARTIFACTS / "story.png"), full_page=True)
    assert not page.errors, page.errors


def test_date_picker_and_the_table_first(page, tied_server, sql):
    page.goto(f"{tied_server}/tied/articles")
    first_row = _box(page, "table.rows-and-columns tbody tr")
    assert first_row["y"] < 1000, first_row  # above the fold: the glossary is folded away
    assert not page.locator("details.monitor-glossary").get_attribute("open")
    page.locator(".facet-info[data-column=language] a", has_text="hy").first.click()
    page.wait_for_url("**language=hy**")
    page.fill("#_since", "2024-04-18")
    page.fill("#_until", "2024-04-18")
    page.click("input[type=submit][value='Show these dates']")
    page.wait_for_url("**_until=2024-04-18**")
    expected = sql("select count(*) from articles where language = 'hy' and date(published_at) = '2024-04-18'")[0][0]
    assert expected > 50  # more than one page
    assert page.locator("h3").first.inner_text().startswith(f"{expected:,} rows")
    times = page.locator("td.col-published_at").all_inner_texts()
    assert times and all(t.startswith("2024-04-18") for t in times)
    assert set(page.locator("td.col-language").all_inner_texts()) == {"hy"}
    page.fill("#_search", "Ղարաբաղ")  # a search from Datasette's own form keeps the range
    page.locator("form.filters input[type=submit]").click()
    page.wait_for_url("**_search=**")
    assert "_since=2024-04-18" in page.url and "_until=2024-04-18" in page.url
    assert page.locator("h3").first.inner_text().startswith(f"{expected:,} rows")  # every one mentions it
    page.locator(".monitor-every-date").click()
    # Datasette's form spells the facet's filter language__exact=hy
    page.wait_for_url(lambda url: "_since" not in url and "language__exact=hy" in url and "_search=" in url)
    assert not page.errors, page.errors


def test_dashboard_axes_are_whole_numbers_and_bars_open_their_articles(page, crawl_server, db):
    page.goto(f"{crawl_server}/-/dashboards/coverage")
    page.wait_for_url("**?date_start=2024-04-17&date_end=2024-06-30")  # the story's window first
    assert page.input_value("#date_start") == "2024-04-17"
    page.get_by_role("link", name="every date").click()  # then wider
    page.wait_for_url("**?date_start=&date_end=")
    assert page.input_value("#date_start") == ""
    page.wait_for_selector("#chart-per-day svg .mark-rect path")
    script = """axis => [...document.querySelectorAll('#chart-per-day svg g.role-axis')]
        .filter(g => (g.getAttribute('aria-label') || '').startsWith(axis))
        .flatMap(g => [...g.querySelectorAll('.role-axis-label text')].map(t => t.textContent))"""
    counts, days = page.evaluate(script, "Y-axis"), page.evaluate(script, "X-axis")
    assert counts and all(label.isdigit() for label in counts) and len(counts) == len(set(counts)), counts
    assert days and len(days) == len(set(days)), days  # one label a day at most
    page.locator("#chart-top-outlets svg .mark-rect path").first.click()
    page.wait_for_url("**/monitor/distinct_articles?outlet=**")
    outlet = page.url.split("outlet=", 1)[1].split("&", 1)[0]
    expected = db.execute("select count(*) from distinct_articles where outlet = ?", [outlet]).fetchone()[0]
    assert page.locator("h3").first.inner_text().startswith(f"{expected:,} row")
    assert not page.errors, page.errors
