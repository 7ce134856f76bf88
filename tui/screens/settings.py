"""Settings: the non-secret ones only (sender, AWS region and profile, relay, nameserver).

Secrets never pass through here; they live in the OS keyring.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Button, Header, Input, Label, Select

from checks.context import Context, RelaySettings, TlsMode
from checks.endpoints import EndpointError, parse_nameservers
from tui.errors import Guarded
from tui.screens.intake import address_error
from tui.widgets.key_footer import KeyFooter

REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")

#: field id -> label shown above it
FIELDS = {
    "sender": "Sender address",
    "region": "AWS region (e.g. us-east-1)",
    "aws_profile": "AWS profile (empty: the default credential chain)",
    "relay_host": "Relay host (Gmail “Send mail as” SMTP server)",
    "relay_port": "Relay port (587 STARTTLS, 465 TLS)",
    "nameserver": "DNS nameserver HOST[:PORT] (empty: the system resolver)",
}
MODES: list[tuple[str, TlsMode]] = [("STARTTLS (port 587)", "starttls"), ("TLS (port 465)", "tls")]


@dataclass(frozen=True)
class Settings:
    """What the settings screen edits; every field is safe to show and to save."""

    sender: str = ""
    region: str = "us-east-1"
    aws_profile: str = ""
    relay_host: str = ""
    relay_port: str = "587"
    relay_mode: TlsMode = "starttls"
    nameserver: str = ""


def settings_of(ctx: Context) -> Settings:
    ep, relay = ctx.endpoints, ctx.inputs.relay
    return Settings(
        sender=ctx.inputs.sender or "",
        region=ep.aws_region,
        aws_profile=ep.aws_profile or "",
        relay_host=relay.host if relay else "",
        relay_port=str(relay.port) if relay else "587",
        relay_mode=relay.tls if relay else "starttls",
        nameserver=",".join(f"{h}:{p}" for h, p in ep.nameservers),
    )


def problem(s: Settings) -> str | None:
    """The first thing wrong with these settings, in plain words, or None."""
    if s.sender and (error := address_error(s.sender, "sender")):
        return error
    if not REGION.match(s.region):
        return f"“{s.region}” is not an AWS region name such as us-east-1."
    if not s.relay_port.isdigit() or not 0 < int(s.relay_port) < 65536:
        return f"Relay port “{s.relay_port}” must be a number from 1 to 65535."
    try:
        parse_nameservers(s.nameserver)
    except EndpointError as exc:
        return f"Nameserver: {exc}."
    return None


def apply_settings(ctx: Context, s: Settings) -> Context:
    """A context with these settings; the stored relay password is kept as it is."""
    endpoints = replace(ctx.endpoints, aws_region=s.region, aws_profile=s.aws_profile or None,
                        nameservers=parse_nameservers(s.nameserver))
    relay = ctx.inputs.relay
    if s.relay_host:
        base = relay or RelaySettings(s.relay_host, int(s.relay_port), s.relay_mode, "")
        relay = replace(base, host=s.relay_host, port=int(s.relay_port), tls=s.relay_mode)
    inputs = replace(ctx.inputs, sender=s.sender or None, relay=relay)
    return Context(endpoints=endpoints, inputs=inputs, redactor=ctx.redactor)


class SettingsScreen(Guarded, Screen[Settings | None]):
    """A form; Save checks every field and says what is wrong, Esc leaves without saving."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("ctrl+s", "save", "Save")]

    def __init__(self, current: Settings) -> None:
        super().__init__(id="settings")
        self.current = current

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(classes="form", id="settings-form"):
            for key, label in FIELDS.items():
                yield Label(label)
                yield Input(getattr(self.current, key), id=key)
            yield Label("Relay security")
            yield Select(MODES, value=self.current.relay_mode, allow_blank=False, id="relay_mode")
            yield Label("Passwords are never shown or saved here; they live in the OS keyring.",
                        classes="hint")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary")
                yield Button("Cancel (Esc)", id="cancel")
        yield KeyFooter()

    def edited(self) -> Settings:
        values = {key: self.query_one(f"#{key}", Input).value.strip() for key in FIELDS}
        mode = self.query_one("#relay_mode", Select).value
        return Settings(**values, relay_mode=mode if mode == "tls" else "starttls")

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        settings = self.edited()
        error = problem(settings)
        if error:
            self.notify(error, severity="error")
            return
        self.dismiss(settings)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)
