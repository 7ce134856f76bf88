"""`mailpath bounce PATH... [--json]`: read bounces and say what each means, per recipient.

Headless: no Textual import, no network.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from checks.bounce import BounceReport, parse_bounce
from checks.bounce.model import describe
from checks.report import terminal_safe

#: larger inputs are read only this far (a bounce's report is at its start)
READ_LIMIT = 16 * 1024 * 1024

HELP = """\
Each PATH is a bounce email (.eml), pasted text, an SES notification (JSON) or an SMTP reply;
a directory means every file in it (recursively); - reads standard input.
With --json, one JSON object per input on its own line:
  {"file","kind","reporter","reason","status","replycode","layer","recipients":[...]}
(top-level fields describe the first recipient).
Exit status: 0 every input was read; 1 some input could not be parsed (its line says why);
2 usage error (a PATH does not exist or cannot be read)."""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bounce", help="classify bounces, NDRs, SES notifications or SMTP replies",
        description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", metavar="PATH", help="file, directory or - for stdin")
    parser.add_argument("--json", action="store_true", help="one JSON object per input per line")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    inputs = list(_expand(args.paths))
    unreadable = 0
    for name, data in _read_all(inputs):
        report = parse_bounce(data, name=name)
        unreadable += not report.parsed
        _emit(report, as_json=args.json)
    return 1 if unreadable else 0


def _expand(paths: list[str]) -> Iterator[str]:
    from tui.cli import UsageError

    for raw in paths:
        path = Path(raw)
        if raw == "-":
            yield raw
        elif path.is_dir():
            yield from (str(p) for p in sorted(path.rglob("*")) if p.is_file())
        elif path.is_file():
            yield raw
        else:
            raise UsageError(f"{raw}: no such file or directory")


def _read_all(names: list[str]) -> Iterator[tuple[str, bytes]]:
    from tui.cli import UsageError

    for name in names:
        try:
            yield name, _read(name)
        except OSError as exc:
            raise UsageError(f"{name}: cannot read ({exc.strerror or exc})") from None


def _read(name: str) -> bytes:
    if name == "-":
        return sys.stdin.buffer.read(READ_LIMIT)
    with open(name, "rb") as fh:
        return fh.read(READ_LIMIT)


def _emit(report: BounceReport, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
        return
    print(terminal_safe(f"== {report.name}"))
    print(terminal_safe(describe(report)))
    entry = report.entry_layer
    where = entry.display_name if entry else "no delivery layer (see above)"
    print(f"start the diagnosis at: {where}")
    print()
