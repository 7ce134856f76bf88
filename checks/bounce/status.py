"""Enhanced status codes as Sisimai picks them: from the text, the Status field, the reply."""

from __future__ import annotations

import re

from checks.bounce import tables

_PSEUDO: dict[str, str] = tables.load("status_codes.json")["pseudo"]
#: a match starts at the code's first dot (a literal first character lets a scan skip to
#: the dots); the class digit before it, not preceded by a digit, dot or v, is read by a
#: look-behind (group 1): the code is group 1 + the match
_CODE = r"\.(?<=(?<![\d.vV])([245])\.)([0-7])\.(\d{1,3})(?!\d)"
_IPV4 = r"\d(?<!\w.)\d{0,2}\.\d{1,3}\.\d{1,3}\.\d{1,3}\b"
#: what every IPv4 address has from its first dot on (searched before the costlier `_IPV4`)
_IPV4_TAIL = r"\.\d{1,3}\.\d{1,3}\.\d"
_REPLY = r"([245](?<![\d.#:/-].)[0-5]\d)(?=[ -]|$)"


class _Patterns:
    """The module's patterns, compiled for one kind of text."""

    def __init__(self, flags: re.RegexFlag) -> None:
        self.code = re.compile(_CODE, flags)
        self.ipv4 = re.compile(_IPV4, flags)
        self.ipv4_tail = re.compile(_IPV4_TAIL, flags)
        self.reply = re.compile(_REPLY, flags | re.M)


#: for any text, and for ASCII-only text in ASCII mode: there \d, \w and \b mean the same,
#: and the ASCII classes are tested without a look-up in the Unicode database
_ANY, _ASCII = _Patterns(re.NOFLAG), _Patterns(re.ASCII)


def _patterns(text: str) -> _Patterns:
    return _ASCII if text.isascii() else _ANY


_VAGUE = frozenset({"4.4.7"})


def find(text: str) -> str:
    """The status code a text names; X.0.0 and 4.4.7 only when nothing more specific."""
    text = text[:20000]
    patterns = _patterns(text)
    first = patterns.code.search(text)
    # A text without a code has none once its IPv4 addresses are masked either: the mask
    # ("***") holds no digit, so a code lies outside every address, and the characters
    # next to it are the text's own (an address is followed by no word character and
    # follows none, and the code ends and starts in one)
    if first is None:
        return ""
    if patterns.ipv4_tail.search(text) is not None:
        text = patterns.ipv4.sub("***", text)
        matches = patterns.code.finditer(text)
    else:
        matches = patterns.code.finditer(text, first.start())
    codes: list[str] = []
    vague = ""
    for match in matches:
        code = match[1] + match[0]
        if code.endswith(".0.0") or code in _VAGUE:
            vague = code
            continue
        codes.append(code)
    if vague:
        codes.append(vague)
    best = codes[0] if codes else ""
    for code in codes[1:]:
        best = prefer(best, code, "")
    return best


def reply(text: str, status: str = "") -> str:
    """The first SMTP reply code in `text`, of the same class as `status` when one is given."""
    text = text[:20000]
    for match in _patterns(text).reply.finditer(text):
        if not status or match.group(1)[0] == status[0]:
            return match.group(1)
    return ""


def prefer(field: str, in_text: str, replycode: str) -> str:
    """Choose between the Status field and the code found in the diagnostic text."""
    if not field or len(field) < 5:
        return in_text or field
    if not in_text or len(in_text) < 5:
        return field
    if replycode and field[0] != in_text[0]:
        if replycode[0] == field[0]:
            return field
        if replycode[0] == in_text[0]:
            return in_text
    if field == in_text:
        return field
    return _prefer_detail(field, in_text)


def _prefer_detail(field: str, in_text: str) -> str:
    if ".0.0" in field:
        return field if ".0.0" in in_text else in_text
    if ".0" in field and ".0" not in in_text:
        return in_text
    if ".0.0" in in_text:
        return field
    if field in ("4.4.7", "4.7.0") or field.startswith("5.3.") or field[1:4] in _WEAK_PROTOCOL:
        return in_text
    if field == "5.1.1":
        return field if ".0" in in_text or in_text.startswith("5.5.") else in_text
    if field == "5.1.3" and in_text.startswith("5.7."):
        return in_text
    return field


_WEAK_PROTOCOL = frozenset({".5.1", ".5.2", ".5.4", ".5.5"})


def is_temporary(text: str) -> bool:
    """Does an error text read as a temporary failure (4xx code or the word)?"""
    if not text.strip():
        return False
    code = find(text) or reply(text)
    if code:
        return code.startswith("4")
    return says_temporary(text.lower())


def says_temporary(lower: str) -> bool:
    """Do the words of a (lower-cased) error text read as a temporary failure?"""
    return " temporar" in lower or " persistent" in lower


def pseudo(reason: str, temporary: bool) -> str:
    """Sisimai's internal X.0.9NN code that stands for a reason when the message has none."""
    number = _PSEUDO.get(reason)
    if number is None or reason == "delivered":
        return ""
    if temporary and reason in ("hasmoved", "hostunknown", "userunknown"):
        temporary = False
    return f"{'4' if temporary else '5'}.0.{number}"


def clean(diagnostic: str, replycode: str, code: str) -> str:
    """A multi-line reply folded into one: "550-5.7.1 a 550-5.7.1 b" -> "550 5.7.1 a b"."""
    if not replycode or f"{replycode}-" not in diagnostic:
        return diagnostic
    text = diagnostic
    for sep in ("-", " "):
        if code:
            text = text.replace(f"{replycode}{sep}{code}", "")
        text = text.replace(f"{replycode}{sep}", "")
    text = " ".join(text.split())
    if replycode in text:
        text = " ".join(f"{replycode} {code} {text}".split())
    return text
