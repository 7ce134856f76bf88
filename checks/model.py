"""The engine's vocabulary: statuses, layers, evidence, fixes and check results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Status(StrEnum):
    """Outcome of one check. `error` means the check could not be carried out."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    ERROR = "error"
    SKIP = "skip"

    @property
    def glyph(self) -> str:
        return _GLYPHS[self]

    @property
    def label(self) -> str:
        """Glyph plus word, so status never depends on colour alone."""
        return f"{self.glyph} {self.value}"

    @property
    def is_problem(self) -> bool:
        return self in (Status.FAIL, Status.WARN)


_GLYPHS = {
    Status.PASS: "✓",
    Status.WARN: "!",
    Status.FAIL: "✗",
    Status.ERROR: "?",
    Status.SKIP: "–",
}


class Layer(StrEnum):
    """The delivery path, in the order mail travels it."""

    GMAIL_RELAY = "gmail_relay"
    SES = "ses"
    DNS = "dns"
    RECIPIENT_MTA = "recipient_mta"

    @property
    def display_name(self) -> str:
        return _LAYER_TITLES[self]

    @property
    def title(self) -> str:  # type: ignore[override]
        """Deprecated alias of display_name (it shadows str.title)."""
        return _LAYER_TITLES[self]


_LAYER_TITLES = {
    Layer.GMAIL_RELAY: "Gmail relay",
    Layer.SES: "Amazon SES",
    Layer.DNS: "DNS",
    Layer.RECIPIENT_MTA: "Recipient MTA",
}


@dataclass(frozen=True)
class Evidence:
    """One piece of raw proof: a DNS answer, an SMTP transcript, an API reply.

    Content must already be redacted when the Evidence is built.
    """

    label: str
    content: str
    kind: str = "text"  # text | dns | smtp | api | http | bounce

    def to_json(self) -> dict[str, str]:
        return {"label": self.label, "kind": self.kind, "content": self.content}


@dataclass(frozen=True)
class Fix:
    """What to do about a finding; `action` names something the TUI can run for the user."""

    summary: str
    steps: tuple[str, ...] = ()
    action: str | None = None  # e.g. "rotate_credentials", "remove_suppression", "copy_record"
    action_args: Mapping[str, str] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "summary": self.summary,
            "steps": list(self.steps),
            "action": self.action,
            "action_args": dict(self.action_args),
        }


@dataclass(frozen=True)
class Outcome:
    """What a check function returns; the runner stamps it into a CheckResult.

    `explains` lists check ids whose failure this finding accounts for: the
    diagnosis shows those as consequences, not as separate root causes.
    """

    status: Status
    summary: str
    explanation: str = ""
    evidence: tuple[Evidence, ...] = ()
    fix: Fix | None = None
    facts: Mapping[str, Any] = field(default_factory=dict)
    explains: tuple[str, ...] = ()


@dataclass(frozen=True)
class CheckResult:
    """A finished check: its identity, its outcome and how long it took."""

    check_id: str
    layer: Layer
    title: str
    outcome: Outcome
    duration_ms: int = 0

    @property
    def status(self) -> Status:
        return self.outcome.status

    @property
    def summary(self) -> str:
        return self.outcome.summary

    @property
    def facts(self) -> Mapping[str, Any]:
        return self.outcome.facts

    def to_json(self) -> dict[str, Any]:
        out = self.outcome
        return {
            "id": self.check_id,
            "layer": self.layer.value,
            "title": self.title,
            "status": out.status.value,
            "summary": out.summary,
            "explanation": out.explanation,
            "evidence": [e.to_json() for e in out.evidence],
            "fix": out.fix.to_json() if out.fix else None,
            "explains": list(out.explains),
            "duration_ms": self.duration_ms,
        }


def passed(summary: str, explanation: str = "", **kw: Any) -> Outcome:
    return Outcome(Status.PASS, summary, explanation, **kw)


def warned(summary: str, explanation: str = "", **kw: Any) -> Outcome:
    return Outcome(Status.WARN, summary, explanation, **kw)


def failed(summary: str, explanation: str = "", **kw: Any) -> Outcome:
    return Outcome(Status.FAIL, summary, explanation, **kw)


def errored(summary: str, explanation: str = "", **kw: Any) -> Outcome:
    return Outcome(Status.ERROR, summary, explanation, **kw)


def skipped(summary: str, explanation: str = "", **kw: Any) -> Outcome:
    return Outcome(Status.SKIP, summary, explanation, **kw)
