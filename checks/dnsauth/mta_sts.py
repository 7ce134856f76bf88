"""MTA-STS (RFC 8461) and TLS-RPT (RFC 8460): the _mta-sts TXT record, the policy file, MX
matching, and the _smtp._tls TXT record."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from dataclasses import dataclass

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
    head = _head(text)
    if head != "v=STSv1":
        raise MtaStsError(_version_fault(head))
    record_id = fields.get("id", "")
    if not _ID.match(record_id):
        raise MtaStsError(f"id={record_id!r} must be 1 to 32 letters or digits")
    return StsRecord(text, record_id)


def _version_fault(head: str) -> str:
    """Why the first field is not 'v=STSv1', naming the real fault."""
    if not head.startswith("v=STSv1"):
        return "the TXT record must start with v=STSv1"
    rest = head[len("v=STSv1") :].strip()
    if "=" in rest:  # the next field follows without its separator
        return (
            f"'{head}' has no ';' after v=STSv1: each field ends with ';' "
            f"(write v=STSv1; {rest})"
        )
    return f"the version is v={head[2:]}, not exactly v=STSv1"


def _head(text: str) -> str:
    """The first field of a TXT record, as the version check reads it."""
    return text.strip().split(";", 1)[0].strip()


def is_record(text: str) -> bool:
    """A TXT string that is (or tries to be) an MTA-STS record."""
    return text.strip().startswith("v=STSv1")


def records(txts: Sequence[str]) -> list[str]:
    """The TXT strings senders keep: those whose first field is exactly v=STSv1 (RFC 8461
    3.1 discards the others)."""
    return [t for t in txts if _head(t) == "v=STSv1"]


def select(txts: Sequence[str]) -> tuple[str | None, str | None]:
    """The one record senders use; else (None, why). With none that is exactly v=STSv1,
    a near miss (v=STSv1id=…) is returned for parse_record to name its fault."""
    kept = records(txts)
    if len(kept) == 1:
        return kept[0], None
    if kept:
        return None, f"{len(kept)} v=STSv1 records"
    near = [t for t in txts if is_record(t)]
    return (near[0], None) if near else (None, "no v=STSv1 record")


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


# -- TLS-RPT (RFC 8460 3) ------------------------------------------------------------------

TLSRPT_VERSION = "v=TLSRPTv1"
_MAILTO = re.compile(r"^mailto:[^@\s]+@[^@\s]+\.[^@\s]+$", re.I)
_HTTPS = re.compile(r"^https://[^/\s?#]+(?:[/?#]\S*)?$", re.I)


@dataclass(frozen=True)
class TlsRptRecord:
    raw: str
    rua: tuple[str, ...]


def is_tlsrpt(text: str) -> bool:
    """A TXT string that is (or tries to be) a TLS-RPT record."""
    return text.strip().startswith(TLSRPT_VERSION)


def tlsrpt_records(txts: Sequence[str]) -> list[str]:
    """The TXT strings senders keep: first field exactly v=TLSRPTv1 (RFC 8460 3)."""
    return [t for t in txts if _head(t) == TLSRPT_VERSION]


def parse_tlsrpt(text: str) -> TlsRptRecord:
    """'v=TLSRPTv1; rua=mailto:reports@example.com' (RFC 8460 3): the version exactly
    TLSRPTv1 and first, rua= a comma-separated list of mailto: or https: URIs; other fields
    are extensions, which senders ignore."""
    head = _head(text)
    if head != TLSRPT_VERSION:
        rest = head[len(TLSRPT_VERSION) :].strip() if is_tlsrpt(head) else ""
        if "=" in rest:
            raise MtaStsError(
                f"'{head}' has no ';' after v=TLSRPTv1 (write v=TLSRPTv1; {rest})"
            )
        raise MtaStsError(
            f"the version is {head!r}, not exactly v=TLSRPTv1: senders discard the record"
        )
    fields = dict(_pairs(text, ";", "="))
    if "rua" not in fields:
        raise MtaStsError("no rua= (where senders send the reports)")
    uris = tuple(u.strip() for u in fields["rua"].split(","))
    for uri in uris:
        if not uri:
            raise MtaStsError("rua= has an empty entry (a stray ',')")
        if uri.lower() in ("mailto:", "https:", "https://"):
            raise MtaStsError(f"rua={uri} names no address or URL to send reports to")
        if not (_MAILTO.match(uri) or _HTTPS.match(uri)):
            raise MtaStsError(f"rua: {uri!r} is not a mailto:address or https:// URL")
    return TlsRptRecord(text, uris)
