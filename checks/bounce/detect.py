"""What kind of input this is, judged by its content alone.

Input with no mail headers that is neither JSON nor an SMTP transcript is read as pasted
text only when it has something of a bounce's shape (`has_bounce_shape`); anything else
(a log, a book, random printable characters with an @ in them) is not a bounce, said at
once rather than guessed from a stray "#532" or "x@y" in it.
"""

from __future__ import annotations

import re

from checks.bounce.model import Malformed
from checks.bounce.signs import NOT_A_BOUNCE

_HEADER_LINE = re.compile(rb"^[A-Za-z][A-Za-z0-9-]{1,60}:(?:[ \t]?\S|[ \t]*$)", re.M)
_FROM_LINE = re.compile(rb"^From \S+")
_TRANSCRIPT = re.compile(rb"^\s*(?:[SC]:|<<<|>>>|<-|->)\s", re.M)
_REPLY_LINE = re.compile(rb"^\s*[245]\d\d[ -]")
#: a server's reply line in a transcript (as smtp_line reads one)
_SERVER_LINE = re.compile(rb"^\s*(?:S:|<<<|<-)?\s*[2-5]\d\d[ -]", re.M)
_BOM_AND_SPACE = b"\xef\xbb\xbf \t\r\n"

#: bytes of a headerless text looked at for a bounce's shape
SHAPE_WINDOW = 65536
#: what a bounce's text has, one at least (ASCII; the codes and field names are ASCII
#: whatever the language of the text around them):
_SHAPES = (
    # RFC 3464 fields at a line's start
    re.compile(rb"^[ \t>]*(?:final-recipient|original-recipient|diagnostic-code|reporting-mta"
               rb"|remote-mta|action|status)[ \t]*:", re.I | re.M),
    # an SMTP reply code with its enhanced status code ("550 5.1.1", "#550-5.7.1")
    re.compile(rb"(?<![\w.])[245]\d\d[ -][245]\.\d{1,3}\.\d{1,3}(?!\d)"),
    # an enhanced status code opening a line ("5.1.1 user unknown")
    re.compile(rb"^[ \t>]*[245]\.\d{1,3}\.\d{1,3}(?![\d.])", re.M),
    # an SMTP reply line: a code opening a line (after quoting or a transcript marker), then
    # words, an address or a bracketed host
    re.compile(rb"^[ \t>]*(?:[SC]:|<<<|<-|\#)?[ \t]*[245]\d\d[ -][ \t]*(?:[A-Za-z]{2}|[<\[(#])",
               re.M),
    # what delivery notices and the mail systems writing them say
    re.compile(rb"deliver|bounce|return|reject|refuse|denied|block|fail(?:ed|ure)|mailbox"
               rb"|recipient|mail system|mailer|daemon|postmaster|original message|transcript"
               rb"|unknown|not found|quota|relay|said:|reply|response|error|postfix|sendmail"
               rb"|qmail|exchange|domino|courier|interscan|opensmtpd|dragonfly|messaging server"
               rb"|notification", re.I),
)


class NotBounce(Malformed):
    """Headerless text without any of a bounce's shape (see `has_bounce_shape`)."""

    def __init__(self) -> None:
        super().__init__(NOT_A_BOUNCE, "not_bounce", "")


def kind_of(data: bytes) -> str:
    """One of "json", "email", "transcript", "text"; NotBounce for headerless text that has
    nothing of a bounce's shape."""
    head = data.lstrip(_BOM_AND_SPACE)[:4096]
    if head.startswith((b"{", b"[")):
        return "json"
    if _looks_like_email(head):
        return "email"
    if _REPLY_LINE.match(head) or (_TRANSCRIPT.search(head) and _SERVER_LINE.search(head)):
        return "transcript"
    if not has_bounce_shape(data):
        raise NotBounce
    return "text"


def has_bounce_shape(data: bytes) -> bool:
    """Does headerless text (its first SHAPE_WINDOW bytes) have DSN fields, an SMTP reply or
    status code where they are written, or a delivery notice's words? A necessary sign, not
    a sufficient one: what has it is then read as a bounce would be."""
    sample = data[:SHAPE_WINDOW].lstrip(_BOM_AND_SPACE)
    return any(shape.search(sample) is not None for shape in _SHAPES)


def _looks_like_email(head: bytes) -> bool:
    """Starts with header lines (or an mbox From_ line followed by them): two at least among
    its first 12 lines, none but header and continuation lines before a blank one."""
    run = _LEADING_FIELDS.match(head)
    if run is None:  # (never: every part of it is optional)
        return False
    lines = run.group(1)
    if _BLANK_LINE.match(head, run.end()) is None and lines.count(b"\n", 0, len(lines) - 1) < 11:
        return False  # (a line that is neither field nor continuation, before a blank one)
    return _TWO_FIELDS.match(lines) is not None


#: an mbox From_ line, then up to 12 lines that are header or continuation lines (line ends
#: may carry carriage returns; a blank line is made of spaces, tabs, CR, VT and FF only).
#: Possessive (`*+`, `{0,12}+`): nothing after a line's rest or the run of lines ever needs
#: them given back, so no backtracking state is kept for them
_LEADING_FIELDS = re.compile(
    rb"(?:From \S[^\n]*\n)?"
    rb"((?:(?:[A-Za-z][A-Za-z0-9-]{1,60}:(?:[ \t]?\S|[ \t]*\r*(?=\n|\Z))[^\n]*+"
    rb"|[ \t][ \t\r\x0b\x0c]*\S[^\n]*+)(?:\n|\Z)){0,12}+)")
#: two header lines among them (the others are continuation lines, opening with a blank)
_TWO_FIELDS = re.compile(rb"(?:[ \t][^\n]*+\n)*+[A-Za-z][^\n]*+\n(?:[ \t][^\n]*+\n)*+[A-Za-z]")
_BLANK_LINE = re.compile(rb"[ \t\r\x0b\x0c]*(?:\n|\Z)")
