"""The reader and story screenshots of the docs (docs/screenshots/reader.png, story.png).

    python bench/screenshots.py [--out docs/screenshots]

Builds the tied database of the tests (tests/tieddb.py: 2,026 articles of four outlets, copies,
syndication clusters), serves it with `monitor serve` and opens, in headless Chromium (the
browser tests' Playwright and system Chromium), the reader of the last article of its widest
story and that story's page.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_browser import browser_page, serve  # noqa: E402
from tests.tieddb import build_tied_database  # noqa: E402

WIDEST_STORY = (
    "select cluster_id from clusters where size > 2 and outlet_count > 1 order by spread_minutes desc limit 1"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        db = build_tied_database(Path(folder) / "monitor.db")
        with sqlite3.connect(db) as connection:
            cluster = connection.execute(WIDEST_STORY).fetchone()[0]
            last = connection.execute(
                "select id from articles where cluster_id = ? order by published_at desc, id desc limit 1", (cluster,)
            ).fetchone()[0]
        for base in serve(db):
            for page in browser_page(width=1200, height=900):
                page.goto(f"{base}/monitor/articles/{last}")
                page.wait_for_selector(".monitor-reader")
                page.screenshot(path=str(args.out / "reader.png"), full_page=True)
                page.goto(f"{base}/monitor/-/story/{cluster}")
                page.wait_for_selector(".monitor-story")
                page.screenshot(path=str(args.out / "story.png"), full_page=True)
    print(f"wrote {args.out / 'reader.png'} and {args.out / 'story.png'}")


if __name__ == "__main__":
    main()
