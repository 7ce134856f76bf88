"""Remote hosts whose own codes and wording name the reason (Exchange Online, Gmail, Orange, ...).

The provider is recognised by the remote MTA's name or the recipient's domain; its table
(`tables/rhost.json`) then maps error labels, enhanced status codes and phrases to reasons.
"""

from __future__ import annotations

import re
from typing import Any

from checks.bounce import tables

PROVIDERS: dict[str, dict[str, Any]] = tables.load("rhost.json")["providers"]
#: look-behinds sit after the first character, so a scan skips to the digits 2, 4 and 5
_LONG_CODE = re.compile(r"([245](?<![\d.].)\.\d{1,3}\.\d{1,3})(?![\d])")


def provider(destination: str, remote_mta: str, local_mta: str = "") -> str:
    """The provider a recipient domain, the remote MTA or else the reporting MTA belongs to."""
    dest, host = destination.lower().strip("."), remote_mta.lower().strip(".")
    if (dest and dest in _DOMAINS) or (host and host.endswith(_SUFFIXES)):
        for name, entry in PROVIDERS.items():
            for suffix in entry["hosts"]:
                if (dest and suffix.endswith(dest) and _whole(suffix, dest)) or host.endswith(
                        suffix):
                    return name
    local = local_mta.lower().strip(".")
    if not local or not local.endswith(_SUFFIXES):
        return ""
    return next((n for n, hosts in _HOSTS.items() if local.endswith(hosts)), "")


#: provider -> its host suffixes
_HOSTS = {name: tuple(e["hosts"]) for name, e in PROVIDERS.items()}
#: every host suffix of every provider
_SUFFIXES = tuple(h for hosts in _HOSTS.values() for h in hosts)
#: every recipient domain a provider's host suffix ends with at a dot (or is)
_DOMAINS = frozenset(h[i + 1:] for h in _SUFFIXES
                     for i in range(-1, len(h)) if i < 0 or h[i] == ".")


def _whole(suffix: str, dest: str) -> bool:
    return len(suffix) == len(dest) or suffix[-len(dest) - 1] == "."


def find(name: str, diagnostic: str, low: str | None = None) -> str:
    """The reason the provider's table gives for this diagnostic, or "" (`low`: the
    diagnostic lower-cased, when the caller has it)."""
    entry = PROVIDERS.get(name)
    if entry is None or not diagnostic:
        return ""
    text = diagnostic.lower() if low is None else low
    return _by_label(entry, text) or _by_code(entry, text) or _by_phrase(entry, text)


def _by_label(entry: dict[str, Any], text: str) -> str:
    text = text.replace("_", "-")
    for label in entry.get("labels", ()):
        at = text.rfind(label)
        if at < 0:
            continue
        word = text[at:].split(" ", 1)[0].rstrip(").]")
        for code, reason in entry["label_codes"].items():
            if word.endswith(code):
                return str(reason)
        return ""
    return ""


def _by_code(entry: dict[str, Any], text: str) -> str:
    codes: dict[str, str] = entry.get("codes", {})
    for match in _LONG_CODE.finditer(text):
        code = match.group(1)
        if code in codes:
            return codes[code]
        found = _in_range(entry, code)
        if found:
            return found
    return ""


def _in_range(entry: dict[str, Any], code: str) -> str:
    head, _, detail = code.rpartition(".")
    for low, high, reason in entry.get("ranges", ()):
        if low.rpartition(".")[0] == head and int(low.rpartition(".")[2]) <= int(detail) <= int(
                high.rpartition(".")[2]):
            return str(reason)
    return ""


def _by_phrase(entry: dict[str, Any], text: str) -> str:
    for phrase, reason in entry.get("phrases", ()):
        if phrase in text:
            return str(reason)
    return ""
