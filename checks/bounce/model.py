"""What a parsed bounce says: who reported it and, per recipient, what failed and where."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from checks.model import Evidence, Layer
from checks.tree import LAYER_NODE, SYMPTOMS

#: the tree's entry for a bounce that names no delivery layer
BOUNCE_ENTRY = SYMPTOMS["bounce"][1]

#: kinds of input parse_bounce tells apart
KINDS = (
    "dsn", "text", "arf", "vacation", "delivered", "ses_json", "smtp", "gmail_relay", "unknown",
    "not_bounce",
)


#: Frozen results with an __init__ written out: a frozen dataclass's generated __init__
#: sets each field through object.__setattr__, a call per field, and a parse makes a report
#: and a result or more; stored in the instance's dict directly they are made in half the
#: time. The dataclass keeps its frozen __setattr__, equality, hash and repr, and each
#: __init__ takes the fields in their order with their own defaults.


class Malformed(ValueError):
    """Input of a known kind with a field missing or invalid (the message names the field)."""

    def __init__(self, message: str, kind: str = "dsn", reporter: str = "") -> None:
        super().__init__(message)
        self.kind, self.reporter = kind, reporter


@dataclass(frozen=True, init=False)
class RecipientResult:
    """One recipient's outcome. `layer` is a Layer value, "content", or None for non-failures."""

    address: str = ""
    action: str = "failed"
    status: str = ""
    replycode: str = ""
    diagnostic: str = ""
    remote_mta: str = ""
    reason: str = "undefined"
    hard: bool = False
    layer: str | None = None
    confidence: float = 0.5
    command: str = ""

    def __init__(self, address: str = "", action: str = "failed", status: str = "",
                 replycode: str = "", diagnostic: str = "", remote_mta: str = "",
                 reason: str = "undefined", hard: bool = False, layer: str | None = None,
                 confidence: float = 0.5, command: str = "") -> None:
        stored = self.__dict__  # (frozen: see "Frozen results" above)
        stored["address"], stored["action"], stored["status"] = address, action, status
        stored["replycode"], stored["diagnostic"] = replycode, diagnostic
        stored["remote_mta"], stored["reason"], stored["hard"] = remote_mta, reason, hard
        stored["layer"], stored["confidence"], stored["command"] = layer, confidence, command

    @property
    def entry(self) -> str | None:
        """The decision tree's node to start from for this recipient (checks/tree.py): its
        layer's node; the tree's start for a failure with no delivery layer (content);
        None when nothing failed."""
        if self.layer in _LAYER_VALUES:
            return _NODE_OF[self.layer]
        return BOUNCE_ENTRY if self.layer else None

    def to_json(self) -> dict[str, Any]:
        return {
            "address": self.address,
            "action": self.action,
            "status": self.status,
            "replycode": self.replycode,
            "diagnostic": self.diagnostic,
            "remote_mta": self.remote_mta,
            "reason": self.reason,
            "hard": self.hard,
            "layer": self.layer,
            "confidence": round(self.confidence, 2),
            "entry": self.entry,
        }


@dataclass(frozen=True)
class RelayFailure:
    """Gmail's "Send mail as" bounce: the relay it tried and that relay's own reply."""

    host: str
    port: str = ""
    tls: str = ""
    alias: str = ""
    reply: str = ""


