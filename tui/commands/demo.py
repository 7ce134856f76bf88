"""`mailpath demo`: start the local lab and diagnose a scenario (the seed story by default)."""

from __future__ import annotations

import argparse


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
        from checks.lab import ScenarioError, load_scenario, start_lab
    except ImportError as exc:
        raise UsageError(
            f"the lab needs extra packages ({exc.name}): pip install -e '.[lab]'"
        ) from None
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        raise UsageError(str(exc)) from None
    with start_lab(scenario) as lab:
        ctx = Context(endpoints=lab.endpoints, inputs=lab.inputs)
        if args.headless or args.json:
            from tui.commands._output import diagnose_and_print

            return diagnose_and_print(ctx, None, as_json=args.json)
        from tui.app import run_tui

        return run_tui(ctx, scenario_name=scenario.name)
