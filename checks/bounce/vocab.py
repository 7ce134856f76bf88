"""Phrase vocabularies matched in one pass over a text.

Reason tables hold hundreds of lower-case phrases. Testing `p in text` for each one costs
a Python loop per probe; instead every phrase goes into one regex, scanned once per text,
and a probe then asks the resulting set of hits.

The regex does not try every position of the text. Each phrase is anchored at its first
character that is in a set of characters rare in bounce text (`_anchor_chars`), so the scan skips
at C speed to the few positions holding an anchor character. From there a trie of what
follows the anchor is matched forwards (the longest continuation wins), and where a phrase
ends a look-behind checks the part of it before the anchor (its head). One match at an
anchor position stands for every phrase anchored there: their continuations are prefixes
of the longest one, and their heads are tested in Python (`_Candidate`).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Sequence
from functools import lru_cache

#: printable ASCII characters by how often they occur in bounce diagnostics, most common
#: first (any other character counts as rarer): only a tuning of the scan, never of results
_COMMON = " eoatirsn.lmp0cdu52-h:gkfxj1by=@/wv<>*493,7[]6()8zq'#;_\"+?$&!%|^"
_RANK = {c: i for i, c in enumerate(_COMMON)}
_END = ""
#: (phrase, length of its head, its head): one phrase a match at an anchor may stand for
_Candidate = tuple[str, int, str]


def _anchor_chars(words: Sequence[str]) -> frozenset[str]:
    """Rare characters such that every phrase holds at least one: starting from all of
    them, the most common are dropped while each phrase keeps one."""
    chars = set("".join(words))
    for char in sorted(chars & _RANK.keys(), key=_RANK.__getitem__):
        rest = chars - {char}
        if all(not rest.isdisjoint(w) for w in words if char in w):
            chars = rest
    return frozenset(chars)


def _trie(rests: dict[str, set[str]]) -> dict[str, object]:
    """Trie of the continuations after one anchor character; a node where a phrase ends
    holds the heads of the phrases ending there (under `_END`)."""
    root: dict[str, object] = {}
    for rest, heads in rests.items():
        node = root
        for char in rest:
            node = node.setdefault(char, {})  # type: ignore[assignment]
        node[_END] = heads
    return root


def _pattern(node: dict[str, object], seen: str) -> str:
    """Regex for a trie node (`seen`: the anchor and the continuation up to it); a longer
    continuation is tried first, and a phrase ending here needs one of its heads before."""
    branches = [re.escape(c) + _pattern(child, seen + c) for c, child in sorted(node.items())
                if c != _END and isinstance(child, dict)]
    body = "" if not branches else branches[0] if len(branches) == 1 else (
        "(?:" + "|".join(branches) + ")")
    heads = node.get(_END)
    if not isinstance(heads, set):
        return body
    check = "" if "" in heads else "|".join(
        f"(?<={re.escape(h + seen)})" for h in sorted(heads))
    if not body:
        return f"(?:{check})" if "|" in check else check
    return f"(?:{body}|{check})"


class Vocabulary:
    """A set of lower-case phrases found together by one scan of a text."""

    def __init__(self, phrases: Iterable[str]) -> None:
        words = sorted({p for p in phrases if p})
        anchors = _anchor_chars(words)
        #: anchor character -> continuation after it -> heads of the phrases
        by_anchor: dict[str, dict[str, set[str]]] = {}
        for word in words:
            at = next(i for i, c in enumerate(word) if c in anchors)
            by_anchor.setdefault(word[at], {}).setdefault(word[at + 1:], set()).add(word[:at])
        order = sorted(by_anchor, key=lambda c: _RANK.get(c, len(_RANK)))  # (common first)
        self._scan = re.compile("|".join(re.escape(c) + _pattern(_trie(by_anchor[c]), c)
                                         for c in order)) if words else None
        self._candidates = {c + rest: _candidates(c, rest, rests)
                            for c, rests in by_anchor.items() for rest in rests}
        self.hits = lru_cache(maxsize=32)(self._hits)

    def _hits(self, text: str) -> dict[str, list[int]]:
        """Each vocabulary phrase in `text` with the positions where it starts.

        A search from each anchor position + 1 finds the next one where a phrase matches;
        the match (the anchor and the longest continuation) names the phrases to check. A
        phrase always sits at the same offset from its anchor, so its starts come in order."""
        found: dict[str, list[int]] = {}
        if self._scan is None:
            return found
        search, candidates, pos = self._scan.search, self._candidates, 0
        while (match := search(text, pos)) is not None:
            at = match.start()
            for phrase, back, head in candidates[match[0]]:
                if not back or (back <= at and text.startswith(head, at - back)):
                    found.setdefault(phrase, []).append(at - back)
            pos = at + 1
        return found


def _candidates(char: str, rest: str, rests: dict[str, set[str]]) -> tuple[_Candidate, ...]:
    """The phrases a match of `char` + `rest` may stand for: those anchored at `char` whose
    continuation is a prefix of `rest`, shortest first."""
    return tuple((h + char + rest[:n], len(h), h) for n in range(len(rest) + 1)
                 if rest[:n] in rests for h in sorted(rests[rest[:n]]))


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
