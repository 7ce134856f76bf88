"""Each public bounce_text / smtp_transcript case from the shared case file: expected layer."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checks.bounce import parse_bounce
from checks.model import Layer

CASES = Path(__file__).resolve().parents[2].parent / "shared" / "cases" / "cases.jsonl"


def _cases() -> list[dict[str, str]]:
    if not CASES.exists():
        return []
    rows = [json.loads(line) for line in CASES.read_text("utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["symptom_kind"] in ("bounce_text", "smtp_transcript")]


@pytest.mark.skipif(not CASES.exists(), reason="case file not present")
@pytest.mark.parametrize("case", _cases(), ids=lambda c: c["id"])
def test_case_layer(case: dict[str, str]) -> None:
    report = parse_bounce(case["input"], name=case["id"])
    assert report.parsed, report.error
    assert report.layer == case["expected_layer"]


def test_gmail_relay_bounce_names_relay_and_reply() -> None:
    text = (
        "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
        "To: owner@example.net\nSubject: Delivery Status Notification (Failure)\n\n"
        "Your message to user@example.org was not sent. The SMTP server settings for the "
        "'Send mail as' address admin@example.com (email-smtp.us-east-1.amazonaws.com, port 587, "
        "TLS) are misconfigured or out of date.\nThe response from the remote server was:\n"
        "535 Authentication Credentials Invalid\n"
    )
    report = parse_bounce(text)
    assert report.kind == "gmail_relay"
    assert report.relay is not None
    assert (report.relay.host, report.relay.port) == ("email-smtp.us-east-1.amazonaws.com", "587")
    assert report.relay.reply == "535 Authentication Credentials Invalid"
    assert report.entry_layer is Layer.GMAIL_RELAY
    assert report.first is not None and report.first.address == "user@example.org"


def test_ses_smtp_reply_alone_points_at_ses() -> None:
    report = parse_bounce("S: 220 email-smtp.us-east-1.amazonaws.com ESMTP SimpleEmailService\n"
                          "C: AUTH LOGIN\nS: 535 Authentication Credentials Invalid\n")
    assert report.kind == "smtp"
    assert report.first is not None and report.first.replycode == "535"
    assert report.entry_layer is Layer.SES
