"""Gmail's bounce for a failed "Send mail as" relay: the relay host and the relay's own reply."""

from __future__ import annotations

import re

from checks.bounce import scan
from checks.bounce.model import RelayFailure

#: what the relay's settings are called near "misconfigured or out of date", in either order
_NAMED = r"(?:send\s+mail\s+as|smtp\s+(?:relay|server)\s+settings|relay\s+settings)"
_STATE = r"(?:misconfigured|out\s+of\s+date)"
_SIGN = re.compile(
    rf"{_NAMED}.{{0,200}}?{_STATE}|{_STATE}.{{0,200}}?{_NAMED}"
    rf"|misconfigured\s+or\s+out\s+of\s+date.{{0,400}}?response\s+from\s+the\s+remote\s+server",
    re.I | re.S)
_RELAY = re.compile(
    r"\(\s*([A-Za-z0-9.-]+\.[A-Za-z]{2,})\s*,\s*port\s*(\d{1,5})\s*(?:,\s*([A-Za-z]+))?", re.I)
_ALIAS = re.compile(r"send\s+mail\s+as.{0,5}\s*address\s+<?([^\s>()]+@[^\s>()]+)", re.I)
_REPLY = re.compile(
    r"response from the remote server (?:was|is)\s*:?\s*\n?\s*([^\n]+(?:\n[2-5]\d\d[ -][^\n]*)*)",
    re.I)


def is_relay_bounce(text: str, lower: str | None = None) -> bool:
    """Is this Gmail's relay bounce? (`lower`: the text's first 20,000 characters lower-cased,
    when the caller has them.)"""
    head = text[:20000]
    low = head.lower() if lower is None else lower
    if "misconfigured" not in low and ("date" not in low or _OUT_OF_DATE.search(low) is None):
        return False
    return _SIGN.search(head) is not None


#: one of the two words every relay bounce has, looked for before the costlier sign (and
#: only when its last word, found by a plain substring test, is there)
_OUT_OF_DATE = re.compile(r"out\s+of\s+date")


def relay_failure(text: str) -> RelayFailure:
    relay = _RELAY.search(text)
    alias = _ALIAS.search(text)
    reply = _REPLY.search(text)
    return RelayFailure(
        host=relay.group(1).lower() if relay else "",
        port=relay.group(2) if relay else "",
        tls=(relay.group(3) or "") if relay else "",
        alias=alias.group(1) if alias else "",
        reply=scan.squash(reply.group(1)) if reply else "",
    )
