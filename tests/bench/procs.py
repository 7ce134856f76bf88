"""Child processes timed and measured: wall seconds and peak RSS of each run (os.wait4)."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mb: float
    returncode: int
    stdout: str


def run(argv: Sequence[str], *, timeout: float = 600) -> Run:
    """Run to the end; stdout kept (text), stderr dropped."""
    start = time.perf_counter()
    proc = subprocess.Popen(list(argv), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                            cwd=REPO, text=True)
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    return Run(seconds, usage.ru_maxrss / 1024, proc.returncode, out)


def median_runs(argv: Sequence[str], n: int) -> tuple[float, float]:
    """(median seconds, max peak RSS MB) over n runs."""
    runs = [run(argv, timeout=60) for _ in range(n)]
    return statistics.median(r.seconds for r in runs), max(r.peak_rss_mb for r in runs)


def paired(a: Sequence[str], b: Sequence[str], n: int) -> tuple[tuple[float, float],
                                                                 tuple[float, float]]:
    """a and b alternately, n times each, so machine noise hits both alike."""
    ra: list[Run] = []
    rb: list[Run] = []
    for _ in range(n):
        ra.append(run(a, timeout=60))
        rb.append(run(b, timeout=60))
    return ((statistics.median(r.seconds for r in ra), max(r.peak_rss_mb for r in ra)),
            (statistics.median(r.seconds for r in rb), max(r.peak_rss_mb for r in rb)))
