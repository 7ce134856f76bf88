"""Replies of the Amazon SES SMTP interface: their reason and the layer of the fix.

The table is `tables/ses_smtp.json`. Wording only SES uses is read as SES's wherever it is
pasted; generic wording ("Authentication required") counts only when an SES host is named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from checks.bounce import tables


@dataclass(frozen=True)
class SesReply:
    """One row of the table."""

    code: str
    words: re.Pattern[str]
    reason: str
    layer: str
    distinctive: bool
    meaning: str


def _load() -> tuple[SesReply, ...]:
    rows = tables.load("ses_smtp.json")["replies"]
    return tuple(SesReply(r["code"], re.compile(r["words"]), r["reason"], r["layer"],
                          bool(r["distinctive"]), r["meaning"]) for r in rows)


REPLIES = _load()
#: the rows' reply codes: a reply with any other code matches no row
CODES = frozenset(r.code for r in REPLIES)
#: words one of the rows needs, looked for before the regular expressions
_HINTS = ("throttling", "authentication", "concurrent", "temporary service", "timeout waiting",
          "credentials", "not subscribed", "too long", "invalid email", "address unknown",
          "ses:send", "not verified")
#: one word (blank-free piece) of each hint: a text that holds a hint holds its word
_HINT_WORDS = tuple(max(h.split(" "), key=len) for h in _HINTS)


def find(diagnostic: str, replycode: str = "", *, ses_named: bool = False) -> SesReply | None:
    """The row this reply matches: its words, and its reply code when one is known."""
    text = hinted(diagnostic)
    return None if text is None else match(text, replycode, ses_named=ses_named)


def hinted(diagnostic: str) -> str | None:
    """The diagnostic as the rows read it (lower case, single spaces), or None when it has
    none of the words every row needs (no row can match)."""
    return hinted_lower(diagnostic.lower())


def hinted_lower(low: str) -> str | None:
    """`hinted` of a diagnostic already lower-cased. A hint's words each lie within one
    word of the text, so a text holding none of the words every hint needs is turned down
    before it is squashed."""
    if not any(map(low.__contains__, _HINT_WORDS)):
        return None
    text = " ".join(low.split())
    return text if any(map(text.__contains__, _HINTS)) else None


def match(text: str, replycode: str = "", *, ses_named: bool = False) -> SesReply | None:
    """The row a `hinted` text matches."""
    for row in REPLIES:
        if replycode and replycode != row.code:
            continue
        if (row.distinctive or ses_named) and row.words.search(text):
            return row
    return None
