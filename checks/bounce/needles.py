"""Literal words a regular expression cannot match without: a cheap `in` test that rules a
pattern out before the regex engine is asked.

Only the simple shapes the sign tables use are read: top-level alternatives of literal
text, escapes, classes, groups and quantifiers. Anything not understood ends the current
run of literal text (so the words found are always really required).
"""

from __future__ import annotations

#: the shortest word worth testing (shorter ones would rule out too little)
MIN_WORD = 3
_QUANTIFIERS = frozenset("?*{")


def needles(pattern: str) -> tuple[str, ...] | None:
    """One required word per top-level alternative, or None when some alternative has none."""
    words = []
    for branch in _branches(pattern):
        runs = _runs(branch)
        best = max(runs, key=len, default="")
        if len(best) < MIN_WORD:
            return None
        words.append(best)
    return tuple(words) or None


def is_literal(pattern: str) -> bool:
    """Is the pattern nothing but literal alternatives (then `in` alone decides)?"""
    return all(_runs(b) == [_unescaped(b)] for b in _branches(pattern))


def _unescaped(branch: str) -> str:
    return "".join(c for i, c in enumerate(branch) if c != "\\" or branch[i - 1:i] == "\\")


def _branches(pattern: str) -> list[str]:
    """The pattern split at its top-level "|" (not inside groups or classes)."""
    out, start, depth, i = [], 0, 0, 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 1
        elif char == "[":
            i = _class_end(pattern, i)
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            out.append(pattern[start:i])
            start = i + 1
        i += 1
    return [*out, pattern[start:]]


def _class_end(pattern: str, i: int) -> int:
    """Index of the "]" closing the class opened at i (the end when unclosed)."""
    j = i + 1
    if pattern[j:j + 1] == "^":
        j += 1
    if pattern[j:j + 1] == "]":
        j += 1
    while j < len(pattern) and pattern[j] != "]":
        j += 2 if pattern[j] == "\\" else 1
    return j


def _runs(branch: str) -> list[str]:
    """Runs of literal text the branch requires, in order."""
    runs, current, i = [], "", 0
    while i < len(branch):
        char, i = branch[i], i + 1
        if char == "\\" and i < len(branch) and not branch[i].isalnum():
            current, i = current + branch[i], i + 1
            continue
        if char in _QUANTIFIERS:
            current = current[:-1]
        elif char not in "\\^$.+()[]|":
            current += char
            continue
        runs.append(current)
        current = ""
        i = _skip(branch, char, i)
    return [r for r in [*runs, current] if r]


def _skip(branch: str, char: str, i: int) -> int:
    """Past a class, a group, an escape sequence or a {m,n} after its opening character."""
    if char == "[":
        return _class_end(branch, i - 1) + 1
    if char == "\\":
        return i + 1
    if char == "{":
        close = branch.find("}", i)
        return close + 1 if close >= 0 else len(branch)
    if char == "(":
        return _group_end(branch, i)
    return i


def _group_end(branch: str, i: int) -> int:
    """Index just past the ")" closing the group whose "(" is at i - 1."""
    depth = 1
    while i < len(branch) and depth:
        char = branch[i]
        if char == "\\":
            i += 1
        elif char == "[":
            i = _class_end(branch, i)
        elif char in "()":
            depth += 1 if char == "(" else -1
        i += 1
    return i
