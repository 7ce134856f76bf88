"""The SES account suppression list: stream it, look one address up, filter, remove, add,
export. UI-free: the CLI and the TUI's explorer drive the same functions.

Every AWS call goes through `checks.net.aws.call` (a thread, timeouts, plain-words errors
naming the missing IAM permission). The list is per region; SES v2 has no paginator for
`ListSuppressedDestinations`, so `pages` follows `NextToken` itself.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, TextIO

from checks import validate
from checks.context import Context
from checks.net.aws import AwsError, call

REASONS = ("BOUNCE", "COMPLAINT")
MAX_PAGE_SIZE = 1000
CSV_COLUMNS = ("email", "reason", "last_update", "message_id", "feedback_id", "region")
#: what ListSuppressedDestinations returns: the ids need one GetSuppressedDestination each
LIST_COLUMNS = ("email", "reason", "last_update", "region")
#: how many GetSuppressedDestination calls `with_details` runs at once
DETAIL_CONCURRENCY = 8

#: IAM actions each operation needs (the least-privilege policy of the explorer).
PERMISSIONS: dict[str, str] = {
    "list": "ses:ListSuppressedDestinations",
    "lookup": "ses:GetSuppressedDestination",
    "remove": "ses:DeleteSuppressedDestination",
    "add": "ses:PutSuppressedDestination",
    "sandbox": "ses:GetAccount",
}


@dataclass(frozen=True)
class Note:
    """Something the user must know before acting on the list; `id` is stable."""

    id: str
    text: str


#: What every view of the list should be able to show (as data: CLI, TUI and report agree).
NOTES: tuple[Note, ...] = (
    Note("per_region", "The account suppression list is per AWS region: an address removed "
         "in one region stays suppressed in the others."),
    Note("global_list", "SES also keeps a global suppression list shared by all customers; "
         "it cannot be listed or queried, only seen in bounces (subtype Suppressed)."),
    Note("gmail_no_complaints", "Gmail sends SES no complaint feedback: a COMPLAINT entry "
         "comes from another mailbox provider (Outlook, Yahoo, …), never from a Gmail user."),
    Note("complaint_risk", "Removing a COMPLAINT entry and mailing the address again risks "
         "another complaint and hurts the account's reputation: remove it only deliberately."),
)

#: Why SES put an address on the list, in plain words.
REASON_TEXT: dict[str, str] = {
    "BOUNCE": "a hard bounce: the receiving server said the address does not exist or "
    "refused it permanently",
    "COMPLAINT": "the recipient marked a message as spam (feedback loop complaint)",
}


class SuppressionError(Exception):
    """Bad input for a suppression operation, or an operation SES refuses; one clear line."""


class SuppressionRefused(SuppressionError):
    """The input is fine but AWS's rules refuse the operation (e.g. add in the sandbox)."""


@dataclass(frozen=True, slots=True)
class SuppressedEntry:
    """One address on the account suppression list of `region`."""

    email: str
    reason: str
    last_update: dt.datetime
    message_id: str | None = None
    feedback_id: str | None = None
    region: str = ""

    @property
    def domain(self) -> str:
        return self.email.rpartition("@")[2]

    def as_dict(self, *, details: bool = True) -> dict[str, str | None]:
        """JSON- and CSV-friendly form (the date as ISO 8601 UTC); without `details`, only
        what a list page holds (no message and feedback ids)."""
        full = {"email": self.email, "reason": self.reason,
                "last_update": self.last_update.isoformat(), "message_id": self.message_id,
                "feedback_id": self.feedback_id, "region": self.region}
        return full if details else {k: full[k] for k in LIST_COLUMNS}


class RemovalStatus(StrEnum):
    REMOVED = "removed"
    NOT_FOUND = "not_found"
    ERROR = "error"


@dataclass(frozen=True)
class Removal:
    """What happened to one address; `message` names the missing permission on AccessDenied."""

    email: str
    status: RemovalStatus
    message: str = ""


