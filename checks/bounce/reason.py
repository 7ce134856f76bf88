"""Sisimai's way of naming a bounce reason: a class order of probes, then a fallback pass.

Each reason has a phrase vocabulary (`tables/reasons.json`); some also trust the status
code, the SMTP reply code or the SMTP command that failed. The first pass walks
`FIRST_ORDER`; when it finds nothing, the second pass reads the text against
`SECOND_ORDER` and falls back to the status class, the action and the command.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache

from checks.bounce import tables, vocab

_TABLE = tables.load("reasons.json")["reasons"]
_LHOST: list[tuple[str, list[str], list[list[str]]]] = tables.load("lhost.json")["phrases"]
#: every phrase of every reason (and of the MTA families' own wording, lhost.py), found in
#: one scan per text
_WORDS = vocab.Vocabulary([
    *(p for e in _TABLE.values()
      for p in [*e["index"], *e["isnot"], *(x for g in e["pairs"] for x in g)]),
    *(p for _r, index, pairs in _LHOST for p in [*index, *(x for g in pairs for x in g)]),
])


def _owners(key: str) -> dict[str, tuple[str, ...]]:
    """phrase -> the reasons whose `key` list ("index" or "isnot") holds it."""
    out: dict[str, list[str]] = {}
    for name, entry in _TABLE.items():
        for phrase in entry[key]:
            out.setdefault(phrase, []).append(name)
    return {k: tuple(v) for k, v in out.items()}


_INDEX = _owners("index")
_ISNOT = _owners("isnot")
#: first phrase of an ordered group -> (reason, the whole group)
_PAIRS: dict[str, tuple[tuple[str, tuple[str, ...]], ...]] = {}
for _name, _entry in _TABLE.items():
    for _group in _entry["pairs"]:
        if _group:
            _PAIRS[_group[0]] = (*_PAIRS.get(_group[0], ()), (_name, tuple(_group)))
_CODES: dict[str, str] = tables.load("status_codes.json")["codes"]

FIRST_ORDER = (
    "mailboxfull", "mesgtoobig", "exceedlimit", "suspend", "hasmoved", "norelaying", "authfailure",
    "userunknown", "filtered", "requireptr", "notcompliantrfc", "badreputation", "contenterror",
    "rejected", "hostunknown", "spamdetected", "speeding", "toomanyconn", "blocked",
)
SECOND_ORDER = (
    "mailboxfull", "authfailure", "badreputation", "speeding", "spamdetected", "virusdetected",
    "policyviolation", "norelaying", "systemerror", "networkerror", "suspend", "contenterror",
    "systemfull", "notaccept", "expired", "failedstarttls", "securityerror", "suppressed",
    "mailererror",
)
#: reasons that a later, closer reading may replace
RETRY = frozenset({"", "undefined", "onhold", "systemerror", "securityerror", "expired",
                   "networkerror", "hostunknown", "userunknown"})
#: SMTP commands sent before DATA: a content filter cannot have spoken yet
BEFORE_DATA = frozenset({"CONN", "EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT"})
_NOT_USER = ("norelaying", "blocked", "mailboxfull", "hasmoved", "rejected", "notaccept")


@dataclass(slots=True)
class Fact:
    """What the reason is decided from, for one recipient."""

    status: str = ""
    diagnostic: str = ""
    command: str = ""
    replycode: str = ""
    action: str = ""
    dtype: str = "SMTP"
    preset: str = ""


def name_of(status: str) -> str:
    """The reason a status code names by itself ("" for generic codes)."""
    return _CODES.get(status, "")


def hits(text: str) -> dict[str, list[int]]:
    """Every reason and family phrase in `text` (lower case) with where each starts."""
    return _WORDS.hits(text)


def included(reason: str, text: str) -> bool:
    """Does `text` (lower case) carry one of the reason's phrases?"""
    return bool(text) and bool(_present(text) & _BIT.get(reason, 0))


#: one bit per reason, FIRST_ORDER's in that order from the lowest (a set of reasons is an
#: int: the lowest bit set is the first reason in class order)
_BIT: dict[str, int] = {name: 1 << i for i, name in enumerate(
    dict.fromkeys((*FIRST_ORDER, *_TABLE, *SECOND_ORDER)))}
