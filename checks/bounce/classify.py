"""A bounce reason in Sisimai's vocabulary from the status code and the diagnostic text."""

from __future__ import annotations

import re
from dataclasses import dataclass

from checks.bounce import tables

_STATUS = tables.load("status_codes.json")
STATUS_REASONS: dict[str, str] = _STATUS["codes"]
PSEUDO_CODES: dict[str, str] = _STATUS["pseudo"]
_PHRASES = tables.load("phrases.json")
FIRST = tables.compile_phrases(_PHRASES["first"])
SECOND = tables.compile_phrases(_PHRASES["second"])
VACATION = re.compile("|".join(_PHRASES["vacation"]))
_LAYERS = tables.load("layers.json")
LAYERS: dict[str, str | None] = _LAYERS["layers"]
HARD = frozenset(_LAYERS["hard"])

_NOT_UNKNOWN = tuple(
    (r, rx) for r, rx in FIRST
    if r in ("norelaying", "blocked", "mailboxfull", "hasmoved", "rejected")
)

#: reasons a status code names too vaguely to stop at: the text is read again
_VAGUE = frozenset({"undefined", "onhold", "systemerror", "securityerror", "networkerror",
                    "hostunknown", "userunknown"})


def from_subject(subject: str) -> str:
    """A reason named by a bounce's Subject ("Returned mail: User unknown"), or ""."""
    return _match(FIRST, subject.lower())


@dataclass(frozen=True)
class Signals:
    """What the classifier looks at for one recipient."""

    status: str = ""
    replycode: str = ""
    diagnostic: str = ""
    action: str = ""
    command: str = ""


def reason_for(sig: Signals) -> tuple[str, float]:
    """(reason, confidence) for one recipient.

    First pass: each reason in class order is chosen when the status code names it or its
    phrases match. Then the status code alone, a second phrase table, and the fallbacks.
    """
    if sig.action.lower() in ("delivered", "relayed", "expanded") or sig.status.startswith("2."):
        return "delivered", 0.9
    text = sig.diagnostic.lower()
    by_code = _code_reason(sig.status)
    found = _first_pass(text, by_code, sig.command, sig.replycode)
    if found:
        return found, 0.85
    if by_code and by_code not in _VAGUE:
        return by_code, 0.8
    found = _match(SECOND, text)
    if found:
        return found, 0.7
    return (by_code, 0.6) if by_code else _fallback(sig)


def _code_reason(status: str) -> str:
    """The reason a status code names; an unlisted X.1.N (addressing) code counts as X.1.1."""
    found = STATUS_REASONS.get(status, "")
    if not found and status[1:4] == ".1." and status[:1] in "45":
        return "userunknown"
    return found


def _first_pass(text: str, by_code: str, command: str, replycode: str) -> str:
    for reason, rx in FIRST:
        hit = rx is not None and rx.search(text) is not None
        if reason == "userunknown":
            found = _unknown_user(text, by_code, command or ("" if replycode else "RCPT"), hit)
        elif reason == "filtered":
            found = "filtered" if by_code == "filtered" and hit else ""
        else:
            found = reason if hit or by_code == reason else ""
        if found:
            return found
    return ""


def _unknown_user(text: str, by_code: str, command: str, hit: bool) -> str:
    """A "no such user" reply after DATA is a content filter speaking (Sisimai's filtered).

    Without an SMTP reply code the words come from the receiving system itself (a local
    directory lookup), so they are read as the recipient's address being unknown.
    """
    if by_code == "userunknown" and not _match(_NOT_UNKNOWN, text):
        return "userunknown"
    if by_code == "suspend" or not hit:
        return ""
    if command == "RCPT":
        return "userunknown"
    return "" if command in ("CONN", "EHLO", "HELO", "MAIL") else "filtered"


def _match(table: tuple[tuple[str, re.Pattern[str] | None], ...], text: str) -> str:
    for reason, rx in table:
        if rx is not None and rx.search(text):
            return reason
    return ""


def _fallback(sig: Signals) -> tuple[str, float]:
    cls = sig.status[:3]
    if cls in ("4.6", "5.6"):
        return "contenterror", 0.5
    if cls in ("4.7", "5.7"):
        return "securityerror", 0.5
    if sig.action.lower() == "delayed":
        return "expired", 0.5
    if sig.command in ("CONN", "HELO", "EHLO"):
        return "blocked", 0.4
    if sig.command == "MAIL":
        return "rejected", 0.4
    if VACATION.search(sig.diagnostic.lower()):
        return "vacation", 0.4
    return ("onhold", 0.3) if sig.diagnostic else ("undefined", 0.1)


def status_for(reason: str, status: str, replycode: str, action: str) -> str:
    """The message's own status, or Sisimai's X.0.9NN pseudo code when it has none."""
    if status:
        return status
    pseudo = PSEUDO_CODES.get(reason)
    if pseudo is None or reason == "delivered":
        return status
    temporary = status.startswith("4") or replycode.startswith("4") or action == "delayed"
    return f"{'4' if temporary else '5'}.0.{pseudo}"


def is_hard(reason: str, status: str) -> bool:
    return reason in HARD and not status.startswith("4")


def layer_for(reason: str) -> str | None:
    return LAYERS.get(reason, "recipient_mta")
