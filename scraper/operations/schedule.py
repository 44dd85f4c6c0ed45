"""`monitor schedule`: crawl on an interval or a cron expression, each outlet at its own pace.

Every tick, the outlets whose ``next_crawl_at`` (in ``outlet_health``, set by each run from
``media_monitor.storage.health.next_interval``) has come are crawled in one child `monitor crawl` process: a
fresh reactor each time, and a crash that cannot take the scheduler down. SIGTERM or SIGINT
is passed to the running crawl, which finishes the items in flight and records the run as
``interrupted``; then the scheduler exits.
"""

from __future__ import annotations

import logging
import re
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cronsim import CronSim

from media_monitor.db import open_database
from media_monitor.operations.lastgood import LastGoodConfig

logger = logging.getLogger(__name__)
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_every(text: str) -> float:
    """'30m' -> 1800.0; units s, m, h, d."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text or "")
    if not match or float(match[1]) <= 0:
        raise ValueError(f"{text!r} is not an interval such as 90s, 30m, 2h or 1d")
    return float(match[1]) * UNITS[match[2]]


@dataclass
class Cadence:
    """When to tick: every ``every`` seconds, or at the times of a cron expression."""

    every: float | None = None
    cron: str | None = None

    def __post_init__(self):
        if (self.every is None) == (self.cron is None):
            raise ValueError("give an interval or a cron expression, not both")
        if self.cron:
            CronSim(self.cron, datetime.now(UTC))  # raises CronSimError when malformed

    def next_tick(self, after: datetime) -> datetime:
        if self.every is not None:
            return after + timedelta(seconds=self.every)
        return next(CronSim(self.cron, after))

    def base_interval(self, now: datetime) -> float:
        """The pace an outlet starts from: the interval, or the gap between two cron ticks."""
        if self.every is not None:
            return self.every
        first = self.next_tick(now)
        return (self.next_tick(first) - first).total_seconds()


@dataclass
class Scheduler:
    db: str
    schedule: Cadence
    sources: str | None = None
    outlets: list[str] = field(default_factory=list)
    crawl_args: list[str] = field(default_factory=list)  # passed on to `monitor crawl`
    max_runs: int | None = None
    stopping: threading.Event = field(default_factory=threading.Event)
    child: subprocess.Popen | None = None
    topic: str | None = None
    config: LastGoodConfig = field(init=False)

    def __post_init__(self):
        self.config = LastGoodConfig.create(self.db, self.sources, self.topic, self.outlets)

    def due(self, now: datetime) -> list[str]:
        self.config.refresh()  # a file broken since: logged once, its last good copy crawled
        names = self.config.names
        db = open_database(self.db)
        try:
            next_at = {
                r["outlet"]: r["next_crawl_at"] for r in db.query("select outlet, next_crawl_at from outlet_health")
            }
        finally:
            db.close()
        return [n for n in names if not next_at.get(n) or datetime.fromisoformat(next_at[n]) <= now]

    def crawl(self, names: list[str], now: datetime) -> int:
        command = [
            sys.executable,
            "-m",
            "media_monitor",
            "crawl",
            "--db",
            self.db,
            "--set",
            f"MONITOR_POLL_INTERVAL={self.schedule.base_interval(now)}",
        ]
        for name in names:
            command += ["--outlet", name]
        # The good copies' options last: they win over a --sources or --topic of crawl_args.
        self.child = subprocess.Popen(command + self.crawl_args + self.config.crawl_options())
        try:
            return self.child.wait()
        finally:
            self.child = None

    def stop(self, signum, frame) -> None:
        logger.warning("Signal %s: finishing the crawl in flight, then stopping", signum)
        self.stopping.set()
        if self.child and self.child.poll() is None:
            self.child.send_signal(signal.SIGTERM)  # Scrapy stops gracefully and marks the run

    def run(self) -> int:
        """Tick until stopped (or ``max_runs`` crawls); return how many crawls ran."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        runs = 0
        tick = datetime.now(UTC)
        while not self.stopping.is_set() and (self.max_runs is None or runs < self.max_runs):
            now = datetime.now(UTC)
            names = self.due(now)
            if names:
                logger.info("Crawling %s", ", ".join(names))
                code = self.crawl(names, now)
                runs += 1
                if code not in (0, 1):  # 1: every outlet failed, which health records
                    logger.error("The crawl exited with %s", code)
            else:
                logger.info("No outlet is due")
            tick = self.schedule.next_tick(max(tick, now))
            wait = (tick - datetime.now(UTC)).total_seconds()
            if self.max_runs is not None and runs >= self.max_runs:
                break
            self.stopping.wait(max(0.0, wait))
        return runs
