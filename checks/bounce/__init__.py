"""Bounce intake: any bounce, NDR, SES notification or SMTP reply -> recipients, reason, layer.

`parse_bounce(data)` never raises for bad input: what it cannot read comes back as a
report with `error` set and kind "unknown".
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from functools import lru_cache
from typing import Any

from checks.bounce import (
    arf,
    classify,
    detect,
    dsn,
    gmail_relay,
    layout,
    lhost,
    mail,
    replies,
    rhost,
    scan,
    ses_json,
    ses_smtp,
    signs,
    smtp_line,
    tables,
)
from checks.bounce import reason as reasons
from checks.bounce import status as codes
from checks.bounce.classify import Signals
from checks.bounce.model import BounceReport, Malformed, RecipientResult, RelayFailure
from checks.bounce.mta import DEFAULTS as mta_defaults
from checks.bounce.mta import HEADER_KEYS as family_headers
from checks.bounce.mta import header_values
from checks.bounce.mta import reporter as family_of
from checks.bounce.mta import text as mta_text
from checks.bounce.source import MAX_BYTES, UTF8_BOM

__all__ = ["MAX_BYTES", "BounceReport", "RecipientResult", "RelayFailure", "parse_bounce",
           "to_json"]

#: the headers a family or layout sign reads (decoded and lower-cased once for both)
_SIGN_HEADERS = family_headers | layout.HEADER_KEYS
_SES_HOSTS = re.compile(tables.load("ses.json")["smtp_hosts"], re.I)
_PARSE_ERRORS = (ValueError, LookupError, UnicodeError, RecursionError, TypeError,
                 AttributeError, IndexError, KeyError, AssertionError)


def parse_bounce(data: bytes | str, *, name: str | None = None) -> BounceReport:
    """Read one input (email, pasted text, SES JSON, SMTP reply) and classify it."""
    raw = data.encode("utf-8", "surrogateescape") if isinstance(data, str) else bytes(data)
    raw = raw.removeprefix(UTF8_BOM)  # as utf-8-sig reads it (the files' reader drops it too)
    if not raw or raw.isspace():  # (no stripped copy of a large input)
        return BounceReport("unknown", name=name, error="empty input")
    raw = signs.utf16_as_utf8(raw[:MAX_BYTES])
    if signs.is_binary(raw):
        return BounceReport("not_bounce", name=name, error=signs.BINARY)
    try:
        return _parse(raw, name)
    except ses_json.NotSesJson as exc:
        return BounceReport("not_bounce", name=name, error=f"not a bounce: {exc}")
    except Malformed as exc:
        return BounceReport(exc.kind, exc.reporter, name=name, error=str(exc))
    except _PARSE_ERRORS as exc:
        return BounceReport("unknown", name=name, error=f"unreadable input ({type(exc).__name__})")


def to_json(report: BounceReport) -> dict[str, Any]:
    """The `mailpath bounce --json` object for one input."""
    return report.to_json()


def _parse(raw: bytes, name: str | None) -> BounceReport:
    kind = detect.kind_of(raw)
    if kind == "json":
        return ses_json.parse(mail.decode_bytes(raw, "utf-8"), name)
    if kind == "transcript":
        return _from_transcript(mail.decode_bytes(raw, "utf-8"), name)
    if kind == "email":
        return _from_parts(mail.read(raw), name)
    return _from_parts(_pasted(mail.decode_bytes(raw, "utf-8")), name)


def _pasted(text: str) -> mail.MailParts:
    """Pasted text without headers: DSN fields in it still count as the report."""
    has_fields = re.search(r"(?im)^(?:final|original)-recipient\s*:", text) is not None
    return mail.MailParts(mail.EMPTY, text, text if has_fields else "", "", "text/plain", "")


def _from_transcript(text: str, name: str | None) -> BounceReport:
    failed = smtp_line.last_failure(text)
    host = smtp_line.banner_host(text)
    if not failed.code:
        return _from_parts(_pasted(text), name)
    named = [a for a in scan.addresses(failed.reply) if a != failed.sender]
    rcpt = _result(address=failed.recipient or (named[0] if named else ""), action="failed",
                   status=scan.status_in(failed.reply), replycode=failed.code,
                   diagnostic=failed.reply, remote_mta=host, command=failed.command,
                   context=text)
    return BounceReport("smtp", host, (rcpt,), name=name)


def _from_parts(parts: mail.MailParts, name: str | None) -> BounceReport:
    embedded = _embedded_notification(parts.text, name)
    if embedded is not None:
        return embedded
    subject, notes = mail.header(parts.headers, "subject"), parts.notes
    if arf.is_feedback(parts):
        return BounceReport("arf", family_of(parts), arf.recipients(parts), name=name,
                            subject=subject, notes=notes)
    if gmail_relay.is_relay_bounce(parts.text, parts.lower_head(20000)):
        return replace(_relay_report(parts, name, subject), notes=notes)
    parts = _returned_bounce(parts) or parts
    values = header_values(parts.headers, _SIGN_HEADERS)
    family = family_of(parts, values)
    shape = layout.pick(parts, family, values)
    if not (family or shape or signs.in_mail(parts) or _is_autoreply(parts)):
        return BounceReport("not_bounce", name=name, subject=subject, notes=notes,
                            error=signs.NOT_A_BOUNCE)
    rcpts = tuple(_refine(r, family, subject) for r in _recipients(parts, shape))
    marked = shape.header_reason(parts.headers) if shape else ""
    if marked:
        rcpts = tuple(_as_reason(r, marked) for r in rcpts)
    family = family or (shape.name if shape else "")
    kind = _kind(parts, rcpts)
    if kind == "vacation":
        rcpts = tuple(_as_vacation(r) for r in rcpts[:1])
    return BounceReport(kind, family, rcpts, name=name, subject=subject, notes=notes)


def _embedded_notification(text: str, name: str | None) -> BounceReport | None:
    """An SES notification delivered by email (SNS email subscription): its JSON is the body."""
    start = _JSON_START.match(text)
    if start is None:
        return None
    body = text[start.end() - 1:]
    for candidate in (body, _FOLD.sub(" ", body)):
        try:
            _doc, end = _JSON.raw_decode(candidate)
        except (ValueError, RecursionError):
            continue
        return ses_json.parse(candidate[:end], name)
    return None


#: a JSON reader for which a number too long for int() is still a number (as ses_json's)
_JSON = json.JSONDecoder(parse_int=ses_json.json_integer)
#: a long line folded on its way (a line break before a blank): JSON holds no raw line breaks
_FOLD = re.compile(r"\r?\n(?=[ \t])")


def _returned_bounce(parts: mail.MailParts) -> mail.MailParts | None:
    """A notice with no delivery report of its own whose returned message is itself a
    delivery report (a gateway returning the bounce it was sent): that inner bounce is read."""
    inner = parts.original_headers
    if parts.dsn or ("elivery-" not in inner and "ELIVERY-" not in inner):
        return None
    if _DSN_PART.search(inner) is None:
        return None
    found = mail.read(inner.encode("utf-8", "replace"))
    return found if found.dsn else None


_DSN_PART = re.compile(r"^content-type:[ \t]*message/(?:global-)?delivery-status", re.I | re.M)


_JSON_START = re.compile(r"\s*\{")


def _refine(rcpt: RecipientResult, family: str, subject: str) -> RecipientResult:
    """When the text names no reason, the family's usual meaning or the Subject may."""
    if rcpt.reason not in ("onhold", "undefined"):
        return rcpt
    reason = mta_defaults.get(family) or classify.from_subject(subject)
    if not reason:
        return rcpt
    status = classify.status_for(reason, "" if rcpt.status.endswith(".901") else rcpt.status,
                                 rcpt.replycode, rcpt.action)
    return replace(rcpt, reason=reason, status=status, hard=classify.is_hard(reason, status),
                   layer=classify.layer_for(reason), confidence=0.5)


