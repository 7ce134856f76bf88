"""The _smtp._tls TXT record (RFC 8460 3): version exactly v=TLSRPTv1, first; rua= one or
more mailto: or https: URIs."""

from __future__ import annotations

import pytest

from checks.dnsauth import mta_sts


def test_rfc8460_examples() -> None:
    assert mta_sts.parse_tlsrpt("v=TLSRPTv1; rua=mailto:reports@example.com").rua == (
        "mailto:reports@example.com",)
    record = mta_sts.parse_tlsrpt(
        "v=TLSRPTv1; rua=https://reporting.example.com/v1/tlsrpt,mailto:r@example.com")
    assert len(record.rua) == 2


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("v=TLSRPTv1; rua=mailto:", "rua=mailto: names no address"),
        ("v=TLSRPTv1; rua=https://", "names no address or URL"),
        ("v=TLSRPTv1x; rua=mailto:a@example.com", "not exactly v=TLSRPTv1"),
        ("v=TLSRPTv1rua=mailto:a@example.com", "has no ';' after v=TLSRPTv1"),
        ("v=TLSRPTv1;", "no rua="),
        ("v=TLSRPTv1; rua=a@example.com", "is not a mailto:address or https:// URL"),
        ("v=TLSRPTv1; rua=mailto:a@example.com,", "empty entry"),
        ("v=TLSRPTv1; rua=http://example.com/r", "is not a mailto:address or https:// URL"),
    ],
)
def test_faults(text: str, words: str) -> None:
    with pytest.raises(mta_sts.MtaStsError) as exc:
        mta_sts.parse_tlsrpt(text)
    assert words in str(exc.value)


def test_records_kept_are_exactly_v_tlsrptv1() -> None:
    kept = mta_sts.tlsrpt_records(["v=TLSRPTv1; rua=mailto:a@example.com",
                                   "v=TLSRPTv1x; rua=mailto:b@example.com", "other"])
    assert kept == ["v=TLSRPTv1; rua=mailto:a@example.com"]
