"""Per-family bounce layouts (tables/layouts.json): where a family's error part starts and
ends, which lines name the failed recipients, and the reasons its own wording names.

A layout is data; `Layout` only applies it. The family comes from `mta.reporter` or, for
families it does not name, from the layout's own `signs` (header or body patterns).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from checks.bounce import scan, tables
from checks.bounce.mail import Headers, MailParts
from checks.bounce.mta import HeaderValues, header_values
from checks.bounce.needles import needles

_TO_LINE = re.compile(r"^[ \t>]*To:[ \t]*(.+)$", re.I | re.M)


@dataclass(frozen=True)
class Layout:
    """How one family lays its bounce out."""

    name: str
    signs: tuple[tuple[str, re.Pattern[str]], ...]
    start: tuple[str, ...]
    end: tuple[str, ...]
    recipient: re.Pattern[str] | None
    aliases: tuple[str, ...]
    messages: tuple[tuple[str, tuple[str, ...]], ...]
    commands: dict[str, str]
    temporary: frozenset[str]
    original_to: bool
    coded: re.Pattern[str] | None = None
    codes: tuple[tuple[re.Pattern[str], str], ...] = ()
    words: tuple[tuple[str, str], ...] = ()
    #: False for families whose own parser reads only the human-readable part (its delivery
    #: status part, when it sends one, is not what the family reports)
    reads_dsn: bool = True
    #: the error is stated above the first recipient line, and belongs to its diagnostic
    lead_in: bool = False
    #: the family's wording that names no reason (left to the general reading)
    neutral: tuple[str, ...] = ()
    #: (header, lower-case value, reason): a header of the bounce that names the reason
    marks: tuple[tuple[str, str, str], ...] = ()
    #: `messages` flattened to (phrase, reason) in table order (one loop, no nesting)
    wording: tuple[tuple[str, str], ...] = ()

    def section(self, text: str) -> str:
        """The error part: from the start marker's line (if any) to the first end marker."""
        begin = -1
        for mark in self.start:
            at = text.find(mark)
            if at >= 0 and (begin < 0 or at < begin):
                begin = at
        if begin > 0:
            text = text[begin:]
        cut = len(text)
        for mark in self.end:
            at = text.find(mark, 1)
            if 0 < at < cut:
                cut = at
        return text[:cut] if cut < len(text) else text

    def recipients(self, section: str) -> frozenset[str] | None:
        """Addresses on the family's recipient lines, or None when it has no such rule."""
        if self.recipient is None:
            return None
        found = {a for m in self.recipient.finditer(section) for a in scan.addresses(m[0])}
        return frozenset(found) or None

    def alias_addresses(self, section: str) -> frozenset[str]:
        """Addresses named as the alias a recipient was generated from (not recipients)."""
        for mark in self.aliases:
            if mark in section:
                break
        else:
            return frozenset()
        lines = (ln for ln in section.splitlines() if any(m in ln for m in self.aliases))
        return frozenset(a for ln in lines for a in scan.addresses(ln))

    def reason(self, diagnostic: str, command: str, low: str | None = None) -> str:
        """The reason the family's own parser gives: by failed command, its codes, its wording
        (`low`: the diagnostic lower-cased, when the caller has it)."""
        text = diagnostic.lower() if low is None else low
        command = command or self.command_of(text)
        if command in self.commands:
            return self.commands[command]
        by_code = self._by_code(diagnostic)
        if by_code:
            return by_code
        for phrase, reason in self.wording:
            if phrase in text:
                return reason
        return ""

    def header_reason(self, headers: Headers) -> str:
        """The reason a header of the bounce names, or ""."""
        for name, value, reason in self.marks:
            if (headers.get(name) or "").strip().lower() == value:
                return reason
        return ""

    def names_nothing(self, text: str) -> bool:
        """Does the (lower-case) text carry the family's wording that names no reason?"""
        return any(p in text for p in self.neutral)

    def command_of(self, text: str) -> str:
        """The SMTP command the family's own wording says failed ("" when it says none)."""
        return next((cmd for phrase, cmd in self.words if phrase in text), "")

    def _by_code(self, diagnostic: str) -> str:
        """The reason the family's own error code names (table keys are whole-code patterns)."""
        found = self.coded.search(diagnostic) if self.coded else None
        if not found:
            return ""
        code = found.group(1)
        return next((reason for rx, reason in self.codes if rx.fullmatch(code)), "")

    def to_of_original(self, rest: str) -> str:
        """The recipient named by the returned message's To: line (families that name none)."""
        match = _TO_LINE.search(rest) if self.original_to else None
        found = scan.addresses(match.group(1)) if match else []
        return found[0] if found else ""


