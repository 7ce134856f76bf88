"""Deps.known: a dependency that could not be checked is not a fact. Its default reads only
when the dependency settled (passed, failed, skipped for its own reason); when it ended as
error, or was skipped for a dependency that did, the check is skipped naming it."""

from __future__ import annotations

from checks.context import Context
from checks.model import CheckResult, Layer, Status, passed, skipped
from checks.registry import CheckError, Deps, Registry, check
from checks.runner import collect


def _registry(first_fails: bool) -> Registry:
    reg = Registry()

    @check("x.account", Layer.SES, "account", registry=reg)
    async def account(ctx: Context, deps: Deps):
        if first_fails:
            raise CheckError("Could not reach the AWS endpoint")
        return passed("production")  # no "sandbox" fact: its default applies

    @check("x.middle", Layer.SES, "middle", needs=("x.account",), registry=reg)
    async def middle(ctx: Context, deps: Deps):
        deps.known("x.account", "identity")
        return skipped("No identity for the sender")  # settled: skipped for its own reason

    @check("x.sandbox", Layer.SES, "sandbox", needs=("x.account",), registry=reg)
    async def sandbox(ctx: Context, deps: Deps):
        if not deps.known("x.account", "sandbox", False):
            return skipped("The account is not in the sandbox")
        return passed("sandbox")

    @check("x.tokens", Layer.DNS, "tokens", needs=("x.middle",), registry=reg)
    async def tokens(ctx: Context, deps: Deps):
        if not deps.known("x.middle", "tokens"):
            return skipped("No tokens to check")
        return passed("tokens")

    @check("x.loose", Layer.DNS, "loose", needs=("x.middle",), registry=reg)
    async def loose(ctx: Context, deps: Deps):
        return passed(f"unsettled: {deps.unsettled('x.middle')}")

    return reg


async def _run(first_fails: bool) -> dict[str, CheckResult]:
    return {r.check_id: r for r in await collect(_registry(first_fails).all(), Context())}


async def test_a_settled_dependency_gives_its_default() -> None:
    results = await _run(first_fails=False)
    assert results["x.sandbox"].summary == "The account is not in the sandbox"
    assert results["x.tokens"].summary == "No tokens to check"
    assert results["x.loose"].summary == "unsettled: None"


async def test_an_errored_dependency_skips_naming_it() -> None:
    results = await _run(first_fails=True)
    sandbox = results["x.sandbox"]
    assert sandbox.status is Status.SKIP
    assert sandbox.summary == (
        "Skipped: needs 'sandbox' from x.account, but it ended as error")


async def test_a_skip_for_an_errored_dependency_passes_the_cause_on() -> None:
    results = await _run(first_fails=True)
    assert results["x.middle"].summary == (
        "Skipped: needs 'identity' from x.account, but it ended as error")
    assert results["x.tokens"].summary == (
        "Skipped: needs 'tokens' from x.middle, but it was skipped: x.account ended as error")
    assert results["x.loose"].summary == "unsettled: x.account"
