"""One SMTP reply pasted alone, or a short client/server transcript."""

from __future__ import annotations

import re
from typing import NamedTuple

from checks.bounce import scan

_SERVER = re.compile(r"^\s*(?:S:|<<<|<-)?\s*([2-5]\d\d)([ -])(.*)$")
_CLIENT = re.compile(r"^\s*(?:C:|>>>|->)\s*(\S+)(.*)$")
_BANNER_HOST = re.compile(r"^\s*(?:S:|<<<|<-)?\s*220[ -]([A-Za-z0-9.-]+)", re.M)


class Failure(NamedTuple):
    """The last 4xx/5xx reply of a transcript and what the client had said before it."""

    code: str = ""
    reply: str = ""
    #: the command the reply answered (RCPT, DATA, ...)
    command: str = ""
    #: the address of that command when it was RCPT TO, else of the last RCPT TO before it
    recipient: str = ""
    #: the MAIL FROM address (the sender, never a recipient)
    sender: str = ""


def last_failure(text: str) -> Failure:
    """The last 4xx/5xx reply, its full text, and the commands around it."""
    found, last_cmd, rcpt, sender = Failure(), "", "", ""
    lines: list[str] = []
    for line in text.splitlines():
        client = _CLIENT.match(line)
        if client:
            last_cmd, lines = client.group(1).upper(), []
            rcpt, sender = _argument(last_cmd, client.group(2), rcpt, sender)
            continue
        server = _SERVER.match(line)
        if server and server.group(1)[0] in "45":
            lines.append(server.group(3).strip())
            if server.group(2) == " ":
                code = server.group(1)
                found = Failure(code, f"{code} " + " ".join(lines), last_cmd, rcpt, sender)
                lines = []
    return found


def _argument(command: str, rest: str, rcpt: str, sender: str) -> tuple[str, str]:
    """(last RCPT TO address, MAIL FROM address) after one client command."""
    named = scan.addresses(rest)
    if command == "RCPT" and named:
        return named[0], sender
    if command == "MAIL":
        return "", named[0] if named else ""
    return rcpt, sender


def banner_host(text: str) -> str:
    match = _BANNER_HOST.search(text)
    return match.group(1).lower() if match else ""