_FIRST_MASK = sum(_BIT[r] for r in FIRST_ORDER)
_FIRST_BY_BIT = {_BIT[r]: r for r in FIRST_ORDER}
_SECOND_MASK = sum(_BIT[r] for r in SECOND_ORDER)
_SECOND_BITS = tuple((r, _BIT[r]) for r in SECOND_ORDER)


def _mask(names: Iterable[str]) -> int:
    """The bits of these reasons."""
    return sum({_BIT[n] for n in names})


@lru_cache(maxsize=32)
def _present(text: str) -> int:
    """The reasons (bits) whose phrases (or ordered groups) `text` carries and whose
    exclusions it does not: one vocabulary scan answers every probe on the same text."""
    found = _WORDS.hits(text)
    named = ruled_out = 0
    groups: list[tuple[int, tuple[str, ...]]] = []
    for phrase in found:
        role = _ROLES.get(phrase)
        if role is not None:
            names, nots, opens = role
            named |= names
            ruled_out |= nots
            if opens:
                groups.extend(opens)
    for bit, group in groups:  # (a reason already named needs no group of its own)
        if not named & bit and vocab.aligned(found, group):
            named |= bit
    return named & ~ruled_out


#: phrase -> (reasons it names, reasons it rules out, ordered groups it opens as (reason
#: bit, group)), for the phrases that have any of these (one look-up per phrase found)
_ROLES: dict[str, tuple[int, int, tuple[tuple[int, tuple[str, ...]], ...]]] = {
    p: (_mask(_INDEX.get(p, ())), _mask(_ISNOT.get(p, ())),
        tuple((_BIT[n], g) for n, g in _PAIRS.get(p, ())))
    for p in {*_INDEX, *_ISNOT, *_PAIRS}
}
#: a probe reads the fact, the reason its status code names and the reasons (bits) whose
#: phrases the text carries (`_present`)
_Probe = Callable[[Fact, str, int], bool]


def _by_code_or_text(reason: str) -> _Probe:
    bit = _BIT[reason]
    return lambda f, code, p: code == reason or bool(p & bit)


def _by_text(reason: str) -> _Probe:
    bit = _BIT[reason]
    return lambda f, code, p: bool(p & bit)


_MESGTOOBIG, _SUSPEND, _NORELAYING, _USERUNKNOWN, _FILTERED = (
    _BIT[r] for r in ("mesgtoobig", "suspend", "norelaying", "userunknown",
                      "filtered"))
_CONTENTERROR, _REJECTED, _NETWORKERROR, _SPAMDETECTED = (
    _BIT[r] for r in ("contenterror", "rejected", "networkerror", "spamdetected"))
_NOT_USER_MASK = _mask(_NOT_USER)


def _mesgtoobig(f: Fact, code: str, p: int) -> bool:
    return code != "exceedlimit" and (code == "mesgtoobig" or bool(p & _MESGTOOBIG))


def _suspend(f: Fact, code: str, p: int) -> bool:
    return f.replycode == "525" or bool(p & _SUSPEND)


def _norelaying(f: Fact, code: str, p: int) -> bool:
    if f.preset in ("securityerror", "systemerror", "undefined"):
        return False
    return f.command not in ("CONN", "EHLO", "HELO") and bool(p & _NORELAYING)


def _userunknown(f: Fact, code: str, p: int) -> bool:
    if code == "userunknown":
        return not p & _NOT_USER_MASK
    return f.command == "RCPT" and bool(p & _USERUNKNOWN)


def _filtered(f: Fact, code: str, p: int) -> bool:
    if code != "filtered" and f.command in BEFORE_DATA:
        return False
    return bool(p & (_USERUNKNOWN | _FILTERED))


def _contenterror(f: Fact, code: str, p: int) -> bool:
    if _spamdetected(f, code, p):
        return False
    return code == "contenterror" or bool(p & _CONTENTERROR)


def _rejected(f: Fact, code: str, p: int) -> bool:
    if code == "rejected":
        return True
    if f.command == "MAIL":
        return bool(p & _REJECTED)
    if f.command == "DATA" and code != "userunknown":
        return bool(p & _REJECTED)
    if code in ("", "undefined", "onhold", "securityerror", "systemerror"):
        return bool(p & _REJECTED)
    return False