def _compile(name: str, raw: dict[str, Any]) -> Layout:
    rcpt = raw.get("recipient")
    coded = raw.get("coded", {})
    return Layout(
        name=name,
        signs=tuple((k, re.compile(v, re.I | re.M)) for k, v in raw.get("signs", {}).items()),
        start=tuple(raw.get("start", ())), end=tuple(raw.get("end", ())),
        recipient=re.compile(rcpt, re.M) if rcpt else None,
        aliases=tuple(raw.get("aliases", ())),
        messages=tuple((r, tuple(p.lower() for p in ps))
                       for r, ps in raw.get("messages", {}).items()),
        commands=dict(raw.get("commands", {})), temporary=frozenset(raw.get("temporary", ())),
        original_to=bool(raw.get("original_to", False)),
        coded=re.compile(coded["pattern"]) if coded else None,
        codes=tuple((re.compile(k), v) for k, v in coded.get("table", {}).items()),
        words=tuple((k.lower(), v) for k, v in raw.get("command_words", {}).items()),
        reads_dsn=bool(raw.get("reads_dsn", True)),
        lead_in=bool(raw.get("lead_in", False)),
        neutral=tuple(p.lower() for p in raw.get("neutral", ())),
        marks=tuple((h, v.lower(), r) for h, v, r in raw.get("header_reasons", ())),
        wording=tuple((p.lower(), r) for r, ps in raw.get("messages", {}).items() for p in ps),
    )


LAYOUTS: dict[str, Layout] = {
    name: _compile(name, raw) for name, raw in tables.load("layouts.json")["layouts"].items()
}


def pick(parts: MailParts, family: str, values: HeaderValues | None = None) -> Layout | None:
    """The first layout whose (specific) signs the bounce shows, else the named family's.

    Only the headers the bounce has are read (`values`: `mta.header_values` of the bounce
    for at least `HEADER_KEYS`, when the caller has it), each against its own signs in
    layout order, bounded by the best layout found so far; a sign is searched only when the
    words it needs are in the value.
    """
    if values is None:
        values = header_values(parts.headers, HEADER_KEYS)
    best = len(_ORDER)
    for key, (value, lower) in values.items():
        signs = _BY_HEADER.get(key)
        if signs:
            best = _first_shown(signs, value, lower, best)
    body = parts.text[:4000]
    if body:
        best = _first_shown(_BODY, body, parts.lower_head(len(body)), best)
    return _ORDER[best] if best < len(_ORDER) else LAYOUTS.get(family)


def _first_shown(signs: tuple[_Sign, ...], value: str, lower: str, best: int) -> int:
    """The lowest layout rank (below `best`) whose sign on this value shows, else `best`."""
    for rank, word, rx in signs:
        if rank >= best:
            break
        if (not word or word in lower) and rx.search(value):
            return rank
    return best


#: (layout rank, a word the pattern needs or "", pattern)
_Sign = tuple[int, str, re.Pattern[str]]


def _by_key(layouts: dict[str, Layout]) -> dict[str, tuple[_Sign, ...]]:
    """Header name or "body" -> its signs in layout order; a sign whose pattern needs one of
    several words is listed once per word."""
    out: dict[str, list[_Sign]] = {}
    for rank, lay in enumerate(layouts.values()):
        for key, rx in lay.signs:
            words = needles(rx.pattern)
            out.setdefault(key, []).extend((rank, w.lower(), rx) for w in (words or ("",)))
    out.setdefault("body", [])
    return {k: tuple(v) for k, v in out.items()}


_ORDER = tuple(LAYOUTS.values())
_BY_KEY = _by_key(LAYOUTS)
#: the headers a layout sign reads
HEADER_KEYS = frozenset(_BY_KEY) - {"body"}
_BY_HEADER = {key: _BY_KEY[key] for key in HEADER_KEYS}
_BODY = _BY_KEY["body"]
