"""One SMTP reply pasted alone, or a short client/server transcript."""

from __future__ import annotations

import re

_SERVER = re.compile(r"^\s*(?:S:|<<<|<-)?\s*([2-5]\d\d)([ -])(.*)$")
_CLIENT = re.compile(r"^\s*(?:C:|>>>|->)\s*(\S+)")
_BANNER_HOST = re.compile(r"^\s*(?:S:|<<<|<-)?\s*220[ -]([A-Za-z0-9.-]+)", re.M)


def last_failure(text: str) -> tuple[str, str, str]:
    """(reply code, full reply text, the command it answered) of the last 4xx/5xx reply."""
    code, reply, command, last_cmd = "", "", "", ""
    lines: list[str] = []
    for line in text.splitlines():
        client = _CLIENT.match(line)
        if client:
            last_cmd, lines = client.group(1).upper(), []
            continue
        server = _SERVER.match(line)
        if server and server.group(1)[0] in "45":
            lines.append(server.group(3).strip())
            if server.group(2) == " ":
                code, command = server.group(1), last_cmd
                reply = f"{code} " + " ".join(lines)
                lines = []
    return code, reply, command


def banner_host(text: str) -> str:
    match = _BANNER_HOST.search(text)
    return match.group(1).lower() if match else ""
