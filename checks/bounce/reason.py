"""Sisimai's way of naming a bounce reason: a class order of probes, then a fallback pass.

Each reason has a phrase vocabulary (`tables/reasons.json`); some also trust the status
code, the SMTP reply code or the SMTP command that failed. The first pass walks
`FIRST_ORDER`; when it finds nothing, the second pass reads the text against
`SECOND_ORDER` and falls back to the status class, the action and the command.
"""

from __future__ import annotations

from collections.abc import Callable
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
    return bool(text) and reason in _present(text)


@lru_cache(maxsize=32)
def _present(text: str) -> frozenset[str]:
    """The reasons whose phrases (or ordered groups) `text` carries and whose exclusions
    it does not: one vocabulary scan answers every probe on the same text."""
    found = _WORDS.hits(text)
    named: set[str] = set()
    ruled_out: set[str] = set()
    groups: list[tuple[str, tuple[str, ...]]] = []
    for phrase in found:
        role = _ROLES.get(phrase)
        if role is not None:
            named.update(role[0])
            ruled_out.update(role[1])
            groups.extend(role[2])
    for name, group in groups:  # (a reason already named needs no group of its own)
        if name not in named and vocab.aligned(found, group):
            named.add(name)
    return frozenset(named - ruled_out)


#: phrase -> (reasons it names, reasons it rules out, ordered groups it opens), for the
#: phrases that have any of these (one look-up per phrase found)
_ROLES: dict[str, tuple[tuple[str, ...], tuple[str, ...],
                        tuple[tuple[str, tuple[str, ...]], ...]]] = {
    p: (_INDEX.get(p, ()), _ISNOT.get(p, ()), _PAIRS.get(p, ()))
    for p in {*_INDEX, *_ISNOT, *_PAIRS}
}


def _by_code_or_text(reason: str) -> Callable[[Fact, frozenset[str]], bool]:
    return lambda f, p: name_of(f.status) == reason or reason in p


def _by_text(reason: str) -> Callable[[Fact, frozenset[str]], bool]:
    return lambda f, p: reason in p


def _mesgtoobig(f: Fact, p: frozenset[str]) -> bool:
    code = name_of(f.status)
    return code != "exceedlimit" and (code == "mesgtoobig" or "mesgtoobig" in p)


def _suspend(f: Fact, p: frozenset[str]) -> bool:
    return f.replycode == "525" or "suspend" in p


def _norelaying(f: Fact, p: frozenset[str]) -> bool:
    if f.preset in ("securityerror", "systemerror", "undefined"):
        return False
    return f.command not in ("CONN", "EHLO", "HELO") and "norelaying" in p


def _userunknown(f: Fact, p: frozenset[str]) -> bool:
    if name_of(f.status) == "userunknown":
        return p.isdisjoint(_NOT_USER)
    return f.command == "RCPT" and "userunknown" in p


def _filtered(f: Fact, p: frozenset[str]) -> bool:
    code = name_of(f.status)
    if code != "filtered" and f.command in BEFORE_DATA:
        return False
    return "userunknown" in p or "filtered" in p


def _contenterror(f: Fact, p: frozenset[str]) -> bool:
    if _spamdetected(f, p):
        return False
    return name_of(f.status) == "contenterror" or "contenterror" in p


def _rejected(f: Fact, p: frozenset[str]) -> bool:
    code = name_of(f.status)
    if code == "rejected":
        return True
    if f.command == "MAIL":
        return "rejected" in p
    if f.command == "DATA" and code != "userunknown":
        return "rejected" in p
    if code in ("", "undefined", "onhold", "securityerror", "systemerror"):
        return "rejected" in p
    return False


def _hostunknown(f: Fact, p: frozenset[str]) -> bool:
    if name_of(f.status) == "hostunknown":
        return "networkerror" not in p
    return "hostunknown" in p


def _spamdetected(f: Fact, p: frozenset[str]) -> bool:
    if not f.status:
        return False
    if name_of(f.status) == "spamdetected":
        return True
    return f.command not in BEFORE_DATA and "spamdetected" in p


#: (each probe reads the reasons whose phrases the text carries, `_present`)
_PROBES: dict[str, Callable[[Fact, frozenset[str]], bool]] = {
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
    present = _present(text) if text else frozenset()
    maybe = _candidates(fact, present)
    for reason in FIRST_ORDER:
        if reason in maybe and (fact.preset == reason or _PROBES[reason](fact, present)):
            return reason
    return ""


def _candidates(fact: Fact, present: frozenset[str]) -> frozenset[str]:
    """The reasons a first-pass probe can say yes to: each needs its own phrases or its own
    status code (or the preset), except suspend (reply 525) and filtered (also taken on
    userunknown's phrases). Probing only these skips the calls that cannot succeed."""
    extra = {fact.preset, name_of(fact.status)}
    if fact.replycode == "525":
        extra.add("suspend")
    if "userunknown" in present:
        extra.add("filtered")
    return present | extra


def _second_pass(fact: Fact, text: str) -> str:
    if fact.preset and fact.preset not in ("undefined", "onhold"):
        return fact.preset
    code = name_of(fact.status)
    if code not in RETRY and fact.dtype == "SMTP":
        return code
    present = _present(text) if text else frozenset()
    found = next((r for r in SECOND_ORDER if r in present), "")
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