def _as_reason(rcpt: RecipientResult, reason: str) -> RecipientResult:
    """A reason the family marks in a header of its bounce (e.g. EZweb's X-SPASIGN: NG)."""
    status = classify.status_for(reason, "" if rcpt.status.endswith(".901") else rcpt.status,
                                 rcpt.replycode, rcpt.action)
    return replace(rcpt, reason=reason, status=status, hard=classify.is_hard(reason, status),
                   layer=classify.layer_for(reason))


def _relay_report(parts: mail.MailParts, name: str | None, subject: str) -> BounceReport:
    relay = gmail_relay.relay_failure(parts.text)
    code = scan.reply_in(relay.reply)
    rcpts = mta_text.findings(parts.text, _own_addresses(parts) | {relay.alias.lower()})
    reason, conf = classify.reason_for(Signals(status=scan.status_in(relay.reply), replycode=code,
                                                diagnostic=relay.reply or parts.text))
    known = ses_smtp.find(relay.reply, code, ses_named=_names_ses(relay.host))
    if known is not None:
        reason, conf = known.reason, 0.9
    rcpt = RecipientResult(
        address=rcpts[0].address if rcpts else "", action="failed",
        status=classify.status_for(reason, scan.status_in(relay.reply), code, "failed"),
        replycode=code, diagnostic=relay.reply, remote_mta=relay.host, reason=reason,
        hard=False, layer="gmail_relay", confidence=max(conf, 0.9), command="AUTH",
    )
    return BounceReport("gmail_relay", "Gmail (Send mail as relay)", (rcpt,), relay=relay,
                        name=name, subject=subject)


