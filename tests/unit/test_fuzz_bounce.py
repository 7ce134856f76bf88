"""Property tests for bounce intake: any bytes, any mail-like text, any SES JSON gives a
report (parse_bounce never raises). Sizes come from the hypothesis profile (tests/conftest.py);
tests/bench/fuzz.py runs 10,000 examples each."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from checks.bounce import parse_bounce, to_json

MAIL_LINES = [
    "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>", "Subject: Undeliverable:",
    "Content-Type: multipart/report; report-type=delivery-status; boundary=\"b\"", "--b",
    "--b--", "Content-Type: message/delivery-status", "Content-Type: message/rfc822",
    "Content-Type: message/feedback-report", "Feedback-Type: abuse", "Reporting-MTA: dns; x",
    "Final-Recipient: rfc822; pat@recipient.example", "Action: failed", "Status: 5.1.1",
    "Status: 9.9.9.9", "Diagnostic-Code: smtp; 550 5.7.606 Access denied, banned sending IP",
    "Remote-MTA: dns; mx.recipient.example", "550-5.1.1 The email account does not exist",
    "535 Authentication Credentials Invalid", "SMTP relay settings are misconfigured",
    "Content-Transfer-Encoding: base64", "Content-Transfer-Encoding: quoted-printable",
    "=E2=80=99", "Content-Type: text/plain; charset=utf-99", "", " ", "\t", ":", "<>",
    "X-Failed-Recipients: pat@recipient.example", "Auto-Submitted: auto-replied",
]


@given(st.binary(max_size=2000))
def test_any_bytes(data: bytes) -> None:
    report = parse_bounce(data, name="fuzz")
    json.dumps(to_json(report))


@given(st.lists(st.one_of(st.sampled_from(MAIL_LINES), st.text(max_size=40)), max_size=40),
       st.sampled_from(["\n", "\r\n"]))
def test_mail_like_text(lines: list[str], eol: str) -> None:
    report = parse_bounce(eol.join(lines).encode("utf-8", "surrogatepass"), name="fuzz.eml")
    json.dumps(to_json(report))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner,
                                                                max_size=3),
    max_leaves=10)
SES_NOTE = st.fixed_dictionaries(
    {"notificationType": st.sampled_from(["Bounce", "Complaint", "Delivery", "x", ""])},
    optional={
        "eventType": st.sampled_from(["Bounce", "Complaint"]),
        "bounce": st.fixed_dictionaries({}, optional={
            "bounceType": st.sampled_from(["Permanent", "Transient", "Undetermined"]) | JSON_VALUES,
            "bounceSubType": st.sampled_from(["OnAccountSuppressionList", "General"]) | JSON_VALUES,
            "bouncedRecipients": st.lists(st.fixed_dictionaries({}, optional={
                "emailAddress": st.text(max_size=30) | JSON_VALUES,
                "status": st.text(max_size=8) | JSON_VALUES,
                "diagnosticCode": st.text(max_size=40) | JSON_VALUES}), max_size=3) | JSON_VALUES,
            "reportingMTA": JSON_VALUES}),
        "complaint": st.dictionaries(st.sampled_from(
            ["complainedRecipients", "complaintFeedbackType", "userAgent"]), JSON_VALUES),
        "mail": st.dictionaries(st.sampled_from(["source", "destination", "messageId"]),
                                JSON_VALUES),
    })


@given(SES_NOTE, st.booleans())
def test_ses_json(note: dict[str, object], wrapped: bool) -> None:
    doc: object = {"Type": "Notification", "Message": json.dumps(note)} if wrapped else note
    report = parse_bounce(json.dumps(doc).encode(), name="ses.json")
    json.dumps(to_json(report))
