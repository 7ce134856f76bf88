"""DNS blocklists (RFC 5782): query names, and listings told apart from refusals.

The default zones and the refusal codes are data (dnsbl_zones.json). Spamhaus-style lists
answer 127.255.255.x instead of a listing when they will not answer a query (most often
because it came through a large public resolver); such an answer is not a listing.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

_DATA = Path(__file__).with_name("dnsbl_zones.json")


@cache
def _table() -> dict[str, Any]:
    """Read once per process: reference data, not a lookup cache."""
    data: dict[str, Any] = json.loads(_DATA.read_text(encoding="utf-8"))
    return data


def default_zones() -> tuple[str, ...]:
    return tuple(z["zone"] for z in _table()["zones"])


def query_name(ip: str, zone: str) -> str:
    """RFC 5782 2.1: the IPv4 octets reversed, then the zone."""
    return ".".join(reversed(ip.split("."))) + "." + zone


@dataclass(frozen=True)
class Verdict:
    """One IP on one list: listed (with the codes), refused (with why), or clear."""

    ip: str
    zone: str
    state: str  # listed | refused | clear | unknown
    detail: str = ""


def verdict(ip: str, zone: str, records: Sequence[str], answered: bool) -> Verdict:
    """Read a list's A records: 127.0.0.0/8 codes are listings, refusal codes are not."""
    if not answered:
        return Verdict(ip, zone, "unknown", "no usable answer")
    refusals: dict[str, str] = _table()["refusals"]
    refused = [refusals.get(r, "the list refused the query") for r in records if _refusal(r)]
    if refused:
        return Verdict(ip, zone, "refused", refused[0])
    codes = [r for r in records if r.startswith("127.")]
    if codes:
        return Verdict(ip, zone, "listed", ", ".join(codes))
    return Verdict(ip, zone, "clear")


def _refusal(record: str) -> bool:
    return record.startswith("127.255.255.")
