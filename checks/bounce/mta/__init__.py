"""Heuristics for bounces that are not (only) RFC 3464: which MTA wrote it, and its text."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

from checks.bounce.mail import MailParts, header
from checks.bounce.needles import needles

_FamilyRule = tuple[str, tuple[tuple[str, re.Pattern[str]], ...]]
#: (family, header or "body", literal word or "", pattern or None, words the pattern needs)
_Sign = tuple[str, str, str, re.Pattern[str] | None, tuple[str, ...] | None]


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


def reporter(parts: MailParts) -> str:
    """The MTA or provider that wrote the bounce, or "" when no sign names one.

    Values are lower-cased once and matched by case-sensitive (lower-case) patterns: much
    faster than case-insensitive alternations.
    """
    present = _HEADER_KEYS & parts.headers.names()
    values = [(key, header(parts.headers, key).lower()) for key in present]
    values.append(("body", parts.lower_head(6000)))
    best = len(FAMILIES)
    for key, value in values:
        if value:
            best = _first_shown(_BY_KEY[key], value, best)
    return FAMILIES[best][0] if best < len(FAMILIES) else ""


def _first_shown(signs: tuple[_KeySign, ...], value: str, best: int) -> int:
    """The lowest family index (below `best`) whose sign on this value shows, else `best`."""
    for rank, word, rx, required in signs:
        if rank >= best:
            break
        if (word in value) if word else (rx is not None and _shown(rx, required, value)):
            return rank
    return best


def _shown(rx: re.Pattern[str], required: tuple[str, ...] | None, value: str) -> bool:
    """A sign is searched only when a word it cannot match without is in the value."""
    if required is not None and not any(map(value.__contains__, required)):
        return False
    return rx.search(value) is not None


def _flat(rules: tuple[_FamilyRule, ...]) -> tuple[_Sign, ...]:
    """Every sign in family order; a sign made only of literal alternatives becomes one
    `in` test per alternative (no regex scan)."""
    out: list[_Sign] = []
    for name, signs in rules:
        for key, rx in signs:
            words = _literals(rx.pattern)
            if words is None:
                out.append((name, key, "", rx, needles(rx.pattern)))
            else:
                out.extend((name, key, w, None, None) for w in words)
    return tuple(out)


def _literals(pattern: str) -> tuple[str, ...] | None:
    """The alternatives of a pattern that is literal text joined by "|", else None."""
    words = pattern.replace("\\.", "\x00").split("|")
    if any(re.search(r"[\\^$.*+?()\[\]{}]", w) for w in words):
        return None
    return tuple(w.replace("\x00", ".") for w in words)


_HEADER_KEYS = frozenset(key for _, rules in FAMILIES for key, _ in rules) - {"body"}
_SIGNS = _flat(FAMILIES)
#: (family index, literal word or "", pattern or None, words the pattern needs)
_KeySign = tuple[int, str, re.Pattern[str] | None, tuple[str, ...] | None]
_RANK = {name: i for i, (name, _rules) in reversed(list(enumerate(FAMILIES)))}
#: header name or "body" -> its signs in family order
_BY_KEY: dict[str, tuple[_KeySign, ...]] = {
    key: tuple((_RANK[n], w, rx, req) for n, k, w, rx, req in _SIGNS if k == key)
    for key in {k for _n, k, _w, _rx, _req in _SIGNS}
}
