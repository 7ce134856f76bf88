"""SES SMTP replies, Gmail relay wording, MTA log lines and transcripts: who failed, where."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checks.bounce import parse_bounce
from checks.bounce.ses_smtp import REPLIES
from checks.model import Layer
from checks.tree import LAYER_NODE

#: SES SMTP replies pasted alone (deliverability.md 3c): (reply, reason)
SES_ALONE = [
    ("454 Throttling failure: Daily message quota exceeded.", "speeding"),
    ("454 Throttling failure: Maximum sending rate exceeded.", "speeding"),
    ("554 Message rejected: Email address is not verified. The following identities failed "
     "the check in region US-EAST-1: sender@example.com", "rejected"),
    ("535 Account not subscribed to SES", "securityerror"),
    ("554 Access denied: User arn:aws:iam::123456789012:user/app is not authorized to "
     "perform ses:SendRawEmail on resource arn:aws:ses:us-east-1:123456789012:identity/x",
     "securityerror"),
    ("535 Authentication Credentials Invalid", "securityerror"),
]


@pytest.mark.parametrize(("reply", "reason"), SES_ALONE)
def test_ses_reply_alone_is_the_ses_layer(reply: str, reason: str) -> None:
    report = parse_bounce(reply + "\n")
    assert report.first is not None
    assert (report.kind, report.layer, report.reason) == ("smtp", "ses", reason)
    assert report.first.confidence >= 0.9 and report.entry == LAYER_NODE[Layer.SES]


def test_generic_wording_needs_an_ses_host() -> None:
    assert parse_bounce("530 Authentication required\n").layer == "recipient_mta"
    named = parse_bounce("S: 220 email-smtp.eu-west-1.amazonaws.com ESMTP SimpleEmailService\n"
                         "C: MAIL FROM:<a@example.com>\nS: 530 Authentication required\n")
    assert (named.layer, named.reason) == ("ses", "securityerror")


def test_every_row_has_a_known_layer() -> None:
    assert REPLIES and {r.layer for r in REPLIES} <= {"ses", "content"}


@pytest.mark.parametrize("reply", [r for r, _ in SES_ALONE])
def test_gmail_relay_wording_alone(reply: str) -> None:
    text = ("Your SMTP relay settings are misconfigured or out of date. "
            f"The response from the remote server was:\n{reply}\n")
    report = parse_bounce(text)
    assert (report.kind, report.layer) == ("gmail_relay", "gmail_relay")
    assert report.relay is not None and report.relay.reply == reply
    assert report.entry == "relay"


def test_postfix_log_lines_only_to_is_a_recipient() -> None:
    log = ("postfix/qmgr[11]: 4D2E1A: from=<bounce-x1@example.com>, size=100, nrcpt=2 "
           "(queue active)\npostfix/smtp[12]: 4D2E1A: to=<one@example.net>, "
           "relay=mx.example.net[192.0.2.1]:25, dsn=5.1.1, status=bounced (host "
           "mx.example.net[192.0.2.1] said: 550 5.1.1 no such user (in reply to RCPT TO "
           "command))\npostfix/smtp[12]: 4D2E1A: to=<two@example.net>, relay=mx.example.net"
           "[192.0.2.1]:25, dsn=4.2.2, status=deferred (host mx.example.net[192.0.2.1] said: "
           "452 4.2.2 mailbox full (in reply to RCPT TO command))\n")
    report = parse_bounce(log)
    assert [r.address for r in report.recipients] == ["one@example.net", "two@example.net"]
    assert [r.reason for r in report.recipients] == ["userunknown", "mailboxfull"]


def test_transcript_recipient_from_the_rcpt_command() -> None:
    report = parse_bounce("C: RCPT TO:<z@example.net>\nS: 452 4.2.2 Mailbox full\n")
    assert report.first is not None
    assert (report.first.address, report.reason) == ("z@example.net", "mailboxfull")


def test_transcript_failure_after_data_names_the_recipient_not_the_sender() -> None:
    report = parse_bounce(
        "S: 220 email-smtp.us-east-1.amazonaws.com ESMTP SimpleEmailService\n"
        "C: MAIL FROM:<app@example.com>\nS: 250 Ok\nC: RCPT TO:<user@example.net>\n"
        "S: 250 Ok\nC: DATA\nS: 354 End data with <CR><LF>.<CR><LF>\n"
        "S: 554 Message rejected: Email address is not verified. The following identities "
        "failed the check in region US-EAST-1: app@example.com\n")
    assert report.first is not None
    assert (report.first.address, report.layer) == ("user@example.net", "ses")


def test_json_has_confidence_and_tree_entry() -> None:
    doc = json.loads(json.dumps(parse_bounce("550 5.1.1 <u@example.org>: unknown\n").to_json()))
    assert doc["entry"] == doc["recipients"][0]["entry"] == "recipient"
    assert 0 < doc["confidence"] == doc["recipients"][0]["confidence"] <= 1
    assert parse_bounce("x").to_json()["entry"] is None


LOG_AND_TRANSCRIPT = [
    "C: MAIL FROM:<app@example.com>", "C: RCPT TO:<user@example.net>", "C: RCPT TO:<>",
    "C: DATA", "S: 250 Ok", "S: 354 go ahead", "S: 452 4.2.2 Mailbox full", "S: 550-5.1.1 no",
    "S: 550 5.1.1 no such user", "S: 535 Authentication Credentials Invalid",
    "postfix/qmgr[1]: Q1: from=<app@example.com>, size=1, nrcpt=1 (queue active)",
    "postfix/smtp[2]: Q1: to=<user@example.net>, relay=none, status=bounced (said: 550 x)",
    "to=<>", "from=<", "ctladdr=<a@b> (1/1)",
]


@given(st.lists(st.one_of(st.sampled_from(LOG_AND_TRANSCRIPT), st.text(max_size=30)),
                max_size=30))
def test_transcripts_and_logs_never_raise_nor_name_the_sender(lines: list[str]) -> None:
    report = parse_bounce("\n".join(lines), name="fuzz")
    json.dumps(report.to_json())
    if any(line.startswith("C: MAIL FROM:<app@") for line in lines) and report.kind == "smtp":
        named = [r.address for r in report.recipients]
        assert "app@example.com" not in named or any("RCPT TO:<app@" in x for x in lines)
