"""Small scanners that pull codes, hosts, addresses and SMTP commands out of free text."""

from __future__ import annotations

import re

_STATUS = re.compile(r"(?<![\w.])([245])\.(\d{1,3})\.(\d{1,3})(?![\w]|\.\d)")
_REPLY = re.compile(r"(?<![\w.#:/-])([245][0-5]\d)(?:[ -]|$)(?![\w.]*\.\d{1,3}\.\d{1,3}\.\d)", re.M)
#: the look-behind starts a match only where a local part can begin (not inside a word),
#: so the scan stays linear instead of re-reading every word from each of its letters
_ADDRESS = re.compile(
    r"(?<![\w.+=!#$%&'*/?^`{|}~-])[\w.+=!#$%&'*/?^`{|}~-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
#: matched against lower-cased text
_HOST = re.compile(
    r"(?:host|from|by|server|mx|mta)\s+\[?([a-z0-9][a-z0-9.-]{1,250}\.[a-z]{2,24})\.?\]?"
    r"(?:\s*\[[0-9a-f.:]+\])?\s*(?:said|\(|\[|:|refused|has|gave|replied|returned)",
)
#: matched against lower-cased text (case-sensitive search is several times faster)
_COMMAND = re.compile(
    r"(?:in reply to|after|>>>|did not like our|smtp:|smtp command:?|command)\s*(?:the\s+)?"
    r"(rcpt to|mail from|end of data|data|helo|ehlo|rcpt|mail|starttls|auth|connect"
    r"|initial connection)\b",
)
_COMMANDS = {
    "rcpt to": "RCPT", "rcpt": "RCPT", "mail from": "MAIL", "mail": "MAIL", "end of data": "DATA",
    "data": "DATA", "helo": "HELO", "ehlo": "EHLO", "starttls": "STARTTLS", "auth": "AUTH",
    "connect": "CONN", "initial connection": "CONN",
}


def status_in(text: str) -> str:
    """The most specific enhanced status code in `text` (first non-generic, else first)."""
    found = ["{}.{}.{}".format(*m.groups()) for m in _STATUS.finditer(text[:20000])]
    for code in found:
        if not code.endswith(".0.0"):
            return code
    return found[0] if found else ""


def reply_in(text: str) -> str:
    match = _REPLY.search(text[:20000])
    return match.group(1) if match else ""


def addresses(text: str) -> list[str]:
    """Addresses in order of appearance, each once, trailing dots removed."""
    seen: dict[str, None] = {}
    if "@" not in text:
        return []
    for match in _ADDRESS.finditer(text):
        seen.setdefault(match.group(0).rstrip(".").lower(), None)
    return list(seen)


def host_in(text: str) -> str:
    match = _HOST.search(text[:20000].lower())
    return match.group(1) if match else ""


def command_in(text: str) -> str:
    """The SMTP command a text says failed; a Sendmail transcript whose reply follows the
    "... while talking to" line with no command sent means the greeting (CONN) failed."""
    lower = text[:20000].lower()
    match = _COMMAND.search(lower)
    if match:
        return _COMMANDS.get(match.group(1), "")
    return "CONN" if "while talking to" in lower and _GREETING.search(lower) else ""


_GREETING = re.compile(r"while talking to [^\n]*\n[ \t]*<<<[ \t]*[45]\d\d")


def squash(text: str) -> str:
    """Whitespace collapsed to single spaces."""
    return " ".join(text.split())
