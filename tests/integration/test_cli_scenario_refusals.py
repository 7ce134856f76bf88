"""Scenario files the lab must refuse: one line on stderr, exit 2, nothing started."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from checks.lab.scenario import SCENARIO_DIR

MAILPATH = [sys.executable, "-m", "tui"]
SEED = (SCENARIO_DIR / "seed.toml").read_text(encoding="utf-8")


def _env() -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR", "VIRTUAL_ENV"}
    return {k: v for k, v in os.environ.items() if k in keep}


def _variant(tmp_path: Path, text: str) -> str:
    path = tmp_path / "mine.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


VARIANTS = {
    "top region": (lambda s: re.sub(r'^region = ".*"', 'region = "xx-nope-1"', s, count=1,
                                    flags=re.M), "region: 'xx-nope-1' is not an AWS region"),
    "password region": (lambda s: s.replace('region = "us-east-1" }', 'region = "nope" }'),
                        "relay.password.region: 'nope'"),
    "negative delay": (lambda s: s.replace("[input]", "delay = -5\n[input]", 1),
                       "delay: must be a number from 0 to 10"),
    "huge delay": (lambda s: s.replace("[input]", "delay = 1e308\n[input]", 1),
                   "delay: must be a number from 0 to 10"),
    "huge generate": (lambda s: s.replace("[ses]", "[ses]\ngenerate_suppressed = 100000000", 1),
                      "generate_suppressed: must be a number from 0 to 200,000"),
}


@pytest.mark.parametrize("command", [("demo", "--headless"), ("lab",)])
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_bad_scenario_is_one_line_exit_2(tmp_path: Path, command: tuple[str, ...],
                                         variant: str) -> None:
    change, needle = VARIANTS[variant]
    path = _variant(tmp_path, change(SEED))
    proc = subprocess.run([*MAILPATH, *command, "--scenario", path], capture_output=True,
                          text=True, timeout=60, env=_env(), stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stdout == ""


def test_unknown_scenario_is_named_before_the_missing_terminal() -> None:
    proc = subprocess.run([*MAILPATH, "demo", "--scenario", "nope"], capture_output=True,
                          text=True, timeout=60, env=_env(), stdin=subprocess.DEVNULL)
    assert proc.returncode == 2
    assert "unknown scenario 'nope'" in proc.stderr and "no terminal" not in proc.stderr


@pytest.mark.parametrize("value", ["11", "nan", "-1", "1e308"])
def test_lab_delay_flag_is_bounded(value: str) -> None:
    proc = subprocess.run([*MAILPATH, "lab", "--delay", value], capture_output=True, text=True,
                          timeout=60, env=_env(), stdin=subprocess.DEVNULL)
    assert proc.returncode == 2 and "--delay must be a number of seconds from 0 to 10" in \
        proc.stderr and proc.stdout == ""