@dataclass(frozen=True, init=False)
class BounceReport:
    """Everything parse_bounce found in one input."""

    kind: str
    reporter: str = ""
    recipients: tuple[RecipientResult, ...] = ()
    relay: RelayFailure | None = None
    name: str | None = None
    subject: str = ""
    notes: tuple[str, ...] = field(default=())
    error: str = ""

    def __init__(self, kind: str, reporter: str = "",
                 recipients: tuple[RecipientResult, ...] = (), relay: RelayFailure | None = None,
                 name: str | None = None, subject: str = "", notes: tuple[str, ...] = (),
                 error: str = "") -> None:
        stored = self.__dict__  # (frozen: see "Frozen results" above)
        stored["kind"], stored["reporter"], stored["recipients"] = kind, reporter, recipients
        stored["relay"], stored["name"], stored["subject"] = relay, name, subject
        stored["notes"], stored["error"] = notes, error

    @property
    def first(self) -> RecipientResult | None:
        return self.recipients[0] if self.recipients else None

    @property
    def reason(self) -> str:
        return self.first.reason if self.first else ("undefined" if self.error else "")

    @property
    def layer(self) -> str | None:
        return self.first.layer if self.first else None

    @property
    def entry_layer(self) -> Layer | None:
        """The decision tree's entry point: the first failing recipient's layer, if it is one."""
        for rcpt in self.recipients:
            if rcpt.layer in _LAYER_VALUES:
                return Layer(rcpt.layer)
        return None

    @property
    def entry(self) -> str | None:
        """The tree node the diagnosis starts from: the entry layer's node, else the
        first recipient's entry."""
        for rcpt in self.recipients:  # (entry_layer's node, without making the Layer)
            if rcpt.layer in _LAYER_VALUES:
                return _NODE_OF[rcpt.layer]
        return self.first.entry if self.first else None

    @property
    def parsed(self) -> bool:
        return not self.error

    def evidence(self) -> Evidence:
        """The bounce as evidence, in the words the user gave it (nothing is redacted away)."""
        return Evidence(f"bounce {self.name or ''}".strip(), describe(self), "bounce")

    def to_json(self) -> dict[str, Any]:
        first = self.first
        return {
            "file": self.name,
            "kind": self.kind,
            "reporter": self.reporter,
            "reason": first.reason if first else None,
            "status": first.status if first else None,
            "replycode": first.replycode if first else None,
            "layer": first.layer if first else None,
            "confidence": round(first.confidence, 2) if first else None,
            "entry": self.entry,
            "recipients": [r.to_json() for r in self.recipients],
        } | ({"error": self.error} if self.error else {}) | _relay_json(self.relay) | (
            {"notes": list(self.notes)} if self.notes else {})


_LAYER_VALUES = frozenset(layer.value for layer in Layer)
#: layer value -> the tree node for its layer
_NODE_OF = {layer.value: node for layer, node in LAYER_NODE.items()}


def _relay_json(relay: RelayFailure | None) -> dict[str, Any]:
    if relay is None:
        return {}
    return {"relay": {"host": relay.host, "port": relay.port, "reply": relay.reply}}


def describe(report: BounceReport) -> str:
    """A short plain-text account of the report, one line per fact."""
    if report.kind == "not_bounce":
        return report.error
    lines = [f"kind: {report.kind}", f"reported by: {report.reporter or 'unknown'}"]
    if report.error:
        lines.append(f"could not parse: {report.error}")
    lines.extend(f"note: {note}" for note in report.notes)
    if report.relay:
        relay = report.relay
        where = f"{relay.host}:{relay.port}" if relay.host else "(host not named)"
        lines.append(f"relay: {where} replied {relay.reply!r}")
    for rcpt in report.recipients:
        lines.extend(_describe_recipient(rcpt))
    return "\n".join(lines)


def _describe_recipient(rcpt: RecipientResult) -> list[str]:
    hard = "hard" if rcpt.hard else "soft"
    code = " ".join(c for c in (rcpt.replycode, rcpt.status) if c) or "no code"
    lines = [f"- {rcpt.address or '(recipient not named)'}: {rcpt.reason} ({hard}), {code}"]
    lines.append(f"  layer: {rcpt.layer or 'none'}; action: {rcpt.action or 'none'}; "
                 f"confidence: {rcpt.confidence:.2f}; tree entry: {rcpt.entry or 'none'}")
    if rcpt.remote_mta:
        lines.append(f"  remote MTA: {rcpt.remote_mta}")
    if rcpt.diagnostic:
        lines.append(f"  diagnostic: {rcpt.diagnostic[:300]}")
    return lines
