"""Wording that MTA families' own bounces use for a reason (tables/lhost.json).

A hit here is what the reporting MTA itself says went wrong, so it is passed to the
reason engine as a preset: kept unless it is one of the reasons a closer reading may replace.
"""

from __future__ import annotations

from checks.bounce import tables, vocab

_ROWS: list[tuple[str, list[str], list[list[str]]]] = [
    (reason, index, pairs) for reason, index, pairs in tables.load("lhost.json")["phrases"]
]
_WORDS = vocab.Vocabulary(
    p for _r, index, pairs in _ROWS for p in [*index, *(x for g in pairs for x in g)])


def preset(diagnostic: str) -> str:
    """The reason an MTA's own wording names, or ""."""
    hits = _WORDS.hits(diagnostic.lower())
    if not hits:
        return ""
    return next((r for r, index, pairs in _ROWS if vocab.any_of(hits, index, pairs)), "")
