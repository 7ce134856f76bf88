"""`mailpath demo`: start the local lab and diagnose a scenario (the seed story by default)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
from collections.abc import AsyncIterator
from functools import partial
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from checks.context import Context
    from checks.lab import Scenario


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "demo",
        help="run a scenario in the local lab (seed by default)",
        description="Start local stand-ins for AWS, DNS, SMTP and HTTPS on loopback and "
        "diagnose a scenario against them. Touches no real account and no real keyring.",
    )
    p.add_argument("--scenario", default="seed", metavar="NAME|PATH",
                   help="a built-in scenario name or a scenario .toml file (default: seed)")
    p.add_argument("--headless", action="store_true", help="print the report instead of the TUI")
    p.add_argument("--json", action="store_true", help="with --headless: print JSON")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from checks.context import Context
    from tui.cli import UsageError

    try:
        from checks.lab import ScenarioError, load_scenario
    except ImportError as exc:
        raise UsageError(
            f"the lab needs extra packages ({exc.name}): pip install -e '.[lab]'"
        ) from None
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        raise UsageError(str(exc)) from None
    if args.headless or args.json:
        from tui.commands._output import diagnose_and_print

        with _lab_module().start_lab(scenario) as lab:
            ctx = Context(endpoints=lab.endpoints, inputs=lab.inputs)
            return diagnose_and_print(ctx, None, as_json=args.json)
    from tui.app import run_tui_with

    return run_tui_with(partial(lab_context, scenario), scenario_name=scenario.name)


@contextlib.asynccontextmanager
async def lab_context(scenario: Scenario) -> AsyncIterator[Context]:
    """The lab as a context provider: its modules load and it starts off the event loop."""
    from checks.context import Context

    lab = await asyncio.to_thread(_lab_module)
    async with lab.open_lab(scenario) as running:
        yield Context(endpoints=running.endpoints, inputs=running.inputs)


def _lab_module() -> Any:
    """checks.lab.lab (moto, aiosmtpd…), or a UsageError naming the missing package."""
    from tui.cli import UsageError

    try:
        return importlib.import_module("checks.lab.lab")
    except ImportError as exc:
        raise UsageError(
            f"the lab needs extra packages ({exc.name}): pip install -e '.[lab]'"
        ) from None
