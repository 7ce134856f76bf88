"""`mailpath demo`: start the local lab and diagnose a scenario (the seed story by default)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
from collections.abc import AsyncIterator
from functools import partial
from pathlib import Path
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
    """Headless: read the scenario and start the lab first. TUI: open the app at once and
    do both after its first frame (run_tui_with)."""
    from checks.context import Context
    from tui.cli import UsageError

    if args.headless or args.json:
        from checks.lab import ScenarioError
        from tui.commands._output import diagnose_and_print

        scenario = scenario_or_usage(args.scenario)
        try:
            with _lab_module().start_lab(scenario) as lab:
                ctx = Context(endpoints=lab.endpoints, inputs=lab.inputs)
                return diagnose_and_print(ctx, None, as_json=args.json)
        except ScenarioError as exc:  # refused by the lab before anything started
            raise UsageError(str(exc)) from None
    from tui.app import run_tui_with
    from tui.demo_home import private_config
    from tui.startup import StartupRefused

    with private_config() as config:  # settings, keyring: the demo's own, never the user's
        try:
            return run_tui_with(partial(lab_context, args.scenario, config),
                                scenario_name=args.scenario, config=config)
        except StartupRefused as exc:
            raise UsageError(str(exc)) from None


def scenario_or_usage(name: str) -> Scenario:
    """The scenario, or a UsageError with the loader's one line."""
    from checks.lab import ScenarioError, load_scenario
    from tui.cli import UsageError

    try:
        return load_scenario(name)
    except ScenarioError as exc:
        raise UsageError(str(exc)) from None


@contextlib.asynccontextmanager
async def lab_context(name: str, config: Path | None = None) -> AsyncIterator[Context]:
    """The lab as a context provider: the scenario is read, the lab's modules load and it
    starts off the event loop, after the first frame. Bad input is a StartupRefused.
    With `config`, the demo's private settings and keyring are seeded from the lab."""
    from checks.context import Context

    lab, scenario = await asyncio.to_thread(_prepare_lab, name)
    async with lab.open_lab(scenario) as running:
        ctx = Context(endpoints=running.endpoints, inputs=running.inputs)
        if config is not None:
            from tui.demo_home import private_state

            await asyncio.to_thread(private_state, ctx, config)
        yield ctx


def _prepare_lab(name: str) -> tuple[Any, Scenario]:
    from checks.lab import ScenarioError, load_scenario
    from tui.cli import UsageError
    from tui.startup import StartupRefused

    try:
        return _lab_module(), load_scenario(name)
    except (ScenarioError, UsageError) as exc:
        raise StartupRefused(str(exc)) from None


def _lab_module() -> Any:
    """checks.lab.lab (moto, aiosmtpd…), or a UsageError naming the missing package."""
    from tui.cli import UsageError

    try:
        return importlib.import_module("checks.lab.lab")
    except ImportError as exc:
        raise UsageError(
            f"the lab needs extra packages ({exc.name}): pip install -e '.[lab]'"
        ) from None
