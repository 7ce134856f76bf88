"""Small scanners that pull codes, hosts, addresses and SMTP commands out of free text."""

from __future__ import annotations

import re
import string
from functools import lru_cache

#: look-behinds sit after the first character ("not preceded by" = the two characters ending
#: with it are not "that, then any"), so a scan skips to the digits 2, 4 and 5
#: (`_STATUS` starts at the code's first dot instead, a literal the scan skips to: the class
#: digit before it, not preceded by a word character or dot, is group 1, and the code is
#: group 1 + the match)
_STATUS = re.compile(r"\.(?<=(?<![\w.])([245])\.)(\d{1,3})\.(\d{1,3})(?![\w]|\.\d)")
_REPLY = re.compile(
    r"([245](?<![\w.#:/-].)[0-5]\d)(?:[ -]|$)(?![\w.]*\.\d{1,3}\.\d{1,3}\.\d)", re.M)
#: an address is found from each "@": its local part read backwards (on the reversed text,
#: a whole run of local-part characters, at most 64), its domain read forwards
#: (a backtick, though RFC 5322 allows it, is left out: in text it is a quote mark)
_LOCAL_CHARS = r"[\w.+=!#$%&'*/?^{|}~-]"
_LOCAL_REVERSED = re.compile(f"{_LOCAL_CHARS}{{1,64}}(?!{_LOCAL_CHARS})")
_DOMAIN = re.compile(r"[\w-]{1,63}(?:\.[\w-]{1,63})+")
#: the same for ASCII text (where \w is exactly these letters, digits and "_")
_LOCAL_ASCII = string.ascii_letters + string.digits + "_.+=!#$%&'*/?^{|}~-"
_DOMAIN_ASCII = re.compile(_DOMAIN.pattern, re.ASCII)
#: the same as one scan (the look-behind starts a match only where a local part can begin),
#: for texts with so many "@" that a step per "@" would cost more
_ADDRESS = re.compile(f"(?<!{_LOCAL_CHARS}){_LOCAL_CHARS}{{1,64}}@{_DOMAIN.pattern}")
_MANY_ATS = 200
#: matched against lower-cased text
_HOST = re.compile(
    r"(?:host|from|by|server|mx|mta)\s+\[?([a-z0-9][a-z0-9.-]{1,250}\.[a-z]{2,24})\.?\]?"
    r"(?:\s*\[[0-9a-f.:]+\])?\s*(?:said|\(|\[|:|refused|has|gave|replied|returned)",
)
#: matched against lower-cased text (case-sensitive search is several times faster)
_COMMAND = re.compile(
    r"(?:in reply to|after|>>>|did not like our|smtp:|smtp command:?|command)\s*(?:the\s+)?"
    r"(rcpt to|mail from|end of data|data|helo|ehlo|rcpt|mail|starttls|auth|connect"
    r"|initial connection)\b",
)
#: the words every _COMMAND alternative starts with: a match can start only where one does
_COMMAND_WORDS = ("in reply to", "after", ">>>", "did not like our", "smtp", "command")
_COMMANDS = {
    "rcpt to": "RCPT", "rcpt": "RCPT", "mail from": "MAIL", "mail": "MAIL", "end of data": "DATA",
    "data": "DATA", "helo": "HELO", "ehlo": "EHLO", "starttls": "STARTTLS", "auth": "AUTH",
    "connect": "CONN", "initial connection": "CONN",
}


def status_in(text: str) -> str:
    """The most specific enhanced status code in `text` (first non-generic, else first)."""
    match = _STATUS.search(text, 0, 20000)  # (most texts: the first code is the one)
    if match is None:
        return ""
    first = match[1] + match[0]
    if not first.endswith(".0.0"):
        return first
    for later in _STATUS.finditer(text, match.end(), 20000):
        if not later[0].endswith(".0.0"):
            return later[1] + later[0]
    return first


def reply_in(text: str) -> str:
    match = _REPLY.search(text[:20000])
    return match.group(1) if match else ""


def addresses(text: str) -> list[str]:
    """Addresses in order of appearance, each once, trailing dots removed."""
    seen: dict[str, None] = {}
    at = text.find("@")
    if at < 0:
        return []
    if text.count("@", at) > _MANY_ATS:
        for match in _ADDRESS.finditer(text):
            seen.setdefault(_tidy(match[0]), None)
        return list(seen)
    if text.isascii():
        return _ascii_addresses(text, at)
    reversed_text, size, done = text[::-1], len(text), 0
    local_at, domain_at, find = _LOCAL_REVERSED.match, _DOMAIN.match, text.find
    while at >= 0:
        local = local_at(reversed_text, size - at)
        start = at - len(local[0]) if local else -1
        domain = domain_at(text, at + 1) if start >= done else None
        if domain:
            done = domain.end()
            seen.setdefault(text[start:done].rstrip(".").lstrip("'.").lower(), None)
        at = find("@", at + 1)
    return list(seen)