def _kind(parts: mail.MailParts, rcpts: tuple[RecipientResult, ...]) -> str:
    if rcpts and all(r.reason == "delivered" for r in rcpts):
        return "delivered"
    if _is_autoreply(parts):
        return "vacation"
    return "dsn" if parts.dsn else "text"


def _is_autoreply(parts: mail.MailParts) -> bool:
    """An auto-reply (RFC 3834) rather than a bounce: no DSN, no bouncing sender, no codes."""
    if parts.dsn or signs.BOUNCER.search(mail.header(parts.headers, "from")):
        return False
    subject = mail.header(parts.headers, "subject")
    if signs.BOUNCE_SUBJECT.search(subject):
        return False
    auto = mail.header(parts.headers, "auto-submitted").lower().startswith("auto-replied")
    return auto or bool(classify.VACATION.search(subject.lower()))


def _as_vacation(rcpt: RecipientResult) -> RecipientResult:
    return RecipientResult(address=rcpt.address, action="", diagnostic=rcpt.diagnostic,
                           reason="vacation", layer=None, confidence=0.8)


def _own_addresses(parts: mail.MailParts) -> frozenset[str]:
    """Addresses of the bounce itself (its sender and the original sender it goes back to)."""
    head, read = parts.headers, mail.header
    values = (read(head, "from"), read(head, "to"), read(head, "return-path"),
              read(head, "sender"))
    own: set[str] = set()
    for value in values:  # (mostly one address each)
        if "@" not in value:
            continue
        single = scan.one_address(value)
        if single is None:  # (any other value: all four read as one text, as always)
            return frozenset(scan.addresses(" ".join(values)))
        own.add(single)
    return frozenset(own)


def _recipients(parts: mail.MailParts,
                shape: layout.Layout | None) -> tuple[RecipientResult, ...]:
    fields = parts.dsn or _header_fields(parts)
    if not fields:
        fields = _inline_fields(parts.text)
        parts = replace(parts, text=_before_fields(parts.text)) if fields else parts
    if shape is not None and not shape.reads_dsn:
        fields = ""
    message, groups = dsn.groups(fields) if fields else ({}, [])
    findings = _named_by_header(parts, _findings(parts, shape))
    named = any(f.address for f in findings)
    for group in groups:
        _check_group(group, named)
    local = dsn.untype(message.get("reporting-mta", "")).lower()
    if groups:
        text = _Text(parts.text, findings)
        return tuple(_from_group(g, text, local, shape) for g in groups)
    return tuple(_from_finding(f, parts.text, shape) for f in findings)


