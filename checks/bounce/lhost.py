"""Wording that MTA families' own bounces use for a reason (tables/lhost.json).

A hit here is what the reporting MTA itself says went wrong, so it is passed to the
reason engine as a preset: kept unless it is one of the reasons a closer reading may replace.
"""

from __future__ import annotations

from checks.bounce import reason as reasons
from checks.bounce import tables, vocab

_RAW: list[tuple[str, list[str], list[list[str]]]] = tables.load("lhost.json")["phrases"]
_ROWS = [(reason, vocab.Entry(index, pairs)) for reason, index, pairs in _RAW]


def preset(diagnostic: str) -> str:
    """The reason an MTA's own wording names, or ""."""
    hits = reasons.hits(diagnostic.lower() + " ")
    if not hits:
        return ""
    return next((reason for reason, entry in _ROWS if entry.found_in(hits)), "")
