"""DMARC and MTA-STS parsers; expected values from RFC 7489 and RFC 8461 examples."""

from __future__ import annotations

import pytest

from checks.dnsauth import dmarc, mta_sts
from checks.dnsauth.alignment import aligned, predict


def test_rfc7489_examples() -> None:
    """RFC 7489 appendix B.2.1-B.2.4 records."""
    rec = dmarc.parse("v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com")
    assert (rec.p, rec.pct, rec.adkim, rec.aspf) == ("none", 100, "r", "r")
    assert rec.rua[0].domain == "example.com"
    rec = dmarc.parse(
        "v=DMARC1; p=quarantine; rua=mailto:dmarc-feedback@example.com, "
        "mailto:tld-test@thirdparty.example.net!10m; pct=25"
    )
    assert rec.p == "quarantine" and rec.pct == 25
    assert [u.domain for u in rec.rua] == ["example.com", "thirdparty.example.net"]
    assert dmarc.report_auth_name("example.com", "thirdparty.example.net") == (
        "example.com._report._dmarc.thirdparty.example.net"
    )


@pytest.mark.parametrize(
    "text",
    [
        "p=reject; v=DMARC1",  # v must come first
        "v=DMARC1; p=rejet",
        "v=DMARC1",  # no p and no rua
    ],
)
def test_dmarc_invalid(text: str) -> None:
    with pytest.raises(dmarc.DmarcSyntaxError):
        dmarc.parse(text)


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("v=DMARC1; p=reject; pct=150", "pct=150"),
        ("v=DMARC1; p=reject; adkim=x", "adkim=x"),
        ("v=DMARC1; p=reject; rua=dmarc@example.com", "'dmarc@example.com' is not a URI"),
    ],
)
def test_dmarc_bad_tag_outside_the_policy_keeps_it(text: str, named: str) -> None:
    """RFC 7489 6.3: a syntax error outside v= and p= is discarded, the policy stays."""
    record = dmarc.parse(text)
    assert record.p == "reject" and record.policy_error is None
    assert any(named in w for w in record.warnings), record.warnings


def test_dmarc_missing_p_with_rua_is_none() -> None:
    """RFC 7489 6.6.3: a record without p= but with a valid rua= is treated as p=none."""
    assert dmarc.parse("v=DMARC1; rua=mailto:a@example.com").p == "none"


def test_dmarc_select() -> None:
    assert dmarc.select(["v=DMARC1; p=none", "v=DMARC1; p=reject"])[0] is None
    assert dmarc.select(["x", "v=DMARC1; p=none"])[0] == "v=DMARC1; p=none"


def test_alignment_rfc7489_3_1() -> None:
    """RFC 7489 3.1.1/3.1.2: relaxed = same organisational domain, strict = same name."""
    assert aligned("example.com", "mail.example.com", "r")
    assert not aligned("example.com", "mail.example.com", "s")
    assert not aligned("example.com", "example.net", "r")
    assert aligned("a.example.co.uk", "b.example.co.uk", "r")
    pred = predict("sender.example", "amazonses.com", ["amazonses.com"])
    assert not pred.passes


RFC8461_POLICY = """version: STSv1
mode: enforce
mx: mail.example.com
mx: *.example.net
mx: backupmx.example.com
max_age: 604800
"""


def test_rfc8461_policy_example() -> None:
    policy = mta_sts.parse_policy(RFC8461_POLICY)
    assert policy.mode == "enforce" and policy.max_age == 604800
    assert policy.mx == ("mail.example.com", "*.example.net", "backupmx.example.com")
    assert mta_sts.parse_record("v=STSv1; id=20160831085700Z;").id == "20160831085700Z"


def test_rfc8461_mx_matching() -> None:
    """RFC 8461 4.1: '*.example.com' matches 'mail.example.com', not deeper or the apex."""
    assert mta_sts.mx_matches("*.example.com", "mail.example.com")
    assert not mta_sts.mx_matches("*.example.com", "example.com")
    assert not mta_sts.mx_matches("*.example.com", "foo.bar.example.com")
    assert mta_sts.mx_matches("mail.example.com", "MAIL.example.com.")


def test_cases_jsonl_ip_entry_policy() -> None:
    """cases.jsonl dns-mta-sts-policy-mismatch: an IP mx entry, and the real MX not covered."""
    body = (
        "version: STSv1\nmode: enforce\nmax_age: 15552000\nmx: mail.example.net\n"
        "mx: *.example.net\nmx: relay.example.org\nmx: 192.0.2.56\n"
    )
    policy = mta_sts.parse_policy(body)
    assert any("IP address" in w for w in policy.warnings)
    assert mta_sts.uncovered(policy, ["firewall.example.net"]) == []  # *.example.net covers it
    assert mta_sts.uncovered(policy, ["firewall.example.com"]) == ["firewall.example.com"]


@pytest.mark.parametrize(
    "body",
    [
        "mode: enforce\nmx: a.example\nmax_age: 1",
        "version: STSv1\nmode: strict\nmx: a.example\nmax_age: 1",
        "version: STSv1\nmode: enforce\nmax_age: 86400",
        "version: STSv1\nmode: enforce\nmx: a.example\nmax_age: 99999999999",
    ],
)
def test_invalid_policies(body: str) -> None:
    with pytest.raises(mta_sts.MtaStsError):
        mta_sts.parse_policy(body)
