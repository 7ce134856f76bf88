"""DMARC records (RFC 7489): selection, tag parsing and validation, report URIs."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from checks.dnsauth.records import TAG_NAME, TagWording, select_one, tag_list

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
    """Parse and validate a record; raises DmarcSyntaxError with the plain reason.

    Only v= and the policy (p=, sp=) can void a record (RFC 7489 6.6.3). A fault anywhere
    else is discarded as RFC 7489 6.3 says, the default used instead, and named in
    `warnings`: a bare word, a repeated tag, or a bad pct=, adkim=, aspf=, rua= or ruf=."""
    tags, notes, ambiguous = read_tags(text)
    first = text.strip().split(";", 1)[0].partition("=")[0].strip().lower()
    if tags.get("v") != "DMARC1" or first != "v":
        raise DmarcSyntaxError("the record must start with v=DMARC1")
    rua, bad_rua = _uris(tags.get("rua", ""), "rua")
    p, sp, fallback = _policies(tags, rua, ambiguous)
    pct, bad_pct = _pct(tags)
    adkim, bad_adkim = _mode(tags, "adkim")
    aspf, bad_aspf = _mode(tags, "aspf")
    ruf, bad_ruf = _uris(tags.get("ruf", ""), "ruf")
    ignored = [*notes, *bad_pct, *bad_adkim, *bad_aspf, *bad_rua, *bad_ruf]
    warnings = (
        *fallback,
        *ignored,
        *_warnings(tags, p, sp, pct),
        *_report_tag_problems(tags),
    )
    policy_error = fallback[0] if fallback else None
    return DmarcRecord(text, tags, p, sp, pct, adkim, aspf, rua, ruf, warnings, policy_error)


def read_tags(text: str) -> tuple[dict[str, str], list[str], set[str]]:
    """(tags, what was discarded, tags given twice with different values).

    RFC 7489 6.3: receivers ignore what they cannot read in the record, so a part that is
    not tag=value is dropped and a repeated tag keeps its first value, each named in the
    second item. A tag repeated with another value is ambiguous (the third item): for p=
    and sp= that makes the policy unreadable (see _policies)."""
    tags: dict[str, str] = {}
    notes: list[str] = []
    ambiguous: set[str] = set()
    for part in (p.strip() for p in text.split(";")):
        if not part:
            continue
        name, eq, value = part.partition("=")
        name, value = name.strip().lower(), value.strip()
        if not eq or not TAG_NAME.match(name):
            notes.append(f"'{part}' is not a tag=value pair: receivers ignore it")
        elif name not in tags:
            tags[name] = value
        elif tags[name].lower() == value.lower():
            notes.append(f"tag {name}= appears twice: receivers read it once")
        else:
            ambiguous.add(name)
            first = "" if name in ("p", "sp") else "; mailpath reads the first"
            notes.append(
                f"tag {name}= appears twice ({name}={tags[name]}, {name}={value}): "
                f"receivers may read either{first}"
            )
    return tags, notes, ambiguous


def published_policy(text: str) -> str | None:
    """The p= a record names when it is a policy word, even if the record is invalid."""
    value = read_tags(text)[0].get("p", "").lower()
    return value if value in POLICIES else None


def _policies(
    tags: Mapping[str, str], rua: tuple[ReportUri, ...], ambiguous: set[str]
) -> tuple[str, str, list[str]]:
    """(p, sp, warnings). RFC 7489 6.6.3: a missing or invalid p=, or an invalid sp=, with a
    valid rua= is read as p=none; without a valid rua= the record is invalid."""
    try:
        if "p" not in tags:
            raise DmarcSyntaxError("the required p= tag is missing")
        clash = sorted(ambiguous & {"p", "sp"})
        if clash:
            raise DmarcSyntaxError(f"{clash[0]}= is given twice with different values")
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


def _mode(tags: Mapping[str, str], name: str) -> tuple[str, list[str]]:
    """adkim= or aspf=: (the mode receivers use, the warning when the value is discarded)."""
    value = tags.get(name, "r").lower()
    if value in ALIGN_MODES:
        return value, []
    return "r", [
        f"{name}={tags[name]} is not r or s: receivers ignore it and use the default "
        f"{name}=r (relaxed alignment; RFC 7489 6.3)"
    ]


def _pct(tags: Mapping[str, str]) -> tuple[int, list[str]]:
    """(the pct= receivers use, the warning when the value is discarded)."""
    text = tags.get("pct", "100")
    if text.isdigit() and 0 <= int(text) <= 100:
        return int(text), []
    return 100, [
        f"pct={text} is not a whole number from 0 to 100: receivers ignore it and use the "
        "default pct=100 (RFC 7489 6.3)"
    ]


def _uris(text: str, tag: str) -> tuple[tuple[ReportUri, ...], list[str]]:
    """(the report URIs receivers can use, a warning per one they discard)."""
    uris: list[ReportUri] = []
    bad: list[str] = []
    for raw in (u.strip() for u in text.split(",") if u.strip()):
        match = _URI.match(raw)
        if match is None:
            bad.append(
                f"{tag}: '{raw}' is not a URI (expected mailto:address): receivers ignore it"
            )
            continue
        uris.append(ReportUri(raw, match.group("scheme").lower(), match.group("rest")))
    return tuple(uris), bad


def _warnings(tags: Mapping[str, str], p: str, sp: str, pct: int) -> tuple[str, ...]:
    warnings = [
        f"unknown tag {name}= (ignored by receivers)" for name in tags if name not in KNOWN_TAGS
    ]
    if tags.get("p", "").lower() == "none":
        warnings.append("p=none: receivers only monitor; failing mail is not rejected")
    strict = [(t, v) for t, v in (("p", p), ("sp", sp)) if v != "none" and t in tags]
    if pct == 0 and strict:
        warnings.append(_pct_zero(*strict[0]))
    if "rua" not in tags:
        warnings.append("no rua=: you receive no aggregate reports about failing mail")
    return tuple(warnings)


def _pct_zero(tag: str, policy: str) -> str:
    """RFC 7489 6.6.4: mail pct= leaves out gets the next less strict policy."""
    less = {"reject": "quarantine", "quarantine": "none"}[policy]
    return (
        f"pct=0: {tag}={policy} applies to no failing mail; receivers treat all of it as "
        f"{less} instead (RFC 7489 6.6.4)"
    )


def report_auth_name(domain: str, report_domain: str) -> str:
    """RFC 7489 7.1: where an external report receiver must authorise the domain."""
    return f"{domain}._report._dmarc.{report_domain}"
