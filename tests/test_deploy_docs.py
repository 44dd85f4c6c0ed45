"""The systemd units and the crontab shipped in docs/deploy are well-formed."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from cronsim import CronSim

from tests.conftest import ROOT

DEPLOY = ROOT / "docs" / "deploy"
SHIPPED_MONITOR = "/opt/media-monitor/.venv/bin/monitor"


def _unit(name: str) -> configparser.ConfigParser:
    parser = configparser.ConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # systemd keys are case-sensitive
    parser.read_string((DEPLOY / name).read_text())
    return parser


@pytest.mark.parametrize("name", ["media-monitor-crawl.service", "media-monitor-schedule.service"])
def test_services_run_the_monitor(name):
    unit = _unit(name)
    assert {"Unit", "Service", "Install"} <= set(unit.sections())
    command = unit["Service"]["ExecStart"].split()
    assert command[0] == SHIPPED_MONITOR and command[1] in ("crawl", "schedule")
    assert unit["Service"]["TimeoutStopSec"].isdigit()


def test_timer_starts_the_crawl_service():
    timer = _unit("media-monitor-crawl.timer")
    assert timer["Timer"]["OnCalendar"] == "hourly" and timer["Install"]["WantedBy"] == "timers.target"


def test_units_pass_systemd_analyze_verify(tmp_path):
    analyze = shutil.which("systemd-analyze")
    if not analyze:
        pytest.skip("systemd-analyze is not installed")
    monitor = Path(sys.executable).parent / "monitor"
    for name in ("media-monitor-crawl.service", "media-monitor-crawl.timer", "media-monitor-schedule.service"):
        text = (DEPLOY / name).read_text().replace(SHIPPED_MONITOR, str(monitor)).replace("User=monitor\n", "")
        (tmp_path / name).write_text(text)
    result = subprocess.run(
        [analyze, "verify", *(str(p) for p in sorted(tmp_path.iterdir()))], capture_output=True, text=True
    )
    problems = [line for line in result.stderr.splitlines() if "media-monitor" in line and "Documentation" not in line]
    assert result.returncode == 0 and not problems, result.stderr


def test_crontab_lines_parse():
    lines = [
        line for line in (DEPLOY / "crontab").read_text().splitlines() if line.strip() and not line.startswith("#")
    ]
    assert lines
    for line in lines:
        fields = line.split(None, 5)
        CronSim(" ".join(fields[:5]), datetime(2024, 4, 17))  # raises when malformed
        assert "monitor " in fields[5]
    assert any("monitor crawl" in line for line in lines)
    assert any("status" in line and "--check" in line for line in lines)
