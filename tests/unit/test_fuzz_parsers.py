"""Property tests: every parser of outside input gives a result or its own clear error.

Sizes come from the hypothesis profile (tests/conftest.py): "ci" in the test run;
tests/bench/fuzz.py runs the "full" profile, 10,000 examples per parser.
"""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from checks.dnsauth import dmarc, mta_sts, spf
from checks.endpoints import EndpointError, Endpoints
from checks.lab.scenario import ScenarioError, parse_scenario
from checks.net.smtp import ProbeStop, Reply, _Session

#: pieces real records are made of, so examples get past the first token
SPF_TOKENS = ["v=spf1", "include:", "a", "mx", "ptr", "exists:", "ip4:", "ip6:", "all", "-all",
              "~all", "?", "+", "redirect=", "exp=", "/24", "//64", "%{i}", "%{d}", "%{l1r-}",
              "sender.example", "192.0.2.1", "2001:db8::1", ":", " ", "."]
DMARC_TOKENS = ["v=DMARC1", ";", "p=", "sp=", "none", "quarantine", "reject", "pct=", "100",
                "rua=", "ruf=", "mailto:", "dmarc@sender.example", "!10m", ",", "adkim=", "s",
                "r", "aspf=", "fo=", "1", "ri=", " ", "="]
STS_TOKENS = ["version: STSv1", "mode: ", "enforce", "testing", "none", "mx: ",
              "*.mail.protection.outlook.com", "max_age: ", "604800", "\n", "\r\n", ":", " "]


def tokens(vocabulary: list[str]) -> st.SearchStrategy[str]:
    pieces = st.one_of(st.sampled_from(vocabulary), st.text(max_size=12))
    return st.lists(pieces, max_size=24).map("".join)


@given(tokens(SPF_TOKENS))
def test_spf_parse(text: str) -> None:
    try:
        record = spf.parse(text)
    except ValueError as exc:
        assert str(exc)
        return
    assert record is not None
    spf.select([text, text])


@given(tokens(DMARC_TOKENS))
def test_dmarc_parse(text: str) -> None:
    for parse in (dmarc.parse, dmarc.split_tags):
        try:
            parse(text)  # type: ignore[operator]
        except ValueError as exc:
            assert str(exc)
    dmarc.select([text])


@given(tokens(STS_TOKENS), tokens(["v=STSv1", ";", "id=", "2026", " ", "="]),
       st.lists(st.text(max_size=30), max_size=4))
def test_mta_sts_parse(policy: str, record: str, hosts: list[str]) -> None:
    for parse, text in ((mta_sts.parse_policy, policy), (mta_sts.parse_record, record)):
        try:
            parsed = parse(text)  # type: ignore[operator]
        except ValueError as exc:
            assert str(exc)
            continue
        if isinstance(parsed, mta_sts.StsPolicy):
            mta_sts.uncovered(parsed, hosts)


SCENARIO_LINES = ['name = "x"', 'region = "us-east-1"', "[input]", 'from = "a@sender.example"',
                  'to = ["b@recipient.example"]', 'path = "gmail_send_as"', "[relay]",
                  'host = "email-smtp.us-east-1.amazonaws.com"', "port = 587",
                  'tls = "starttls"', 'username = { key = "k" }',
                  'password = { literal = "pw" }', "[[iam.users]]", 'name = "u"',
                  "[[iam.users.keys]]", 'label = "k"', 'status = "Inactive"', "[ses]",
                  "production = true", "[[ses.suppressed]]", 'email = "b@recipient.example"',
                  'reason = "COMPLAINT"', "[zones]", '"sender.example" = "@ TXT \\"v=spf1\\""',
                  "[[mta]]", 'host = "mx.recipient.example"', "[expected]", "exit_code = 1",
                  "delay = -1", "[dns]", '"x.sender.example." = "servfail"', "= =", "[[", ""]


@given(st.lists(st.one_of(st.sampled_from(SCENARIO_LINES), st.text(max_size=20)), max_size=30))
def test_scenario_files(lines: list[str]) -> None:
    try:
        parse_scenario("\n".join(lines), source="fuzz.toml")
    except ScenarioError as exc:
        assert str(exc).startswith("fuzz.toml")


ENV_KEYS = ["AWS_ENDPOINT_URL", "AWS_REGION", "MAILPATH_NAMESERVER", "MAILPATH_SMTP_ROUTES",
            "MAILPATH_DNS_ROUTES", "MAILPATH_HTTPS_ROUTES", "MAILPATH_CA_FILE"]
ENV_TOKENS = ["127.0.0.1", ":", "53", "[::1]", "=", ",", "*:25", "https://", "host", "99999", " "]


@given(st.dictionaries(st.sampled_from(ENV_KEYS), tokens(ENV_TOKENS), max_size=5))
def test_endpoint_environment(env: dict[str, str]) -> None:
    try:
        endpoints = Endpoints.from_env(env)
    except EndpointError as exc:
        assert str(exc)
        return
    assert Endpoints.from_env(endpoints.to_env()).nameservers == endpoints.nameservers


REPLY_TOKENS = [b"220", b"250", b"-", b" ", b"535", b"\r\n", b"\n", b"ESMTP", b"\xff", b"\x00",
                b"2", b"250-AUTH PLAIN LOGIN", b"421 4.3.2 bye"]


async def _read(data: bytes) -> Reply | ProbeStop:
    reader = asyncio.StreamReader(limit=1024)
    reader.feed_data(data)
    reader.feed_eof()
    session = _Session(reader, None, 1.0)  # type: ignore[arg-type]  # reads never write
    try:
        return await session.read_reply()
    except ProbeStop as stop:
        return stop


@given(st.lists(st.one_of(st.sampled_from(REPLY_TOKENS), st.binary(max_size=16)), max_size=20)
       .map(b"".join))
def test_smtp_replies(data: bytes) -> None:
    got = asyncio.run(_read(data))
    if isinstance(got, Reply):
        assert 0 <= got.code <= 999 and got.text
    else:
        assert got.failure is not None


@pytest.mark.parametrize("data", [b"", b"2", b"250-x\r\n", b"x" * 5000 + b"\r\n",
                                  b"250-a\r\n250 b\r\n"])
def test_smtp_reply_edges(data: bytes) -> None:
    assert isinstance(asyncio.run(_read(data)), Reply | ProbeStop)
