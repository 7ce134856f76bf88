"""DMARC records (RFC 7489): selection, tag parsing and validation, report URIs."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from checks.dnsauth.records import TagWording, select_one, tag_list

POLICIES = frozenset({"none", "quarantine", "reject"})
ALIGN_MODES = frozenset({"r", "s"})
FO_VALUES = frozenset({"0", "1", "d", "s"})
KNOWN_TAGS = frozenset({"v", "p", "sp", "pct", "adkim", "aspf", "rua", "ruf", "fo", "rf", "ri"})
_URI = re.compile(
    r"^(?P<scheme>[a-zA-Z][a-zA-Z0-9+.\-]*):(?P<rest>[^!]+)(?:!(?P<size>\d+[kmgt]?))?$"
)


class DmarcSyntaxError(ValueError):
    """A DMARC record that receivers will ignore (as if there were none)."""


_WORDING = TagWording(
    DmarcSyntaxError, "'{part}' is not a tag=value pair", "tag {name} appears twice", lower=True
)


@dataclass(frozen=True)
class ReportUri:
    raw: str
    scheme: str
    address: str

    @property
    def domain(self) -> str | None:
        """The mailbox's domain for mailto: URIs (others have none)."""
        if self.scheme != "mailto" or "@" not in self.address:
            return None
        return self.address.rpartition("@")[2].lower().rstrip(".")


@dataclass(frozen=True)
class DmarcRecord:
    raw: str
    tags: Mapping[str, str]
    p: str
    sp: str
    pct: int
    adkim: str
    aspf: str
    rua: tuple[ReportUri, ...] = ()
    ruf: tuple[ReportUri, ...] = ()
    warnings: tuple[str, ...] = field(default_factory=tuple)
    #: why p=/sp= could not be read, when a valid rua= made receivers act as p=none
    policy_error: str | None = None

    @property
    def enforcing(self) -> bool:
        return self.p in ("quarantine", "reject") and self.pct > 0


def is_dmarc(text: str) -> bool:
    return re.match(r"^v\s*=\s*DMARC1\s*(;|$)", text) is not None


def select(txts: Sequence[str]) -> tuple[str | None, str | None]:
    """RFC 7489 6.6.3: exactly one record starting with v=DMARC1, else none applies."""
    return select_one(
        txts,
        is_dmarc,
        "no TXT record starting with v=DMARC1",
        "{n} DMARC records: receivers then apply no DMARC policy at all",
    )


def split_tags(text: str) -> dict[str, str]:
    """'v=DMARC1; p=none' -> {'v': 'DMARC1', 'p': 'none'}; raises on a malformed tag."""
    return tag_list(text, _WORDING)


def parse(text: str) -> DmarcRecord:
    """Parse and validate a record; raises DmarcSyntaxError with the plain reason."""
    tags = split_tags(text)
    if tags.get("v") != "DMARC1" or next(iter(tags)) != "v":
        raise DmarcSyntaxError("the record must start with v=DMARC1")
    rua = _uris(tags.get("rua", ""), "rua")
    p, sp, fallback = _policies(tags, rua)
    pct = _pct(tags.get("pct", "100"))
    adkim = _choice(tags, "adkim", ALIGN_MODES, "r")
    aspf = _choice(tags, "aspf", ALIGN_MODES, "r")
    ruf = _uris(tags.get("ruf", ""), "ruf")
    warnings = (*fallback, *_warnings(tags), *_report_tag_problems(tags))
    policy_error = fallback[0] if fallback else None
    return DmarcRecord(text, tags, p, sp, pct, adkim, aspf, rua, ruf, warnings, policy_error)


def _policies(tags: Mapping[str, str], rua: tuple[ReportUri, ...]) -> tuple[str, str, list[str]]:
    """(p, sp, warnings). RFC 7489 6.6.3: a missing or invalid p=, or an invalid sp=, with a
    valid rua= is read as p=none; without a valid rua= the record is invalid."""
    try:
        if "p" not in tags:
            raise DmarcSyntaxError("the required p= tag is missing")
        p = _choice(tags, "p", POLICIES, "none")
        return p, _choice(tags, "sp", POLICIES, p), []
    except DmarcSyntaxError as exc:
        if not rua:
            raise
        why = f"{exc}: with a valid rua= receivers act as p=none (RFC 7489 6.6.3)"
        return "none", "none", [why]


_REPORT_FORMATS = frozenset({"afrf"})


def _report_tag_problems(tags: Mapping[str, str]) -> list[str]:
    """fo= (0, 1, d, s joined by ':'), rf= (afrf), ri= (seconds, a 32-bit number): RFC 7489
    6.3. A bad value there does not void the policy; receivers ignore the tag."""
    problems = []
    if "fo" in tags and not set(_colon_list(tags["fo"])) <= FO_VALUES:
        problems.append(f"fo={tags['fo']} is not valid (0, 1, d or s, joined by ':')")
    if "rf" in tags and not set(_colon_list(tags["rf"].lower())) <= _REPORT_FORMATS:
        problems.append(f"rf={tags['rf']} is not valid (the only report format is afrf)")
    ri = tags.get("ri", "86400")
    if not ri.isdigit() or int(ri) > 2**32 - 1:
        problems.append(f"ri={ri} is not valid (a number of seconds, for example 86400)")
    return problems


def _colon_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(":")]


def _choice(tags: Mapping[str, str], name: str, allowed: frozenset[str], default: str) -> str:
    value = tags.get(name, default).lower()
    if value not in allowed:
        raise DmarcSyntaxError(f"{name}={tags[name]} is not one of {', '.join(sorted(allowed))}")
    return value


def _pct(text: str) -> int:
    if not text.isdigit() or not 0 <= int(text) <= 100:
        raise DmarcSyntaxError(f"pct={text} is not a whole number from 0 to 100")
    return int(text)


def _uris(text: str, tag: str) -> tuple[ReportUri, ...]:
    uris: list[ReportUri] = []
    for raw in (u.strip() for u in text.split(",") if u.strip()):
        match = _URI.match(raw)
        if match is None:
            raise DmarcSyntaxError(f"{tag}: '{raw}' is not a URI (expected mailto:address)")
        uris.append(ReportUri(raw, match.group("scheme").lower(), match.group("rest")))
    return tuple(uris)


def _warnings(tags: Mapping[str, str]) -> tuple[str, ...]:
    warnings = [
        f"unknown tag {name}= (ignored by receivers)" for name in tags if name not in KNOWN_TAGS
    ]
    if tags.get("p", "").lower() == "none":
        warnings.append("p=none: receivers only monitor; failing mail is not rejected")
    if "rua" not in tags:
        warnings.append("no rua=: you receive no aggregate reports about failing mail")
    return tuple(warnings)


def report_auth_name(domain: str, report_domain: str) -> str:
    """RFC 7489 7.1: where an external report receiver must authorise the domain."""
    return f"{domain}._report._dmarc.{report_domain}"
