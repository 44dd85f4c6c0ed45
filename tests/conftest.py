"""Shared fixtures: the sample site on 127.0.0.1 and real crawls of it into SQLite files.

Crawls run as `python -m media_monitor crawl` subprocesses: Twisted's reactor runs once per process,
and a subprocess is also how operators and schedulers run the monitor.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import sqlite_utils

from media_monitor.samplesite import SampleSite
from media_monitor.samplesite.server import MANIFEST

ROOT = Path(__file__).resolve().parent.parent


def pytest_configure(config):
    """No test reaches a real web archive: each archive is off (an empty address, which the
    settings read from the environment, in this process and every crawl a test starts) unless
    the test points it at the stand-in archive (tests/test_archive_*.py: --set
    MONITOR_WAYBACK_URL=…). Set before the test modules, and so the settings, are imported."""
    for name in ("MONITOR_WAYBACK_URL", "MONITOR_CC_INDEX_URL", "MONITOR_CC_DATA_URL"):
        os.environ[name] = ""


FAST = ["--set", "AUTOTHROTTLE_ENABLED=False", "--set", "CONCURRENT_REQUESTS_PER_DOMAIN=8"]


def run_monitor(*args: str, env: dict | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "media_monitor", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
    )


def crawl(db: Path, sources: Path, *extra: str) -> subprocess.CompletedProcess:
    result = run_monitor("crawl", "--db", str(db), "--sources", str(sources), *FAST, *extra)
    assert "Traceback" not in result.stderr, result.stderr
    return result


@pytest.fixture(scope="session")
def manifest() -> list[dict]:
    return tomllib.loads(MANIFEST.read_text("utf-8"))["page"]


@pytest.fixture(scope="session")
def site():
    with SampleSite() as served:
        yield served


@pytest.fixture(scope="session")
def sources(site, tmp_path_factory) -> Path:
    return site.write_sources(tmp_path_factory.mktemp("sources") / "sources.toml")


@pytest.fixture(scope="session")
def crawled(site, sources, tmp_path_factory):
    """A database after two crawls of the sample site; returns (db path, first, second result)."""
    db = tmp_path_factory.mktemp("crawl") / "monitor.db"
    first = crawl(db, sources)
    requests_after_first = list(site.requests)
    second = crawl(db, sources)
    return db, first, second, requests_after_first


@pytest.fixture
def db(crawled) -> sqlite_utils.Database:
    return sqlite_utils.Database(crawled[0])


@pytest.fixture(scope="session")
def tied(tmp_path_factory) -> Path:
    """The database of 2,026 articles with tied publication times (tests/tieddb.py), built once
    for every module that reads it; a test that changes it works on a copy."""
    from tests.tieddb import build_tied_database  # imports the settings: after pytest_configure

    return build_tied_database(tmp_path_factory.mktemp("tied") / "tied.db")
