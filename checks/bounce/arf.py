"""ARF feedback reports (RFC 5965): a recipient complained about a message."""

from __future__ import annotations

from checks.bounce import dsn, scan
from checks.bounce.mail import MailParts, header
from checks.bounce.model import RecipientResult

_RCPT_FIELDS = ("original-rcpt-to", "removal-recipient")
#: complaint senders whose reports are not RFC 5965 (Microsoft's JMRP, SES complaints):
#: (From address suffix, Subject start)
_NON_STANDARD = (
    ("staff@hotmail.com", "complaint about message from"),
    ("complaints@email-abuse.amazonses.com", "complaint about message from"),
)
_SENDERS = tuple(f for f, _s in _NON_STANDARD)
#: header (lower-cased name, value) that marks a mail client's one-click unsubscribe request
_OPT_OUT = ("x-apple-unsubscribe", "true")
#: header in the returned message naming the complaining recipient (Microsoft)
_ORIGINAL_RCPT = "x-hmxmroriginalrecipient:"


def is_feedback(parts: MailParts) -> bool:
    """An RFC 5965 report, a provider's own complaint format, or an unsubscribe request."""
    ctype = parts.headers.get("content-type", "") or ""
    return (bool(parts.feedback) or "feedback-report" in ctype.lower()
            or _non_standard(parts) or _opt_out(parts))


def _non_standard(parts: MailParts) -> bool:
    sender = header(parts.headers, "from").lower().strip(" <>")
    if not sender.endswith(_SENDERS):
        return False
    subject = " ".join(header(parts.headers, "subject").lower().split())
    return any(sender.endswith(f) and subject.startswith(s) for f, s in _NON_STANDARD)


def _opt_out(parts: MailParts) -> bool:
    name, value = _OPT_OUT
    return (parts.headers.get(name) or "").strip().lower() == value


def recipients(parts: MailParts) -> tuple[RecipientResult, ...]:
    """One `feedback` result per complaining recipient."""
    fields = _fields(parts.feedback or parts.text)
    feedback_type = fields.get("feedback-type", "opt-out" if _opt_out(parts) else "abuse")
    addrs = [a for k in _RCPT_FIELDS if (a := _address(fields.get(k, "")))]
    if not addrs:
        addrs = scan.addresses(_original_rcpt(parts) or _original_to(parts))[:1] or [""]
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


def _original_rcpt(parts: MailParts) -> str:
    for line in parts.original_headers.splitlines():
        if line.lower().startswith(_ORIGINAL_RCPT):
            return line
    return ""


def _original_to(parts: MailParts) -> str:
    for line in parts.original_headers.splitlines():
        if line.lower().startswith("to:"):
            return line
    return header(parts.headers, "x-original-to")
