"""Heuristics for bounces that are not (only) RFC 3464: which MTA wrote it, and its text."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

from checks.bounce.mail import Headers, MailParts, header
from checks.bounce.needles import needles

_FamilyRule = tuple[str, tuple[tuple[str, re.Pattern[str]], ...]]
#: (family, header or "body", word the value must hold, pattern to search then or None)
_Sign = tuple[str, str, str, re.Pattern[str] | None]


def _load_families() -> tuple[_FamilyRule, ...]:
    raw: dict[str, Any] = json.loads(
        resources.files("checks.bounce").joinpath("tables/families.json").read_text("utf-8"))
    return tuple(
        (name, tuple((key, re.compile(rx)) for key, rx in rules.items()))
        for name, rules in raw["families"]
    )


FAMILIES = _load_families()
#: family -> the reason its bounces mean when their text names none
DEFAULTS: dict[str, str] = {
    k: v for k, v in json.loads(resources.files("checks.bounce").joinpath(
        "tables/families.json").read_text("utf-8"))["defaults"].items() if not k.startswith("_")
}


#: header name -> (decoded value, its lower case), for the non-empty sign headers a bounce has
HeaderValues = dict[str, tuple[str, str]]


def header_values(headers: Headers, keys: frozenset[str]) -> HeaderValues:
    """Those of `keys` the headers hold with a value, each decoded and lower-cased once for
    every sign reader (`reporter`, `layout.pick`)."""
    out: HeaderValues = {}
    for key in keys & headers.names():
        value = header(headers, key)
        if value:
            out[key] = (value, value.lower())
    return out


def reporter(parts: MailParts, values: HeaderValues | None = None) -> str:
    """The MTA or provider that wrote the bounce, or "" when no sign names one.

    Values are lower-cased once and matched by case-sensitive (lower-case) patterns: much
    faster than case-insensitive alternations. `values`: `header_values` of the bounce for
    (at least) `HEADER_KEYS`, when the caller has it.
    """
    if values is None:
        values = header_values(parts.headers, HEADER_KEYS)
    best = len(FAMILIES)
    for key, (_value, lower) in values.items():
        signs = _BY_HEADER.get(key)
        if signs:
            best = _first_shown(signs, lower, best)
    body = parts.lower_head(6000)
    if body:
        best = _first_shown(_BODY, body, best)
    return FAMILIES[best][0] if best < len(FAMILIES) else ""


def _first_shown(signs: tuple[_KeySign, ...], value: str, best: int) -> int:
    """The lowest family index (below `best`) whose sign on this value shows, else `best`.

    A pattern is searched only when the word listed with it is in the value (a pattern
    that needs one of several words is listed once per word)."""
    for rank, word, rx in signs:
        if rank >= best:
            break
        if word in value and (rx is None or rx.search(value) is not None):
            return rank
    return best


def _flat(rules: tuple[_FamilyRule, ...]) -> tuple[_Sign, ...]:
    """Every sign in family order; a sign made only of literal alternatives becomes one
    `in` test per alternative (no regex scan), a pattern one entry per word it needs ("" when
    it has none to name)."""
    out: list[_Sign] = []
    for name, signs in rules:
        for key, rx in signs:
            words = _literals(rx.pattern)
            if words is None:
                out.extend((name, key, w, rx) for w in needles(rx.pattern) or ("",))
            else:
                out.extend((name, key, w, None) for w in words if w)  # ("" shows nothing)
    return tuple(out)


def _literals(pattern: str) -> tuple[str, ...] | None:
    """The alternatives of a pattern that is literal text joined by "|", else None."""
    words = pattern.replace("\\.", "\x00").split("|")
    if any(re.search(r"[\\^$.*+?()\[\]{}]", w) for w in words):
        return None
    return tuple(w.replace("\x00", ".") for w in words)


#: the headers a family sign reads
HEADER_KEYS = frozenset(key for _, rules in FAMILIES for key, _ in rules) - {"body"}
_SIGNS = _flat(FAMILIES)
#: (family index, word the value must hold, pattern to search then or None)
_KeySign = tuple[int, str, re.Pattern[str] | None]
_RANK = {name: i for i, (name, _rules) in reversed(list(enumerate(FAMILIES)))}
#: header name or "body" -> its signs in family order
_BY_KEY: dict[str, tuple[_KeySign, ...]] = {
    key: tuple((_RANK[n], w, rx) for n, k, w, rx in _SIGNS if k == key)
    for key in {k for _n, k, _w, _rx in _SIGNS}
}


def _needed(signs: tuple[_KeySign, ...]) -> tuple[_KeySign, ...]:
    """The signs less those a sign of the same family always outvotes: a literal word that
    holds another literal word of its family shows only where that one does, and either
    names the same family (a family's signs are all tried before a later family's: taken
    only when the signs are in ascending family order, as `_flat` lists them unless a
    family is listed twice)."""
    ranks = [rank for rank, _w, _rx in signs]
    if ranks != sorted(ranks):
        return signs
    return tuple(
        (rank, word, rx) for rank, word, rx in signs
        if rx is not None or not any(r == rank and x is None and w != word and w in word
                                     for r, w, x in signs))


_BODY = _needed(_BY_KEY.get("body", ()))
_BY_HEADER = {key: _BY_KEY[key] for key in HEADER_KEYS}
