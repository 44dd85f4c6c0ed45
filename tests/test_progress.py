"""Progress of long crawls (media_monitor.crawling.progress): the lines and the terminal's status line."""

import os
import pty
import select
import subprocess
import sys
import time

import pytest

from media_monitor.crawling.progress import CLEAR_LINE, Snapshot, duration, progress_line, status_line
from tests.conftest import ROOT


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(0, "0 s"), (12.4, "12 s"), (250, "4 min 10 s"), (3900, "1 h 05 min"), (36000, "10 h 00 min")],
)
def test_duration(seconds, text):
    assert duration(seconds) == text


def snapshot(name="courier_en", fetched=12, queued=0, **counts) -> Snapshot:
    stats = {"monitor/articles_fetched": fetched, **{f"monitor/{k}": v for k, v in counts.items()}}
    stats["monitor/archive_requests_scheduled"] = queued + stats.get("monitor/archive_requests_sent", 0)
    return Snapshot.of(name, stats)


def test_a_progress_line_names_every_figure_and_the_time_left_at_the_archives_pace():
    line = progress_line(
        snapshot(
            queued=3600,
            links_listed=40,
            entries_outside_window=2,
            archive_listed=30,
            archive_source_captures=19,
            new=8,
            updated=1,
            duplicates=2,
            off_topic=3,
            archive_prefiltered=4,
            articles_failed=1,
            archive_requests_sent=50,
        ),
        delay=1.0,
    )
    assert line == (
        "courier_en: listed 42 (archive captures 49), fetched 12, stored 9, skipped 11, failed 1; "
        "archive queue 3600 (≈ 1 h 00 min at its pace)"
    )
    assert "archive queue" not in progress_line(snapshot(), delay=1.0)


def test_the_status_line_totals_and_fits_the_terminal():
    snapshots = [snapshot("a", fetched=5, queued=100, new=2), snapshot("b", fetched=7, new=3), snapshot("c", 1)]
    line = status_line(snapshots, delay=2.0, width=200)
    assert line.startswith("3 outlets · fetched 13 · stored 5 · skipped 0 · archive queue 100 ≈ 3 min 20 s")
    assert line.index("| a 5/2") < line.index("| b 7/3")  # the outlet with archive work first
    assert len(status_line(snapshots, delay=2.0, width=60)) <= 60


def test_on_a_terminal_a_crawl_redraws_one_status_line(tmp_path, site, sources):
    """stderr on a pseudo-terminal: the status line is drawn and cleared before each log line."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "media_monitor", "crawl", "--db", str(tmp_path / "m.db"), "--sources", str(sources)],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=terminal,
    )
    os.close(terminal)
    shown = b""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 1)
        if ready:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the crawl closed the terminal
                break
            if not chunk:
                break
            shown += chunk
        elif process.poll() is not None:
            break
    process.wait(30)
    os.close(controller)
    text = shown.decode("utf-8", "replace")
    assert process.returncode == 0, text[-3000:]
    assert " outlets · fetched " in text, text[-3000:]
    # Each log line clears the status line first; the crawl's end clears it for good.
    assert text.count(CLEAR_LINE) > text.count(" outlets · fetched ")
    assert text.rfind(CLEAR_LINE) > text.rfind(" outlets · fetched ")
