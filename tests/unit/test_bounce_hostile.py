"""Malformed, truncated, binary, huge and hostile input: a clear result, never a traceback."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checks.bounce import parse_bounce

DSN = (
    b"From: MAILER-DAEMON@mx.example.net\nTo: sender@example.com\n"
    b"Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
    b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
    b"--B\nContent-Type: text/plain\n\nThis is the mail system at host mx.example.net.\n\n"
    b"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
    b"Final-Recipient: rfc822; user@example.org\nAction: failed\nStatus: 5.1.1\n"
    b"Diagnostic-Code: smtp; 550 5.1.1 <user@example.org>: Recipient address rejected: "
    b"User unknown\n\n--B--\n"
)


def test_well_formed_dsn() -> None:
    report = parse_bounce(DSN)
    assert report.kind == "dsn"
    assert report.first is not None
    assert (report.first.address, report.first.status, report.first.reason) == (
        "user@example.org", "5.1.1", "userunknown")


def test_empty_input_is_an_error_not_an_exception() -> None:
    for data in (b"", b"   \n\n", ""):
        report = parse_bounce(data)
        assert not report.parsed and report.error == "empty input"


def test_truncated_at_every_tenth_byte() -> None:
    for end in range(0, len(DSN), 10):
        parse_bounce(DSN[:end]).to_json()


def test_binary_garbage() -> None:
    report = parse_bounce(bytes(range(256)) * 40)
    assert report.to_json()["kind"]


def test_huge_input_is_read_quickly_and_bounded() -> None:
    body = DSN + b"x" * 10 * 1024 * 1024
    report = parse_bounce(body)
    assert report.first is not None and report.first.reason == "userunknown"


def test_deep_mime_nesting() -> None:
    depth = 2000
    head = b"".join(
        b'Content-Type: multipart/mixed; boundary="b%d"\n\n--b%d\n' % (i, i) for i in range(depth))
    data = b"From: a@example.com\nTo: b@example.com\n" + head + b"Content-Type: text/plain\n\nhi\n"
    assert parse_bounce(data).to_json()["kind"]


def test_bad_encodings_and_charsets() -> None:
    data = (b"From: =?x-unknown?B?////?= <m@example.net>\nTo: s@example.com\n"
            b"Subject: =?utf-8?Q?=FF=FE?=\nContent-Type: text/plain; charset=no-such-charset\n"
            b"Content-Transfer-Encoding: base64\n\n!!!not base64!!!\xff\xfe\n")
    assert parse_bounce(data).to_json()["kind"]


def test_header_injection_stays_inside_values() -> None:
    data = DSN.replace(b"Status: 5.1.1\n", b"Status: 5.1.1\r\nX-Injected: yes\r\n\r\n")
    report = parse_bounce(data)
    assert report.first is not None and "X-Injected" not in report.first.address


def test_json_that_is_not_ses() -> None:
    envelope = '{"Type": "Notification", "Message": "not json"}'
    for doc in ('{"a": 1}', "[1, 2]", envelope, "{" * 50000):
        report = parse_bounce(doc)
        assert not report.parsed and report.error


def test_ses_bounce_in_sns_envelope() -> None:
    note = {"notificationType": "Bounce", "bounce": {
        "bounceType": "Permanent", "bounceSubType": "OnAccountSuppressionList",
        "bouncedRecipients": [{"emailAddress": "user@example.org", "action": "failed",
                               "status": "5.1.1", "diagnosticCode": "Amazon SES did not send"}],
        "reportingMTA": "dns; amazonses.com"}}
    envelope = {"Type": "Notification", "Message": json.dumps(note)}
    report = parse_bounce(json.dumps(envelope))
    assert report.kind == "ses_json"
    assert report.first is not None
    assert (report.first.reason, report.first.layer) == ("suppressed", "ses")


@given(st.binary(max_size=3000))
def test_any_bytes_give_a_report(data: bytes) -> None:
    assert isinstance(parse_bounce(data).to_json(), dict)


@given(st.text(max_size=2000), st.sampled_from(["Status: ", "Final-Recipient: rfc822; ",
                                                "Diagnostic-Code: smtp; ", "S: 550 ", "{"]))
def test_dsn_like_text_gives_a_report(text: str, prefix: str) -> None:
    assert isinstance(parse_bounce(prefix + text).to_json(), dict)


@given(st.integers(min_value=0, max_value=len(DSN)), st.binary(max_size=200))
def test_corrupted_dsn_gives_a_report(cut: int, noise: bytes) -> None:
    assert isinstance(parse_bounce(DSN[:cut] + noise + DSN[cut:]).to_json(), dict)


@pytest.mark.parametrize(
    "subject", ["=?utf-8?b?a?=", "=?utf-8?q?=ZZ?=", "=?bogus?x?abc?=", "=?utf-8?b?"])
def test_broken_encoded_words_in_headers_are_kept_as_written(subject: str) -> None:
    data = (f"From: MAILER-DAEMON@example.net\nSubject: {subject}\n\n"
            "550 5.1.1 <a@example.org>: user unknown\n")
    report = parse_bounce(data)
    assert report.first is not None and report.first.address == "a@example.org"
