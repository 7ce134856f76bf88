"""`mailpath` command line. The headless commands never import Textual."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from checks.diagnosis import EXIT_USAGE

#: subcommand -> module in tui.commands that defines add_parser(subparsers)
COMMANDS = ("demo", "lab", "check", "bounce", "creds", "suppression")


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="mailpath",
        description="Find out why an email did not arrive: Gmail relay, Amazon SES, DNS, "
        "recipient MTA, checked live.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"tui.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"tui.commands.{name}":
                raise
            continue
        module.add_parser(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["demo", *(argv or [])]) if _has_demo(parser) else args
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return int(func(args))
    except UsageError as exc:
        print(f"mailpath: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("mailpath: interrupted", file=sys.stderr)
        return 130


def _has_demo(parser: argparse.ArgumentParser) -> bool:
    return any(
        isinstance(a, argparse._SubParsersAction) and "demo" in a.choices
        for a in parser._actions
    )
