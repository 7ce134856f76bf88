"""Runs checks concurrently in dependency order, each bounded by a timeout, streaming events."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass

from checks.context import Context
from checks.endpoints import Endpoints
from checks.model import CheckResult, Evidence, Outcome, Status
from checks.registry import UNSETTLED, Check, CheckError, Deps, MissingFact


@dataclass(frozen=True)
class CheckStarted:
    check: Check
    at: float  # monotonic seconds


@dataclass(frozen=True)
class CheckFinished:
    result: CheckResult
    started: float
    ended: float


@dataclass(frozen=True)
class RunFinished:
    results: tuple[CheckResult, ...]


Event = CheckStarted | CheckFinished | RunFinished


async def run_checks(checks: Iterable[Check], ctx: Context) -> AsyncIterator[Event]:
    """Yield events as checks start and finish; the last event is RunFinished.

    A check whose dependency is not among `checks` runs without it (its Deps lacks
    that result, so asking for its facts skips the check with the reason).
    """
    plan = {c.id: c for c in checks}
    queue: asyncio.Queue[Event] = asyncio.Queue()
    done: dict[str, asyncio.Future[CheckResult]] = {
        cid: asyncio.get_running_loop().create_future() for cid in plan
    }

    async def one(chk: Check) -> None:
        deps = {d: await done[d] for d in chk.needs if d in done}
        started = time.monotonic()
        await queue.put(CheckStarted(chk, started))
        outcome = await _run_one(chk, ctx, Deps(deps))
        ended = time.monotonic()
        result = CheckResult(chk.id, chk.layer, chk.title, outcome, int((ended - started) * 1000))
        done[chk.id].set_result(result)
        await queue.put(CheckFinished(result, started, ended))

    warm = [asyncio.create_task(_prefetch(c, ctx)) for c in plan.values() if c.prefetch]
    tasks = [asyncio.create_task(one(c)) for c in plan.values()]
    try:
        for _ in range(2 * len(tasks)):
            yield await queue.get()
    finally:
        for t in (*tasks, *warm):
            t.cancel()
    yield RunFinished(tuple(done[cid].result() for cid in plan))


async def collect(checks: Iterable[Check], ctx: Context) -> list[CheckResult]:
    """Run to the end and return the results, for callers that need no events."""
    async for event in run_checks(checks, ctx):
        if isinstance(event, RunFinished):
            return list(event.results)
    raise AssertionError("run ended without RunFinished")


async def _prefetch(chk: Check, ctx: Context) -> None:
    """Warm the run's cache for a check; its failures are the check's to meet and report."""
    assert chk.prefetch is not None
    try:
        async with asyncio.timeout(chk.timeout or ctx.endpoints.timeout):
            await chk.prefetch(ctx)
    except Exception:  # noqa: BLE001, S110 - the check itself asks again and reports
        pass


async def _run_one(chk: Check, ctx: Context, deps: Deps) -> Outcome:
    timeout = chk.timeout or ctx.endpoints.timeout
    try:
        async with asyncio.timeout(timeout):
            outcome = await chk.fn(ctx, deps)
    except MissingFact as exc:
        facts = {UNSETTLED: exc.root} if exc.root else {}
        return Outcome(Status.SKIP, f"Skipped: {exc}", facts=facts)
    except CheckError as exc:
        return Outcome(
            Status.ERROR,
            ctx.redactor(str(exc)),
            ctx.redactor(exc.explanation),
            evidence=tuple(e for e in exc.evidence if isinstance(e, Evidence)),
        )
    except TimeoutError:
        return _timed_out(timeout, own=chk.timeout is not None)
    except Exception as exc:  # noqa: BLE001 - one bug must not sink the whole diagnosis
        return Outcome(
            Status.ERROR,
            f"Could not check: internal error ({type(exc).__name__})",
            ctx.redactor(f"{type(exc).__name__}: {exc}"),
        )
    return _redacted(outcome, ctx)


#: the per-check time limit when --timeout is not given
_DEFAULT_TIMEOUT = next(f.default for f in dataclasses.fields(Endpoints) if f.name == "timeout")


def _timed_out(timeout: float, *, own: bool) -> Outcome:
    """A check stopped at its time limit. When that is the configured one (--timeout), say
    so: a short limit is no sign that a server is at fault."""
    if own:  # the check's own limit, not the user's
        return Outcome(Status.ERROR, f"Could not check: no answer within {timeout:g} s",
                       "The check was stopped at its time limit; the rest of the diagnosis "
                       "went on.")
    return Outcome(
        Status.ERROR,
        f"Could not check: no answer within {timeout:g} s, the time limit per check "
        "(--timeout)",
        f"The check ran out of the configured time ({timeout:g} s per check, set with "
        f"--timeout; the default is {_DEFAULT_TIMEOUT:g} s) before the answers it needed "
        "came back. With a short limit that is no sign that a server is at fault: run "
        "again with a larger --timeout. The rest of the diagnosis went on.",
    )


def _redacted(outcome: Outcome, ctx: Context) -> Outcome:
    """Last line of defence: no known secret leaves a check, whatever the check did."""
    r = ctx.redactor
    return Outcome(
        outcome.status,
        r(outcome.summary),
        r(outcome.explanation),
        tuple(Evidence(r(e.label), r(e.content), e.kind) for e in outcome.evidence),
        outcome.fix,
        outcome.facts,
        outcome.explains,
    )