def _ascii_addresses(text: str, at: int) -> list[str]:
    """`addresses` of an ASCII text (its first "@" at `at`): there a local-part character is
    one of a fixed set, so the run before each "@" is measured by `str.rstrip` (no reversed
    copy, no regex), and the domain pattern's ASCII twin is matched (the same characters)."""
    seen: dict[str, None] = {}
    done, find, domain_at = 0, text.find, _DOMAIN_ASCII.match
    while at >= 0:
        before = text[at - 65 if at > 65 else 0:at]  # (a run of 65 is too long)
        start = at - len(before) + len(before.rstrip(_LOCAL_ASCII))
        if done <= start < at and at - start <= 64:
            domain = domain_at(text, at + 1)
            if domain:
                done = domain.end()  # (a domain never ends in a dot: none to strip)
                seen.setdefault(text[start:done].lstrip("'.").lower(), None)
        at = find("@", at + 1)
    return list(seen)


def _tidy(address: str) -> str:
    """Quote marks and dots around an address found in text are not part of it."""
    return address.rstrip(".").lstrip("'.").lower()


#: a whole value that is one address (word characters, no quotes, no controls)
_VALID = re.compile(r"(?!['.])[\w.+=!#$%&'*/?^{|}~-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")


def is_address(value: str) -> bool:
    """Is the value one syntactically valid address (and nothing else)?"""
    return _VALID.fullmatch(value) is not None


#: a text whose one "@" is in an address standing alone or set off by a blank, "<", ">",
#: "(" or ")" (none of which an address can hold): "a@b.c", "Name <a@b.c>", "a@b.c (Name)"
#: (possessive: the local part can start only after the last such character before the
#: "@", and neither part could give back a character and still be followed as it must)
_ONE_ADDRESS = re.compile(
    rf"(?:[^@ <(]*+[ <(])*+((?!['.]){_LOCAL_CHARS}{{1,64}}+@(?>{_DOMAIN.pattern}))"
    r"(?:[ >)][^@]*+)?")


def one_address(text: str) -> str | None:
    """`addresses(text)`'s one address when the text holds it as above (a local part not
    starting with a quote mark or dot, a domain not ending in one: nothing to strip), else
    None (the text may hold none, one or more; a text longer than a header line, 998
    characters, is not tried: `addresses` reads a long one faster)."""
    if len(text) > 998:
        return None
    match = _ONE_ADDRESS.fullmatch(text)
    return match[1].lower() if match else None


def has_code(text: str) -> bool:
    """Does the text hold an SMTP reply code or an enhanced status code?"""
    head = text[:20000]
    return _REPLY.search(head) is not None or _STATUS.search(head) is not None


def host_in(text: str) -> str:
    match = _leftmost(_HOST, _HOST_WORDS, text[:20000].lower())
    return match.group(1) if match else ""


#: the words every _HOST alternative starts with (none the start of another)
_HOST_WORDS = ("host", "from", "by", "server", "mx", "mta")


@lru_cache(maxsize=64)
def command_in(text: str) -> str:
    """The SMTP command a text says failed; a Sendmail transcript whose reply follows the
    "... while talking to" line with no command sent means the greeting (CONN) failed."""
    return command_in_lower(text[:20000].lower())


def command_in_lower(lower: str) -> str:
    """`command_in` of a text's first 20,000 characters, already lower-cased."""
    match = _leftmost(_COMMAND, _COMMAND_WORDS, lower)
    if match is not None:
        return _COMMANDS.get(match.group(1), "")
    return "CONN" if "while talking to" in lower and _GREETING.search(lower) else ""


def _leftmost(rx: re.Pattern[str], words: tuple[str, ...], lower: str) -> re.Match[str] | None:
    """`rx.search(lower)` for a pattern whose every match starts with one of the words (none
    the start of another): each word's places (found by `str.find`, not a regex scan) are
    tried in order, only those before the leftmost match found so far."""
    best, found = len(lower) + 1, None
    for word in words:
        at = lower.find(word)
        while 0 <= at < best:
            match = rx.match(lower, at)
            if match:
                best, found = at, match
                break
            at = lower.find(word, at + 1)
    return found


_GREETING = re.compile(r"while talking to [^\n]*\n[ \t]*<<<[ \t]*[45]\d\d")


def squash(text: str) -> str:
    """Whitespace collapsed to single spaces."""
    return " ".join(text.split())
