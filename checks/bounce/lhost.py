"""Wording that MTA families' own bounces use for a reason (tables/lhost.json).

A hit here is what the reporting MTA itself says went wrong, so it is passed to the
reason engine as a preset: kept unless it is one of the reasons a closer reading may replace.
"""

from __future__ import annotations

from checks.bounce import tables

_ROWS: list[tuple[str, list[str], list[list[str]]]] = [
    (reason, index, pairs) for reason, index, pairs in tables.load("lhost.json")["phrases"]
]


def _aligned(text: str, parts: list[str]) -> bool:
    pos = 0
    for part in parts:
        found = text.find(part, pos)
        if found < 0:
            return False
        pos = found + len(part)
    return True


def preset(diagnostic: str) -> str:
    """The reason an MTA's own wording names, or ""."""
    text = diagnostic.lower()
    for reason, index, pairs in _ROWS:
        if any(p in text for p in index) or any(_aligned(text, p) for p in pairs):
            return reason
    return ""