def _named_by_header(parts: mail.MailParts,
                     findings: list[mta_text.TextFinding]) -> list[mta_text.TextFinding]:
    """When the text names no recipient, the X-Failed-Recipients header may (Exim, Gmail,
    Google Groups): each address it lists gets the text's finding."""
    if not findings or any(f.address for f in findings):
        return findings
    listed = scan.addresses(mail.header(parts.headers, "x-failed-recipients"))
    return [replace(findings[0], address=a) for a in listed[:_MAX_LISTED]] or findings


#: recipients taken from one X-Failed-Recipients header at most
_MAX_LISTED = 1000


def _check_group(group: dict[str, str], named_in_text: bool) -> None:
    """A recipient group whose Status is no status code, or that names no recipient while
    the text names none either, is not read as a bounce (no status is made up for it)."""
    status = group.get("status", "").strip()
    if status and not scan.status_in(status):
        raise Malformed(f"Status: {status[:40]!r} is not a delivery status code")
    named = dsn.untype(group.get("final-recipient") or group.get("original-recipient", ""))
    if not named and not named_in_text:
        raise Malformed("Final-Recipient is empty and the text names no recipient")


def _findings(parts: mail.MailParts, shape: layout.Layout | None) -> list[mta_text.TextFinding]:
    """What the text says per recipient, read within the family's error part when it has one."""
    own = _own_addresses(parts)
    if shape is None:
        return mta_text.findings(parts.text, own)
    section = shape.section(parts.text)
    found = mta_text.findings(section, own | shape.alias_addresses(section),
                              shape.recipients(section))
    if len(found) == 1 and not found[0].address:
        rest = parts.original_headers or parts.text[len(section):]
        found[0] = replace(found[0], address=shape.to_of_original(rest))
    if shape.lead_in and found and found[0].address:
        found[0] = _with_lead_in(found[0], section)
    return found


def _with_lead_in(first: mta_text.TextFinding, section: str) -> mta_text.TextFinding:
    """Families that state the error above the first recipient line: that line is part of
    the first recipient's diagnostic."""
    head = section[: max(section.lower().find(first.address), 0)]
    lines = [ln for ln in head.splitlines() if ln.strip()]
    if not lines:
        return first
    return replace(first, diagnostic=scan.squash(" ".join(lines) + " " + first.diagnostic))


def _inline_fields(text: str) -> str:
    """DSN fields written in the text itself (a report whose MIME parts were flattened):
    the report's text when it has a Final-Recipient and a Status field at line starts."""
    if "inal-" not in text and "INAL-" not in text:
        return ""
    section = mta_text.report_section(text)
    if _FINAL_FIELD.search(section) is None or _STATUS_FIELD.search(section) is None:
        return ""
    return section


def _before_fields(text: str) -> str:
    """The human-readable text above DSN fields written inline (what each recipient's
    text is read from)."""
    first = _FIRST_FIELD.search(text)
    return text[:first.start()] if first and text[:first.start()].strip() else text


_FIRST_FIELD = re.compile(r"^(?:reporting-mta|final-recipient|original-recipient)[ \t]*:",
                          re.I | re.M)
_FINAL_FIELD = re.compile(r"^final-recipient[ \t]*:[ \t]*\S", re.I | re.M)
_STATUS_FIELD = re.compile(r"^status[ \t]*:[ \t]*[245]\.\d", re.I | re.M)


def _header_fields(parts: mail.MailParts) -> str:
    """DSN fields pasted at the top of the input, where a mail parser sees headers."""
    if parts.headers.get("final-recipient") is None:
        return ""
    return "\n".join(f"{k}: {v}" for k, v in parts.headers.items())


class _Text:
    """The human-readable text and its per-recipient findings, indexed once for all groups."""

    def __init__(self, context: str, findings: list[mta_text.TextFinding]) -> None:
        self.context, self.replies = context, replies.Replies(context)
        self.first = findings[0] if findings else None
        self.by_address: dict[str, mta_text.TextFinding] = {}
        for finding in findings:
            self.by_address.setdefault(finding.address, finding)

    def matching(self, address: str) -> mta_text.TextFinding | None:
        """The finding for this address, else the first one."""
        return self.by_address.get(address.lower(), self.first)