@dataclass(frozen=True)
class RemovalResult:
    """Every address asked for, each with its own outcome: nothing stops halfway silently."""

    region: str
    items: tuple[Removal, ...]

    def with_status(self, status: RemovalStatus) -> list[Removal]:
        return [r for r in self.items if r.status is status]

    @property
    def ok(self) -> bool:
        """True when no address ended in an error (not found counts as done)."""
        return not self.with_status(RemovalStatus.ERROR)


# --------------------------------------------------------------------------- input checks


def normalise_email(email: str) -> str:
    """Trimmed, lower-cased address; SuppressionError when it is not one: one @, no spaces,
    and a domain that is a host name (no empty label as in `recipient..example`; a Unicode
    domain is checked in its IDNA form)."""
    text = email.strip().lower()
    try:
        validate.address(text, "address")
    except validate.InvalidValue:
        raise SuppressionError(f"{email.strip()!r} is not an email address") from None
    domain = text.rpartition("@")[2]
    try:
        validate.hostname(domain if domain.isascii() else domain.encode("idna").decode(),
                          "domain")
    except (validate.InvalidValue, UnicodeError):
        raise SuppressionError(f"{email.strip()!r} is not an email address: its domain "
                               f"{domain!r} is not a host name") from None
    return text


def normalise_reasons(reasons: Iterable[str] | None) -> tuple[str, ...] | None:
    """('bounce',) -> ('BOUNCE',); SuppressionError for anything but BOUNCE or COMPLAINT."""
    if reasons is None:
        return None
    out = tuple(dict.fromkeys(r.strip().upper() for r in reasons if r.strip()))
    bad = [r for r in out if r not in REASONS]
    if bad:
        raise SuppressionError(f"unknown reason {bad[0]!r}: use BOUNCE or COMPLAINT")
    return out or None


def _utc(when: dt.datetime | None) -> dt.datetime | None:
    if when is None or when.tzinfo is not None:
        return when
    return when.replace(tzinfo=dt.UTC)


# --------------------------------------------------------------------------- reading


