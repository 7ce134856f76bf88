"""Multi-line SMTP replies written out in a bounce's text, indexed once by how they open.

A DSN's Diagnostic-Code often holds only the first line of a multi-line reply ("550-5.1.1
..."); the rest is in the human-readable part. The index makes finding it one dictionary
look-up per recipient, so a report with many recipient groups is read in linear time.
"""

from __future__ import annotations

import re

from checks.bounce.scan import squash

#: a line of a multi-line reply: "550-5.1.1 text" (the status code may be missing)
_OPEN = re.compile(r"([2-5]\d\d)-((?:[245]\.\d{1,3}\.\d{1,3}\b)?)[ \t]*(.*)")
#: opening words compared (a Diagnostic-Code field may be cut shorter than the line)
_KEY = 30
#: lines looked at for a short opening that matches no line exactly
_SCAN = 64
#: lines opening the same reply tried for one followed by the rest of it (a quotation of
#: the first line, "(reason: 550-5.7.1 ...)", may come before the transcript)
_TRIES = 4
#: continuation lines taken after the opening line
_TAIL = 20


class Replies:
    """The text's multi-line reply lines, by (code and status, opening words)."""

    def __init__(self, body: str) -> None:
        self._body = body
        self._lines: list[str] | None = None
        self._head: dict[tuple[str, str], list[int]] = {}
        self._exact: dict[tuple[str, str], list[int]] = {}
        self._by_code: dict[str, list[tuple[int, str]]] = {}

    def _index(self) -> list[str]:
        if self._lines is None:
            self._lines = self._body.splitlines()
            for i, line in enumerate(self._lines):
                found = _OPEN.search(line) if "-" in line else None
                if found:
                    self._add(i, f"{found.group(1)}-{found.group(2)}", squash(found.group(3)))
        return self._lines

    def _add(self, i: int, code: str, rest: str) -> None:
        self._head.setdefault((code, rest[:_KEY]), []).append(i)
        self._exact.setdefault((code, rest), []).append(i)
        self._by_code.setdefault(code, []).append((i, rest))

    def complete(self, diag: str) -> str:
        """`diag` with the lines that follow its first line in the text, when it opens a
        multi-line reply written there."""
        found = _OPEN.match(diag)
        if found is None:
            return diag
        lines = self._index()
        code, rest = f"{found.group(1)}-{found.group(2)}", squash(found.group(3))
        for at in self._find(code, rest)[:_TRIES]:
            more = _while_reply(lines[at + 1:at + 1 + _TAIL], found.group(1))
            if more:
                return f"{diag} {' '.join(more)}".strip()
        return diag

    def _find(self, code: str, rest: str) -> list[int]:
        """Lines (in text order) that open the same reply."""
        if len(rest) >= _KEY:
            return self._head.get((code, rest[:_KEY]), [])
        exact = self._exact.get((code, rest), [])
        if exact or not rest:
            return exact
        return [i for i, text in self._by_code.get(code, [])[:_SCAN] if text.startswith(rest)]


def _while_reply(lines: list[str], reply: str) -> list[str]:
    """The texts of the reply's lines, up to the first line that is not one of them."""
    out: list[str] = []
    for line in lines:
        text = line.strip().removeprefix("<<<").strip()
        if text[:3] != reply or text[3:4] not in ("-", " "):
            break
        out.append(text[4:])
    return out
