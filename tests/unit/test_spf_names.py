"""SPF domain names that cannot be asked, and +all (RFC 7208 4.3, 5.1, 7.3; RFC 1035 2.3.4)."""

from __future__ import annotations

from checks.dnsauth import spf
from checks.dnsauth.spf import SpfResult
from tests.unit.test_spf import with_record

LONG = "x" * 64  # RFC 1035 2.3.4: a label is at most 63 octets


async def test_include_with_a_label_over_63_is_a_permerror_naming_it() -> None:
    out = await spf.check_host(with_record(f"v=spf1 include:{LONG}.example.org -all"),
                               "example.com", ip="192.0.2.10")
    assert out.result is SpfResult.PERMERROR
    assert "64 characters" in out.reason and "63" in out.reason, out.reason


async def test_a_label_of_63_is_fine() -> None:
    out = await spf.check_host(with_record(f"v=spf1 a:{'x' * 63}.example.org -all"),
                               "example.com", ip="192.0.2.10")
    assert out.result is SpfResult.FAIL, out.reason


async def test_expanded_macro_with_a_long_label_is_a_permerror() -> None:
    # %{l} is the sender's local part: 64 characters make a label that cannot be asked.
    out = await spf.check_host(with_record("v=spf1 exists:%{l}.example.com -all"),
                               "example.com", ip="192.0.2.10", sender=f"{LONG}@example.com")
    assert out.result is SpfResult.PERMERROR
    assert "exists:%{l}.example.com" in out.reason and "64 characters" in out.reason


def test_name_problem() -> None:
    assert spf.name_problem("mail.example.com") == ""
    assert "empty label" in spf.name_problem("a..example.com")
    assert "253" in spf.name_problem(".".join(["abcdefghi"] * 26))


def test_plus_all_passes_everyone() -> None:
    # RFC 7208 5.1: "all" matches every host; "+" is the default qualifier (4.6.2).
    assert spf.passes_everyone("v=spf1 include:amazonses.com +all")
    assert spf.passes_everyone("v=spf1 all")
    assert not spf.passes_everyone("v=spf1 include:amazonses.com ~all")
    assert not spf.passes_everyone("v=spf1 -all")
    assert not spf.passes_everyone(None)