def _as_datetime(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return dt.datetime.fromtimestamp(float(value), dt.UTC)


def entry_from_api(item: dict[str, Any], region: str) -> SuppressedEntry:
    """A summary (list) or a detail (get) as SES v2 returns it."""
    attrs = item.get("Attributes") or {}
    return SuppressedEntry(
        email=str(item.get("EmailAddress", "")).lower(), reason=str(item.get("Reason", "")),
        last_update=_as_datetime(item.get("LastUpdateTime", 0)),
        message_id=attrs.get("MessageId"), feedback_id=attrs.get("FeedbackId"), region=region)


def _list_params(reasons: Sequence[str] | None, since: dt.datetime | None,
                 until: dt.datetime | None, page_size: int) -> dict[str, Any]:
    params: dict[str, Any] = {"PageSize": page_size}
    if reasons:
        params["Reasons"] = list(reasons)
    if since is not None:
        params["StartDate"] = since
    if until is not None:
        params["EndDate"] = until
    return params


async def pages(ctx: Context, region: str, *, reasons: Iterable[str] | None = None,
                since: dt.datetime | None = None, until: dt.datetime | None = None,
                page_size: int = MAX_PAGE_SIZE) -> AsyncIterator[list[SuppressedEntry]]:
    """The list of `region`, one page at a time as SES returns it (filters applied by SES).

    Raises AwsError (naming `ses:ListSuppressedDestinations` on AccessDenied) and
    SuppressionError for a bad reason or page size."""
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise SuppressionError(f"page size must be between 1 and {MAX_PAGE_SIZE}")
    params = _list_params(normalise_reasons(reasons), _utc(since), _utc(until), page_size)
    pending: asyncio.Future[dict[str, Any]] | None = _fetch(ctx, region, params, None)
    try:
        while pending is not None:
            reply = await pending
            token = reply.get("NextToken")
            # ask for the next page now: it travels while this one is converted and shown
            pending = _fetch(ctx, region, params, token) if token else None
            yield [entry_from_api(i, region)
                   for i in reply.get("SuppressedDestinationSummaries", [])]
    finally:
        if pending is not None:
            pending.cancel()


def _fetch(ctx: Context, region: str, params: dict[str, Any],
           token: str | None) -> asyncio.Future[dict[str, Any]]:
    extra = {"NextToken": token} if token else {}
    return asyncio.ensure_future(call(ctx, "sesv2", "list_suppressed_destinations",
                                      region=region, **params, **extra))


async def list_all(ctx: Context, region: str, **filters: Any) -> list[SuppressedEntry]:
    """Every entry (all pages) in one list; prefer `pages` to show progress."""
    out: list[SuppressedEntry] = []
    async for page in pages(ctx, region, **filters):
        out.extend(page)
    return out


async def lookup(ctx: Context, email: str, region: str) -> SuppressedEntry | None:
    """Is this address suppressed in `region`, and why? None when it is not on the list."""
    return await _get(ctx, normalise_email(email), region)


async def _get(ctx: Context, address: str, region: str) -> SuppressedEntry | None:
    """GetSuppressedDestination of an address as given (checked by the caller, or listed by
    SES itself: an entry SES holds is looked up even if our input checks would refuse it)."""
    try:
        reply = await call(ctx, "sesv2", "get_suppressed_destination", region=region,
                           EmailAddress=address)
    except AwsError as exc:
        if exc.code == "NotFoundException":
            return None
        raise
    return entry_from_api(reply.get("SuppressedDestination", {}), region)


async def with_details(ctx: Context, entries: Sequence[SuppressedEntry], region: str,
                       *, concurrency: int = DETAIL_CONCURRENCY) -> list[SuppressedEntry]:
    """The entries with their message and feedback ids (one GetSuppressedDestination each,
    at most `concurrency` at a time); an entry gone meanwhile is kept as listed."""
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(entry: SuppressedEntry) -> SuppressedEntry:
        async with gate:
            return await _get(ctx, entry.email, region) or entry
    return list(await asyncio.gather(*(one(e) for e in entries)))


# --------------------------------------------------------------------------- filtering


def _matcher(text: str | None, domain: str | None, reasons: tuple[str, ...] | None,
             since: dt.datetime | None, until: dt.datetime | None
             ) -> Callable[[SuppressedEntry], bool]:
    needle = (text or "").strip().lower()
    dom = (domain or "").strip().lower().lstrip("@")
    suffix = "." + dom

    def match(e: SuppressedEntry) -> bool:
        return ((not needle or needle in e.email)
                and (not dom or e.domain == dom or e.domain.endswith(suffix))
                and (reasons is None or e.reason in reasons)
                and (since is None or e.last_update >= since)
                and (until is None or e.last_update <= until))
    return match


def filter_entries(entries: Iterable[SuppressedEntry], *, text: str | None = None,
                   domain: str | None = None, reasons: Iterable[str] | None = None,
                   since: dt.datetime | None = None, until: dt.datetime | None = None
                   ) -> list[SuppressedEntry]:
    """Entries whose address contains `text`, on `domain` (or a subdomain), with one of
    `reasons`, last updated within [since, until]. Pure; one pass."""
    match = _matcher(text, domain, normalise_reasons(reasons), _utc(since), _utc(until))
    return [e for e in entries if match(e)]


def counts_by_reason(entries: Iterable[SuppressedEntry]) -> dict[str, int]:
    """{'BOUNCE': n, 'COMPLAINT': m} (both keys always present)."""
    counts = Counter(e.reason for e in entries)
    return {reason: counts.get(reason, 0) for reason in (*REASONS, *sorted(set(counts) -
                                                                            set(REASONS)))}


def counts_by_day(entries: Iterable[SuppressedEntry]) -> dict[dt.date, int]:
    """Entries per UTC day of their last update, oldest day first (days with none omitted)."""
    counts = Counter(e.last_update.astimezone(dt.UTC).date() for e in entries)
    return dict(sorted(counts.items()))


# --------------------------------------------------------------------------- changes


async def _remove_one(ctx: Context, email: str, region: str) -> Removal:
    try:
        address = normalise_email(email)
        await call(ctx, "sesv2", "delete_suppressed_destination", region=region,
                   EmailAddress=address)
    except SuppressionError as exc:
        return Removal(email.strip(), RemovalStatus.ERROR, str(exc))
    except AwsError as exc:
        if exc.code == "NotFoundException":
            return Removal(address, RemovalStatus.NOT_FOUND, f"not on the {region} list")
        return Removal(address, RemovalStatus.ERROR, exc.explanation or str(exc))
    return Removal(address, RemovalStatus.REMOVED)


async def remove(ctx: Context, emails: Iterable[str], region: str, *,
                 progress: Callable[[Removal], None] | None = None) -> RemovalResult:
    """Remove each address from the `region` list, one by one, every one attempted; each gets
    removed / not found / error (an AccessDenied names ses:DeleteSuppressedDestination)."""
    items: list[Removal] = []
    for email in dict.fromkeys(e for e in emails if e.strip()):
        item = await _remove_one(ctx, email, region)
        items.append(item)
        if progress is not None:
            progress(item)
    return RemovalResult(region, tuple(items))


async def in_sandbox(ctx: Context, region: str) -> bool:
    reply = await call(ctx, "sesv2", "get_account", region=region)
    return not bool(reply.get("ProductionAccessEnabled", False))


SANDBOX_REFUSAL = ("The SES account is in the sandbox in {region}: AWS does not let a sandbox "
                   "account add addresses to its suppression list. Request production access "
                   "first (SES console → Account dashboard).")


async def add(ctx: Context, email: str, reason: str, region: str) -> SuppressedEntry:
    """Put `email` on the `region` list with `reason` (BOUNCE or COMPLAINT). Refused in the
    sandbox with SuppressionError, as AWS refuses it."""
    address = normalise_email(email)
    (why,) = normalise_reasons([reason]) or ("",)
    if not why:
        raise SuppressionError("a reason is needed: BOUNCE or COMPLAINT")
    if await in_sandbox(ctx, region):
        raise SuppressionRefused(SANDBOX_REFUSAL.format(region=region))
    await call(ctx, "sesv2", "put_suppressed_destination", region=region,
               EmailAddress=address, Reason=why)
    return await lookup(ctx, address, region) or SuppressedEntry(
        address, why, dt.datetime.now(dt.UTC), region=region)


# --------------------------------------------------------------------------- export


#: a CSV cell starting with one of these is a formula to a spreadsheet (OWASP "CSV injection")
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: str | None) -> str | None:
    """`value` as a spreadsheet shows it and never runs it: a leading `'` when it starts like
    a formula (`=1+2@x.example` -> `'=1+2@x.example`). For CSV only, never JSON or text."""
    if value and value.startswith(FORMULA_START):
        return "'" + value
    return value


def export_csv(entries: Iterable[SuppressedEntry], file: TextIO, *, header: bool = True,
               details: bool = False) -> int:
    """Write a header (unless `header=False`, to append a further page) and one row per entry;
    returns the number of rows written. The id columns only with `details` (`with_details`).
    A cell that starts like a formula gets a leading `'` (`csv_cell`)."""
    columns = CSV_COLUMNS if details else LIST_COLUMNS
    writer = csv.DictWriter(file, fieldnames=columns, lineterminator="\n")
    if header:
        writer.writeheader()
    n = 0
    for entry in entries:
        writer.writerow({k: csv_cell(v) for k, v in entry.as_dict(details=details).items()})
        n += 1
    return n
