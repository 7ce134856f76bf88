"""Reading the human-readable part of a bounce: where the error ends, who failed, and why."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from checks.bounce import mail, scan

#: where a returned copy of the original message starts (everything after is not the report)
#: (the leading rules are possessive: no alternative starts with a rule character or a
#: blank, so giving some back could never help, and a long rule line is read once)
_ORIGINAL_START = re.compile(
    r"^[ \t]*+(?:-{2,}+|={2,}+|\*{2,}+)?+[ \t]*+(?:"
    r"(?:the )?original message(?! was received)(?: headers?)?(?: follows| is attached)?|"
    r"this is a copy of (?:the|your) message|below this line is a copy of the message|"
    r"(?:the )?returned (?:message|mail)|undelivered message(?: headers)? follows?|"
    r"(?:the )?(?:message|original) headers? (?:follow|of the original)|"
    r"headers? of (?:the )?(?:original|returned|your) message|"
    r"copy of the (?:original )?message|unsent message below|the header of the original|"
    r"original message header|message header follows|the message you sent|"
    r"below is a copy of the original message|please note that this is only a temporary failure"
    r")\b.*$|^content-type:\s*message/rfc822|^Return-Path:\s*<|^Received:\s*(?:from|by)\s",
    re.I | re.M,
)
#: the same, for lower-cased text with a newline put in front (a case-sensitive scan is
#: several times faster, and one that starts with a newline skips straight to line starts);
#: a match starts at the newline, so its start is the line's start in the unprefixed text.
#: The wordings are grouped by their first letter, each group opening with it, so a line
#: is turned down at its first letter (the same wordings, only the start is read)
_WORDINGS_LOWER = (
    r"t(?:he (?:original message(?! was received)(?: headers?)?(?: follows| is attached)?"
    r"|returned (?:message|mail)|(?:message|original) headers? (?:follow|of the original)"
    r"|header of the original|message you sent)|his is a copy of (?:the|your) message)"
    r"|o(?:riginal message(?! was received)(?: headers?)?(?: follows| is attached)?"
    r"|riginal headers? (?:follow|of the original)|riginal message header)"
    r"|b(?:elow this line is a copy of the message|elow is a copy of the original message)"
    r"|returned (?:message|mail)"
    r"|u(?:ndelivered message(?: headers)? follows?|nsent message below)"
    r"|m(?:essage headers? (?:follow|of the original)|essage header follows)"
    r"|headers? of (?:the )?(?:original|returned|your) message"
    r"|copy of the (?:original )?message"
    r"|please note that this is only a temporary failure"
)


def _first_letters(alternation: str) -> str:
    """The first characters of a pattern's top-level alternatives (each opens with a letter)."""
    firsts, depth = {alternation[0]}, 0
    for i, char in enumerate(alternation):
        depth += (char == "(") - (char == ")")
        if char == "|" and depth == 0:
            firsts.add(alternation[i + 1])
    return "".join(sorted(firsts))


#: a line is first tested for a character a match can start with (a blank, a rule's, the
#: first letter of a wording or a field name): most lines are turned down by that one test
_ORIGINAL_START_LOWER = re.compile(
    r"\n(?=[ \t=*" + _first_letters(_WORDINGS_LOWER) + r"cr-])"
    r"(?:[ \t]*+(?:-{2,}+|={2,}+|\*{2,}+)?+[ \t]*+(?:" + _WORDINGS_LOWER + r")\b.*$"
    r"|content-type:\s*message/rfc822|return-path:\s*<|received:\s*(?:from|by)\s)", re.M)
_NOT_RECIPIENT = re.compile(r"^(?:mailer-daemon|postmaster|double-bounce|root|nobody)@", re.I)


@dataclass(slots=True)
class TextFinding:
    """What the text says about one recipient (address may be empty). The codes, host and
    command are read from the diagnostic when asked for: a DSN's own fields usually make
    most of them unneeded."""

    address: str
    diagnostic: str

    @property
    def status(self) -> str:
        return scan.status_in(self.diagnostic)

    @property
    def replycode(self) -> str:
        return scan.reply_in(self.diagnostic)

    @property
    def remote_mta(self) -> str:
        return scan.host_in(self.diagnostic)

    @property
    def command(self) -> str:
        return scan.command_in(self.diagnostic)


def report_section(text: str) -> str:
    """The report itself: the text before a returned copy of the original message."""
    return report_parts(text)[0]


@lru_cache(maxsize=16)
def report_parts(text: str) -> tuple[str, str]:
    """The report section, and the same lower-cased when every cut of it lower-cases to the
    same cut of that ("" when it may not: a character that lower-cases to more than one,
    or a capital sigma, whose lower case depends on its neighbours): one lower-casing of
    the text serves the readers of the section."""
    lower = mail.lower_prefix(text)
    text = text[:mail.PREFIX]
    kept = len(lower) == len(text)
    match = _ORIGINAL_START_LOWER.search("\n" + lower) if kept else _ORIGINAL_START.search(text)
    cuts = kept and (text.isascii() or "\u03a3" not in text)
    if match and text[: match.start()].strip():
        return text[: match.start()], lower[: match.start()] if cuts else ""
    return text, lower if cuts else ""


