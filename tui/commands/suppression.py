"""`mailpath suppression list|show|remove|add|export|stats`: the SES account suppression list
headless. Lists stream page by page (`--json` prints one JSON object per line); stdout gets
only data, stderr the notes and progress."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import errno
import json
import os
import stat
import sys
import tempfile
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Sequence
from pathlib import Path
from typing import Any, TextIO

from checks import validate
from checks.context import Context
from checks.diagnosis import EXIT_COULD_NOT_CHECK, EXIT_FAULTS, EXIT_HEALTHY, EXIT_USAGE
from checks.endpoints import EndpointError, Endpoints
from checks.net.aws import AwsError
from checks.suppression import (
    DETAIL_CONCURRENCY,
    NOTES,
    REASON_TEXT,
    REASONS,
    RemovalStatus,
    SuppressedEntry,
    SuppressionError,
    SuppressionRefused,
    add,
    counts_by_day,
    counts_by_reason,
    export_csv,
    filter_entries,
    lookup,
    normalise_email,
    normalise_reasons,
    pages,
    remove,
    with_details,
)
from tui.cli import UsageError

EPILOG = f"""exit codes: 0 done (show: not suppressed), 1 show: the address is suppressed;
remove: the question was answered no or Ctrl-D (nothing removed), {EXIT_USAGE} usage error,
3 could not run: AWS could not be asked or refused (remove: an address was not removed),
or the output could not be written (disk full, ...).
Dates without an offset (YYYY-MM-DD, YYYY-MM-DDTHH:MM) are UTC; add one (Z, +02:00) for
another zone. The list is per region (--region, else AWS_REGION). Endpoints come from the
environment as `mailpath lab` prints them."""
EXPORT_EPILOG = """FILE: an existing FILE is replaced without asking, but only once the export has
succeeded: the rows go to a temporary file next to it, renamed over FILE at the end (FILE
keeps its permissions); after an error or Ctrl-C, FILE is as it was and the temporary file
is gone. `-` (the default) is stdout.
CSV: a cell starting with = + - @, a tab or a carriage return gets a leading ' so that a
spreadsheet shows it as text and never runs it as a formula (=1+2@x.example is written
'=1+2@x.example); `suppression list --json` prints addresses unchanged.

"""
_NOTE = {n.id: n.text for n in NOTES}


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("suppression", help="explore and edit the SES account suppression list",
                       description="The SES account-level suppression list of one region.",
                       epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = p.add_subparsers(dest="suppression_action", metavar="ACTION", required=True)
    for name, func, text in _ACTIONS:
        q = actions.add_parser(name, help=text,
                               epilog=EXPORT_EPILOG + EPILOG if name == "export" else EPILOG,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
        _common(q, name)
        _EXTRA[name](q)
        q.set_defaults(func=func)


def _common(q: argparse.ArgumentParser, action: str) -> None:
    q.add_argument("--region", help="the SES region (default: AWS_REGION or us-east-1)")
    q.add_argument("--profile", help="the AWS profile to use, as the AWS CLI has it")
    # export takes --json only to refuse it with a pointer to `list --json` (and says so)
    q.add_argument("--json", action="store_true",
                   help="refused: export writes CSV only; for JSON (one object a line) use "
                   "`suppression list --json`" if action == "export"
                   else "print JSON (lists: one object a line)")


def _filters(q: argparse.ArgumentParser) -> None:
    q.add_argument("--reason", action="append", default=[], metavar="R",
                   help="BOUNCE or COMPLAINT (repeat or comma-separate)")
    q.add_argument("--since", metavar="DATE", help="last updated on or after "
                   "(YYYY-MM-DD[THH:MM]; UTC unless it has an offset such as Z or +02:00)")
    q.add_argument("--until", metavar="DATE", help="last updated on or before (a date alone: "
                   "up to its end; UTC unless it has an offset)")
    q.add_argument("--domain", help="only addresses on this domain (or its subdomains); "
                   "a host name such as example.com")
    q.add_argument("--text", help="only addresses containing this text")
    q.add_argument("--details", action="store_true", help="also fetch each entry's message and "
                   f"feedback ids (one GetSuppressedDestination per entry, "
                   f"{DETAIL_CONCURRENCY} at a time)")


def _emails(q: argparse.ArgumentParser) -> None:
    q.add_argument("emails", nargs="+", metavar="EMAIL")
    q.add_argument("--yes", action="store_true", help="do not ask (needed without a terminal)")


def _one_email(q: argparse.ArgumentParser) -> None:
    q.add_argument("email", metavar="EMAIL")


def _add_args(q: argparse.ArgumentParser) -> None:
    _one_email(q)
    q.add_argument("--reason", required=True, type=str.upper, choices=REASONS)


def _export_args(q: argparse.ArgumentParser) -> None:
    _filters(q)
    q.add_argument("file", nargs="?", default="-", metavar="FILE",
                   help="CSV file to write, replaced if it exists (default: - for stdout)")


# --------------------------------------------------------------------------- plumbing


def _context(args: argparse.Namespace) -> tuple[Context, str]:
    _check_args(args)
    try:
        endpoints = Endpoints.from_env(os.environ, aws_region=args.region,
                                       aws_profile=args.profile)
    except EndpointError as exc:
        raise UsageError(str(exc)) from None
    from tui.commands._inputs import refuse_missing_profile

    refuse_missing_profile(endpoints, "--profile")
    return Context(endpoints=endpoints), endpoints.aws_region


def _check_args(args: argparse.Namespace) -> None:
    """Usage errors before any AWS call: the region's name, the domain, the date range,
    --json on export."""
    try:
        if args.region is not None:
            args.region = validate.region(args.region, "--region")
        if getattr(args, "domain", None) is not None:
            args.domain = validate.hostname(args.domain.strip().lstrip("@"), "--domain")
    except validate.InvalidValue as exc:
        raise UsageError(str(exc)) from None
    since = parse_date(getattr(args, "since", None))
    until = parse_date(getattr(args, "until", None), end=True)
    if since and until and since > until:
        raise UsageError(f"--since {args.since} is after --until {args.until}: no date is in "
                         "that range")
    if args.suppression_action == "export" and args.json:
        raise UsageError("export writes CSV; for JSON (one object a line) use "
                         "`mailpath suppression list --json`")


def _entries(n: int) -> str:
    return f"{n} {'entry' if n == 1 else 'entries'}"


def _run(work: Callable[[Context, str], Coroutine[Any, Any, int]], args: argparse.Namespace) -> int:
    """Run one async action; AWS trouble, and output that cannot be written (disk full),
    become a message and exit code 3 (could not run)."""
    ctx, region = _context(args)
    try:
        code = asyncio.run(work(ctx, region))
        sys.stdout.flush()  # a write error on stdout shows here, while we can still say so
        return code
    except BrokenPipeError:
        raise  # the reader went away (`| head`): the CLI stops quietly
    except OSError as exc:
        where = getattr(args, "file", "-")
        if exc.filename is None and where == "-":
            _discard_stdout()
        name = "stdout" if where == "-" else where
        _err(f"could not write {name}: {exc.strerror or exc}")
        return EXIT_COULD_NOT_CHECK
    except SuppressionRefused as exc:
        _err(str(exc))
        return EXIT_COULD_NOT_CHECK
    except SuppressionError as exc:
        raise UsageError(str(exc)) from None
    except AwsError as exc:
        _err(aws_message(exc))
        return EXIT_COULD_NOT_CHECK


def aws_message(exc: AwsError) -> str:
    """The error, then what its explanation adds (its first sentence is often the error's
    own words already: never say the same reason twice)."""
    from checks.net.aws import first_sentence

    message, extra = str(exc), exc.explanation.strip()
    head = first_sentence(extra)
    if head and head in message:
        extra = extra[len(head):].lstrip(". ").strip()
    return f"{message}\n{extra}" if extra else message


def _discard_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's last flush cannot fail again."""
    with contextlib.suppress(OSError, ValueError, AttributeError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _err(text: str) -> None:
    print(f"mailpath: {text}", file=sys.stderr)


def _note(*ids: str) -> None:
    for note_id in ids:
        print(f"note: {_NOTE[note_id]}", file=sys.stderr)


def parse_date(text: str | None, *, end: bool = False) -> dt.datetime | None:
    """YYYY-MM-DD (a whole day: its start, or its end with `end`) or an ISO date-time, UTC."""
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{text!r} is not a date (use YYYY-MM-DD or YYYY-MM-DDTHH:MM)") from None
    if end and len(text.strip()) == 10:
        when += dt.timedelta(days=1) - dt.timedelta(microseconds=1)
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _reasons(values: Sequence[str]) -> tuple[str, ...] | None:
    try:
        return normalise_reasons([r for v in values for r in v.split(",")] or None)
    except SuppressionError as exc:
        raise UsageError(str(exc)) from None


async def _filtered(ctx: Context, region: str, args: argparse.Namespace
                    ) -> AsyncIterator[list[SuppressedEntry]]:
    """Pages with SES's own filters (reason, dates) and ours (domain, text) applied."""
    reasons = _reasons(args.reason)
    since, until = parse_date(args.since), parse_date(args.until, end=True)
    async for page in pages(ctx, region, reasons=reasons, since=since, until=until):
        if args.text or args.domain:
            page = filter_entries(page, text=args.text, domain=args.domain)
        yield await with_details(ctx, page, region) if getattr(args, "details", False) else page


def _line(e: SuppressedEntry, details: bool = False) -> str:
    ids = f"\t{e.message_id or '-'}\t{e.feedback_id or '-'}" if details else ""
    return f"{e.email}\t{e.reason}\t{e.last_update.isoformat(timespec='seconds')}{ids}"


# --------------------------------------------------------------------------- actions


def list_(args: argparse.Namespace) -> int:
    async def work(ctx: Context, region: str) -> int:
        n = 0
        async for page in _filtered(ctx, region, args):
            out = [json.dumps(e.as_dict(details=args.details)) if args.json
                   else _line(e, args.details) for e in page]
            if out:
                sys.stdout.write("\n".join(out) + "\n")
                sys.stdout.flush()
            n += len(page)
        print(f"{_entries(n)} on the {region} list", file=sys.stderr)
        _note("per_region")
        return EXIT_HEALTHY
    return _run(work, args)


def show(args: argparse.Namespace) -> int:
    async def work(ctx: Context, region: str) -> int:
        entry = await lookup(ctx, args.email, region)
        if args.json:
            print(json.dumps({"email": normalise_email(args.email), "region": region,
                              "suppressed": entry is not None,
                              "entry": entry.as_dict() if entry else None}))
        else:
            _print_entry(entry, args.email, region)
        _note("per_region", "global_list")
        return EXIT_FAULTS if entry else EXIT_HEALTHY
    return _run(work, args)


def _print_entry(entry: SuppressedEntry | None, email: str, region: str) -> None:
    if entry is None:
        print(f"{normalise_email(email)} is not on the {region} account suppression list.")
        return
    print(f"{entry.email} is SUPPRESSED in {region}: {entry.reason} "
          f"({REASON_TEXT.get(entry.reason, 'reason not known')})")
    print(f"last update: {entry.last_update.isoformat(timespec='seconds')}")
    print(f"message id:  {entry.message_id or '-'}")
    print(f"feedback id: {entry.feedback_id or '-'}")
    if entry.reason == "COMPLAINT":
        _note("gmail_no_complaints", "complaint_risk")


def remove_(args: argparse.Namespace) -> int:
    _, region = _context(args)
    emails = [_checked(e) for e in args.emails]
    if not _confirmed(args.yes, f"Remove {len(emails)} address(es) from the {region} "
                      "suppression list?"):
        _err("nothing removed")
        return EXIT_FAULTS

    async def work(ctx: Context, region: str) -> int:
        result = await remove(ctx, emails, region, progress=_print_removal(args.json))
        return EXIT_HEALTHY if result.ok else EXIT_COULD_NOT_CHECK
    return _run(work, args)


def _checked(email: str) -> str:
    try:
        return normalise_email(email)
    except SuppressionError as exc:
        raise UsageError(str(exc)) from None


def _confirmed(yes: bool, question: str) -> bool:
    """--yes, or a yes typed on a terminal; without either the command refuses."""
    if yes:
        return True
    if not sys.stdin.isatty():
        raise UsageError("no terminal to confirm on: pass --yes to remove without asking")
    _note("complaint_risk", "per_region")
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:  # Ctrl-D
        print(file=sys.stderr)
        _err("no answer (end of input): taken as no")
        return False
    return answer.strip().lower() in ("y", "yes")


def _print_removal(as_json: bool) -> Callable[[Any], None]:
    def show_one(item: Any) -> None:
        if as_json:
            print(json.dumps({"email": item.email, "status": str(item.status),
                              "message": item.message}), flush=True)
        else:
            mark = {RemovalStatus.REMOVED: "removed", RemovalStatus.NOT_FOUND: "not found"}
            print(f"{item.email}: {mark.get(item.status, 'ERROR')}"
                  + (f" — {item.message}" if item.message else ""), flush=True)
    return show_one


def add_(args: argparse.Namespace) -> int:
    async def work(ctx: Context, region: str) -> int:
        entry = await add(ctx, args.email, args.reason, region)
        print(json.dumps(entry.as_dict()) if args.json
              else f"{entry.email} added to the {region} list ({entry.reason})")
        return EXIT_HEALTHY
    return _run(work, args)


def export(args: argparse.Namespace) -> int:
    async def work(ctx: Context, region: str) -> int:
        with _open_out(args.file) as out:
            n, first = 0, True
            async for page in _filtered(ctx, region, args):
                n += export_csv(page, out, header=first, details=args.details)
                out.flush()
                first = False
            if first:
                export_csv([], out, details=args.details)
        where = "" if args.file == "-" else f" to {args.file}"
        print(f"{_entries(n)} written{where}", file=sys.stderr)
        return EXIT_HEALTHY
    return _run(work, args)


@contextlib.contextmanager
def _stdout() -> Iterator[TextIO]:
    """stdout, flushed but not closed afterwards."""
    yield sys.stdout
    sys.stdout.flush()


def _open_out(name: str) -> contextlib.AbstractContextManager[TextIO]:
    if name == "-":
        return _stdout()
    target = Path(os.path.realpath(name))  # a symlink stays one: its target is replaced
    if target.exists() and not target.is_file():  # /dev/stdout, a FIFO, /dev/full, a dir
        try:
            return target.open("w", encoding="utf-8", newline="")
        except OSError as exc:
            raise UsageError(f"cannot write {name}: {exc.strerror or exc}") from None
    return _replace_on_success(name, target)


@contextlib.contextmanager
def _replace_on_success(name: str, target: Path) -> Iterator[TextIO]:
    """A temporary file next to `target`, renamed over it when the block ends without an
    error; on any error, Ctrl-C included, the temporary file is removed and `target` left
    as it was. The new file gets `target`'s permissions (a new one: 0666 less the umask)."""
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.",
                                   suffix=".part")
    except OSError as exc:
        why = (f" (the export goes to a temporary file in {target.parent} first, renamed "
               "over FILE at the end)" if exc.errno in (errno.EACCES, errno.EPERM) else "")
        raise UsageError(f"cannot write {name}: {exc.strerror or exc}{why}") from None
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
            os.fchmod(out.fileno(), _mode_for(target))
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _mode_for(target: Path) -> int:
    try:
        return stat.S_IMODE(target.stat().st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def stats(args: argparse.Namespace) -> int:
    async def work(ctx: Context, region: str) -> int:
        entries: list[SuppressedEntry] = []
        async for page in _filtered(ctx, region, args):
            entries.extend(page)
        by_reason, by_day = counts_by_reason(entries), counts_by_day(entries)
        if args.json:
            print(json.dumps({"region": region, "total": len(entries), "by_reason": by_reason,
                              "by_day": {d.isoformat(): n for d, n in by_day.items()}}))
        else:
            _print_stats(region, len(entries), by_reason, by_day)
        return EXIT_HEALTHY
    return _run(work, args)


def _print_stats(region: str, total: int, by_reason: dict[str, int],
                 by_day: dict[dt.date, int]) -> None:
    print(f"{_entries(total)} on the {region} list")
    for reason, n in by_reason.items():
        print(f"  {reason:<10} {n}")
    by_month: dict[str, int] = {}
    for day, n in by_day.items():
        by_month[day.strftime("%Y-%m")] = by_month.get(day.strftime("%Y-%m"), 0) + n
    widest = max(by_month.values(), default=1)
    for month, n in by_month.items():
        print(f"  {month}  {'█' * max(1, round(30 * n / widest)):<30} {n}")


_ACTIONS = (
    ("list", list_, "list entries (streamed), filtered"),
    ("show", show, "is this address suppressed, and why?"),
    ("remove", remove_, "remove addresses (asks first; --yes without a terminal)"),
    ("add", add_, "add an address (refused in the sandbox)"),
    ("export", export, "write entries as CSV (FILE replaced only on success)"),
    ("stats", stats, "counts by reason and by month"),
)
_EXTRA: dict[str, Callable[[argparse.ArgumentParser], None]] = {
    "list": _filters, "show": _one_email, "remove": _emails, "add": _add_args,
    "export": _export_args, "stats": _filters,
}
