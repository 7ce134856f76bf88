"""DMARC tag faults outside v= and the policy are discarded, never the record (RFC 7489 6.3;
6.6.3 for p= and sp=; 6.6.4 for pct=)."""

from __future__ import annotations

import pytest

from checks.dnsauth import dmarc


@pytest.mark.parametrize(
    ("text", "field", "value", "named"),
    [
        ("v=DMARC1; p=reject; pct=abc", "pct", 100, "use the default pct=100"),
        ("v=DMARC1; p=reject; pct=101", "pct", 100, "pct=101 is not a whole number"),
        ("v=DMARC1; p=reject; adkim=x", "adkim", "r", "use the default adkim=r"),
        ("v=DMARC1; p=reject; aspf=strict", "aspf", "r", "aspf=strict is not r or s"),
        ("v=DMARC1; p=reject; garbage", "p", "reject", "'garbage' is not a tag=value pair"),
        ("v=DMARC1; p=reject; pct=50; pct=20", "pct", 50, "tag pct= appears twice"),
    ],
)
def test_fault_is_named_and_the_default_used(
    text: str, field: str, value: object, named: str
) -> None:
    record = dmarc.parse(text)
    assert record.p == "reject" and record.policy_error is None
    assert getattr(record, field) == value
    assert any(named in w for w in record.warnings), record.warnings


def test_bad_report_uri_is_dropped_and_a_good_one_kept() -> None:
    record = dmarc.parse("v=DMARC1; p=reject; rua=nobody, mailto:d@example.com")
    assert [u.raw for u in record.rua] == ["mailto:d@example.com"]
    assert any("'nobody' is not a URI" in w for w in record.warnings)


def test_p_given_twice_differently_is_an_unreadable_policy() -> None:
    with_rua = dmarc.parse("v=DMARC1; p=reject; p=none; rua=mailto:d@example.com")
    assert with_rua.p == "none" and with_rua.policy_error is not None
    assert "given twice" in with_rua.policy_error
    with pytest.raises(dmarc.DmarcSyntaxError, match="given twice"):
        dmarc.parse("v=DMARC1; p=reject; p=none")


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("v=DMARC1; p=reject; pct=0", "pct=0: p=reject applies to no failing mail; receivers "
                                      "treat all of it as quarantine"),
        ("v=DMARC1; p=quarantine; pct=0", "treat all of it as none"),
        ("v=DMARC1; p=none; sp=reject; pct=0", "pct=0: sp=reject applies to no failing mail"),
    ],
)
def test_pct_zero_is_named(text: str, named: str) -> None:
    assert any(named in w for w in dmarc.parse(text).warnings), dmarc.parse(text).warnings


def test_pct_zero_with_p_none_adds_nothing() -> None:
    assert not [w for w in dmarc.parse("v=DMARC1; p=none; pct=0").warnings if "pct" in w]


def test_v_must_still_be_first_and_exact() -> None:
    for text in ("garbage; v=DMARC1; p=reject", "v=DMARC2; p=reject"):
        with pytest.raises(dmarc.DmarcSyntaxError, match="start with v=DMARC1"):
            dmarc.parse(text)


def test_published_policy_reads_an_invalid_record() -> None:
    assert dmarc.published_policy("v=DMARC1; p=reject; sp=bogus") == "reject"
    assert dmarc.published_policy("v=DMARC1; p=rejet") is None
