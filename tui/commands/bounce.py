"""`mailpath bounce PATH... [--json]`: read bounces and say what each means, per recipient.

Headless: no Textual import, no network.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import stat
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from checks.bounce import MAX_BYTES, BounceReport, parse_bounce, source
from checks.bounce.model import describe
from checks.bounce.signs import BINARY
from checks.report import terminal_safe

#: larger inputs are read only this far (the parser reads no further)
READ_LIMIT = MAX_BYTES
#: a directory walk reads at most this many files
MAX_FILES = 10000
#: entries named per reason when a walk leaves some out (then "and N more")
NAMED_SKIPS = 5

HELP = """\
Each PATH is a bounce email (.eml), pasted text, an SES notification (JSON) or an SMTP reply;
a directory means every regular file in it (recursively; hidden entries and symbolic links
are left out, and files that are binary or not a bounce are skipped; what was left out is
counted and named, a few per reason, after the reports, or on stderr with --json);
- reads standard input.
With --json, one JSON object per input on its own line:
  {"file","kind","reporter","reason","status","replycode","layer","confidence","entry",
   "recipients":[{"address","action","status","replycode","diagnostic","remote_mta",
                  "reason","hard","layer","confidence","entry"}, ...]}
(top-level fields describe the first recipient; "entry" is the decision tree's node to
start from, and the top-level one is where the diagnosis starts; "confidence" is 0 to 1).
Exit status: 0 every input was read; 1 some input could not be parsed or is not a bounce
(its line says why), or no bounce was found; 2 usage error (a PATH does not exist, is not a
regular file or directory, or cannot be read)."""


def add_parser(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bounce", help="classify bounces, NDRs, SES notifications or SMTP replies",
        description=HELP, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", metavar="PATH", help="file, directory or - for stdin")
    parser.add_argument("--json", action="store_true", help="one JSON object per input per line")
    parser.set_defaults(func=run)


@dataclass
class _Skipped:
    """What a directory walk left out, by reason: how many, and the first few by name."""

    counts: Counter[str] = field(default_factory=Counter)
    names: dict[str, list[str]] = field(default_factory=dict)
    capped: bool = False

    def add(self, reason: str, path: str) -> None:
        self.counts[reason] += 1
        named = self.names.setdefault(reason, [])
        if len(named) < NAMED_SKIPS:
            named.append(path)


def run(args: argparse.Namespace) -> int:
    _safe_stdout()
    skipped = _Skipped()
    inputs = [item for raw in args.paths for item in _expand(raw, skipped)]
    counts: Counter[str] = Counter()
    for name, walked, data in _read_all(inputs, skipped):
        if isinstance(data, source.Bounded) and data.truncated:
            shown = "standard input" if name == "-" else source.display(name)
            print(terminal_safe(f"mailpath: {source.truncation_note(shown, data.limit)}"),
                  file=sys.stderr)
        report = _report(source.display(name), data)
        if walked and report.kind == "not_bounce":
            skipped.add(_NOT_BOUNCE, name)
            continue
        counts["read" if report.parsed else "unreadable"] += 1
        _emit(report, as_json=args.json)
    _say_skipped(skipped, as_json=args.json)
    return 1 if counts["unreadable"] or not counts["read"] else 0


def _report(name: str, data: bytes | None) -> BounceReport:
    """The parsed input; a file whose start is binary is not read further."""
    if data is None:
        return BounceReport("not_bounce", name=name, error=BINARY)
    return parse_bounce(data, name=name)


def _expand(raw: str, skipped: _Skipped) -> Iterator[tuple[str, bool]]:
    """(path, found by walking a directory) for one PATH argument."""
    from tui.cli import UsageError

    if raw == "-":
        yield raw, False
        return
    try:
        kind = source.kind_of(raw)
    except source.Unreadable as exc:
        raise UsageError(f"{source.display(raw) or repr(raw)}: {exc}") from None
    if kind == "file":
        yield raw, False
        return
    found = list(_walk(Path(raw), skipped))
    if not found:
        print(f"mailpath: no files in {source.display(raw)}", file=sys.stderr)
    yield from ((p, True) for p in found)


def _walk(top: Path, skipped: _Skipped) -> Iterator[str]:
    """Regular files under `top`, in name order: hidden entries, symbolic links and
    special files are left out (and counted), at most MAX_FILES files."""
    found = 0
    for root, dirs, files in os.walk(top, followlinks=False):
        dirs[:] = sorted(d for d in dirs if _kept(os.path.join(root, d), d, skipped))
        for path in (os.path.join(root, f) for f in sorted(files)):
            if not _kept(path, os.path.basename(path), skipped):
                continue
            if found >= MAX_FILES:
                skipped.capped = True
                return
            found += 1
            yield path


def _kept(path: str, name: str, skipped: _Skipped) -> bool:
    reason = _why_left_out(path, name)
    if reason:
        skipped.add(reason, path)
    return not reason


def _why_left_out(path: str, name: str) -> str:
    if name.startswith("."):
        return "hidden"
    try:
        mode = os.lstat(path).st_mode
    except OSError:
        return "unreadable"
    if stat.S_ISLNK(mode):
        return "symbolic link"
    return "" if stat.S_ISDIR(mode) or stat.S_ISREG(mode) else "not a regular file"


_NOT_BOUNCE = "binary or not a bounce"


def _say_skipped(skipped: _Skipped, *, as_json: bool) -> None:
    """One line per kind of entry left out of a directory walk, naming the first few: after
    the reports on stdout, or on stderr with --json (stdout holds only JSON lines there).
    A walk stopped at MAX_FILES is said on stderr."""
    if skipped.capped:
        print(f"mailpath: stopped after {MAX_FILES} files", file=sys.stderr)
    lines = []
    for reason, count in sorted(skipped.counts.items()):
        noun = "entry" if count == 1 else "entries"
        if reason == _NOT_BOUNCE:
            noun = "file" if count == 1 else "files"
        lines.append(f"skipped {count} {noun}: {reason}: "
                     f"{_names(skipped.names.get(reason, []), count)}")
    for line in lines:
        if as_json:
            print(terminal_safe(f"mailpath: {line}"), file=sys.stderr)
        else:
            print(terminal_safe(line))


def _names(shown: list[str], count: int) -> str:
    """`a, b, c and 7 more`: the names given (quoted as a shell would need them, when a
    space or a comma would make the list ambiguous), then how many are not shown."""
    text = ", ".join(_quoted(source.display(name)) for name in shown)
    rest = count - len(shown)
    return f"{text} and {rest} more" if rest > 0 else text


def _quoted(name: str) -> str:
    return shlex.quote(name) if not name or not _AMBIGUOUS.isdisjoint(name) else name


#: characters that make a name in a comma-separated list ambiguous (then it is quoted)
_AMBIGUOUS = frozenset(" \t\n\r,'\"")


def _read_all(inputs: list[tuple[str, bool]],
              skipped: _Skipped) -> Iterator[tuple[str, bool, source.Bounded | None]]:
    from tui.cli import UsageError

    for name, walked in inputs:
        try:
            yield name, walked, _read(name)
        except source.Unreadable as exc:
            if walked:
                skipped.add("unreadable", name)
                continue
            raise UsageError(f"{source.display(name)}: cannot read ({exc})") from None


def _read(name: str) -> source.Bounded | None:
    """At most READ_LIMIT bytes of the input (flagged when cut there); None when its first
    64 KB are binary."""
    if name == "-":
        return source.read_stream(getattr(sys.stdin, "buffer", None), READ_LIMIT)
    return source.read_path(name, READ_LIMIT)


def _emit(report: BounceReport, *, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.to_json(), ensure_ascii=not _utf8_stdout()))
        return
    print(terminal_safe(f"== {report.name}"))
    print(terminal_safe(describe(report)))
    if report.parsed:
        entry = report.entry_layer
        where = entry.display_name if entry else "no delivery layer (see above)"
        node = f" (tree node: {report.entry})" if report.entry else ""
        print(f"start the diagnosis at: {where}{node}")
    print()


def _utf8_stdout() -> bool:
    """Can stdout take any text as UTF-8? (Otherwise JSON is written as ASCII escapes.)"""
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("-", "")
    return encoding in ("utf8", "utf8sig")


def _safe_stdout() -> None:
    """Text the terminal's encoding cannot show is written as escapes, not a traceback."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="backslashreplace")
