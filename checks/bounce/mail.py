"""Careful reading of a bounce email: headers, the report's own text, its DSN fields.

Uses the `email` package with the compat32 policy (fast and forgiving). Parts that carry
the returned original message are set aside, so its headers never pass for the report's.
"""

from __future__ import annotations

import email
import re
from dataclasses import dataclass
from email.header import decode_header
from email.message import Message
from email.policy import compat32

#: nesting deeper than this is not followed (hostile input)
MAX_DEPTH = 32
#: parts are read at most this many
MAX_PARTS = 200

_ORIGINAL_TYPES = frozenset({"message/rfc822", "text/rfc822-headers", "message/rfc822-headers"})
_DSN_TYPES = frozenset({"message/delivery-status", "message/global-delivery-status"})
_TAG = re.compile(r"<[^>]{0,2000}>")
_SPACE = re.compile(r"[ \t]+")


@dataclass(frozen=True)
class MailParts:
    """The text a bounce email is made of, sorted by role."""

    headers: Message
    text: str
    dsn: str
    feedback: str
    content_type: str
    original_headers: str


def load(data: bytes) -> Message:
    """Parse an email; a returned original message is cut short first (only its head matters)."""
    return email.message_from_bytes(_cut_original(data), policy=compat32)


#: bytes of a returned original message kept for parsing (its headers and the start of its body)
ORIGINAL_KEEP = 6000
_ORIGINAL_PART = re.compile(
    rb"^content-type:[ \t]*(?:message/rfc822|text/rfc822-headers|message/rfc822-headers)",
    re.I | re.M)


def _cut_original(data: bytes) -> bytes:
    match = _ORIGINAL_PART.search(data)
    return data[: match.end() + ORIGINAL_KEEP] if match else data


def header(msg: Message, name: str) -> str:
    """A header's value, encoded words decoded, never raising."""
    raw = msg.get(name)
    if raw is None:
        return ""
    try:
        return "".join(_decode_chunk(b, c) for b, c in decode_header(str(raw)))
    except (ValueError, LookupError, UnicodeError, TypeError):
        return str(raw)


def _decode_chunk(chunk: bytes | str, charset: str | None) -> str:
    if isinstance(chunk, str):
        return chunk
    return decode_bytes(chunk, charset)


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Bytes to text by the declared charset, falling back to UTF-8 then Latin-1."""
    for name in (charset, "utf-8"):
        if not name:
            continue
        try:
            return data.decode(name)
        except (LookupError, UnicodeError):
            continue
    return data.decode("latin-1")


def split(msg: Message) -> MailParts:
    """Walk the MIME tree without recursion and sort each part into its role."""
    texts: list[str] = []
    htmls: list[str] = []
    dsn: list[str] = []
    feedback: list[str] = []
    original: list[str] = []
    for part in _walk(msg):
        _sort_part(part, texts, htmls, dsn, feedback, original)
    body = "\n".join(texts) if texts else "\n".join(_html_to_text(h) for h in htmls)
    return MailParts(msg, body, "\n\n".join(dsn), "\n".join(feedback),
                     msg.get_content_type(), "\n".join(original))


def _walk(msg: Message) -> list[Message]:
    """Leaf parts and report parts in document order, depth- and count-limited."""
    out: list[Message] = []
    stack: list[tuple[Message, int]] = [(msg, 0)]
    while stack and len(out) < MAX_PARTS:
        part, depth = stack.pop()
        ctype = part.get_content_type()
        payload = part.get_payload()
        if ctype.startswith("multipart/") and isinstance(payload, list) and depth < MAX_DEPTH:
            stack.extend((p, depth + 1) for p in reversed(payload) if isinstance(p, Message))
        else:
            out.append(part)
    return out


def _sort_part(part: Message, texts: list[str], htmls: list[str], dsn: list[str],
               feedback: list[str], original: list[str]) -> None:
    ctype = part.get_content_type()
    if ctype in _DSN_TYPES:
        dsn.append(_report_text(part))
    elif ctype == "message/feedback-report":
        feedback.append(_report_text(part))
    elif ctype in _ORIGINAL_TYPES:
        original.append(_report_text(part)[:20000])
    elif ctype == "text/html":
        htmls.append(_leaf_text(part))
    elif ctype.startswith("text/") or ctype == "message/partial" or not part.is_multipart():
        texts.append(_leaf_text(part))


def _leaf_text(part: Message) -> str:
    try:
        data = part.get_payload(decode=True)
    except (ValueError, TypeError, AssertionError):
        data = None
    if not isinstance(data, bytes):
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    return decode_bytes(data, _charset(part))


def _charset(part: Message) -> str | None:
    try:
        return part.get_content_charset()
    except (ValueError, LookupError, TypeError):
        return None


def _report_text(part: Message) -> str:
    """The text of a message/* part: compat32 parses its blocks into sub-messages."""
    payload = part.get_payload()
    if isinstance(payload, list):
        blocks = [_block_text(p) for p in payload if isinstance(p, Message)]
        return "\n\n".join(blocks)
    return _leaf_text(part)


def _block_text(block: Message) -> str:
    fields = "\n".join(f"{k}: {v}" for k, v in block.items())
    body = block.get_payload()
    return fields + ("\n\n" + body if isinstance(body, str) and body.strip() else "")


def _html_to_text(html: str) -> str:
    text = re.sub(r"(?i)<br\s*/?>|</p>|</div>|</tr>", "\n", html)
    return _SPACE.sub(" ", _TAG.sub(" ", text)).replace("&nbsp;", " ")
