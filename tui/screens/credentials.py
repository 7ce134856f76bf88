"""Credentials: the stored relay profiles (password masked), a login test, and rotation.

Rotation (`checks.creds.rotation.Rotation`) runs in a worker: its steps are a checklist
updated live from progress events; every question it asks opens a modal (a confirmation,
or, for the Gmail step, the values to type with one copy button per field). Passwords are
shown masked and revealed only to put them on the clipboard.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import math
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path

from rich.cells import cell_len
from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import ModalScreen, Screen
from textual.widgets import Button, Header, Label, OptionList, Static
from textual.widgets.option_list import Option

from checks.config import ConfigError, Profile, load_profiles
from checks.context import Context
from checks.creds.rotation import (
    GmailField,
    GmailSettings,
    OutcomeStatus,
    Question,
    QuestionId,
    Rotation,
    RotationError,
    RotationEvent,
    RotationOptions,
    RotationOutcome,
    StepId,
    StepStatus,
)
from checks.creds.store import StoreError, get_secret
from checks.net.smtp import ProbeResult
from checks.secrets import Secret
from tui.errors import Guarded
from tui.screens.modals import ConfirmModal
from tui.widgets.key_footer import KeyFooter

#: step status -> glyph and word, as the layer tree shows check statuses
STEP_MARKS = {
    StepStatus.PENDING: "· waiting", StepStatus.RUNNING: "… running",
    StepStatus.WAITING: "… waiting", StepStatus.DONE: "✓ done",
    StepStatus.SKIPPED: "– skipped", StepStatus.FAILED: "✗ failed",
    StepStatus.ROLLED_BACK: "↺ undone",
}
#: the mark of the step a cancel stopped (the rotation records it as failed)
STOPPED_MARK = "■ stopped"
#: under this many columns the profile list goes above the detail (values stay whole)
STACKED_WIDTH = 70
#: what the user reads while a step waits, by step (the rest: "next try")
WAIT_WORDS = {
    StepId.VERIFY: "New key not accepted yet: next login at {at}, in about {left}",
    StepId.CONFIRM_GMAIL: "Waiting for Gmail's login: next check at {at}, in about {left}",
}

_ISO = re.compile(r"\b\d{4}-\d\d-\d\dT\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?")


def local_time(when: dt.datetime, now: dt.datetime | None = None) -> str:
    """A moment as a person reads it: the local time of day (08:41:10) when it is today,
    else the local date and time (2026-07-10 09:41)."""
    when = (when if when.tzinfo else when.replace(tzinfo=dt.UTC)).astimezone()
    today = (now or dt.datetime.now().astimezone()).astimezone().date()
    return f"{when:%H:%M:%S}" if when.date() == today else f"{when:%Y-%m-%d %H:%M}"


def human_times(text: str, now: dt.datetime | None = None) -> str:
    """Every ISO 8601 timestamp in `text` (2026-12-04T08:06:16.438093+00:00) as local time."""
    def one(match: re.Match[str]) -> str:
        try:
            return local_time(dt.datetime.fromisoformat(match.group(0)), now)
        except ValueError:
            return match.group(0)
    return _ISO.sub(one, text)


def in_about(seconds: float) -> str:
    """'3 s', '40 s', '2 min': how long until something happens, rounded up."""
    seconds = max(0, math.ceil(seconds))
    return f"{seconds} s" if seconds < 90 else f"{math.ceil(seconds / 60)} min"


def login_line(result: ProbeResult, redact: Callable[[str], str]) -> tuple[bool, str]:
    """Whether the login worked and a result line that says so at its first character:
    ✓ accepted (235), ✗ refused (the server's reply), ✗ could not log in (where it stopped)."""
    where = f"{result.host}:{result.port}"
    if result.auth is not None:
        reply = redact(result.auth.text)
        if result.auth_ok:
            return True, f"✓ login accepted: {reply}\n  by {where}"
        hint = "\nThe stored password is refused: o rotates the credentials." \
            if result.auth.code == 535 else ""
        return False, f"✗ login refused: {reply}\n  by {where}{hint}"
    if result.failure is not None:
        return False, f"✗ could not log in: {result.stopped_at}" + (
            f" ({redact(result.detail)})" if result.detail else "") + f"\n  at {where}"
    return False, f"✗ no reply to AUTH\n  from {where}"


class RotationCancelled(ConfigError):
    """Raised from a rotation's wait when the user cancels. The rotation treats it as a
    step that could not go on: before the new key is made current it deletes that key and
    puts the keyring back as it was (nothing is left stored); after, it stops resumable,
    the profile on the new (verified) key and the old key not deactivated."""


@dataclass
class StepChanged(Message):
    """A rotation step moved on (posted from the rotation's progress callback)."""

    event: RotationEvent


@dataclass
class ProfileChanged(Message):
    """A rotation step may have changed a stored relay profile (the new key made current,
    or the old one put back). `users` are the SMTP usernames the profile has had during
    this rotation: a diagnosis using one of them follows the profile (the app re-reads it)."""

    name: str
    users: tuple[str, ...]


def fit_endpoint(host: str, port: str, width: int) -> str:
    """host:port in `width` columns: the port always whole, the host's start cut with an
    ellipsis when it does not fit (its region and domain are at the end)."""
    tail = f":{port}"
    room = width - len(tail)
    if len(host) <= room:
        return host + tail
    return ("…" + host[len(host) - room + 1:] if room > 1 else "…") + tail


class ProfileRow:
    """A list row: name and user, then host:port on its own line (never broken: the host
    is shortened to fit), then the masked password; each line cut, never wrapped."""

    def __init__(self, profile: Profile, masked: str, shown: Callable[[str], str]) -> None:
        self.name = shown(f"{profile.name}  {profile.relay_user or '(no user)'}")
        self.host, self.port = profile.relay_host or "?", str(profile.relay_port or "?")
        self.password = f"password {masked}"

    def __str__(self) -> str:
        return f"{self.name}\n{self.host}:{self.port}\n{self.password}"

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        for line in (self.name, fit_endpoint(self.host, self.port, width), self.password):
            yield Text(line, no_wrap=True, overflow="ellipsis")

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        lines = (self.name, f"{self.host}:{self.port}", self.password)
        return Measurement(1, max(len(line) for line in lines))


class DetailLines:
    """The profile's settings as `key: value` lines. A value is never broken across lines:
    one that does not fit beside its key goes whole on the line under it (indented); only
    a value wider than the pane is cut at its end, with an ellipsis. Notes after them wrap
    at spaces like any text."""

    def __init__(self, pairs: list[tuple[str, str]], notes: list[str]) -> None:
        self.pairs, self.notes = pairs, notes

    def __str__(self) -> str:
        return "\n".join([f"{k}: {v}" for k, v in self.pairs] + self.notes)

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        for key, value in self.pairs:
            line = f"{key}: {value}"
            if cell_len(line) <= width:
                yield Text(line, no_wrap=True)
            else:
                yield Text(f"{key}:", no_wrap=True, overflow="ellipsis")
                yield Text(f"  {value}", no_wrap=True, overflow="ellipsis")
        for note in self.notes:
            yield Text(note)

    def __rich_measure__(self, console: Console, options: ConsoleOptions) -> Measurement:
        widest = max((cell_len(f"{k}: {v}") for k, v in self.pairs), default=1)
        return Measurement(1, max([widest] + [cell_len(n) for n in self.notes]))


def masked_password(name: str) -> str:
    """The stored password masked, or why it cannot be read."""
    try:
        secret = get_secret(name)
    except StoreError as exc:
        return f"(keyring: {exc})"
    return secret.masked() if secret else "(none stored)"


class CredentialsScreen(Guarded, Screen[None]):
    """Stored profiles on the left; the chosen one's test and rotation on the right."""

    BINDINGS = [
        Binding("escape", "back", "Back"),
        # first while a rotation runs (the footer keeps a screen's first keys longest)
        Binding("c", "cancel_rotation", "Cancel rotation"),
        Binding("e", "test", "Test login"),
        Binding("o", "rotate", "Rotate"),
    ]
    HELP = ("**Credentials.** Relay profiles from the settings file; their passwords live "
            "only in the OS keyring and are shown masked. `e` logs in to the relay with the "
            "stored password and shows the result under the buttons; `o` rotates the SES SMTP "
            "credentials step by step, asking before each change; `c` cancels a running "
            "rotation (before the new key is in use it is deleted again; after, the rotation "
            "stops where it is, the profile on the new key, and `o` resumes it).")

    def __init__(self, ctx: Context, *, rotate: bool = False,
                 options: RotationOptions | None = None, config: Path | None = None) -> None:
        super().__init__(id="credentials")
        self.ctx, self.rotate_hint, self.rotation_options = ctx, rotate, options
        #: the settings file the profiles (and rotation state) live in; None: the user's
        self.config = config
        self.profiles: dict[str, Profile] = {}
        self.rotation: Rotation | None = None
        self.step_log: dict[str, str] = {}
        #: the SMTP usernames the rotated profile has had since its rotation began
        self.rotated_users: list[str] = []
        #: applied to the text of rows and steps (screenshots make lab key ids constant)
        self.shown: Callable[[str], str] = str
        #: the last login test: (profile, SMTP user, worked, result line); shown while the
        #: highlighted profile still has that user
        self.login: tuple[str, str, bool | None, str] | None = None
        #: a rotation is running (its worker has not ended)
        self.rotating = False
        #: the user asked to cancel the running rotation; set, its waits end at once
        self.cancel_requested = False
        self._cancel = asyncio.Event()
        #: the wait in progress: its step, and when it ends (time.time())
        self.waiting: tuple[StepId | None, float] | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="cred-panes"):
            yield OptionList(id="cred-profiles")
            with VerticalScroll(id="cred-side"):
                yield Static(id="cred-detail")
                with Horizontal(classes="detail-actions"):
                    yield Button("Test login (e)", id="cred-test", compact=True)
                    yield Button("Rotate (o)", id="cred-rotate", compact=True,
                                 variant="warning")
                    yield Button("Cancel rotation (c)", id="cred-cancel", compact=True,
                                 variant="error")
                yield Static(id="cred-result")
                yield Static(id="cred-checklist")
        yield Static(id="cred-status")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._show_running()
        self.set_interval(1.0, self._show_wait)  # the countdown of a wait (idle otherwise)
        self.show_profiles()

    def on_resize(self, event: events.Resize) -> None:
        """A narrow terminal puts the list above the detail, so values have the width."""
        self.set_class(event.size.width < STACKED_WIDTH, "-stacked")

    def show_profiles(self, keep: str | None = None) -> None:
        """(Re)read the stored profiles; highlight `keep`, else the one the diagnosis used."""
        listing = self.query_one(OptionList)
        listing.clear_options()
        try:
            self.profiles = load_profiles(self.config)
        except ConfigError as exc:
            self._detail(str(exc))
            return
        options = [Option(ProfileRow(p, masked_password(n), self.shown), id=n)
                   for n, p in self.profiles.items()]
        listing.add_options(options)
        if keep in self.profiles:
            listing.highlighted = list(self.profiles).index(keep)
            self.profile_chosen()  # the detail now, even if the highlight did not move
            return
        if not options:
            self._detail("No stored profiles. Store one with\n  mailpath creds set NAME "
                         "--relay-host HOST --relay-user USER\n(the password goes to the OS "
                         "keyring).")
            return
        self.query_one(OptionList).highlighted = self._preferred()
        self.query_one(OptionList).focus()

    def _preferred(self) -> int:
        """The profile whose username the diagnosed relay uses, else the first."""
        user = self.ctx.inputs.relay.username if self.ctx.inputs.relay else None
        names = list(self.profiles)
        return next((i for i, n in enumerate(names) if self.profiles[n].relay_user == user), 0)

    # ---- what is shown -----------------------------------------------------------------------

    def _detail(self, text: str | DetailLines) -> None:
        self.query_one("#cred-detail", Static).update(text)

    def selected(self) -> Profile | None:
        index = self.query_one(OptionList).highlighted
        names = list(self.profiles)
        return self.profiles[names[index]] if index is not None and names else None

    @on(OptionList.OptionHighlighted, "#cred-profiles")
    def profile_chosen(self) -> None:
        profile = self.selected()
        if profile is None:
            return
        pairs = [(k, self.shown(str(v))) for k, v in profile.to_toml().items()]
        pairs.append(("password", masked_password(profile.name)))
        notes = []
        if self.rotating:
            notes.append("A rotation is running: c cancels it.")
        elif Rotation.in_progress(profile.name, self.config):
            notes.append("A rotation is in progress: o resumes it.")
        elif self.rotate_hint:
            notes.append("The diagnosis found these credentials refused: o rotates them.")
        self._detail(DetailLines(pairs, notes))
        self._show_login()
        self._checklist()

    def _show_login(self) -> None:
        """The last login test's result line, if it is about the profile as listed now."""
        profile, box = self.selected(), self.query_one("#cred-result", Static)
        login = self.login
        mine = login is not None and profile is not None and \
            (login[0], login[1]) == (profile.name, profile.relay_user or "")
        box.update(self.shown(login[3]) if mine and login else "")
        worked = login[2] if mine and login else None
        box.set_class(worked is True, "-ok")
        box.set_class(worked is False, "-bad")
        box.display = mine

    def _checklist(self) -> None:
        if self.rotation is None:
            self.query_one("#cred-checklist", Static).update("")
            return
        # a grid: a long note wraps under its step's title, not back to the first column
        grid = Table.grid(padding=(0, 1))
        grid.add_column(width=10, no_wrap=True, style="bold")  # (its own style: the
        # blank under a mark is drawn apart from the note, so pictures keep the indent)
        grid.add_column(ratio=1)
        for step, status in self.rotation.checklist():
            note = self.step_log.get(step.id)
            mark = STEP_MARKS[status]
            if status is StepStatus.FAILED and self.cancel_requested:
                mark = STOPPED_MARK  # a cancel, recorded by the rotation as a failed step
            grid.add_row(mark, self.shown(step.title + (f"\n{note}" if note else "")))
        self.query_one("#cred-checklist", Static).update(Group(Text("Rotation"), grid))

    def _show_running(self) -> None:
        """Rotate or Cancel, in the buttons and in the footer, as the rotation runs or not."""
        self.query_one("#cred-rotate").display = not self.rotating
        self.query_one("#cred-cancel").display = self.rotating
        self.refresh_bindings()
        self._show_wait()

    def _show_wait(self) -> None:
        """The bar above the footer: what the running rotation waits for, when the wait
        ends (local time, and how long from now) and how to cancel; hidden otherwise."""
        bar = self.query_one("#cred-status", Static)
        if not self.rotating:
            bar.display = False
            return
        if self.cancel_requested:
            text = "Cancelling the rotation: it stops at its next wait or question…"
        elif self.waiting is not None:
            step, until = self.waiting
            words = WAIT_WORDS.get(step, "Waiting: next try at {at}, in about {left}") \
                if step else "Waiting: next try at {at}, in about {left}"
            at = local_time(dt.datetime.fromtimestamp(until, dt.UTC))
            text = words.format(at=at, left=in_about(until - time.time())) + " · c cancels"
        else:
            text = "Rotation running · c cancels it"
        bar.update(text)
        bar.display = True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """c only while a rotation runs; o only while none does (o would start another)."""
        if action == "cancel_rotation":
            return self.rotating
        if action == "rotate":
            return not self.rotating
        return True

    # ---- test --------------------------------------------------------------------------------

    @on(Button.Pressed, "#cred-test")
    def action_test(self) -> None:
        profile = self.selected()
        if profile is None:
            self.notify("No profile to test.", severity="warning")
            return
        current = self._stored(profile.name)  # never a copy listed before a rotation step
        if current is None:
            self.notify(f"The profile {profile.name} is no longer stored.", severity="warning")
            self.show_profiles()
            return
        self.test_login(current)

    def _login_result(self, profile: Profile, worked: bool | None, line: str) -> None:
        self.login = (profile.name, profile.relay_user or "", worked, line)
        self._show_login()

    @work(group="creds-test", exclusive=True, exit_on_error=False)
    async def test_login(self, profile: Profile) -> None:
        """Log in with the stored password; the result stays on screen under the buttons
        (✓ accepted or ✗ refused, with the server's reply), and is said in a notice too."""
        from checks.creds.rotation import own_login
        from checks.net.smtp import probe

        try:
            secret = get_secret(profile.name)
        except StoreError as exc:
            self._login_result(profile, False, f"✗ cannot read the password: {exc}")
            self.notify(str(exc), severity="error", timeout=10)
            return
        if not (secret and profile.relay_host and profile.relay_user):
            line = "✗ cannot log in: this profile has no host, user or stored password."
            self._login_result(profile, False, line)
            self.notify(line, severity="error")
            return
        port = profile.relay_port or 587
        self._login_result(profile, None, f"… logging in to {profile.relay_host}:{port}")
        # a rotation of this profile waiting for Gmail's first login must not take this one
        with own_login(profile.name, profile.relay_user):
            result = await probe(profile.relay_host, port,
                                 "tls" if profile.relay_tls == "tls" else "starttls",
                                 self.ctx.endpoints, auth=(profile.relay_user, secret),
                                 timeout=10)
        ok, line = login_line(result, self.ctx.redactor)
        self._login_result(profile, ok, line)
        self.notify(line.splitlines()[0], severity="information" if ok else "error",
                    timeout=10)

    # ---- rotation ----------------------------------------------------------------------------

    @on(Button.Pressed, "#cred-rotate")
    def action_rotate(self) -> None:
        if self.rotating:  # a second start would cut the running one short
            self.notify("A rotation is running: c cancels it.", severity="warning")
            return
        profile = self.selected()
        if profile is None:
            self.notify("No profile to rotate.", severity="warning")
            return
        self.rotate(profile.name)

    @on(Button.Pressed, "#cred-cancel")
    def action_cancel_rotation(self) -> None:
        """Stop the running rotation at once if it waits, else at its next wait or
        question (answered no); what it leaves is said when it has stopped."""
        if not self.rotating:
            return
        self.cancel_requested = True
        self._cancel.set()
        self._show_wait()
        self._checklist()

    def _options(self) -> RotationOptions:
        """The rotation's bounds, with its waits made cancellable and shown as a countdown."""
        base = self.rotation_options or RotationOptions()
        sleep = base.sleep

        async def wait(seconds: float) -> None:
            await self._wait_or_cancel(sleep, seconds)

        return replace(base, sleep=wait)

    async def _wait_or_cancel(self, sleep: Callable[[float], Awaitable[None]],
                              seconds: float) -> None:
        if self.cancel_requested:
            raise RotationCancelled("cancelled by you")
        self.waiting = (self._running_step(), time.time() + seconds)
        self._show_wait()
        slept = asyncio.ensure_future(sleep(seconds))
        cancelled = asyncio.ensure_future(self._cancel.wait())
        try:
            await asyncio.wait({slept, cancelled}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            slept.cancel()
            cancelled.cancel()
            self.waiting = None
            self._show_wait()
        if self.cancel_requested:
            raise RotationCancelled("cancelled by you")
        slept.result()  # (the wait's own trouble, if any, goes on up)

    def _running_step(self) -> StepId | None:
        if self.rotation is None:
            return None
        return next((s.id for s, st in self.rotation.checklist()
                     if st in (StepStatus.RUNNING, StepStatus.WAITING)), None)

    @work(group="creds-rotate", exclusive=True, exit_on_error=False)
    async def rotate(self, name: str) -> None:
        """Start or resume the rotation, then run it; questions come back as modals."""
        try:
            begin = Rotation.resume if Rotation.in_progress(name, self.config) else Rotation.start
            self.rotation = begin(name, config=self.config, options=self._options())
        except RotationError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        self.step_log.clear()
        self.rotated_users = []
        self.cancel_requested = False
        self._cancel.clear()
        self._note_user(name)
        self.rotating = True
        self._show_running()
        self._checklist()
        try:
            outcome = await self.rotation.run(Context(endpoints=self.ctx.endpoints),
                                              confirm=self.ask, progress=self._progress)
        finally:
            self.rotating = False
            self._show_running()
        good = outcome.status is OutcomeStatus.COMPLETED
        self.notify(self._ending(outcome), severity="information" if good else "warning",
                    timeout=12)
        self.show_profiles(keep=name)  # the profile may use the new key now
        self._checklist()
        self._profile_may_have_changed(name)

    def _ending(self, outcome: RotationOutcome) -> str:
        """How the rotation ended, in words; after a cancel, what it left in place."""
        message = human_times(self.ctx.redactor(outcome.message))
        if not self.cancel_requested or outcome.status is OutcomeStatus.COMPLETED:
            return f"Rotation {outcome.status.value}: {message}"
        if outcome.status is OutcomeStatus.ROLLED_BACK and outcome.new_key_id is None:
            return ("Rotation cancelled: the new key was deleted and the old credentials are "
                    "untouched; nothing of this rotation is left stored.")
        if outcome.status is OutcomeStatus.FAILED and outcome.resumable and self.rotation:
            step = next((s.title for s in self.rotation.steps if s.id == outcome.step), "")
            old = outcome.old_key_id
            left = f"the old key {old} was deleted earlier, to make room" \
                if self.rotation.state.room_key_id == old else \
                f"the old key {old} is left as it was"
            return (f"Rotation stopped at “{step}”: the profile keeps the new key "
                    f"{outcome.new_key_id} (SES accepted it); {left}. o resumes from there.")
        if outcome.status is OutcomeStatus.CANCELLED:
            return f"Rotation cancelled: {message}"
        return f"Rotation stopped ({outcome.status.value}): {message}"

    def _note_user(self, name: str) -> None:
        """Remember the profile's username now (and the rotation's old and new key ids)."""
        profile = self.profiles.get(name)
        state = self.rotation.state if self.rotation is not None else None
        for user in (profile.relay_user if profile else None,
                     state.old_key_id if state else None, state.new_key_id if state else None):
            if user and user not in self.rotated_users:
                self.rotated_users.append(user)

    def _profile_may_have_changed(self, name: str) -> None:
        """Tell the app: the diagnosis that used this profile follows what is stored now."""
        self._note_user(name)
        self.post_message(ProfileChanged(name, tuple(self.rotated_users)))

    def _progress(self, event: RotationEvent) -> None:
        self.post_message(StepChanged(event))

    def on_step_changed(self, message: StepChanged) -> None:
        if message.event.message:
            self.step_log[message.event.step] = human_times(
                self.ctx.redactor(message.event.message))
        # a step may have changed the stored profile or password (the new key made current,
        # the old one put back): list and detail show what is stored now, not what was
        self.show_profiles(keep=self._current_name())
        self._checklist()
        if self.rotation is not None:
            self._profile_may_have_changed(self.rotation.profile.name)

    def _current_name(self) -> str | None:
        """The highlighted profile's name (kept across a reload of the list)."""
        profile = self.selected()
        return profile.name if profile else None

    def _stored(self, name: str) -> Profile | None:
        """The profile as stored now (a rotation may have changed it since it was listed)."""
        try:
            self.profiles = load_profiles(self.config)
        except ConfigError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return None
        return self.profiles.get(name)

    async def ask(self, question: Question) -> bool:
        """Each confirmation in a modal; the Gmail step shows the values to type. After a
        cancel every question is answered no (the rotation stops there, as it says)."""
        assert self.rotation is not None
        if self.cancel_requested:
            return False
        if question.id is QuestionId.GMAIL_UPDATED:
            try:
                settings = self.rotation.gmail_settings()
            except RotationError as exc:
                self.notify(str(exc), severity="error")
                return False
            return await self._wait(GmailModal(settings, question))
        verb = "Delete" if question.destructive else "Yes"
        return await self._wait(ConfirmModal(human_times(question.text),
                                             human_times(question.detail), verb=verb))

    async def _wait(self, modal: ModalScreen[bool]) -> bool:
        """The modal's answer (this runs in the rotation's worker, so it may wait)."""
        answer: bool | None = await self.app.push_screen(  # type: ignore[call-overload]
            modal, wait_for_dismiss=True)
        return bool(answer)

    def action_back(self) -> None:
        if self.rotating:  # leaving would end the worker wherever it is
            self.notify("A rotation is running: cancel it first (c), or let it finish.",
                        severity="warning")
            return
        self.dismiss(None)


class GmailModal(Guarded, ModalScreen[bool]):
    """What to type into Gmail's "Send mail as → edit info", one copy button per field.

    A value is never broken across lines: when a field's value does not fit between its
    label and its Copy button, every value goes whole on a line of its own under its label
    (cut with an ellipsis only if wider than the dialog; Copy always copies it whole)."""

    BINDINGS = [Binding("escape", "not_yet", "Not yet"), Binding("y", "done", "Done")]
    #: the label column beside a value
    LABEL_WIDTH = 14

    def __init__(self, settings: GmailSettings, question: Question) -> None:
        super().__init__(classes="modal")
        self.settings, self.question = settings, question

    def shown(self, field: GmailField) -> str:
        return field.value.masked() if isinstance(field.value, Secret) else field.value

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Update Gmail with the new credentials", classes="dialog-title")
            yield Static("\n".join(f"{n}. {s}" for n, s in
                                   enumerate(self.settings.guidance, 1)))
            for field in self.settings.fields:
                shown = self.shown(field)
                with Vertical(classes="gmail-field"):
                    with Horizontal(classes="gmail-row"):
                        yield Label(f"{field.label}:", classes="gmail-label")
                        yield Static(shown, classes="gmail-value gmail-inline", markup=False)
                        yield Button("Copy", id=f"copy-{field.name}", compact=True)
                    yield Static(shown, classes="gmail-value gmail-own", markup=False)
            yield Static(self.question.text, classes="hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Gmail is updated (y)", id="gmail-done", variant="primary")
                yield Button("Not yet (Esc)", id="gmail-later")

    def on_mount(self) -> None:
        self.call_after_refresh(self.fit)

    def on_resize(self, event: events.Resize) -> None:
        self.call_after_refresh(self.fit)

    def fit(self) -> None:
        """Values beside their labels when the widest fits there, else under them."""
        rows = list(self.query(".gmail-row"))
        if not rows or not rows[0].size.width:
            return
        copy = self.query_one(".gmail-row Button").outer_size.width
        room = rows[0].size.width - self.LABEL_WIDTH - copy - 1
        widest = max(cell_len(self.shown(f)) for f in self.settings.fields)
        self.set_class(widest > room, "-stacked")

    @on(Button.Pressed, ".gmail-field Button")
    def copy(self, event: Button.Pressed) -> None:
        field = self.settings.field(str(event.button.id).removeprefix("copy-"))
        value = field.value.reveal() if isinstance(field.value, Secret) else field.value
        self.app.copy_to_clipboard(value)
        self.notify(f"{field.label} copied to the clipboard")

    @on(Button.Pressed, "#gmail-done")
    def action_done(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#gmail-later")
    def action_not_yet(self) -> None:
        self.dismiss(False)
