"""Phrase vocabularies matched in one pass over a text.

Reason tables hold hundreds of lower-case phrases. Testing `p in text` for each one costs
a Python loop per probe; instead every phrase goes into one trie-shaped regex, scanned once
per text (a search from each hit's start finds the longest phrase starting at the next
position that has one; the shorter phrases starting there are exactly its prefixes in the
vocabulary). A probe then
asks the resulting set of hits.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from functools import lru_cache

_END = ""


def _trie(phrases: Iterable[str]) -> dict[str, object]:
    root: dict[str, object] = {}
    for phrase in phrases:
        node = root
        for char in phrase:
            node = node.setdefault(char, {})  # type: ignore[assignment]
        node[_END] = True
    return root


def _pattern(node: dict[str, object]) -> str:
    """Regex for a trie node; a phrase ending here makes the longer continuations optional."""
    branches = [re.escape(c) + _pattern(child) for c, child in sorted(node.items())
                if c != _END and isinstance(child, dict)]
    if not branches:
        return ""
    body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
    if _END in node:
        return f"(?:{body})?"
    return body


class Vocabulary:
    """A set of lower-case phrases found together by one scan of a text."""

    def __init__(self, phrases: Iterable[str]) -> None:
        words = sorted({p for p in phrases if p})
        self._scan = re.compile(f"({_pattern(_trie(words))})") if words else None
        known = set(words)
        self._prefixes = {w: tuple(w[:i] for i in range(1, len(w) + 1) if w[:i] in known)
                          for w in words}
        self.hits = lru_cache(maxsize=32)(self._hits)

    def _hits(self, text: str) -> dict[str, list[int]]:
        """Each vocabulary phrase in `text` with the positions where it starts.

        A search from each hit's start + 1 finds the longest phrase at every position where
        one starts (overlapping hits included), without a look-ahead at every position."""
        found: dict[str, list[int]] = {}
        if self._scan is None:
            return found
        search, prefixes, pos = self._scan.search, self._prefixes, 0
        while (match := search(text, pos)) is not None:
            start = match.start()
            for phrase in prefixes.get(match[1], ()):
                found.setdefault(phrase, []).append(start)
            pos = start + 1
        return found


def aligned(hits: dict[str, list[int]], parts: Sequence[str]) -> bool:
    """Do the parts occur in this order, each after the end of the one before?"""
    pos = 0
    for part in parts:
        starts = hits.get(part, ())  # (in ascending order)
        at = bisect_left(starts, pos)
        if at == len(starts):
            return False
        pos = starts[at] + len(part)
    return True


class Entry:
    """One reason's (or row's) phrases and ordered groups, asked against a text's hits."""

    __slots__ = ("index", "pairs")

    def __init__(self, index: Iterable[str], pairs: Iterable[Sequence[str]] = ()) -> None:
        self.index = frozenset(index)
        self.pairs = tuple(tuple(g) for g in pairs if g)

    def found_in(self, hits: dict[str, list[int]]) -> bool:
        """Is any phrase, or any ordered group, among the hits?"""
        if not self.index.isdisjoint(hits.keys()):
            return True
        return any(g[0] in hits and aligned(hits, g) for g in self.pairs)