def _hostunknown(f: Fact, code: str, p: int) -> bool:
    if code == "hostunknown":
        return not p & _NETWORKERROR
    return bool(p & _BIT["hostunknown"])


def _spamdetected(f: Fact, code: str, p: int) -> bool:
    if not f.status:
        return False
    if code == "spamdetected":
        return True
    return f.command not in BEFORE_DATA and bool(p & _SPAMDETECTED)


_PROBES: dict[str, _Probe] = {
    "mailboxfull": _by_code_or_text("mailboxfull"), "mesgtoobig": _mesgtoobig,
    "exceedlimit": _by_code_or_text("exceedlimit"), "suspend": _suspend,
    "hasmoved": _by_text("hasmoved"), "norelaying": _norelaying,
    "authfailure": _by_code_or_text("authfailure"), "userunknown": _userunknown,
    "filtered": _filtered, "requireptr": _by_code_or_text("requireptr"),
    "notcompliantrfc": _by_text("notcompliantrfc"), "badreputation": _by_text("badreputation"),
    "contenterror": _contenterror, "rejected": _rejected, "hostunknown": _hostunknown,
    "spamdetected": _spamdetected, "speeding": _by_text("speeding"),
    "toomanyconn": _by_code_or_text("toomanyconn"), "blocked": _by_code_or_text("blocked"),
}


def find(fact: Fact, low: str | None = None) -> str:
    """The reason for one recipient, in Sisimai's vocabulary (`low`: the diagnostic
    lower-cased, when the caller has it)."""
    if fact.preset and fact.preset not in RETRY:
        return fact.preset
    if fact.status.startswith("2."):
        return "delivered"
    low = fact.diagnostic.lower() if low is None else low
    text = low + " " if fact.diagnostic else ""
    found = _first_pass(fact, text) if fact.dtype in ("SMTP", "") else ""
    if found:
        return found
    found = _second_pass(fact, text)
    if found and found != "undefined":
        return found
    if fact.action == "delayed":
        return "expired"
    if included("vacation", text):
        return "vacation"
    return "onhold" if text else "undefined"


def _first_pass(fact: Fact, text: str) -> str:
    present = _present(text) if text else 0
    code = name_of(fact.status)
    maybe = _candidates(fact, code, present) & _FIRST_MASK
    while maybe:  # (the lowest bit first: class order)
        bit = maybe & -maybe
        reason = _FIRST_BY_BIT[bit]
        if fact.preset == reason or _PROBES[reason](fact, code, present):
            return reason
        maybe ^= bit
    return ""


def _candidates(fact: Fact, code: str, present: int) -> int:
    """The reasons a first-pass probe can say yes to: each needs its own phrases or its own
    status code (or the preset), except suspend (reply 525) and filtered (also taken on
    userunknown's phrases). Probing only these skips the calls that cannot succeed."""
    maybe = present | _BIT.get(fact.preset, 0) | _BIT.get(code, 0)
    if fact.replycode == "525":
        maybe |= _SUSPEND
    if present & _USERUNKNOWN:
        maybe |= _FILTERED
    return maybe


def _second_pass(fact: Fact, text: str) -> str:
    if fact.preset and fact.preset not in ("undefined", "onhold"):
        return fact.preset
    code = name_of(fact.status)
    if code not in RETRY and fact.dtype == "SMTP":
        return code
    present = (_present(text) if text else 0) & _SECOND_MASK
    found = next((r for r, bit in _SECOND_BITS if present & bit), "") if present else ""
    return found or code or _fallback(fact)


def _fallback(fact: Fact) -> str:
    cls = fact.status[:3]
    if cls in ("5.6", "4.6"):
        return "contenterror"
    if cls in ("5.7", "4.7"):
        return "securityerror"
    if fact.dtype.upper().startswith("X-UNIX"):
        return "mailererror"
    if _syntax_reply(fact.replycode):
        return "syntaxerror"
    if fact.action in ("delayed", "expired"):
        return "expired"
    return "blocked" if fact.command in ("CONN", "EHLO", "HELO") else ""


def _syntax_reply(code: str) -> bool:
    return code.isdigit() and (400 < int(code) < 408 or 500 < int(code) < 508)
