"""Credentials: the stored relay profiles (password masked), a login test, and rotation.

Rotation (`checks.creds.rotation.Rotation`) runs in a worker: its steps are a checklist
updated live from progress events; every question it asks opens a modal (a confirmation,
or, for the Gmail step, the values to type with one copy button per field). Passwords are
shown masked and revealed only to put them on the clipboard.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console, ConsoleOptions, Group, RenderResult
from rich.measure import Measurement
from rich.table import Table
from rich.text import Text
from textual import on, work
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
    GmailSettings,
    OutcomeStatus,
    Question,
    QuestionId,
    Rotation,
    RotationError,
    RotationEvent,
    RotationOptions,
    StepStatus,
)
from checks.creds.store import StoreError, get_secret
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
        Binding("e", "test", "Test login"),
        Binding("o", "rotate", "Rotate"),
    ]
    HELP = ("**Credentials.** Relay profiles from the settings file; their passwords live "
            "only in the OS keyring and are shown masked. `e` logs in to the relay with the "
            "stored password; `o` rotates the SES SMTP credentials step by step, asking before "
            "each change.")

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
                yield Static(id="cred-checklist")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.show_profiles()

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

    def _detail(self, text: str) -> None:
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
        lines = [f"{k}: {v}" for k, v in profile.to_toml().items()]
        lines.append(f"password: {masked_password(profile.name)}")
        if Rotation.in_progress(profile.name, self.config):
            lines.append("A rotation is in progress: o resumes it.")
        elif self.rotate_hint:
            lines.append("The diagnosis found these credentials refused: o rotates them.")
        self._detail(self.shown("\n".join(lines)))
        self._checklist()

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
            grid.add_row(STEP_MARKS[status], self.shown(step.title + (f"\n{note}" if note else "")))
        self.query_one("#cred-checklist", Static).update(Group(Text("Rotation"), grid))

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

    @work(group="creds-test", exclusive=True, exit_on_error=False)
    async def test_login(self, profile: Profile) -> None:
        from checks.net.smtp import describe, probe

        try:
            secret = get_secret(profile.name)
        except StoreError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        if not (secret and profile.relay_host and profile.relay_user):
            self.notify("This profile has no host, user or stored password.", severity="error")
            return
        self.notify(f"Logging in to {profile.relay_host}…")
        result = await probe(profile.relay_host, profile.relay_port or 587,
                             "tls" if profile.relay_tls == "tls" else "starttls",
                             self.ctx.endpoints, auth=(profile.relay_user, secret), timeout=10)
        reply = f" · AUTH {result.auth.code}" if result.auth else ""
        ok = result.failure is None and result.auth is not None and result.auth.code == 235
        self.notify(describe(result, self.ctx.redactor) + reply,
                    severity="information" if ok else "error", timeout=10)

    # ---- rotation ----------------------------------------------------------------------------

    @on(Button.Pressed, "#cred-rotate")
    def action_rotate(self) -> None:
        profile = self.selected()
        if profile is None:
            self.notify("No profile to rotate.", severity="warning")
            return
        self.rotate(profile.name)

    @work(group="creds-rotate", exclusive=True, exit_on_error=False)
    async def rotate(self, name: str) -> None:
        """Start or resume the rotation, then run it; questions come back as modals."""
        try:
            begin = Rotation.resume if Rotation.in_progress(name, self.config) else Rotation.start
            self.rotation = begin(name, config=self.config, options=self.rotation_options)
        except RotationError as exc:
            self.notify(str(exc), severity="error", timeout=10)
            return
        self.step_log.clear()
        self.rotated_users = []
        self._note_user(name)
        self._checklist()
        outcome = await self.rotation.run(Context(endpoints=self.ctx.endpoints),
                                          confirm=self.ask, progress=self._progress)
        good = outcome.status is OutcomeStatus.COMPLETED
        self.notify(f"Rotation {outcome.status.value}: {outcome.message}",
                    severity="information" if good else "warning", timeout=12)
        self.show_profiles(keep=name)  # the profile may use the new key now
        self._checklist()
        self._profile_may_have_changed(name)

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
            self.step_log[message.event.step] = self.ctx.redactor(message.event.message)
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
        """Each confirmation in a modal; the Gmail step shows the values to type."""
        assert self.rotation is not None
        if question.id is QuestionId.GMAIL_UPDATED:
            try:
                settings = self.rotation.gmail_settings()
            except RotationError as exc:
                self.notify(str(exc), severity="error")
                return False
            return await self._wait(GmailModal(settings, question))
        verb = "Delete" if question.destructive else "Yes"
        return await self._wait(ConfirmModal(question.text, question.detail, verb=verb))

    async def _wait(self, modal: ModalScreen[bool]) -> bool:
        """The modal's answer (this runs in the rotation's worker, so it may wait)."""
        answer: bool | None = await self.app.push_screen(  # type: ignore[call-overload]
            modal, wait_for_dismiss=True)
        return bool(answer)

    def action_back(self) -> None:
        self.dismiss(None)


class GmailModal(Guarded, ModalScreen[bool]):
    """What to type into Gmail's "Send mail as → edit info", one copy button per field."""

    BINDINGS = [Binding("escape", "not_yet", "Not yet"), Binding("y", "done", "Done")]

    def __init__(self, settings: GmailSettings, question: Question) -> None:
        super().__init__(classes="modal")
        self.settings, self.question = settings, question

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label("Update Gmail with the new credentials", classes="dialog-title")
            yield Static("\n".join(f"{n}. {s}" for n, s in
                                   enumerate(self.settings.guidance, 1)))
            for field in self.settings.fields:
                shown = field.value.masked() if isinstance(field.value, Secret) else field.value
                with Horizontal(classes="gmail-field"):
                    yield Label(f"{field.label}:", classes="gmail-label")
                    yield Static(shown, classes="gmail-value")
                    yield Button("Copy", id=f"copy-{field.name}", compact=True)
            yield Static(self.question.text, classes="hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Gmail is updated (y)", id="gmail-done", variant="primary")
                yield Button("Not yet (Esc)", id="gmail-later")

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
