"""MTA-STS (RFC 8461): the _mta-sts TXT record, the policy file and MX matching."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

from checks.dnsauth.records import select_one

MODES = frozenset({"enforce", "testing", "none"})
MAX_AGE_LIMIT = 31557600  # RFC 8461 3.2: up to one year
_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")


class MtaStsError(ValueError):
    """A record or policy that senders will not use."""


@dataclass(frozen=True)
class StsRecord:
    raw: str
    id: str


@dataclass(frozen=True)
class StsPolicy:
    raw: str
    mode: str
    max_age: int
    mx: tuple[str, ...]
    warnings: tuple[str, ...] = ()


def parse_record(text: str) -> StsRecord:
    """'v=STSv1; id=20160831085700Z;' (RFC 8461 3.1)."""
    fields = dict(_pairs(text, ";", "="))
    if not text.strip().startswith("v=STSv1") or fields.get("v") != "STSv1":
        raise MtaStsError("the TXT record must start with v=STSv1")
    record_id = fields.get("id", "")
    if not _ID.match(record_id):
        raise MtaStsError(f"id={record_id!r} must be 1 to 32 letters or digits")
    return StsRecord(text, record_id)


def select(txts: Sequence[str]) -> tuple[str | None, str | None]:
    return select_one(
        txts, lambda t: t.strip().startswith("v=STSv1"), "no v=STSv1 record", "{n} v=STSv1 records"
    )


def _pairs(text: str, sep: str, eq: str) -> list[tuple[str, str]]:
    pairs = []
    for part in (p.strip() for p in text.split(sep)):
        if part:
            key, _, value = part.partition(eq)
            pairs.append((key.strip(), value.strip()))
    return pairs


def parse_policy(text: str) -> StsPolicy:
    """The policy file: 'key: value' lines; version, mode, max_age and mx entries."""
    pairs = [(k.lower(), v) for k, v in _pairs(text.replace("\r\n", "\n"), "\n", ":")]
    fields = dict(pairs)
    if fields.get("version") != "STSv1":
        raise MtaStsError("the policy must contain 'version: STSv1'")
    mode = fields.get("mode", "")
    if mode not in MODES:
        raise MtaStsError(f"mode {mode!r} is not enforce, testing or none")
    max_age = _max_age(fields.get("max_age", ""))
    mx = tuple(v.lower().rstrip(".") for k, v in pairs if k == "mx")
    if mode != "none" and not mx:
        raise MtaStsError(f"mode {mode} needs at least one 'mx:' line")
    return StsPolicy(text, mode, max_age, mx, _policy_warnings(mx, max_age))


def _max_age(text: str) -> int:
    if not text.isdigit() or int(text) > MAX_AGE_LIMIT:
        raise MtaStsError(f"max_age {text!r} must be a whole number of seconds up to one year")
    return int(text)


def _policy_warnings(mx: tuple[str, ...], max_age: int) -> tuple[str, ...]:
    warnings = [
        f"mx: {m} is an IP address; only host names (or *.name) are allowed"
        for m in mx
        if _is_ip(m)
    ]
    if max_age < 86400:
        warnings.append(f"max_age {max_age} is under a day; RFC 8461 suggests weeks")
    return tuple(warnings)


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def mx_matches(pattern: str, host: str) -> bool:
    """RFC 8461 4.1: exact name, or '*.' matching exactly one leftmost label."""
    pattern, host = pattern.lower().rstrip("."), host.lower().rstrip(".")
    if _is_ip(pattern):
        return False
    if pattern.startswith("*."):
        head, _, rest = host.partition(".")
        return bool(head) and rest == pattern[2:]
    return pattern == host


def uncovered(policy: StsPolicy, mx_hosts: Sequence[str]) -> list[str]:
    """MX hosts that no mx pattern of the policy covers."""
    return [h for h in mx_hosts if not any(mx_matches(p, h) for p in policy.mx)]
