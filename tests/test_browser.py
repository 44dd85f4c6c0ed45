"""The front page and the articles table in a real browser: `monitor serve` in a subprocess on a
loopback port, over a crawl of the sample site, driven by headless Chromium (Debian's
`chromium`, installed by .ci/run) through Playwright. Screenshots go to test-artifacts/browser/.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT

CHROMIUM = os.environ.get("MONITOR_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = ROOT / "test-artifacts" / "browser"
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _browser_or_skip():
    """Chromium and Playwright, or a skip: only outside CI. Under CI=true a missing one fails."""
    missing = []
    if not Path(CHROMIUM).exists():
        missing.append(f"Chromium ({CHROMIUM}: `apt-get install -y chromium`)")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Playwright for Python (`pip install -e '.[test]'`)")
    if missing:
        message = "browser test needs " + " and ".join(missing)
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message + " (CI is set: installing them is .ci/run's job)")
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serving(db_path):
    """`monitor serve` of ``db_path`` on a free loopback port: yields its base URL, then stops it."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "media_monitor", "serve", "--db", str(db_path), "--port", str(port)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        if process.poll() is not None:
            raise AssertionError(f"monitor serve exited: {process.stderr.read()}")
        try:
            urllib.request.urlopen(base + "/-/versions.json", timeout=2).read()
            break
        except OSError as exc:
            if time.monotonic() > deadline:
                process.kill()
                raise AssertionError("monitor serve did not answer within 60 s") from exc
            time.sleep(0.3)
    yield base
    process.terminate()
    process.wait(timeout=20)


def browser_page():
    """A headless Chromium page (its uncaught script errors in ``page.errors``), closed after."""
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        context = browser.new_context(viewport={"width": 1280, "height": 1000})
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.errors = errors
        yield page
        context.close()
        browser.close()


@pytest.fixture(scope="module")
def server(crawled):
    _browser_or_skip()
    yield from serving(crawled[0])


@pytest.fixture(scope="module")
def page(server):
    yield from browser_page()


def _chart_drawn(page, slug: str) -> None:
    """The vega-embed chart of ``slug`` drew marks (a canvas with pixels, or an svg with paths)."""
    page.wait_for_selector(f"#chart-{slug} canvas, #chart-{slug} svg", timeout=20_000)
    size = page.evaluate(f"""() => {{
        const el = document.querySelector('#chart-{slug} canvas, #chart-{slug} svg');
        const box = el.getBoundingClientRect();
        return [box.width, box.height];
    }}""")
    assert size[0] > 50 and size[1] > 50, f"{slug} chart is {size}"
    if page.query_selector(f"#chart-{slug} canvas"):
        painted = page.evaluate(f"""() => {{
            const c = document.querySelector('#chart-{slug} canvas');
            const data = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] > 0) n++;
            return n;
        }}""")
        assert painted > 500, f"{slug} canvas is blank"


def test_front_page_leads_to_the_dashboard_and_its_charts_render(page, server, db):
    page.goto(server + "/")
    link = page.get_by_role("link", name="Open the coverage dashboard →")
    assert link.is_visible()
    page.screenshot(path=str(ARTIFACTS / "index.png"))
    link.click()
    page.wait_for_url("**/-/dashboards/coverage")
    assert page.locator("h1").inner_text() == "Coverage of the story"
    for slug in ("per-day", "by-language", "top-outlets"):
        _chart_drawn(page, slug)
    page.wait_for_function("document.querySelector('#chart-stories p') !== null")
    stories = db.execute("select count(distinct cluster_id) from articles").fetchone()[0]
    articles = db.execute("select count(*) from articles").fetchone()[0]
    assert page.locator("#chart-stories p").inner_text() == str(stories)
    assert page.locator("#chart-copies p").inner_text() == str(articles - stories)
    page.wait_for_selector("#chart-first-reports table tbody tr")
    first = page.locator("#chart-first-reports tbody tr").count()
    assert (
        first
        == db.execute(
            "select count(distinct outlet) from articles where duplicate_of is null and published_at is not null"
        ).fetchone()[0]
    )
    page.wait_for_timeout(500)  # vega's transitions
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    assert not page.errors, page.errors


def test_dashboard_filters_drive_the_charts(page, server, db):
    page.goto(server + "/-/dashboards/coverage")
    page.select_option("#language", "hy")
    page.fill("#date_start", "2024-04-01")
    page.fill("#date_end", "2024-06-30")
    page.click("input[type=submit][value=Apply]")
    page.wait_for_url("**language=hy**")
    page.wait_for_function("document.querySelector('#chart-articles p') !== null")
    expected = db.execute(
        "select count(*) from articles where duplicate_of is null and language = 'hy' "
        "and date(published_at) between '2024-04-01' and '2024-06-30'"
    ).fetchone()[0]
    assert expected > 0 and page.locator("#chart-articles p").inner_text() == str(expected)
    _chart_drawn(page, "by-language")
    page.wait_for_selector("#chart-first-reports table tbody tr")
    languages = page.locator("#chart-first-reports tbody tr td:nth-child(3)").all_inner_texts()
    assert set(languages) == {"hy"}
    page.screenshot(path=str(ARTIFACTS / "dashboard-hy.png"), full_page=True)
    assert not page.errors, page.errors


def test_articles_table_with_a_facet_and_a_search(page, server, db):
    page.goto(server + "/monitor/articles")
    headers = page.locator("table.rows-and-columns th").all_inner_texts()
    assert [h.strip(" ▼▲\xa0") for h in headers] == [
        "id",
        "outlet",
        "title",
        "published_at",
        "language",
        "word_count",
        "relevance",
    ]
    page.locator(".facet-info[data-column=language] a", has_text="ru").first.click()
    page.wait_for_url("**language=ru**")
    page.fill("#_search", "Ходжалы*")
    page.locator("form.filters input[type=submit]").click()
    page.wait_for_url("**_search=**")
    rows = page.locator("table.rows-and-columns tbody tr")
    expected = db.execute(
        "select count(*) from articles where language = 'ru' and id in "
        "(select rowid from articles_fts where articles_fts match 'Ходжалы*')"
    ).fetchone()[0]
    assert expected > 0 and rows.count() == expected
    assert set(page.locator("td.col-language").all_inner_texts()) == {"ru"}
    title_link = page.locator("td.col-title a").first
    assert title_link.get_attribute("href").startswith("http://127.0.0.1:")
    page.screenshot(path=str(ARTIFACTS / "articles-ru-search.png"), full_page=True)

    page.locator("td.col-id a").first.click()  # the row page: the text as paragraphs
    assert page.locator(".article-text p").count() >= 2
    page.screenshot(path=str(ARTIFACTS / "article-row.png"), full_page=True)
    assert not page.errors, page.errors
