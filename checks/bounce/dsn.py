"""RFC 3464 delivery-status fields: per-message and per-recipient groups.

Reads the fields wherever they are (a message/delivery-status part, or pasted as text),
with folded continuation lines joined.
"""

from __future__ import annotations

import re

_TYPED = re.compile(r"^\s*[\w.-]+\s*;\s*(.*)$", re.S)
_GROUP_START = frozenset({"final-recipient", "original-recipient"})
_KNOWN = frozenset({
    "final-recipient", "original-recipient", "action", "status", "remote-mta",
    "diagnostic-code", "last-attempt-date", "x-actual-recipient", "reporting-mta",
    "received-from-mta", "arrival-date", "x-postfix-sender", "will-retry-until",
    "x-original-message-id", "x-postfix-queue-id",
})


def fields(text: str) -> list[tuple[str, str]]:
    """(lower-cased name, value) pairs for the DSN fields in `text`, continuations joined."""
    out: list[tuple[str, str]] = []
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and out:
            name, value = out[-1]
            out[-1] = (name, f"{value} {line.strip()}")
            continue
        name, sep, value = line.partition(":")
        if not sep:
            continue
        known = _AS_WRITTEN.get(name)
        if known is None:
            known = name.rstrip(" \t").lower()
            if known not in _KNOWN:  # every known name is a plain field name
                continue
        out.append((known, value.strip()))
    return out


#: the known names as MTAs usually write them (in lower, title or upper case, with the
#: MTA and ID abbreviations capitalised), each to its lower case: looked up as written,
#: most lines need no lower-casing (any other casing is lower-cased and looked up)
_AS_WRITTEN = {variant: name for name in _KNOWN
               for variant in (name, name.title(), name.upper(),
                               name.title().replace("-Mta", "-MTA").replace("-Id", "-ID"))}


def groups(text: str) -> tuple[dict[str, str], list[dict[str, str]]]:
    """Per-message fields and one dict per recipient group."""
    message: dict[str, str] = {}
    recipients: list[dict[str, str]] = []
    for name, value in fields(text):
        if name in _GROUP_START and _starts_new(recipients, name):
            recipients.append({})
        target = recipients[-1] if recipients else message
        target.setdefault(name, value)
    for group in recipients:
        for name in _PER_RECIPIENT:
            if name in message:
                group.setdefault(name, message[name])
    return message, recipients


#: per-recipient fields some MTAs write before Final-Recipient (they count for every recipient)
_PER_RECIPIENT = ("action", "status", "diagnostic-code", "remote-mta")


def _starts_new(recipients: list[dict[str, str]], name: str) -> bool:
    if not recipients:
        return True
    last = recipients[-1]
    return name in last or (name == "original-recipient" and ("action" in last or "status" in last))


def untype(value: str) -> str:
    """`rfc822; user@example.org` -> `user@example.org` (the type prefix removed)."""
    kind, typed, rest = value.partition(";")
    if not typed:
        return value.strip()
    if kind.isalnum():  # (as types are mostly written: the pattern's match, read directly)
        return rest.strip()
    match = _TYPED.match(value)
    return (match.group(1) if match else value).strip()
