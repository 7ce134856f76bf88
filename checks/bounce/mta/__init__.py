"""Heuristics for bounces that are not (only) RFC 3464: which MTA wrote it, and its text."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any

from checks.bounce.mail import MailParts, header

_FamilyRule = tuple[str, tuple[tuple[str, re.Pattern[str]], ...]]


def _load_families() -> tuple[_FamilyRule, ...]:
    raw: dict[str, Any] = json.loads(
        resources.files("checks.bounce").joinpath("tables/families.json").read_text("utf-8"))
    return tuple(
        (name, tuple((key, re.compile(rx, re.I)) for key, rx in rules.items()))
        for name, rules in raw["families"]
    )


FAMILIES = _load_families()
#: family -> the reason its bounces mean when their text names none
DEFAULTS: dict[str, str] = {
    k: v for k, v in json.loads(resources.files("checks.bounce").joinpath(
        "tables/families.json").read_text("utf-8"))["defaults"].items() if not k.startswith("_")
}


def reporter(parts: MailParts) -> str:
    """The MTA or provider that wrote the bounce, or "" when no sign names one."""
    body = parts.text[:20000]
    for name, rules in FAMILIES:
        if any(_rule_matches(parts, key, rx, body) for key, rx in rules):
            return name
    return ""


def _rule_matches(parts: MailParts, key: str, rx: re.Pattern[str], body: str) -> bool:
    value = body if key == "body" else header(parts.headers, key)
    return bool(value) and rx.search(value) is not None
