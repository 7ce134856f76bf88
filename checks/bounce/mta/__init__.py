"""Heuristics for bounces that are not (only) RFC 3464: which MTA wrote it, and its text."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

from checks.bounce.mail import MailParts, header
from checks.bounce.needles import needles

_FamilyRule = tuple[str, tuple[tuple[str, re.Pattern[str]], ...]]


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
    values = {"body": parts.text[:6000].lower()}
    for key in _HEADER_KEYS:
        raw = parts.headers.get(key)
        values[key] = header(parts.headers, key).lower() if raw is not None else ""
    for name, rules in FAMILIES:
        if any(values[key] and _shown(rx, values[key]) for key, rx in rules):
            return name
    return ""


def _shown(rx: re.Pattern[str], value: str) -> bool:
    """A sign made only of literal alternatives is looked up with `in` (no regex scan); other
    signs are searched only when a word they cannot match without is in the value."""
    words = _LITERALS.get(rx)
    if words is not None:
        return any(w in value for w in words)
    required = _REQUIRED.get(rx)
    if required is not None and not any(w in value for w in required):
        return False
    return rx.search(value) is not None


def _literals(pattern: str) -> tuple[str, ...] | None:
    """The alternatives of a pattern that is literal text joined by "|", else None."""
    words = pattern.replace("\\.", "\x00").split("|")
    if any(re.search(r"[\\^$.*+?()\[\]{}]", w) for w in words):
        return None
    return tuple(w.replace("\x00", ".") for w in words)


_HEADER_KEYS = frozenset(key for _, rules in FAMILIES for key, _ in rules) - {"body"}
_REQUIRED = {rx: found for _, rules in FAMILIES for _, rx in rules
             if (found := needles(rx.pattern)) is not None}
_LITERALS = {rx: found for _, rules in FAMILIES for _, rx in rules
             if (found := _literals(rx.pattern)) is not None}
