"""The runner: dependency order, concurrency, timeouts, errors, skips and redaction."""

from __future__ import annotations

import asyncio

from checks.context import Context
from checks.endpoints import Endpoints
from checks.model import Layer, Status, failed, passed
from checks.registry import CheckError, Deps, Registry, check
from checks.runner import CheckFinished, CheckStarted, RunFinished, collect, run_checks
from checks.secrets import Redactor


def _registry() -> Registry:
    reg = Registry()

    @check("a.first", Layer.DNS, "first", registry=reg)
    async def first(ctx: Context, deps: Deps):
        await asyncio.sleep(0)
        return passed("ok", facts={"value": 41})

    @check("a.second", Layer.DNS, "second", needs=("a.first",), registry=reg)
    async def second(ctx: Context, deps: Deps):
        return passed(f"got {deps.fact('a.first', 'value') + 1}")

    @check("a.missing", Layer.SES, "needs a fact nobody gives", needs=("a.first",), registry=reg)
    async def missing(ctx: Context, deps: Deps):
        return passed(str(deps.fact("a.first", "nope")))

    @check("a.slow", Layer.SES, "hangs", timeout=0.05, registry=reg)
    async def slow(ctx: Context, deps: Deps):
        await asyncio.Event().wait()
        return passed("never")

    @check("a.error", Layer.GMAIL_RELAY, "cannot check", registry=reg)
    async def error(ctx: Context, deps: Deps):
        raise CheckError("Could not reach the relay: connection refused")

    @check("a.bug", Layer.GMAIL_RELAY, "has a bug", registry=reg)
    async def bug(ctx: Context, deps: Deps):
        raise ZeroDivisionError("canary-secret-value in a message")

    @check("a.leaky", Layer.RECIPIENT_MTA, "leaks", registry=reg)
    async def leaky(ctx: Context, deps: Deps):
        return failed("password canary-secret-value was rejected")

    return reg


async def _results():
    ctx = Context(redactor=Redactor(["canary-secret-value"]))
    return {r.check_id: r for r in await collect(_registry().all(), ctx)}


async def test_dependent_check_sees_facts_of_its_dependency():
    results = await _results()
    assert results["a.second"].summary == "got 42"


async def test_missing_fact_skips_with_the_reason():
    r = (await _results())["a.missing"]
    assert r.status is Status.SKIP
    assert "'nope'" in r.summary and "a.first" in r.summary


async def test_timeout_becomes_error_naming_the_limit():
    r = (await _results())["a.slow"]
    assert r.status is Status.ERROR and "0.05 s" in r.summary


async def test_check_error_and_bug_become_error_without_secrets():
    results = await _results()
    assert results["a.error"].status is Status.ERROR
    assert "connection refused" in results["a.error"].summary
    bug = results["a.bug"]
    assert bug.status is Status.ERROR and "ZeroDivisionError" in bug.summary
    assert "canary-secret-value" not in bug.outcome.explanation


async def test_outcomes_are_redacted():
    r = (await _results())["a.leaky"]
    assert "canary-secret-value" not in r.summary and "[REDACTED]" in r.summary


async def test_events_stream_started_before_finished_and_end_with_run_finished():
    seen: list[tuple[str, str]] = []
    last = None
    async for ev in run_checks(_registry().all(), Context()):
        if isinstance(ev, CheckStarted):
            seen.append(("start", ev.check.id))
        elif isinstance(ev, CheckFinished):
            seen.append(("end", ev.result.check_id))
        last = ev
    assert isinstance(last, RunFinished) and len(last.results) == 7
    assert seen.index(("end", "a.first")) < seen.index(("start", "a.second"))
    for cid in {c for _, c in seen}:
        assert seen.index(("start", cid)) < seen.index(("end", cid))


async def test_independent_checks_overlap():
    """Two checks that each wait for the other to start can only finish if run concurrently."""
    reg = Registry()
    started = {"x": asyncio.Event(), "y": asyncio.Event()}

    def make(me: str, other: str):
        async def fn(ctx: Context, deps: Deps):
            started[me].set()
            await started[other].wait()
            return passed(me)

        return fn

    check("p.x", Layer.DNS, "x", registry=reg)(make("x", "y"))
    check("p.y", Layer.DNS, "y", registry=reg)(make("y", "x"))
    ctx = Context(endpoints=Endpoints(timeout=5))
    results = await collect(reg.all(), ctx)
    assert [r.status for r in results] == [Status.PASS, Status.PASS]


async def test_memo_runs_a_lookup_once_for_concurrent_callers():
    ctx = Context()
    calls = 0

    async def lookup():
        nonlocal calls
        calls += 1
        await asyncio.sleep(0)
        return "answer"

    answers = await asyncio.gather(*(ctx.memo(("txt", "x"), lookup) for _ in range(5)))
    assert answers == ["answer"] * 5 and calls == 1
