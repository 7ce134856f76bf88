"""The _mta-sts TXT record (RFC 8461 3.1): the fault named as it is."""

from __future__ import annotations

import pytest

from checks.dnsauth import mta_sts


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("v=STSv1id=123", "has no ';' after v=STSv1: each field ends with ';' "
                          "(write v=STSv1; id=123)"),
        ("v=STSv1 id=123", "has no ';' after v=STSv1"),
        ("v=STSv2; id=1", "must start with v=STSv1"),
        ("v=STSv1x; id=1", "the version is v=STSv1x, not exactly v=STSv1"),
        ("v=STSv1; id=", "id='' must be 1 to 32 letters or digits"),
    ],
)
def test_record_faults(text: str, words: str) -> None:
    with pytest.raises(mta_sts.MtaStsError) as exc:
        mta_sts.parse_record(text)
    assert words in str(exc.value)


def test_record_with_spaces_around_separator() -> None:
    assert mta_sts.parse_record("v=STSv1 ; id=20160831085700Z").id == "20160831085700Z"


def test_two_records_select_none() -> None:
    text, why = mta_sts.select(["v=STSv1; id=1", "v=STSv1; id=2"])
    assert text is None and why == "2 v=STSv1 records"
