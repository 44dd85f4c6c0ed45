"""`monitor schedule`: crawl on an interval or a cron expression, each outlet at its own pace.

Every tick, the outlets whose ``next_crawl_at`` (in ``outlet_health``, set by each run from
``media_monitor.storage.health.next_interval``) has come are crawled in one child `monitor crawl` process: a
fresh reactor each time, and a crash that cannot take the scheduler down. An outlet still being
crawled is left out of the tick's crawl, and the others are not kept waiting for it: the next
tick starts its own child. Each outlet's crawl stops itself at its budget
(``MONITOR_OUTLET_BUDGET``, ``media_monitor.crawling.bounds.OutletBudget``); a child still running
``GRACE`` seconds later gets SIGTERM, and ``GRACE`` after that SIGKILL. SIGTERM or SIGINT is
passed to the running crawls, which finish the items in flight and record their runs as
``interrupted``; then the scheduler exits.
"""

from __future__ import annotations

import logging
import re
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from cronsim import CronSim

from media_monitor.db import open_database
from media_monitor.operations.lastgood import LastGoodConfig

logger = logging.getLogger(__name__)
UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
GRACE = 120.0  # seconds a crawl past its budget has to stop: requests in flight, then the records
POLL = 1.0  # seconds between two looks at the running crawls


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
class Crawl:
    """A running child `monitor crawl`: its outlets, and when it must have ended."""

    process: subprocess.Popen
    outlets: list[str]
    started: datetime
    deadline: float | None  # time.monotonic(); None: no budget
    terminated: bool = False


@dataclass
class Scheduler:
    db: str
    schedule: Cadence
    sources: str | None = None
    outlets: list[str] = field(default_factory=list)
    crawl_args: list[str] = field(default_factory=list)  # passed on to `monitor crawl`
    max_runs: int | None = None
    budget: float = 0.0  # MONITOR_OUTLET_BUDGET of the crawls: each must end by budget + GRACE
    stopping: threading.Event = field(default_factory=threading.Event)
    running: list[Crawl] = field(default_factory=list)
    topic: str | None = None
    config: LastGoodConfig = field(init=False)

    def __post_init__(self):
        self.config = LastGoodConfig.create(self.db, self.sources, self.topic, self.outlets)

    def due(self, now: datetime) -> list[str]:
        """The outlets whose time has come, but for those a running crawl has not recorded yet."""
        self.config.refresh()  # a file broken since: logged once, its last good copy crawled
        names = self.config.names
        db = open_database(self.db)
        try:
            health = {r["outlet"]: r for r in db.query("select outlet, next_crawl_at, last_run_at from outlet_health")}
        finally:
            db.close()

        def waiting(name: str) -> bool:
            row = health.get(name) or {}
            last, next_at = row.get("last_run_at"), row.get("next_crawl_at")
            if any(name in c.outlets and (not last or datetime.fromisoformat(last) <= c.started) for c in self.running):
                return False  # a running crawl has not recorded it yet
            return not next_at or datetime.fromisoformat(next_at) <= now

        return [name for name in names if waiting(name)]

    def start(self, names: list[str], now: datetime) -> Crawl:
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
        deadline = time.monotonic() + self.budget + GRACE if self.budget > 0 else None
        started = now.replace(microsecond=0)  # as the run records times: to the second
        # The good copies' options last: they win over a --sources or --topic of crawl_args.
        process = subprocess.Popen(command + self.crawl_args + self.config.crawl_options())
        crawl = Crawl(process, names, started, deadline)
        self.running.append(crawl)
        return crawl

    def reap(self) -> None:
        """Forget the crawls that ended; stop those past their deadline (SIGTERM, then SIGKILL)."""
        for crawl in list(self.running):
            code = crawl.process.poll()
            if code is not None:
                self.running.remove(crawl)
                stopped = self.stopping.is_set() and code == -signal.SIGTERM  # before Scrapy's handlers
                if code not in (0, 1) and not stopped:  # 1: every outlet failed, which health records
                    logger.error("The crawl of %s exited with %s", ", ".join(crawl.outlets), code)
            elif crawl.deadline is not None and time.monotonic() > crawl.deadline:
                if crawl.terminated:
                    logger.error("The crawl of %s ignored SIGTERM: killed", ", ".join(crawl.outlets))
                    crawl.process.kill()
                else:
                    logger.error(
                        "The crawl of %s overran its budget (%gs): stopping it", ", ".join(crawl.outlets), self.budget
                    )
                    crawl.process.send_signal(signal.SIGTERM)  # Scrapy stops gracefully and marks the run
                    crawl.terminated, crawl.deadline = True, time.monotonic() + GRACE

    def stop(self, signum, frame) -> None:
        logger.warning("Signal %s: finishing the crawls in flight, then stopping", signum)
        self.stopping.set()
        for crawl in self.running:
            if crawl.process.poll() is None:
                crawl.process.send_signal(signal.SIGTERM)

    def run(self) -> int:
        """Tick until stopped (or ``max_runs`` crawls); return how many crawls ran.

        A tick starts a crawl of the due outlets that no running crawl holds (an outlet is free
        once its part of a run is recorded), so an outlet whose crawl runs long never delays
        the others."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        runs = 0
        tick = datetime.now(UTC)
        while not self.stopping.is_set() and (self.max_runs is None or runs < self.max_runs):
            self.reap()
            now = datetime.now(UTC)
            names = self.due(now)
            if names:
                logger.info("Crawling %s", ", ".join(names))
                self.start(names, now)
                runs += 1
            else:
                logger.info("No outlet is due")
            tick = self.schedule.next_tick(max(tick, now))
            while not self.stopping.is_set() and datetime.now(UTC) < tick:
                # Wake for the next tick, and meanwhile for the running crawls' deadlines.
                self.stopping.wait(min(POLL, max(0.0, (tick - datetime.now(UTC)).total_seconds())))
                self.reap()
                if self.max_runs is not None and runs >= self.max_runs and not self.running:
                    break
        while self.running:  # the last crawls, or those a signal is stopping
            self.stopping.wait(POLL)
            self.reap()
        return runs