def findings(text: str, exclude: frozenset[str],
             only: frozenset[str] | None = None) -> list[TextFinding]:
    """One finding per failed recipient named in the report's text (or one unnamed).

    `only`, when given, is the set of addresses the family's layout names as recipients.
    """
    section, lower = report_parts(_unquoted(text))
    lower = lower or section.lower()
    ids, summary = _message_ids(section), _summary_only(section, lower)
    if ids or summary:  # (mostly neither: no new set)
        exclude = exclude | ids | summary
    if "=<" in section:
        senders, logged = _log_fields(section)
        exclude |= senders
        if logged:
            only = logged if only is None else only & logged
    rcpts = [a for a in scan.addresses(section) if a not in exclude and not _NOT_RECIPIENT.match(a)
             and (only is None or a in only)]
    if not rcpts:
        return [finding("", section)]
    spans = _spans(section, rcpts, chunked=only is not None, lower=lower)
    return [finding(addr, chunk) for addr, chunk in spans]


#: a Message-ID field (only at the start of a line, which _message_ids checks: a pattern
#: starting with the letter lets the scan skip to the candidates)
_MESSAGE_ID = re.compile(r"[mM](?i:essage-id):[^\n]*")


def _message_ids(section: str) -> frozenset[str]:
    """Message-IDs look like addresses but never name a recipient."""
    if "essage-" not in section and "ESSAGE-" not in section:
        return frozenset()
    return frozenset(a for m in _MESSAGE_ID.finditer(section) if _line_start(section, m.start())
                     for a in scan.addresses(m[0]))


#: a notice that sums up the original message ("Your message / To: ... / Subject: ...")
#: before listing the recipients it did not reach (Exchange)
_SUMMARY = re.compile(r"your message[ \t]*\n(?:[ \t]*\n)?((?:[ \t]+[\w-]+:[^\n]*\n)+)"
                      r"[ \t]*\n?[ \t]*did not reach the following recipient", re.I)


def _summary_only(section: str, lower: str | None = None) -> frozenset[str]:
    """Addresses named only in such a summary: the original's recipients, not the failed
    (`lower`: the section lower-cased, when the caller has it)."""
    if "did not reach" not in (section.lower() if lower is None else lower):
        return frozenset()
    found = _SUMMARY.search(section)
    if found is None:
        return frozenset()
    after = section[found.end():].lower()
    return frozenset(a for a in scan.addresses(found.group(1)) if a not in after)


#: key=value fields of MTA log lines (Postfix, Sendmail): `to=<...>` names a recipient,
#: `from=<...>` and `ctladdr=<...>` the sender
_LOG_FIELD = re.compile(r"(?<![\w-])(to|from|ctladdr)=<([^<>\s]*)>", re.I)


def _log_fields(section: str) -> tuple[frozenset[str], frozenset[str]]:
    """(senders, recipients) named by the log lines' address fields."""
    found: dict[str, set[str]] = {"to": set(), "from": set(), "ctladdr": set()}
    for match in _LOG_FIELD.finditer(section):
        found[match[1].lower()].update(scan.addresses(match[2]))
    return frozenset(found["from"] | found["ctladdr"]), frozenset(found["to"])


def _line_start(text: str, at: int) -> bool:
    """Is only blank space between the start of its line and `at`?"""
    return not text[text.rfind("\n", 0, at) + 1:at].strip(" \t")


def _unquoted(text: str) -> str:
    """A bounce forwarded as a quotation ("> " on most lines) read as the bounce itself."""
    head = text[:65536]
    quoted = head.count("\n>") + head.startswith(">")
    if not quoted or quoted * 2 < head.count("\n") + 1:
        return text
    lines = head.split("\n")
    return "\n".join(line[1:].removeprefix(" ") if line[:1] == ">" else line for line in lines)


def _spans(section: str, rcpts: list[str], chunked: bool = False,
           lower: str | None = None) -> list[tuple[str, str]]:
    """Each recipient's own stretch of text. Without codes anywhere, every recipient gets the
    whole text, unless the family's layout names recipient lines (`chunked`): then each
    recipient's lines are its own."""
    lower = section.lower() if lower is None else lower
    if len(rcpts) == 1:
        return [_own_span(section, rcpts[0], lower, chunked)]
    starts = sorted((_opening(section, lower.find(a)), a) for a in rcpts)
    out = []
    for i, (pos, addr) in enumerate(starts):
        end = starts[i + 1][0] if i + 1 < len(starts) else len(section)
        out.append((addr, section[pos:end]))
    coded = [scan.has_code(chunk) for _, chunk in out]
    if not chunked and not any(coded):
        return [(addr, section) for addr, _ in out]
    head = section[: starts[0][0]]
    return [(addr, chunk if has or len(chunk.strip()) > 60 else head + chunk)
            for (addr, chunk), has in zip(out, coded, strict=True)]


def _own_span(section: str, addr: str, lower: str, chunked: bool) -> tuple[str, str]:
    """`_spans` of a lone recipient: the text from its address on when that has a code (or,
    with `chunked`, more than 60 characters), else the whole section (what is before the
    address put back in front)."""
    chunk = section[_opening(section, lower.find(addr)):]
    kept = scan.has_code(chunk) or (chunked and len(chunk.strip()) > 60)
    return addr, chunk if kept else section


def _opening(section: str, at: int) -> int:
    """An address's position, moved onto the bracket or quote that opens it ("<a@b>")."""
    return at - 1 if at > 0 and section[at - 1] in "<\"'(" else at


def finding(address: str, chunk: str) -> TextFinding:
    return TextFinding(address, _squashed_head(chunk, 2000))


def _squashed_head(text: str, size: int) -> str:
    """`squash(text)[:size]`, squashing only as much of a long text as that needs: the
    squashed start of a text is always the start of the squashed whole (a little more than
    `size` first, which most texts need no more than)."""
    for cut in (size + size // 4, size * 4):
        head = scan.squash(text[:cut])
        if len(head) >= size or len(text) <= cut:
            return head[:size]
    return scan.squash(text)[:size]
