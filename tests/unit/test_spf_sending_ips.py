"""Sending IPs read from bounces: inputs are the public cases (cases.jsonl, with their
documentation addresses); the expected IP is the one each receiver names as the sender's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checks.bounce.model import BounceReport, RecipientResult
from checks.dnsauth import dnsbl
from checks.dnsauth.sending_ips import public_ipv4, sending_ips

CASES = Path("/work/shared/cases/cases.jsonl")


def case_inputs(needle: str) -> list[str]:
    if not CASES.exists():
        pytest.skip("the public cases are not on this machine")
    rows = [json.loads(line) for line in CASES.read_text().splitlines() if line.strip()]
    return [r["input"] for r in rows if needle in r["input"]]


@pytest.mark.parametrize(
    ("needle", "sender_ip"),
    [
        ("did not pass with ip: [203.0.113.1]", "203.0.113.1"),  # Gmail 5.7.26
        ("550-5.7.1 [203.0.113.129", "203.0.113.129"),  # Gmail 5.7.1 unsolicited
        ("banned sending IP [203.0.113.170]", "203.0.113.170"),  # Exchange Online 5.7.606
    ],
)
def test_sender_ip_not_the_receivers(needle: str, sender_ip: str) -> None:
    (text,) = case_inputs(needle)
    assert sending_ips(text) == [sender_ip]  # not the host[198.51.100.x] Postfix names


def test_from_a_parsed_bounce_diagnostic_not_remote_mta() -> None:
    report = BounceReport(
        kind="dsn",
        recipients=(
            RecipientResult(
                address="pat@recipient.example",
                diagnostic="550 5.7.606 Access denied, banned sending IP [54.240.8.10].",
                remote_mta="recipient-example.mail.protection.outlook.com [192.0.2.25]",
            ),
        ),
    )
    assert sending_ips(report) == ["54.240.8.10"]


def test_private_and_loopback_are_left_out() -> None:
    assert public_ipv4(["from 10.1.2.3 and 127.0.0.1 and 192.168.1.1 via 54.240.8.10"]) == [
        "54.240.8.10"
    ]
    assert sending_ips(None) == []


def test_dnsbl_query_name_rfc5782() -> None:
    """RFC 5782 2.1: 192.0.2.99 on dnsbl.example.net is 99.2.0.192.dnsbl.example.net."""
    assert dnsbl.query_name("192.0.2.99", "dnsbl.example.net") == "99.2.0.192.dnsbl.example.net"


@pytest.mark.parametrize(
    ("records", "state"),
    [
        (["127.0.0.2"], "listed"),  # RFC 5782 2.1: 127.0.0.2 means listed
        (["127.255.255.254"], "refused"),  # Spamhaus: query through a public resolver
        (["127.255.255.255"], "refused"),  # Spamhaus: too many queries
        ([], "clear"),
    ],
)
def test_dnsbl_verdicts(records: list[str], state: str) -> None:
    assert dnsbl.verdict("192.0.2.99", "zen.spamhaus.org", records, True).state == state
