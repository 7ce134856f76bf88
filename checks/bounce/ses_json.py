"""Amazon SES notifications (Bounce, Complaint, Delivery), bare or inside an SNS envelope."""

from __future__ import annotations

import json
from typing import Any

from checks.bounce import tables
from checks.bounce.classify import Signals, is_hard, layer_for, reason_for
from checks.bounce.dsn import untype
from checks.bounce.model import BounceReport, Malformed, RecipientResult
from checks.bounce.scan import is_address, status_in

_SUBTYPES: dict[str, str] = tables.load("ses.json")["bounce"]


class NotSesJson(ValueError):
    """The JSON is not an SES notification."""


class BadNotification(Malformed):
    """An SES notification with a field missing or of the wrong type (the message names it)."""

    def __init__(self, message: str) -> None:
        super().__init__(message, "ses_json", "Amazon SES")


def parse(text: str, name: str | None) -> BounceReport:
    note = _unwrap(_load(text))
    value = note.get("notificationType") or note.get("eventType") or ""
    kind = value if isinstance(value, str) else ""
    handler = _HANDLERS.get(kind)
    if handler is None:
        got = repr(kind or "none") if isinstance(value, str) else _type_of(value)
        raise NotSesJson(f"JSON without an SES notificationType (got {got})")
    return BounceReport("ses_json", "Amazon SES", handler(note), name=name)


def _load(text: str, where: str = "") -> dict[str, Any]:
    """The JSON object `text` is (`where` names the field it came from, if any); a UTF-8
    byte-order mark before it is left out, as utf-8-sig reads it."""
    try:
        doc = json.loads(text.lstrip(_BOM_AND_SPACE), parse_int=json_integer)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise NotSesJson(f"{where} is not valid JSON: {exc}" if where
                         else f"not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise NotSesJson(f"{where} holds {_type_of(doc)}, not an SES notification" if where
                         else "JSON is not an object")
    return doc


#: what may come before a JSON document: a byte-order mark and JSON's own white space
_BOM_AND_SPACE = "\ufeff \t\r\n"


def json_integer(digits: str) -> int | float:
    """A JSON integer: an int, or a float (infinite when that large) when it has more digits
    than int() reads (sys.get_int_max_str_digits, 4300 by default), so that a long number
    is still a number, never "unreadable input". No SES field read here is a number: one in
    a field read here is named as the wrong type, one elsewhere is not looked at."""
    try:
        return int(digits)
    except ValueError:
        return float(digits)


def _type_of(value: Any) -> str:
    """A JSON value's type in words ("a number", "an object", ...)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    return "a list" if isinstance(value, list) else "an object"


def _unwrap(doc: dict[str, Any]) -> dict[str, Any]:
    """An SNS envelope carries the notification in `Message`: as a JSON string (what SNS
    sends), or already decoded into an object (as some tools save it)."""
    if doc.get("Type") != "Notification" or "Message" not in doc:
        return doc
    message = doc["Message"]
    if isinstance(message, str):
        return _load(message, "the SNS Message field")
    if isinstance(message, dict):
        return message
    raise NotSesJson(f"the SNS Message field is {_type_of(message)}, not an SES notification")


def _section(note: dict[str, Any], key: str) -> dict[str, Any]:
    if key not in note:
        raise BadNotification(f"{key} is missing")
    value = note[key]
    if not isinstance(value, dict):
        raise BadNotification(f"{key} is not an object")
    return value


def _text(doc: dict[str, Any], key: str, where: str) -> str:
    """An optional string field ("" when absent); any other type is an error."""
    value = doc.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise BadNotification(f"{where}.{key} is not a string")
    return value


def _address(value: Any, where: str) -> str:
    if not isinstance(value, str):
        problem = "is missing" if value is None else "is not a string"
        raise BadNotification(f"{where} {problem}")
    if not is_address(value.strip()):
        raise BadNotification(f"{where} is not an email address: {value[:80]!r}")
    return value.strip()


def _status(doc: dict[str, Any], where: str) -> str:
    """The recipient's enhanced status code, "" when SES gives none; never made up."""
    value = _text(doc, "status", where).strip()
    if value and status_in(value) != value:
        raise BadNotification(f"{where}.status is not a status code: {value[:40]!r}")
    return value


