"""Is an input a bounce at all? Binary data is refused; text with no sign of a delivery
report (no DSN fields, no SMTP reply where a reply is written, no known reporter) is
"not a bounce" rather than a guess."""

from __future__ import annotations

import codecs
import re

from checks.bounce.mail import Headers, MailParts, header

NOT_A_BOUNCE = "not a bounce: no delivery status found"
BINARY = "binary data, not a bounce message"

#: bytes of an input looked at to tell text from binary
SAMPLE = 65536
#: control bytes that do not occur in text (tab, line ends, form feed and ESC, which
#: ISO-2022-JP uses, are allowed)
_CONTROLS = bytes(sorted(set(range(32)) - {9, 10, 11, 12, 13, 27})) + b"\x7f"
#: text with more than this share of control bytes is binary (random bytes have 12%;
#: a real bounce may carry a stray NUL or two)
_CONTROL_SHARE = 0.02
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")

#: a failure reply code (4xx, 5xx) where replies are written: at a line's start (after quoting or a
#: transcript marker), or after "said:", "returned '", "response:", "error ...:", "#"
_REPLY_SPOT = re.compile(
    r"(?:^[ \t>]*(?:[SC]:|<<<|<-|\#)?[ \t]*"
    r"|said:?[ \t]*\n?[ \t]*|returned[ \t]*['\"]?|repl(?:y|ied)(?: was)?:?[ \t]*\n?[ \t]*"
    r"|response(?: was)?:?[ \t]*\n?[ \t]*|error[^:\n]{0,80}:[ \t]*\n?[ \t]*|\#)"
    r"[45]\d\d(?:[ -]|$)",
    re.I | re.M,
)
#: a failure status code (4.x.x, 5.x.x) opening a line ("5.1.1 user unknown")
_STATUS_LINE = re.compile(r"^[ \t>]*[45]\.\d{1,3}\.\d{1,3}\b", re.M)
#: RFC 3464 fields, written as fields (at a line's start)
_DSN_FIELD = re.compile(
    r"^(?:final-recipient|original-recipient|diagnostic-code)[ \t]*:[ \t]*\S"
    r"|^status[ \t]*:[ \t]*[245]\.\d"
    r"|^action[ \t]*:[ \t]*(?:failed|delayed|delivered|relayed|expanded)\b",
    re.I | re.M,
)
#: what a delivery failure notice says in words (a bounce pasted without its codes)
_NOTICE = re.compile(
    r"(?:was ?n[o']t|could ?n[o']t be|cannot be|has not been) delivered to"
    r"|could not be delivered|delivery (?:has failed|to the following recipients? (?:failed|was)"
    r"|status notification|failure)|did not reach the following recipient|undeliverable"
    r"|undelivered mail returned|returned to sender|following address(?:es)? failed"
    r"|permanent(?:ly)? (?:error|failure|fatal)",
    re.I,
)
#: fields only bounces carry (DSN fields pasted at the top of an input read as headers)
_BOUNCE_HEADERS = frozenset({
    "x-failed-recipients", "x-mailer-daemon-error", "final-recipient", "original-recipient",
    "diagnostic-code", "reporting-mta",
})
#: a sender that is a mail system, and Subjects that bounces use
BOUNCER = re.compile(r"mailer-daemon|postmaster|mail delivery|daemon@|bounce", re.I)
BOUNCE_SUBJECT = re.compile(
    r"undeliver|returned|failure|failed|delivery status|non[- ]?delivery|not delivered|"
    r"could not|bounce|error|warning|delayed|problem|rejected", re.I)


def utf16_as_utf8(raw: bytes) -> bytes:
    """A UTF-16 file with a byte-order mark, re-encoded as UTF-8 (other input unchanged).
    A code unit cut off at the end (a read stopped mid-character) is dropped."""
    if not raw.startswith(_UTF16_BOMS):
        return raw
    try:
        return codecs.getincrementaldecoder("utf-16")().decode(raw, final=False).encode("utf-8")
    except UnicodeError:
        return raw


def is_binary(raw: bytes) -> bool:
    """More control bytes (NUL among them) in the input's first 64 KB than text holds,
    judged after a UTF-16 input is re-encoded as UTF-8."""
    sample = utf16_as_utf8(raw[:SAMPLE])[:SAMPLE]
    for control in _CONTROLS:  # (text mostly has none: a memchr per byte value says so)
        if control in sample:
            break
    else:
        return False
    controls = len(sample) - len(sample.translate(None, _CONTROLS))
    return controls > len(sample) * _CONTROL_SHARE


def in_text(text: str) -> bool:
    """Does free text (a report's human-readable part) show a delivery report's signs?"""
    head = text[:20000]
    signs = (_DSN_FIELD, _REPLY_SPOT, _STATUS_LINE, _NOTICE)
    return any(rx.search(head) is not None for rx in signs)


def in_headers(headers: Headers) -> bool:
    """Do the headers say a mail system sent it: a bounce-only field, a null or
    mailer-daemon sender, or a bounce's Subject?"""
    if not _BOUNCE_HEADERS.isdisjoint(headers.names()):
        return True
    senders = " ".join(header(headers, h) for h in ("from", "return-path", "sender"))
    if BOUNCER.search(senders) or header(headers, "return-path").strip() == "<>":
        return True
    return BOUNCE_SUBJECT.search(header(headers, "subject")) is not None


def in_mail(parts: MailParts) -> bool:
    """Signs of a delivery report in a message's own parts (family signs aside)."""
    if parts.dsn or parts.feedback:
        return True
    return in_headers(parts.headers) or in_text(parts.text)
