"""Amazon SES notifications (Bounce, Complaint, Delivery), bare or inside an SNS envelope."""

from __future__ import annotations

import json
from typing import Any

from checks.bounce import tables
from checks.bounce.classify import Signals, is_hard, layer_for, reason_for
from checks.bounce.model import BounceReport, RecipientResult
from checks.bounce.scan import status_in

_SUBTYPES: dict[str, str] = tables.load("ses.json")["bounce"]


class NotSesJson(ValueError):
    """The JSON is not an SES notification."""


def parse(text: str, name: str | None) -> BounceReport:
    note = _unwrap(_load(text))
    kind = str(note.get("notificationType") or note.get("eventType") or "")
    handler = _HANDLERS.get(kind)
    if handler is None:
        raise NotSesJson(f"JSON without an SES notificationType (got {kind or 'none'!r})")
    return BounceReport("ses_json", "Amazon SES", handler(note), name=name)


def _load(text: str) -> dict[str, Any]:
    try:
        doc = json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise NotSesJson(f"not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise NotSesJson("JSON is not an object")
    return doc


def _unwrap(doc: dict[str, Any]) -> dict[str, Any]:
    """An SNS envelope carries the notification as a JSON string in `Message`."""
    message = doc.get("Message")
    if doc.get("Type") == "Notification" and isinstance(message, str):
        return _load(message)
    return doc


def _section(note: dict[str, Any], key: str) -> dict[str, Any]:
    value = note.get(key) or note.get(key.lower())
    return value if isinstance(value, dict) else {}


def _bounce(note: dict[str, Any]) -> tuple[RecipientResult, ...]:
    bounce = _section(note, "bounce")
    btype, sub = str(bounce.get("bounceType", "")), str(bounce.get("bounceSubType", ""))
    by_subtype = _SUBTYPES.get(f"{btype}/{sub}") or _SUBTYPES.get(f"{btype}/*", "undefined")
    mta = str(bounce.get("reportingMTA", "")).removeprefix("dns;").strip()
    return tuple(_bounced(r, by_subtype, btype, mta) for r in _list(bounce, "bouncedRecipients"))


def _bounced(rcpt: dict[str, Any], by_subtype: str, btype: str, mta: str) -> RecipientResult:
    status = str(rcpt.get("status") or "")
    diag = str(rcpt.get("diagnosticCode") or "")
    sig = Signals(status=status, diagnostic=diag, action=str(rcpt.get("action") or "failed"))
    known = by_subtype not in ("onhold", "undefined")
    reason, conf = (by_subtype, 0.9) if known else reason_for(sig)
    return RecipientResult(
        address=str(rcpt.get("emailAddress", "")), action=sig.action, status=status,
        replycode=diag[:3] if diag[:3].isdigit() else "", diagnostic=diag, remote_mta=mta,
        reason=reason, hard=btype == "Permanent" and is_hard(reason, status),
        layer=layer_for(reason), confidence=conf,
    )


def _complaint(note: dict[str, Any]) -> tuple[RecipientResult, ...]:
    complaint = _section(note, "complaint")
    ftype = str(complaint.get("complaintFeedbackType", "abuse"))
    return tuple(
        RecipientResult(address=str(r.get("emailAddress", "")), action="", reason="feedback",
                        diagnostic=f"feedback-type: {ftype}", layer="content", confidence=0.9)
        for r in _list(complaint, "complainedRecipients")
    )


def _delivery(note: dict[str, Any]) -> tuple[RecipientResult, ...]:
    delivery = _section(note, "delivery")
    reply = str(delivery.get("smtpResponse", ""))
    return tuple(
        RecipientResult(address=str(a), action="delivered", status=status_in(reply) or "2.0.0",
                        replycode=reply[:3], diagnostic=reply,
                        remote_mta=str(delivery.get("remoteMtaIp", "")), reason="delivered",
                        layer=None, confidence=0.95)
        for a in _list(delivery, "recipients")
    )


def _list(section: dict[str, Any], key: str) -> list[Any]:
    value = section.get(key)
    if not isinstance(value, list):
        return []
    return [v if isinstance(v, dict) or key == "recipients" else {} for v in value]


_HANDLERS = {"Bounce": _bounce, "Complaint": _complaint, "Delivery": _delivery}
