"""ARF feedback reports (RFC 5965): a recipient complained about a message."""

from __future__ import annotations

from checks.bounce import dsn, scan
from checks.bounce.mail import MailParts, header
from checks.bounce.model import RecipientResult

_RCPT_FIELDS = ("original-rcpt-to", "removal-recipient")


def is_feedback(parts: MailParts) -> bool:
    ctype = parts.headers.get("content-type", "") or ""
    return bool(parts.feedback) or "feedback-report" in str(ctype).lower()


def recipients(parts: MailParts) -> tuple[RecipientResult, ...]:
    """One `feedback` result per complaining recipient."""
    fields = _fields(parts.feedback or parts.text)
    feedback_type = fields.get("feedback-type", "abuse")
    addrs = [a for k in _RCPT_FIELDS if (a := _address(fields.get(k, "")))]
    if not addrs:
        addrs = scan.addresses(_original_to(parts))[:1] or [""]
    diagnostic = f"feedback-type: {feedback_type}; user agent: {fields.get('user-agent', '')}"
    return tuple(
        RecipientResult(address=a, action="", reason="feedback", layer="content",
                        diagnostic=diagnostic.strip("; "), confidence=0.9)
        for a in addrs
    )


def _fields(text: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in text.splitlines():
        name, sep, value = line.partition(":")
        if sep and name.strip() and " " not in name.strip():
            out.setdefault(name.strip().lower(), value.strip())
    return out


def _address(value: str) -> str:
    found = scan.addresses(dsn.untype(value))
    return found[0] if found else ""


def _original_to(parts: MailParts) -> str:
    for line in parts.original_headers.splitlines():
        if line.lower().startswith("to:"):
            return line
    return header(parts.headers, "x-original-to")
