"""Intake: what happened? Paste a bounce, say mail is not arriving, or check the setup."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.suggester import SuggestFromList
from textual.widgets import Button, Header, Input, Label, TabbedContent, TabPane, TextArea

from checks.config import ConfigError, Profile, get_profile, load_profiles
from checks.context import RelaySettings
from checks.creds.store import StoreError, get_secret
from tui.errors import Guarded
from tui.messages import IntakeSubmitted
from tui.persist import load_recent, recent_path, remember
from tui.widgets.key_footer import KeyFooter

ADDRESS = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

#: tab id -> (tab label, the field to focus when the tab opens)
WAYS = {
    "bounce": ("b · I have a bounce", "#bounce-text"),
    "not_arriving": ("n · Mail is not arriving", "#na-sender"),
    "check_setup": ("s · Check my setup", "#setup-sender"),
}
#: tab id -> its label on a terminal too narrow for the three whole (its key stays first)
SHORT_WAYS = {"bounce": "b · Bounce", "not_arriving": "n · Not arriving",
              "check_setup": "s · Setup"}
#: columns the three whole labels need (each tab pads its label by a cell either side)
WAYS_WIDTH = sum(len(label) + 2 for label, _ in WAYS.values())


def read_bounce_file(path_text: str) -> tuple[str | None, str | None]:
    """The file's text, or a plain-words error. Read as `mailpath bounce` reads it (the
    same bounded reader and limit): a larger file is read up to the limit (the second value
    then says so; the text is None only on an error), binary data and special files are
    refused."""
    from checks.bounce import source
    from checks.bounce.signs import BINARY, utf16_as_utf8

    if not path_text.strip():
        return None, "Type the path of a bounce file (.eml, .json or .txt) first."
    path = Path(path_text.strip()).expanduser()
    shown = source.display(str(path))
    try:
        data = source.read_path(str(path))
    except source.Unreadable as exc:
        return None, f"Cannot read {shown}: {exc}."
    if data is None:
        return None, f"{shown}: {BINARY}."
    text = utf16_as_utf8(bytes(data)).decode("utf-8", errors="replace")
    return text, (source.truncation_note(shown, data.limit) if data.truncated else None)


def parse_bounce_text(text: str) -> tuple[Any, str | None]:
    """The parsed bounce (checks.bounce), or None and why it could not be read."""
    try:
        from checks.bounce import parse_bounce
    except ImportError:
        return None, "This build cannot read bounces yet; every layer will be checked."
    try:
        report = parse_bounce(text)
    except Exception as exc:  # noqa: BLE001 - a bad bounce must not end the app
        return None, f"Could not read the bounce ({type(exc).__name__}); checking every layer."
    error = getattr(report, "error", "")
    return report, (f"Could not read the bounce: {error}; checking every layer." if error else None)


def bounce_addresses(bounce: Any) -> tuple[str, ...]:
    """The failed recipients a parsed bounce names, whatever shape it gives them in."""
    found = getattr(bounce, "recipients", None) or ()
    addresses = (getattr(r, "address", getattr(r, "recipient", r)) for r in found)
    return tuple(a for a in addresses if isinstance(a, str) and ADDRESS.match(a))


def bounce_path(bounce: Any) -> str | None:
    """The send path a parsed bounce shows: a Gmail relay failure means "Send mail as"."""
    return "gmail_send_as" if getattr(bounce, "relay", None) is not None else None


#: the relay port when a profile names none
DEFAULT_PORT = {"starttls": 587, "tls": 465}


def profile_relay(name: str, config: Path | None) -> tuple[RelaySettings | None, str | None]:
    """The relay a stored profile describes, with its keyring password; or why not."""
    try:
        profile = get_profile(name, config)
    except ConfigError as exc:
        return None, str(exc)
    if not (profile.relay_host and profile.relay_user):
        return None, (f"Profile “{name}” has no relay host or user: set them with "
                      f"mailpath creds set {name} --relay-host HOST --relay-user USER.")
    try:
        password = get_secret(name)
    except StoreError as exc:
        return None, str(exc)
    tls = "tls" if profile.relay_tls == "tls" else "starttls"
    return RelaySettings(profile.relay_host, profile.relay_port or DEFAULT_PORT[tls], tls,
                         profile.relay_user, password), None


def stored_profiles(config: Path | None) -> dict[str, Profile]:
    """The stored profiles; none when the settings file cannot be read (said elsewhere)."""
    try:
        return load_profiles(config)
    except ConfigError:
        return {}


def address_error(text: str, what: str) -> str | None:
    if not text:
        return f"Enter the {what} address."
    return None if ADDRESS.match(text) else f"“{text}” is not an email address ({what})."


class IntakeScreen(Guarded, Screen[None]):
    """Three ways in, each one keystroke away."""

    BINDINGS = [
        Binding("b", "way('bounce')", "Bounce"),
        Binding("n", "way('not_arriving')", "Not arriving"),
        Binding("s", "way('check_setup')", "Check setup"),
        Binding("escape", "back", "Back"),
    ]

    HELP = ("**Intake: what happened?** Pick one way in: `b` I have a bounce (paste it into "
            "the text area, or type the path of an .eml, .json or .txt file in the field below "
            "it and press Enter or *Open file*, then *Diagnose*), `n` mail is not arriving "
            "(sender and recipient), `s` check my setup (a sender and, if you have one, a "
            "stored relay profile). `Tab` and `Shift+Tab` move between the fields and buttons; "
            "`Esc` goes back to the walkthrough.\n\nIn a text field the letter keys type: "
            "there `F1` opens this help and `ctrl+q` quits (both work everywhere).")

    def __init__(self, sender: str | None = None, recipient: str | None = None, *,
                 config: Path | None = None, relay_user: str | None = None) -> None:
        super().__init__(id="intake")
        self.config = config
        self.recent_file = recent_path(config)
        self.recent = load_recent(self.recent_file)
        self.sender = sender or next(iter(self.recent["senders"]), "")
        self.recipient = recipient or next(iter(self.recent["recipients"]), "")
        self.profiles = stored_profiles(config)
        #: the profile whose relay user the session already uses, else none
        self.profile = next((n for n, p in self.profiles.items()
                             if relay_user and p.relay_user == relay_user), "")

    def _suggest(self, kind: str) -> SuggestFromList | None:
        """Completion from the recent inputs of this kind (→ accepts); none when there are none."""
        return SuggestFromList(self.recent[kind], case_sensitive=False) if self.recent[kind] \
            else None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Label("What happened? Pick one (b, n, s) or click a tab.", id="intake-title")
        with TabbedContent(id="ways"):
            with TabPane(WAYS["bounce"][0], id="bounce"):
                yield TextArea(id="bounce-text", soft_wrap=True)
                with Horizontal(classes="row"):
                    yield Input(placeholder="…or a file: path/to/bounce.eml", id="bounce-file",
                                suggester=self._suggest("bounce_files"))
                    yield Button("Open file", id="open-file")
                    yield Button("Diagnose", id="go-bounce", variant="primary")
            with TabPane(WAYS["not_arriving"][0], id="not_arriving"), Vertical(classes="form"):
                yield Label("Sender (your address)")
                yield Input(self.sender, placeholder="you@sender.example", id="na-sender",
                            suggester=self._suggest("senders"))
                yield Label("Recipient (who did not get it)")
                yield Input(self.recipient, placeholder="them@example.net", id="na-recipient",
                            suggester=self._suggest("recipients"))
                yield Button("Diagnose", id="go-not-arriving", variant="primary")
            with TabPane(WAYS["check_setup"][0], id="check_setup"), Vertical(classes="form"):
                yield Label("Sender address to check (SES identity, DNS, relay)")
                yield Input(self.sender, placeholder="you@sender.example", id="setup-sender",
                            suggester=self._suggest("senders"))
                yield Label(self._profile_label())
                yield Input(self.profile, id="setup-profile", placeholder=self._profile_hint(),
                            suggester=SuggestFromList(list(self.profiles), case_sensitive=False)
                            if self.profiles else None)
                yield Button("Check setup", id="go-setup", variant="primary")
        yield KeyFooter()

    def _profile_label(self) -> str:
        known = ", ".join(self.profiles)
        return f"Relay profile ({known})" if known else "Relay profile (none stored yet)"

    def _profile_hint(self) -> str:
        return "a stored profile name; empty: the session's relay, if any"

    def on_mount(self) -> None:
        self.query_one(TabbedContent).focus()

    def on_resize(self, event: events.Resize) -> None:
        """Shorter tab labels when the whole ones do not fit (else the row scrolls and the
        first tab's key goes out of sight)."""
        short = event.size.width < WAYS_WIDTH
        tabs = self.query_one(TabbedContent)
        for way, (label, _) in WAYS.items():
            tab = tabs.get_tab(way)
            wanted = SHORT_WAYS[way] if short else label
            if tab.label_text != wanted:
                tab.label = wanted

    def _remember(self, kind: str, values: list[str]) -> None:
        remember(kind, values, self.recent_file)

    def action_way(self, way: str) -> None:
        self.query_one(TabbedContent).active = way
        self.query_one(WAYS[way][1]).focus()

    def action_back(self) -> None:
        if len(self.app.screen_stack) > 2:
            self.app.pop_screen()

    @on(Button.Pressed, "#open-file")
    @on(Input.Submitted, "#bounce-file")
    def open_file(self) -> None:
        path = self.query_one("#bounce-file", Input).value
        text, note = read_bounce_file(path)
        if text is None:
            self.notify(note or "Cannot read the file.", severity="error")
            return
        self._remember("bounce_files", [str(Path(path.strip()).expanduser())])
        self.query_one("#bounce-text", TextArea).text = text
        if note:  # cut at the reader's limit, as `mailpath bounce` would
            self.notify(f"Bounce loaded, {note}; press Diagnose.", severity="warning",
                        timeout=10)
            return
        self.notify("Bounce loaded; press Diagnose.")

    @on(Button.Pressed, "#go-bounce")
    def submit_bounce(self) -> None:
        text = self.query_one("#bounce-text", TextArea).text.strip()
        if not text:
            self.notify("Paste the bounce message first, or open a file.", severity="error")
            return
        bounce, warning = parse_bounce_text(text)
        if warning:
            self.notify(warning, severity="warning", timeout=6)
        recipients = bounce_addresses(bounce) or ((self.recipient,) if self.recipient else ())
        self._remember("recipients", list(recipients))
        self.post_message(IntakeSubmitted("bounce", self.sender or None, recipients, bounce,
                                          path=bounce_path(bounce)))

    @on(Button.Pressed, "#go-not-arriving")
    @on(Input.Submitted, "#na-recipient")
    def submit_not_arriving(self) -> None:
        sender = self.query_one("#na-sender", Input).value.strip()
        recipient = self.query_one("#na-recipient", Input).value.strip()
        error = address_error(sender, "sender") or address_error(recipient, "recipient")
        if error:
            self.notify(error, severity="error")
            return
        self._remember("senders", [sender])
        self._remember("recipients", [recipient])
        self.post_message(IntakeSubmitted("not_arriving", sender, (recipient,)))

    @on(Button.Pressed, "#go-setup")
    @on(Input.Submitted, "#setup-sender")
    @on(Input.Submitted, "#setup-profile")
    def submit_setup(self) -> None:
        sender = self.query_one("#setup-sender", Input).value.strip()
        name = self.query_one("#setup-profile", Input).value.strip()
        error = address_error(sender, "sender")
        relay = None
        if not error and name:
            relay, error = profile_relay(name, self.config)
        if error:
            self.notify(error, severity="error", timeout=8)
            return
        self._remember("senders", [sender])
        self.post_message(IntakeSubmitted("check_setup", sender, (), relay=relay,
                                          profile=name or None))
