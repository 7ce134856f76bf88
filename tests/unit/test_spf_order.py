"""check_host() follows RFC 7208's order: `all` ends the evaluation (5.1), limits are stated
once with correct ordinals (4.6.4), and the helpers "authorises SES" is built on.
DNS is a table here; tests/integration/test_dns_spf_evaluation_order.py uses the lab."""

from __future__ import annotations

import ipaddress

import pytest

from checks.dnsauth import spf
from checks.dnsauth.spf import SpfResult
from checks.layers.dns.spf import _with_ses_include, _without_dead_terms
from tests.unit.test_spf import table_lookup

SES = {("amazonses.com", "TXT"): ["v=spf1 ip4:54.240.0.0/18 ip4:199.255.192.0/22 -all"]}


async def test_analysis_stops_at_all_and_never_looks_up_what_follows() -> None:
    asked: list[str] = []
    inner = table_lookup({**SES, ("example.com", "TXT"): [
        "v=spf1 include:amazonses.com -all include:gone.example.net a:nx.example.net"]})

    async def lookup(name: str, rdtype: str) -> spf.DnsAnswer:
        asked.append(name)
        return await inner(name, rdtype)

    out = await spf.check_host(lookup, "example.com")
    assert out.result is SpfResult.FAIL and out.matched == "-all"
    assert out.lookups == 1 and out.voids == 0
    assert "gone.example.net" not in asked and "nx.example.net" not in asked
    assert "include:gone.example.net  (" not in out.tree_text()  # no node for it


@pytest.mark.parametrize(("record", "result"), [
    ("v=spf1 mx -all", SpfResult.FAIL), ("v=spf1 mx ~all", SpfResult.SOFTFAIL),
    ("v=spf1 mx ?all", SpfResult.NEUTRAL), ("v=spf1 mx", SpfResult.NEUTRAL),
])
async def test_analysis_result_is_what_an_unmatched_address_gets(record: str,
                                                                 result: SpfResult) -> None:
    out = await spf.check_host(table_lookup({("example.com", "TXT"): [record]}), "example.com")
    assert out.result is result


async def test_a_syntax_error_after_all_is_still_a_permerror() -> None:
    """RFC 7208 4.6: the whole record is parsed first; only lookups stop at all."""
    zone = {("example.com", "TXT"): ["v=spf1 -all foo:bar"]}
    for ip in (None, "192.0.2.1"):
        out = await spf.check_host(table_lookup(zone), "example.com", ip=ip)
        assert out.result is SpfResult.PERMERROR and "foo:bar" in out.reason


async def test_limits_are_stated_once_with_the_right_ordinal() -> None:
    names = " ".join(f"a:nx{n}.example.net" for n in range(12))
    zone = {("example.com", "TXT"): [f"v=spf1 {names} -all"]}
    out = await spf.check_host(table_lookup(zone), "example.com")
    assert out.result is SpfResult.PERMERROR
    assert out.reason == ("more than 2 void lookups (the 3rd is A nx2.example.net); "
                          "more than 10 DNS lookups (the 11th is a:nx10.example.net)")
    assert out.lookups == 12 and out.voids == 12  # the walk still counts everything


def test_ordinals() -> None:
    got = [spf.ordinal(n) for n in (1, 2, 3, 4, 11, 12, 13, 21, 22, 23, 101, 111)]
    assert got == ["1st", "2nd", "3rd", "4th", "11th", "12th", "13th", "21st", "22nd",
                   "23rd", "101st", "111th"]


async def test_authorised_networks_follow_includes_before_all() -> None:
    zone = {("p.example", "TXT"): ["v=spf1 ip4:192.0.2.0/24 include:q.example -ip4:10.0.0.0/8 "
                                   "-all ip4:198.51.100.0/24"],
            ("q.example", "TXT"): ["v=spf1 ip6:2001:db8::/32 ~all"]}
    nets, why = await spf.authorised_networks(table_lookup(zone), "p.example")
    assert [str(n) for n in nets] == ["192.0.2.0/24", "2001:db8::/32"] and why == ""
    none, why = await spf.authorised_networks(table_lookup({}), "p.example")
    assert none == [] and "NXDOMAIN" in why


def test_sample_addresses() -> None:
    net = ipaddress.ip_network("54.240.0.0/18")
    assert [str(a) for a in spf.sample_addresses(net)] == ["54.240.0.1", "54.240.63.254"]
    one = ipaddress.ip_network("192.0.2.7/32")
    assert [str(a) for a in spf.sample_addresses(one)] == ["192.0.2.7"]


@pytest.mark.parametrize(("current", "blocker", "fixed"), [
    ("v=spf1 -all include:amazonses.com", "-all", "v=spf1 include:amazonses.com -all"),
    ("v=spf1 -include:amazonses.com ~all", "-include:amazonses.com",
     "v=spf1 include:amazonses.com ~all"),
    ("v=spf1 mx -all", "-all", "v=spf1 mx include:amazonses.com -all"),
    ("v=spf1 -ip4:54.240.0.0/18 include:amazonses.com ~all", "-ip4:54.240.0.0/18",
     "v=spf1 include:amazonses.com -ip4:54.240.0.0/18 ~all"),
    ("v=spf1 mx redirect=_spf.example.net", None,
     "v=spf1 mx include:amazonses.com redirect=_spf.example.net"),
    ("v=spf1 a", None, "v=spf1 a include:amazonses.com"),
    (None, None, "v=spf1 include:amazonses.com ~all"),
])
def test_the_fix_puts_one_plain_ses_include_where_evaluation_reaches_it(
    current: str | None, blocker: str | None, fixed: str
) -> None:
    assert _with_ses_include(current, blocker) == fixed


@pytest.mark.parametrize(("record", "cleaned"), [
    ("v=spf1 include:amazonses.com -all include:amazonses.com",
     "v=spf1 include:amazonses.com -all"),
    ("v=spf1 a -all exists:%{l=}.x.example exp=why.example", "v=spf1 a -all exp=why.example"),
    ("v=spf1 a ~all", "v=spf1 a ~all"),
])
def test_dead_terms_are_dropped_by_position(record: str, cleaned: str) -> None:
    assert _without_dead_terms(record) == cleaned
