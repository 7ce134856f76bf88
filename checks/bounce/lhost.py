"""Wording that MTA families' own bounces use for a reason (tables/lhost.json).

A hit here is what the reporting MTA itself says went wrong, so it is passed to the
reason engine as a preset: kept unless it is one of the reasons a closer reading may replace.
"""

from __future__ import annotations

from functools import lru_cache

from checks.bounce import reason as reasons
from checks.bounce import tables, vocab

_RAW: list[tuple[str, list[str], list[list[str]]]] = tables.load("lhost.json")["phrases"]
_Groups = tuple[tuple[int, tuple[str, ...]], ...]
#: phrase -> (the first row, table order, that names it (len(_RAW): none), (row, the whole
#: group) for every row holding an ordered group the phrase opens): one look-up per phrase
_ROLES: dict[str, tuple[int, _Groups]] = {}
for _row, (_reason, _index, _pairs) in enumerate(_RAW):
    for _phrase in _index:
        _first, _opens = _ROLES.get(_phrase, (len(_RAW), ()))
        _ROLES[_phrase] = (min(_first, _row), _opens)
    for _group in _pairs:
        if _group:
            _first, _opens = _ROLES.get(_group[0], (len(_RAW), ()))
            _ROLES[_group[0]] = (_first, (*_opens, (_row, tuple(_group))))


def preset(diagnostic: str) -> str:
    """The reason an MTA's own wording names (the first table row it matches), or ""."""
    return preset_lower(diagnostic.lower() + " ")


@lru_cache(maxsize=32)
def preset_lower(text: str) -> str:
    """`preset` of a diagnostic already lower-cased, a space appended (as the reason
    vocabulary reads it: one scan serves both)."""
    hits = reasons.hits(text)
    best = len(_RAW)
    for phrase in hits:
        role = _ROLES.get(phrase)
        if role is None:
            continue
        first, opens = role
        if first < best:
            best = first
        for row, group in opens:
            if row < best and vocab.aligned(hits, group):
                best = row
    return _RAW[best][0] if best < len(_RAW) else ""
