"""`mailpath` command line. The headless commands never import Textual."""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType

#: exit code for a usage error (the same value as checks.diagnosis.EXIT_USAGE)
EXIT_USAGE = 2

#: subcommand -> one-line help; each is a module in tui.commands with add_parser(subparsers)
COMMANDS = {
    "demo": "run a scenario in the local lab (seed by default)",
    "tui": "walk a real setup in the TUI",
    "lab": "start the local lab and print its endpoints",
    "check": "diagnose the path from a sender to a recipient",
    "bounce": "read bounces, NDRs, SES notifications or SMTP replies",
    "creds": "relay credentials in the OS keyring",
    "suppression": "explore and edit the SES account suppression list",
    "iam-policy": "print the least-privilege IAM policy mailpath needs",
}


class UsageError(Exception):
    """Bad input from the user: printed as one line, exit code 2."""


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The parser; with `only`, just that command's module is imported (fast start-up):
    the others get a placeholder that shows their one-line help."""
    parser = argparse.ArgumentParser(
        prog="mailpath",
        description="Find out why an email did not arrive: Gmail relay, Amazon SES, DNS, "
        "recipient MTA, checked live.",
    )
    parser.add_argument("--version", action=_VersionAction, nargs=0,
                        help="show the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, help_text in COMMANDS.items():
        module = None if only not in (None, name) else _command_module(name)
        if module is None:
            sub.add_parser(name, help=help_text)
        else:
            module.add_parser(sub)
    return parser


class _VersionAction(argparse.Action):
    """Reads the installed version only when asked (start-up stays fast)."""

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        from importlib.metadata import PackageNotFoundError, version

        try:
            found = version("mailpath")
        except PackageNotFoundError:
            found = "unknown (not installed)"
        print(f"mailpath {found}")
        parser.exit()


def _command_module(name: str) -> ModuleType | None:
    module = f"tui.commands.{name.replace('-', '_')}"
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:
            raise
        return None


def _config_problem() -> str | None:
    """A MAILPATH_CONFIG that names no file (checked before the parsers need the path)."""
    if not os.environ.get("MAILPATH_CONFIG"):
        return None
    from checks.config import config_problem

    return config_problem()


def _chosen_command(argv: Sequence[str]) -> str | None:
    first = next((a for a in argv if not a.startswith("-")), None)
    return first if first in COMMANDS else None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not _streams_open():
        return EXIT_USAGE
    if problem := _config_problem():
        print(f"mailpath: {problem}", file=sys.stderr)
        return EXIT_USAGE
    command = _chosen_command(argv)
    top_level = ("-h", "--help", "--version")
    if command is None and not any(a in top_level or not a.startswith("-") for a in argv):
        command, argv = "demo", ["demo", *argv]  # plain `mailpath` opens the demo
    parser = build_parser(command)
    args, extra = parser.parse_known_args(argv)
    if extra:  # say it with the usage of the (sub)command that was given them
        _deepest(parser, argv).error(f"unrecognized arguments: {' '.join(extra)}")
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        _check_shared_flags(args)
        _needs_terminal(args)
        code = int(func(args))
        if sys.stdout is not None:
            sys.stdout.flush()  # a write error shows here, not at interpreter exit
        return code
    except UsageError as exc:
        print(f"mailpath: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("mailpath: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _discard_stdout()
        return 141  # the reader went away (`| head`): stop quietly, as Unix tools do
    except OSError as exc:  # a file or stdout could not be read or written (disk full, …)
        if exc.filename is None:
            _discard_stdout()
        where = exc.filename or "cannot write the output"
        print(f"mailpath: {where}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_USAGE


def _check_shared_flags(args: argparse.Namespace) -> None:
    """Flags several commands share (`--timeout` of check and tui), refused as usage errors
    before any work, and before the TUI says it has no terminal."""
    value = getattr(args, "timeout", None)
    if value is None:
        return
    from checks import validate

    try:
        validate.timeout(value)
    except validate.InvalidValue as exc:
        raise UsageError(str(exc)) from None


def _deepest(parser: argparse.ArgumentParser, argv: Sequence[str]) -> argparse.ArgumentParser:
    """The innermost subcommand parser that argv names (`suppression export` → export's)."""
    rest = list(argv)
    while True:
        choices = next((a.choices for a in parser._actions  # noqa: SLF001 (argparse has no API)
                        if isinstance(a, argparse._SubParsersAction)), None)  # noqa: SLF001
        if not isinstance(choices, dict):
            return parser
        hit = next((i for i, a in enumerate(rest) if a in choices), None)
        if hit is None:
            return parser
        parser, rest = choices[rest[hit]], rest[hit + 1:]


def _streams_open() -> bool:
    """A closed stderr is replaced by /dev/null (messages are dropped, never mixed into
    stdout); a closed stdout, where every command writes its data, is an error."""
    import os

    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w")  # noqa: SIM115 (lives as long as the process)
    if sys.stdout is None:
        print("mailpath: standard output is closed; nowhere to write the output",
              file=sys.stderr)
        return False
    return True


def _needs_terminal(args: argparse.Namespace) -> None:
    """The TUI cannot run without a terminal (cron, CI, a pipe): say so instead of hanging."""
    opens_tui = args.command == "demo" and not (args.headless or args.json)
    if opens_tui and not (sys.stdin.isatty() and sys.stdout.isatty()):
        from tui.commands.demo import scenario_or_usage

        scenario_or_usage(args.scenario)  # name a bad scenario before the missing terminal
        raise UsageError("no terminal for the TUI; use `mailpath demo --headless` (or --json)")


def _discard_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush cannot fail again."""
    import os

    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())

