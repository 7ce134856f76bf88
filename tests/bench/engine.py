"""Diagnosis speed against its two yardsticks, measured in one run on one lab.

The lab adds `delay` seconds to every network round trip. Then, on the seed scenario:
- wall: the real, concurrent diagnosis, start to RunFinished;
- critical path: the longest chain of dependent checks, from that run's own events
  (a check's chain = its own start-to-end time + the longest chain among its `needs`);
- sequential: the same checks awaited one after another (dependencies first).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from checks import session
from checks.context import Context
from checks.model import CheckResult
from checks.registry import Check, Deps
from checks.runner import CheckFinished, RunFinished, _run_one, run_checks


@dataclass(frozen=True)
class EngineFigures:
    wall: float
    critical_path: float
    sequential: float
    checks: int
    chain: tuple[str, ...]
    #: a whole one-shot `mailpath check` process (start-up, imports, boto3's models) on
    #: the warmed-up lab: what a user at the shell waits
    one_shot: float = 0.0

    @property
    def vs_critical(self) -> float:
        return self.wall / self.critical_path

    @property
    def speedup(self) -> float:
        return self.sequential / self.wall


def critical_path(checks: Iterable[Check], spans: Mapping[str, tuple[float, float]]
                  ) -> tuple[float, tuple[str, ...]]:
    """Length and ids of the longest dependent chain; `spans` is id -> (started, ended)."""
    plan = {c.id: c for c in checks}
    memo: dict[str, tuple[float, tuple[str, ...]]] = {}

    def chain(cid: str) -> tuple[float, tuple[str, ...]]:
        if cid not in memo:
            before = max((chain(d) for d in plan[cid].needs if d in spans),
                         default=(0.0, ()))
            start, end = spans[cid]
            memo[cid] = (before[0] + end - start, (*before[1], cid))
        return memo[cid]

    return max((chain(cid) for cid in spans), default=(0.0, ()))


async def timed_run(checks: Sequence[Check], ctx: Context
                    ) -> tuple[float, dict[str, tuple[float, float]]]:
    """Wall seconds of one concurrent run and each check's (started, ended)."""
    spans: dict[str, tuple[float, float]] = {}
    start = time.monotonic()
    async for event in run_checks(checks, ctx):
        if isinstance(event, CheckFinished):
            spans[event.result.check_id] = (event.started, event.ended)
        if isinstance(event, RunFinished):
            break
    return time.monotonic() - start, spans


async def sequential_run(checks: Sequence[Check], ctx: Context) -> float:
    """The same checks, one at a time, in the plan's dependency-safe order."""
    done: dict[str, CheckResult] = {}
    start = time.monotonic()
    for chk in checks:
        deps = Deps({d: done[d] for d in chk.needs if d in done})
        outcome = await _run_one(chk, ctx, deps)
        done[chk.id] = CheckResult(chk.id, chk.layer, chk.title, outcome)
    return time.monotonic() - start


async def measure(scenario: str = "seed", delay: float = 0.05, rounds: int = 3) -> EngineFigures:
    """Best of `rounds` for each figure, after one warm-up run (imports, boto3's models;
    the lab's own first answers are slow too); `one_shot` is the best of two whole
    `mailpath check` processes run after that."""
    from tests.bench.labproc import context_of, lab_process

    with lab_process(scenario, delay) as env:
        def fresh() -> Context:
            return context_of(env)

        checks = session.plan(session.layers_for(fresh()))
        await timed_run(checks, fresh())
        shot = min(one_shot_check(env) for _ in range(2))
        runs = [await timed_run(checks, fresh()) for _ in range(rounds)]
        seq = min([await sequential_run(checks, fresh()) for _ in range(max(1, rounds - 1))])
    wall, spans = min(runs, key=lambda r: r[0] / critical_path(checks, r[1])[0])
    length, chain = critical_path(checks, spans)
    return EngineFigures(wall, length, seq, len(checks), chain, shot)


def one_shot_check(env: Mapping[str, str]) -> float:
    """Wall seconds of one `mailpath check` process against the lab (its exit code is the
    diagnosis's: 1 for the seed's faults)."""
    import os
    import subprocess
    import sys

    start = time.monotonic()
    subprocess.run([sys.executable, "-m", "tui", "check", "--json"], env={**os.environ, **env},
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False, timeout=120)
    return time.monotonic() - start


def slowest(spans: Mapping[str, tuple[float, float]], n: int = 5) -> list[tuple[str, float]]:
    return sorted(((k, e - s) for k, (s, e) in spans.items()), key=lambda x: -x[1])[:n]


if __name__ == "__main__":
    figures = asyncio.run(measure())
    print(figures, f"vs critical {figures.vs_critical:.2f}x, speedup {figures.speedup:.1f}x")