_BOUNCE_TYPES = ("Permanent", "Transient", "Undetermined")


def _bounce(note: dict[str, Any]) -> tuple[RecipientResult, ...]:
    bounce = _section(note, "bounce")
    btype, sub = _text(bounce, "bounceType", "bounce"), _text(bounce, "bounceSubType", "bounce")
    if btype not in _BOUNCE_TYPES:
        raise BadNotification(f"bounce.bounceType is not one of {', '.join(_BOUNCE_TYPES)}")
    by_subtype = _SUBTYPES.get(f"{btype}/{sub}") or _SUBTYPES.get(f"{btype}/*", "undefined")
    mta = _text(bounce, "reportingMTA", "bounce").removeprefix("dns;").strip()
    rcpts = _list(bounce, "bouncedRecipients", "bounce")
    return tuple(_bounced(r, f"bounce.bouncedRecipients[{i}]", by_subtype, btype, mta)
                 for i, r in enumerate(rcpts))


def _bounced(rcpt: dict[str, Any], where: str, by_subtype: str, btype: str,
             mta: str) -> RecipientResult:
    status = _status(rcpt, where)
    diag = _text(rcpt, "diagnosticCode", where)
    sig = Signals(status=status, diagnostic=diag, action=_text(rcpt, "action", where) or "failed")
    known = by_subtype not in ("onhold", "undefined")
    reason, conf = (by_subtype, 0.9) if known else reason_for(sig)
    return RecipientResult(
        address=_address(rcpt.get("emailAddress"), f"{where}.emailAddress"), action=sig.action,
        status=status,
        replycode=_replycode(diag), diagnostic=diag, remote_mta=mta,
        reason=reason, hard=btype == "Permanent" and is_hard(reason, status),
        layer=layer_for(reason), confidence=conf,
    )


def _replycode(diag: str) -> str:
    """The SMTP reply code opening the diagnostic ("smtp; 550 5.1.1 ..." -> "550"): three
    ASCII digits (str.isdigit alone would take "5²²", which int() refuses)."""
    text = untype(diag)
    code = text[:3]
    return code if code.isascii() and code.isdigit() and code[:1] in "245" else ""


def _complaint(note: dict[str, Any]) -> tuple[RecipientResult, ...]:
    complaint = _section(note, "complaint")
    ftype = _text(complaint, "complaintFeedbackType", "complaint") or "abuse"
    where = "complaint.complainedRecipients"
    return tuple(
        RecipientResult(address=_address(r.get("emailAddress"), f"{where}[{i}].emailAddress"),
                        action="", reason="feedback", diagnostic=f"feedback-type: {ftype}",
                        layer="content", confidence=0.9)
        for i, r in enumerate(_list(complaint, "complainedRecipients", "complaint"))
    )


def _delivery(note: dict[str, Any]) -> tuple[RecipientResult, ...]:
    delivery = _section(note, "delivery")
    reply = _text(delivery, "smtpResponse", "delivery")
    return tuple(
        RecipientResult(address=_address(a, f"delivery.recipients[{i}]"), action="delivered",
                        status=status_in(reply) or "2.0.0", replycode=_replycode(reply),
                        diagnostic=reply, remote_mta=_text(delivery, "remoteMtaIp", "delivery"),
                        reason="delivered", layer=None, confidence=0.95)
        for i, a in enumerate(_list(delivery, "recipients", "delivery", of=str))
    )


def _list(section: dict[str, Any], key: str, where: str, of: type = dict) -> list[Any]:
    """A list field whose items are all of one type (objects, or strings)."""
    if key not in section:
        raise BadNotification(f"{where}.{key} is missing")
    value = section[key]
    if not isinstance(value, list):
        raise BadNotification(f"{where}.{key} is not a list")
    if not value:
        raise BadNotification(f"{where}.{key} is empty")
    for i, item in enumerate(value):
        if not isinstance(item, of):
            kind = "an object" if of is dict else "a string"
            raise BadNotification(f"{where}.{key}[{i}] is not {kind}")
    return value


_HANDLERS = {"Bounce": _bounce, "Complaint": _complaint, "Delivery": _delivery}
