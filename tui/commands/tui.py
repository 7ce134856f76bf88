"""`mailpath tui`: the walkthrough against real endpoints (or the lab's, from the environment).

The same inputs as `mailpath check` (tui.commands._inputs): boto3's credential chain with
--profile/--region, the system resolver or --nameserver, a stored relay profile. Without
--from or --to the intake opens to ask; without --path the walkthrough asks how the
message was sent.
"""

from __future__ import annotations

import argparse
import os
import sys
from dataclasses import replace


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "tui",
        help="walk a real setup in the TUI",
        description="Open the TUI on your own setup: live checks against AWS, DNS and SMTP "
        "(or the lab's endpoints from the environment). Without --from/--to the intake asks.",
    )
    from tui.commands import check

    check.add_path_arguments(p, "default: the walkthrough asks")
    check.add_run_arguments(p)
    check.add_relay_arguments(p)
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from checks.context import Context
    from tui.app import run_tui
    from tui.cli import UsageError
    from tui.commands._inputs import context_from_args, endpoints_from

    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise UsageError("no terminal for the TUI; use `mailpath check` (or --json)")
    env = os.environ
    if args.sender or env.get("MAILPATH_FROM"):
        ctx = context_from_args(args, env)
    else:
        ctx = Context(endpoints=endpoints_from(args, env))
    if not args.path:  # unless a relay bounce shows it, the walkthrough asks
        from tui.screens.intake import bounce_path

        path = bounce_path(ctx.inputs.bounce)
        ctx = Context(endpoints=ctx.endpoints, inputs=replace(ctx.inputs, path=path),
                      redactor=ctx.redactor)
    ready = bool(ctx.inputs.sender and ctx.inputs.recipients)
    return run_tui(ctx, start="walkthrough" if ready else "intake")
