"""Who hosts a domain's mail, from its MX host names (patterns in providers.json)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_DATA = Path(__file__).with_name("providers.json")


@dataclass(frozen=True)
class Provider:
    name: str
    suffixes: tuple[str, ...]
    note: str = ""


@cache
def providers() -> tuple[Provider, ...]:
    """The table, read once per process (reference data, not a lookup cache)."""
    rows = json.loads(_DATA.read_text(encoding="utf-8"))
    return tuple(Provider(r["name"], tuple(r["mx_suffixes"]), r.get("note", "")) for r in rows)


def provider_for_host(host: str) -> Provider | None:
    host = host.lower().rstrip(".")
    for prov in providers():
        if any(host == s or host.endswith("." + s) for s in prov.suffixes):
            return prov
    return None


def identify(mx_hosts: Sequence[str]) -> Provider | None:
    """The provider of the most preferred MX host that matches a known pattern."""
    for host in mx_hosts:
        found = provider_for_host(host)
        if found is not None:
            return found
    return None
