"""The suppression explorer: the SES account suppression list of the context's region.

A thin worker streams the list page by page (`checks.suppression.pages`) and posts each page;
the handlers own the entries. The table shows at most `MAX_ROWS` matches so it stays
responsive with 100,000 entries; counts, the chart and the CSV export cover every match.
Removing and adding ask first and say what will happen.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import (
    Button,
    DataTable,
    Header,
    Input,
    Label,
    Select,
    Sparkline,
    Static,
)

from checks.context import Context
from checks.net.aws import AwsError
from checks.suppression import (
    NOTES,
    REASON_TEXT,
    REASONS,
    Removal,
    RemovalResult,
    RemovalStatus,
    SuppressedEntry,
    SuppressionError,
    add,
    counts_by_day,
    counts_by_reason,
    export_csv,
    filter_entries,
    lookup,
    pages,
    remove,
)
from tui.errors import Guarded
from tui.screens.intake import ADDRESS
from tui.screens.modals import ConfirmModal, PathModal
from tui.widgets.key_footer import KeyFooter

#: rows the table shows at most; narrow the filter to see others (counts cover them all)
MAX_ROWS = 2000
NOTE_TEXT = {n.id: n.text for n in NOTES}
#: column key -> label. The address comes last: however long addresses are, the reason and
#: the date stay in sight (the address column takes the width that is left, and a longer
#: address is cut there with an ellipsis; the side panel shows it whole); the date is the
#: day (UTC), the panel has the time
COLUMNS = {"mark": "", "reason": "Reason", "date": "Last update", "email": "Address"}
#: the columns before the address never scroll away sideways either
FIXED_COLUMNS = 3
#: cells those columns take: content and the table's padding of one on each side
#: (a mark, the longest reason, a YYYY-MM-DD day under its label), and the address's padding
BEFORE_ADDRESS = (1 + 2) + (max(len("Reason"), *map(len, REASONS)) + 2) + \
    (len("Last update") + 2) + 2
#: kept free at the right for the table's vertical scrollbar, and the address's least width
SCROLLBAR, MIN_ADDRESS = 2, 12
#: under this many columns the side panel goes below the table (its answer only)
STACKED_WIDTH = 70
FILTER_HELP = "filter: text  @domain  bounce|complaint  since:YYYY-MM-DD  until:YYYY-MM-DD"


@dataclass
class PageLoaded(Message):
    """One page of the list arrived (`run_id` drops pages of a superseded load)."""

    run_id: int
    entries: list[SuppressedEntry]


@dataclass
class LoadEnded(Message):
    run_id: int
    error: str | None = None


@dataclass(frozen=True)
class Filter:
    """What the filter box asks for, parsed; see FILTER_HELP."""

    text: str | None = None
    domain: str | None = None
    reasons: tuple[str, ...] | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    def apply(self, entries: Iterable[SuppressedEntry]) -> list[SuppressedEntry]:
        return filter_entries(entries, text=self.text, domain=self.domain,
                              reasons=self.reasons, since=self.since, until=self.until)


def _day(text: str, end: bool) -> dt.datetime:
    day = dt.datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=dt.UTC)
    return day + dt.timedelta(days=1, microseconds=-1) if end else day


def parse_filter(text: str) -> tuple[Filter, str | None]:
    """The filter, or the empty one and a plain-words error."""
    words, reasons = text.split(), []
    parts: dict[str, object] = {}
    for word in words:
        low = word.lower()
        if low.upper() in REASONS:
            reasons.append(low.upper())
        elif low.startswith(("since:", "until:")):
            key, _, value = low.partition(":")
            try:
                parts[key] = _day(value, key == "until")
            except ValueError:
                return Filter(), f"“{word}”: dates are YYYY-MM-DD."
        elif low.startswith("@"):
            parts["domain"] = low[1:]
        else:
            parts["text"] = f"{parts.get('text') or ''} {low}".strip()
    return Filter(reasons=tuple(reasons) or None, **parts), None  # type: ignore[arg-type]


def reason_bars(counts: dict[str, int], width: int = 12) -> str:
    """Counts by reason as text bars: `BOUNCE     ████████ 85,714`."""
    top = max(counts.values(), default=0) or 1
    return "\n".join(f"{reason:<9} {'█' * round(width * n / top):<{width}} {n:,}"
                     for reason, n in counts.items())


def entry_text(entry: SuppressedEntry) -> str:
    """Everything about one entry, and why it is there, in plain words."""
    lines = [f"{entry.email}", f"suppressed in {entry.region} for a {entry.reason}:",
             f"{REASON_TEXT.get(entry.reason, entry.reason)}.",
             f"Last update: {entry.last_update:%Y-%m-%d %H:%M} UTC"]
    lines += [f"Message-ID: {entry.message_id}"] if entry.message_id else []
    lines += [f"Feedback-ID: {entry.feedback_id}"] if entry.feedback_id else []
    return "\n".join(lines)


def removal_summary(result: RemovalResult) -> str:
    counts = {status: len(result.with_status(status)) for status in RemovalStatus}
    words = ", ".join(f"{n} {status.value.replace('_', ' ')}" for status, n in counts.items()
                      if n)
    return f"Suppression list of {result.region}: {words or 'nothing to do'}."


class SuppressionScreen(Guarded, Screen[None]):
    """Browse, filter, look up, remove, add and export the account suppression list."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        Binding("slash", "focus_filter", "Filter", key_display="/"),
        Binding("f", "focus_lookup", "Look up"),
        Binding("space", "mark", "Mark", show=False),
        Binding("d", "remove", "Remove"),
        Binding("a", "add", "Add"),
        Binding("x", "export", "Export CSV"),
        Binding("g", "reload", "Reload", show=False),  # (the palette has it: room for ? i q)
    ]
    HELP = ("**Suppression list.** SES will not send to an address on this list. Type in the "
            "filter box (" + FILTER_HELP + "), press `f` to ask about one address, Enter for "
            "an entry's details, Space to mark several, `d` removes (asks first), `a` adds, "
            "`x` exports every match as CSV.")

    def __init__(self, ctx: Context, address: str | None = None) -> None:
        super().__init__(id="suppression")
        self.ctx, self.aws_region, self.address = ctx, ctx.endpoints.aws_region, address
        self.entries: dict[str, SuppressedEntry] = {}
        self.filter = Filter()
        self.matches: list[SuppressedEntry] = []
        self.marked: set[str] = set()
        self.loading = False
        self.run_id = 0
        #: the address the side panel's answer is about (a removal or an add refreshes it)
        self.answer_about: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(classes="row"):
            yield Input(placeholder=FILTER_HELP, id="sup-filter")
            yield Input(self.address or "", placeholder="is it suppressed? address + Enter",
                        id="sup-lookup")
        with Horizontal(id="sup-panes"):
            yield DataTable(id="sup-table", cursor_type="row", zebra_stripes=True,
                            fixed_columns=FIXED_COLUMNS)
            with Vertical(id="sup-side"):
                yield Static(id="sup-answer")
                yield Label("By reason", classes="detail-heading sup-chart")
                yield Static(id="sup-reasons", classes="sup-chart")
                yield Label("Per day", classes="detail-heading sup-chart")
                yield Sparkline([], id="sup-days", classes="sup-chart")
                yield Static(id="sup-span", classes="hint sup-chart")
        yield Static(id="sup-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        #: the address column's width (None: as wide as its longest address)
        self.address_width: int | None = None
        for key, label in COLUMNS.items():
            table.add_column(label, key=key)
        self.action_reload()
        if self.address:
            self.ask(self.address)
            self.query_one("#sup-lookup").focus()
        else:
            table.focus()

    # ---- loading -----------------------------------------------------------------------------

    def action_reload(self) -> None:
        self.run_id += 1
        self.entries.clear()
        self.marked.clear()
        self.loading = True
        self._show_all()
        self.stream(self.run_id)

    @work(exclusive=True, group="suppression-load", exit_on_error=False)
    async def stream(self, run_id: int) -> None:
        """Thin worker: pages in, messages out; an AWS error ends the load with its words."""
        try:
            async for page in pages(self.ctx, self.aws_region):
                self.post_message(PageLoaded(run_id, page))
        except (AwsError, SuppressionError) as exc:
            self.post_message(LoadEnded(run_id, str(exc)))
            return
        self.post_message(LoadEnded(run_id))

    def on_page_loaded(self, message: PageLoaded) -> None:
        if message.run_id != self.run_id:
            return
        for entry in message.entries:
            self.entries[entry.email] = entry
        fresh = self.filter.apply(message.entries)
        room = MAX_ROWS - len(self.matches)
        self.matches += fresh
        self._add_rows(fresh[:max(room, 0)])
        self._show_counts()

    def on_load_ended(self, message: LoadEnded) -> None:
        if message.run_id != self.run_id:
            return
        self.loading = False
        if message.error:
            self.notify(message.error, severity="error", timeout=10)
        self._show_counts(message.error)

    # ---- what is shown -----------------------------------------------------------------------

    def on_resize(self, event: events.Resize) -> None:
        """A terminal too narrow for table and side panel side by side: the panel (its
        answer; the charts are left out) goes below the table, which takes the width."""
        self.set_class(event.size.width < STACKED_WIDTH, "-stacked")
        self.call_after_refresh(self._fit_address)

    def _fit_address(self) -> None:
        """The address column gets the table's width left after mark, reason and date, so
        a long address is what is cut (with an ellipsis), never the date."""
        table = self.query_one(DataTable)
        if not table.size.width:
            return
        width = max(MIN_ADDRESS, table.size.width - SCROLLBAR - BEFORE_ADDRESS)
        if width == self.address_width:
            return
        self.address_width = width
        row = table.cursor_row
        table.clear(columns=True)
        for key, label in COLUMNS.items():
            table.add_column(label, key=key, width=width if key == "email" else None)
        self._add_rows(self.matches[:MAX_ROWS])
        if table.row_count:
            table.move_cursor(row=min(row, table.row_count - 1), animate=False)

    def _row(self, entry: SuppressedEntry) -> tuple[str, str, str, Text]:
        mark = "✓" if entry.email in self.marked else " "
        return (mark, entry.reason, f"{entry.last_update:%Y-%m-%d}",
                Text(entry.email, no_wrap=True, overflow="ellipsis"))

    def _add_rows(self, entries: Sequence[SuppressedEntry]) -> None:
        table = self.query_one(DataTable)
        for entry in entries:
            table.add_row(*self._row(entry), key=entry.email)

    def _show_all(self) -> None:
        """Rebuild the table from the entries and the filter (after a filter or a change)."""
        self.matches = self.filter.apply(self.entries.values())
        table = self.query_one(DataTable)
        table.clear()
        self._add_rows(self.matches[:MAX_ROWS])
        self._show_counts()

    def _show_counts(self, error: str | None = None) -> None:
        shown = min(len(self.matches), MAX_ROWS)
        state = "loading…" if self.loading else ("load failed" if error else "loaded")
        marked = f" · {len(self.marked)} marked" if self.marked else ""
        more = " (narrow the filter to see the rest)" if len(self.matches) > shown else ""
        self.query_one("#sup-status", Static).update(
            f"{self.aws_region}: {_count(len(self.entries), 'entry', 'entries')} {state} · "
            f"{_count(len(self.matches), 'match', 'matches')} · {shown:,} shown{more}{marked}")
        self.query_one("#sup-reasons", Static).update(reason_bars(counts_by_reason(self.matches)))
        days = counts_by_day(self.matches)
        self.query_one("#sup-days", Sparkline).data = list(days.values())
        span = f"{min(days)} → {max(days)}" if days else "no entries"
        self.query_one("#sup-span", Static).update(span)

    def _answer(self, text: str, about: str | None = None) -> None:
        self.answer_about = about.strip().lower() if about else None
        self.query_one("#sup-answer", Static).update(text)

    # ---- filter, details, lookup -------------------------------------------------------------

    @on(Input.Changed, "#sup-filter")
    def filter_changed(self, event: Input.Changed) -> None:
        wanted, error = parse_filter(event.value)
        if error:
            self._answer(error)
            return
        self.filter = wanted
        self._show_all()

    @on(DataTable.RowHighlighted, "#sup-table")
    @on(DataTable.RowSelected, "#sup-table")
    def row_chosen(self, event: DataTable.RowHighlighted | DataTable.RowSelected) -> None:
        if not event.data_table.has_focus:  # rows arriving move the cursor: not a choice
            return
        entry = self.entries.get(str(event.row_key.value))
        if entry is not None:
            self._answer(entry_text(entry), entry.email)

    @on(Input.Submitted, "#sup-lookup")
    def lookup_submitted(self, event: Input.Submitted) -> None:
        self.ask(event.value)

    @work(group="suppression-lookup", exit_on_error=False)
    async def ask(self, address: str) -> None:
        """Is this address suppressed, and why? One GetSuppressedDestination."""
        self._answer(f"Looking up {address.strip()} in {self.aws_region}…", address)
        try:
            entry = await lookup(self.ctx, address, self.aws_region)
        except (AwsError, SuppressionError) as exc:
            self._answer(str(exc))
            return
        if entry is None:
            self._answer(f"{address.strip().lower()} is not on the {self.aws_region} account "
                         f"suppression list.\n\n{NOTE_TEXT['global_list']}", address)
            return
        self._answer(f"{entry_text(entry)}\n\n{NOTE_TEXT['per_region']}", entry.email)

    def action_focus_filter(self) -> None:
        self.query_one("#sup-filter").focus()

    def action_focus_lookup(self) -> None:
        self.query_one("#sup-lookup").focus()

    def action_back(self) -> None:
        self.dismiss(None)

    # ---- marking and removing ----------------------------------------------------------------

    def _cursor_email(self) -> str | None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return None
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
        return str(key.value)

    def action_mark(self) -> None:
        email = self._cursor_email()
        if email is None:
            return
        self.marked.symmetric_difference_update({email})
        self.query_one(DataTable).update_cell(email, "mark",
                                              "✓" if email in self.marked else " ")
        self._show_counts()

    def action_remove(self) -> None:
        chosen = sorted(self.marked) or [e for e in [self._cursor_email()] if e]
        if not chosen:
            self.notify("Nothing to remove: select or mark (Space) an entry.", severity="warning")
            return
        complaints = sum(1 for e in chosen if getattr(self.entries.get(e), "reason", "")
                         == "COMPLAINT")
        who = chosen[0] if len(chosen) == 1 else f"{len(chosen)} addresses"
        risk = f" {NOTE_TEXT['complaint_risk']}" if complaints else ""
        self.app.push_screen(
            ConfirmModal(f"Remove {who} from the {self.aws_region} suppression list?",
                         f"SES will deliver to {'it' if len(chosen) == 1 else 'them'} again."
                         f"{risk} {NOTE_TEXT['per_region']}", verb="Remove"),
            lambda ok: self._remove_confirmed(bool(ok), chosen))

    def _remove_confirmed(self, ok: bool, emails: list[str]) -> None:
        if not ok:
            self.notify("Nothing was changed.")
            return
        self.remove_now(emails)

    @work(group="suppression-change", exit_on_error=False)
    async def remove_now(self, emails: list[str]) -> None:
        done: list[Removal] = []
        result = await remove(self.ctx, emails, self.aws_region, progress=done.append)
        for item in result.items:
            if item.status is not RemovalStatus.ERROR:
                self.entries.pop(item.email, None)
                self.marked.discard(item.email)
                if item.email.lower() == self.answer_about:  # the panel spoke of it
                    self._answer(f"{item.email}: not suppressed: removed from the "
                                 f"{self.aws_region} account suppression list just now; SES "
                                 "will deliver to it again.", item.email)
        self._show_all()
        errors = "; ".join(f"{r.email}: {r.message}" for r in result.with_status(
            RemovalStatus.ERROR))
        self.notify(removal_summary(result) + (f" {errors}" if errors else ""),
                    severity="information" if result.ok else "error", timeout=10)

    # ---- adding and exporting ----------------------------------------------------------------

    def action_add(self) -> None:
        self.app.push_screen(AddModal(self.aws_region), self._add_chosen)

    def _add_chosen(self, chosen: tuple[str, str] | None) -> None:
        if chosen is not None:
            self.add_now(*chosen)

    @work(group="suppression-change", exit_on_error=False)
    async def add_now(self, email: str, reason: str) -> None:
        try:
            entry = await add(self.ctx, email, reason, self.aws_region)
        except (AwsError, SuppressionError) as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        self.entries[entry.email] = entry
        self._show_all()
        if entry.email.lower() == self.answer_about:
            self._answer(entry_text(entry), entry.email)
        self.notify(f"{entry.email} added to the {self.aws_region} list ({entry.reason}).")

    def action_export(self) -> None:
        default = f"suppression-{self.aws_region}.csv"
        self.app.push_screen(PathModal(f"Export {len(self.matches):,} entries as CSV to:",
                                       default), self._export_to)

    def _export_to(self, path: Path | None) -> None:
        if path is None:
            return
        try:
            with path.open("w", encoding="utf-8", newline="") as file:
                n = export_csv(self.matches, file)
        except OSError as exc:
            self.notify(f"Could not write {path}: {exc.strerror or exc}", severity="error")
            return
        self.notify(f"{n:,} entries written to {path}")


class AddModal(Guarded, ModalScreen[tuple[str, str] | None]):
    """Asks for an address and a reason; says what adding does."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, region: str) -> None:
        super().__init__(classes="modal")
        self.aws_region = region

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(f"Add an address to the {self.aws_region} suppression list",
                        classes="dialog-title")
            yield Static("SES will stop sending to it from this account in this region.")
            yield Input(placeholder="someone@example.net", id="add-email")
            yield Select([(r.title(), r) for r in REASONS], value=REASONS[0],
                         allow_blank=False, id="add-reason")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Add", id="add-yes", variant="warning")
                yield Button("Cancel (Esc)", id="add-no")

    @on(Button.Pressed, "#add-yes")
    @on(Input.Submitted, "#add-email")
    def confirm(self) -> None:
        email = self.query_one("#add-email", Input).value.strip()
        if not email:
            self.notify("Type the address to add.", severity="error")
            return
        if not ADDRESS.match(email):
            self.notify(f"“{email}” is not an email address: type one like "
                        "someone@example.net.", severity="error")
            return
        self.dismiss((email, str(self.query_one("#add-reason", Select).value)))

    @on(Button.Pressed, "#add-no")
    def action_cancel(self) -> None:
        self.dismiss(None)


def _count(n: int, one: str, many: str) -> str:
    """"1 entry", "2 entries" (with thousands separators)."""
    return f"{n:,} {one if n == 1 else many}"
