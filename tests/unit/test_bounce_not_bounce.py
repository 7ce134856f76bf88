"""Input that is not a bounce says so: junk text, prose, binary data, malformed SES
notifications and DSNs get an error naming why, with no recipient and no made-up status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checks.bounce import parse_bounce

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "bounces"

PROSE = [
    "asdf qwer\n",
    "Copyright (C) 2014, Example Author\nAll rights reserved.\nRedistribution and use...\n",
    # prose that quotes codes and an address, as the corpus README does
    "By hand I read `lhost-amazonses-05` (550 5.1.1 user unknown -> userunknown) and\n"
    "`sironeko@example.net` (5.7.26 SPF -> authfailure). 243 samples, 593 in all.\n",
    "From: friend@example.com\nTo: me@example.net\nSubject: lunch\n\n250 people came.\n",
]


@pytest.mark.parametrize("text", PROSE)
def test_text_without_bounce_signs_is_not_a_bounce(text: str) -> None:
    report = parse_bounce(text, name="x")
    assert report.kind == "not_bounce" and not report.parsed
    assert report.error == "not a bounce: no delivery status found"
    assert report.recipients == () and report.layer is None
    assert report.to_json()["status"] is None


@pytest.mark.parametrize("data", [bytes(range(256)) * 40, b"\x7fELF\x02\x01\x01" + bytes(500),
                                  b"abc\x00\x01\x02\x03def\x04"])
def test_binary_is_refused(data: bytes) -> None:
    report = parse_bounce(data)
    assert (report.kind, report.error) == ("not_bounce", "binary data, not a bounce message")
    assert report.recipients == ()


PASTED = {
    "exim": "A message that you sent could not be delivered to one or more of its\n"
            "recipients. The following address(es) failed:\n\n  pat@example.org\n"
            "    SMTP error from remote mail server after RCPT TO:<pat@example.org>:\n"
            "    550 5.1.1 User unknown\n",
    "exchange": "Delivery has failed to these recipients or groups:\n\npat@example.org\n"
                "Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipNotFound; not found'\n",
    "gmail": "Address not found\n\nYour message wasn't delivered to pat@example.org because the "
             "address couldn't be found, or is unable to receive mail.\n",
    "status line": "5.1.1 user unknown: pat@example.org\n",
}


@pytest.mark.parametrize("name", sorted(PASTED))
def test_pasted_bounces_still_read(name: str) -> None:
    report = parse_bounce(PASTED[name])
    assert report.parsed, report.error
    assert report.first is not None
    assert (report.first.address, report.first.reason) == ("pat@example.org", "userunknown")


def test_utf16_file_with_bom_is_text() -> None:
    report = parse_bounce(PASTED["exim"].encode("utf-16"))
    assert report.parsed and report.first is not None and report.first.status == "5.1.1"


def test_autoreply_keeps_its_kind() -> None:
    data = ("From: pat@example.org\nTo: me@example.net\nSubject: Out of office\n"
            "Auto-Submitted: auto-replied\n\nI am away until Monday.\n")
    assert parse_bounce(data).kind == "vacation"


def test_address_quoted_in_backticks_is_read_without_them() -> None:
    data = ("From: MAILER-DAEMON@example.net\nSubject: Undelivered\n\n"
            "`pat@example.org`: host mx.example.org said: 550 5.1.1 User unknown\n")
    report = parse_bounce(data)
    assert report.first is not None and report.first.address == "pat@example.org"


def test_diagnostic_keeps_the_opening_bracket() -> None:
    data = ("From: MAILER-DAEMON@example.net\nSubject: Undelivered\n\n"
            "<bob@example.com>: host mx.example.com said: 550 5.1.1 User unknown\n")
    report = parse_bounce(data)
    assert report.first is not None and report.first.diagnostic.startswith("<bob@example.com>")


@pytest.mark.skipif(not (CORPUS / "LICENSE").exists(), reason="bounce corpus not present")
@pytest.mark.parametrize("name", ["LICENSE", "README.md", "labels.jsonl"])
def test_corpus_side_files_are_not_bounces(name: str) -> None:
    report = parse_bounce((CORPUS / name).read_bytes(), name=name)
    assert report.kind == "not_bounce" and report.error.startswith("not a bounce")


def _ses(bounce: object, **extra: object) -> str:
    return json.dumps({"notificationType": "Bounce", "bounce": bounce, **extra})


def _sns(note: str) -> str:
    return json.dumps({"Type": "Notification", "Message": note})


GOOD_RCPT = {"emailAddress": "pat@example.org", "status": "5.1.1"}
MALFORMED_SES = {
    "not a list": (_ses({"bounceType": "Permanent", "bouncedRecipients": "notalist"}),
                   "bounce.bouncedRecipients is not a list"),
    "null bounce": (_ses(None, mail=5), "bounce is not an object"),
    "no bounce": (json.dumps({"notificationType": "Bounce"}), "bounce is missing"),
    "number address": (_sns(_ses({"bounceType": "Permanent", "bouncedRecipients": [
        {"emailAddress": 5}]})), "bounce.bouncedRecipients[0].emailAddress is not a string"),
    "bad address": (_ses({"bounceType": "Permanent", "bouncedRecipients": [
        {"emailAddress": "`x@example.org"}]}),
        "bounce.bouncedRecipients[0].emailAddress is not an email address"),
    "bad status": (_ses({"bounceType": "Permanent", "bouncedRecipients": [
        dict(GOOD_RCPT, status="9.9.9")]}), "bounce.bouncedRecipients[0].status is not a status"),
    "empty": (_ses({"bounceType": "Permanent", "bouncedRecipients": []}),
              "bounce.bouncedRecipients is empty"),
    "no type": (_ses({"bouncedRecipients": [GOOD_RCPT]}), "bounce.bounceType is not one of"),
}


@pytest.mark.parametrize("case", sorted(MALFORMED_SES))
def test_malformed_ses_names_the_field(case: str) -> None:
    doc, message = MALFORMED_SES[case]
    report = parse_bounce(doc)
    assert report.kind == "ses_json" and not report.parsed
    assert report.error.startswith(message)
    assert report.recipients == ()


DSN = (
    "From: MAILER-DAEMON@mx.example.net\nTo: sender@example.com\n"
    "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
    'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
    "--B\nContent-Type: text/plain\n\nThis is the mail system at host mx.example.net.\n\n"
    "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
    "Final-Recipient: {rcpt}\nAction: failed\nStatus: {status}\n\n--B--\n"
)


@pytest.mark.parametrize(("rcpt", "status", "message"), [
    ("", "9.9.9", "Status: '9.9.9' is not a delivery status code"),
    ("", "5.1.1", "Final-Recipient is empty"),
    ("rfc822; pat@example.org", "bogus", "Status: 'bogus' is not a delivery status code"),
])
def test_malformed_dsn_names_the_field(rcpt: str, status: str, message: str) -> None:
    report = parse_bounce(DSN.format(rcpt=rcpt, status=status))
    assert report.kind == "dsn" and report.error.startswith(message)
    assert report.recipients == ()


def test_well_formed_dsn_still_reads() -> None:
    report = parse_bounce(DSN.format(rcpt="rfc822; pat@example.org", status="5.1.1"))
    assert report.parsed and report.first is not None and report.first.status == "5.1.1"