def _from_group(group: dict[str, str], found: _Text, local_mta: str = "",
                shape: layout.Layout | None = None) -> RecipientResult:
    address = _first_address(group.get("final-recipient") or group.get("original-recipient", ""))
    text = found.matching(address)
    context = found.context
    diag = found.replies.complete(scan.squash(dsn.untype(group.get("diagnostic-code", ""))))
    if not diag and text:
        diag = text.diagnostic
    status = scan.status_in(group.get("status", ""))
    result = _result(
        address=address, action=group.get("action", "").lower() or "failed", status=status,
        dtype=_dtype(group.get("diagnostic-code", "")),
        replycode=scan.reply_in(diag) or (text.replycode if text else ""), diagnostic=diag,
        remote_mta=_remote(group, text),
        command=scan.command_in(diag) or (text.command if text else "")
        or _family_command(shape, text) or _report_command(context),
        context=context, local_mta=local_mta, shape=shape,
    )
    return _with_text_status(result, status, text)


def _with_text_status(result: RecipientResult, field: str,
                      text: mta_text.TextFinding | None) -> RecipientResult:
    """A generic Status field (X.0.0) that the result kept gives way to the specific code
    the recipient's own text (its transcript) shows; the reason stays the field's."""
    if text is None or text.address != result.address.lower() or result.status != field:
        return result
    better = _better_status(field, text.status)
    return result if better == field else replace(result, status=better)


def _family_command(shape: layout.Layout | None, text: mta_text.TextFinding | None) -> str:
    """The failed command named by the family's own wording in the recipient's text."""
    return shape.command_of(text.diagnostic.lower()) if shape and text else ""


def _dtype(value: str) -> str:
    """The type of a Diagnostic-Code field ("smtp; 550 ..." -> "SMTP"), SMTP when untyped."""
    head, sep, _rest = value.partition(";")
    return head.strip().upper() if sep and " " not in head.strip() else "SMTP"


def _remote(group: dict[str, str], text: mta_text.TextFinding | None) -> str:
    return dsn.untype(group.get("remote-mta", "")).lower() or (text.remote_mta if text else "")


def _better_status(field: str, in_text: str) -> str:
    """A generic Status field (X.0.0) gives way to a specific code in the diagnostic."""
    if in_text and (not field or field.endswith(".0.0")) and in_text[0] == (field or in_text)[0]:
        return in_text
    return field or in_text


def _first_address(value: str) -> str:
    bare = dsn.untype(value)
    if scan.is_address(bare):  # (the one address it is, as `scan.addresses` gives it)
        return bare.lower()
    found = scan.addresses(bare)
    return found[0] if found else bare


def _from_finding(f: mta_text.TextFinding, context: str,
                  shape: layout.Layout | None = None) -> RecipientResult:
    return _result(address=f.address, action="failed", status=f.status, replycode=f.replycode,
                   diagnostic=f.diagnostic, remote_mta=f.remote_mta,
                   command=f.command or _report_command(context),
                   context=context, shape=shape)


def _report_command(context: str) -> str:
    """The failed command the report's own section names (its lower case read once)."""
    section, lower = mta_text.report_parts(context)
    return scan.command_in_lower(lower[:20000]) if lower else scan.command_in(section)


def _result(*, address: str, action: str, status: str, replycode: str, diagnostic: str,
            remote_mta: str, command: str, context: str, dtype: str = "SMTP",
            preset: str = "", local_mta: str = "",
            shape: layout.Layout | None = None) -> RecipientResult:
    found = codes.find(diagnostic)
    reply = replycode or codes.reply(diagnostic, found)
    code = codes.prefer(status, found, reply)
    diag = codes.clean(diagnostic, reply, found)
    low = diag.lower()  # (lower-cased once for every reader below)
    if shape and not command:
        command = shape.command_of(low if diag is diagnostic else diagnostic.lower())
    own = shape.reason(diag, command, low) if shape else ""
    fact = reasons.Fact(status=code, diagnostic=diag, command=command, replycode=reply,
                        action=action, dtype=dtype, preset=preset or own or _wording(low, shape))
    ses = None if action in _DONE else _ses_reply(low, reply, remote_mta, context)
    if ses is not None:
        why = own = ses.reason
    else:
        why = "delivered" if action in _DONE else _reason(fact, address, remote_mta, local_mta,
                                                          low)
    if not code:  # (then the diagnostic has no code, and with no reply it has none either)
        temporary = (reply[:1] == "4" if reply else codes.says_temporary(low)) or bool(
            shape and own in shape.temporary)
        code = codes.pseudo(own or why, temporary)
    if reply and code and reply[0] != code[0]:
        reply = codes.reply(diag, code)
    return RecipientResult(
        address=address, action=action, status=code, replycode=reply,
        diagnostic=diagnostic, remote_mta=remote_mta, reason=why,
        hard=classify.is_hard(why, code),
        layer=ses.layer if ses else _layer(why, remote_mta, context),
        confidence=_confidence(why, ses is not None), command=command,
    )


def _ses_reply(low: str, reply: str, remote_mta: str,
               context: str) -> ses_smtp.SesReply | None:
    """The SES SMTP reply this (lower-cased) diagnostic is, if it is one (see
    tables/ses_smtp.json); none when its reply code is no row's, and the hosts are looked
    at only when it has words a row needs."""
    if reply and reply not in ses_smtp.CODES:
        return None
    text = ses_smtp.hinted_lower(low)
    if text is None:
        return None
    return ses_smtp.match(text, reply, ses_named=_ses_spoke(remote_mta, context))


def _confidence(reason: str, from_table: bool) -> float:
    """How sure the reading is: a known SES reply most, a reason from no evidence least."""
    if from_table:
        return 0.9
    return 0.8 if reason not in ("onhold", "undefined") else 0.3


def _wording(low: str, shape: layout.Layout | None) -> str:
    """The reason MTA families' shared wording names in a (lower-cased) diagnostic, unless
    the family's own layout says its words name none."""
    if shape is not None and shape.names_nothing(low):
        return ""
    return lhost.preset_lower(low + " ")


def _reason(fact: reasons.Fact, address: str, remote_mta: str, local_mta: str = "",
            low: str | None = None) -> str:
    """A known remote host's own table first (Sisimai's rhost), then the general reading
    (`low`: the diagnostic lower-cased, when the caller has it)."""
    if fact.preset not in reasons.RETRY:
        return fact.preset
    name = rhost.provider(address.rpartition("@")[2], remote_mta, "" if remote_mta else local_mta)
    return (rhost.find(name, fact.diagnostic, low) if name else "") or reasons.find(fact, low)


_DONE = frozenset({"delivered", "relayed", "expanded"})


def _layer(reason: str, remote_mta: str, context: str) -> str | None:
    """Where the fix belongs: SES's own SMTP endpoint refusing means the SES layer."""
    layer = classify.layer_for(reason)
    if layer is None or layer == "ses":
        return layer
    return "ses" if _ses_spoke(remote_mta, context) else layer


def _ses_spoke(remote_mta: str, context: str) -> bool:
    """Is the refusing host SES's SMTP endpoint: the remote MTA, or a host named in the
    report itself (a returned message's own headers, which name the SES host it was sent
    through, do not count)?"""
    if _names_ses(remote_mta):
        return True
    section, lower = mta_text.report_parts(context)
    return _seen_ses(lower[:5000]) if lower else _names_ses(section)


@lru_cache(maxsize=16)
def _names_ses(text: str) -> bool:
    """Does the text (its first 5,000 characters) name an SES SMTP host?"""
    return _seen_ses(text[:5000].lower())


def _seen_ses(seen: str) -> bool:
    """`_names_ses` of a text's first 5,000 characters, already lower-cased."""
    if "amazonaws" not in seen and "simpleemailservice" not in seen:
        return False  # (every SES SMTP host name holds one of these words)
    return _SES_HOSTS.search(seen) is not None
