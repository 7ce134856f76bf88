"""SPF parser and check_host(), with expected values from RFC 7208's own examples.

DNS here is a table (no server): these are unit tests of the pure evaluator; the
integration tests run the same code against the lab DNS server.
"""

from __future__ import annotations

import pytest

from checks.dnsauth import macros, spf
from checks.dnsauth.spf import SpfResult
from checks.net.dns import DnsAnswer, DnsStatus

# RFC 7208 Appendix A.1, the example zone.
RFC_ZONE: dict[tuple[str, str], list[str]] = {
    ("example.com", "MX"): ["10 mail-a.example.com.", "20 mail-b.example.com."],
    ("example.com", "A"): ["192.0.2.10", "192.0.2.11"],
    ("amy.example.com", "A"): ["192.0.2.65"],
    ("bob.example.com", "A"): ["192.0.2.66"],
    ("mail-a.example.com", "A"): ["192.0.2.129"],
    ("mail-b.example.com", "A"): ["192.0.2.130"],
    ("www.example.com", "A"): ["192.0.2.10", "192.0.2.11"],
    ("example.org", "MX"): ["10 mail-c.example.org."],
    ("mail-c.example.org", "A"): ["192.0.2.140"],
    ("10.2.0.192.in-addr.arpa", "PTR"): ["example.com."],
    ("11.2.0.192.in-addr.arpa", "PTR"): ["example.com."],
    ("65.2.0.192.in-addr.arpa", "PTR"): ["amy.example.com."],
    ("66.2.0.192.in-addr.arpa", "PTR"): ["bob.example.com."],
    ("129.2.0.192.in-addr.arpa", "PTR"): ["mail-a.example.com."],
    ("130.2.0.192.in-addr.arpa", "PTR"): ["mail-b.example.com."],
    ("140.2.0.192.in-addr.arpa", "PTR"): ["mail-c.example.org."],
    ("4.3.2.10.in-addr.arpa", "PTR"): ["bob.example.com."],
}
EXISTING = {name for name, _ in RFC_ZONE}


def table_lookup(zone: dict[tuple[str, str], list[str]]) -> spf.Lookup:
    names = {name for name, _ in zone}

    async def lookup(name: str, rdtype: str) -> DnsAnswer:
        key = (name.rstrip(".").lower(), rdtype)
        records = tuple(zone.get(key, ()))
        if records:
            return DnsAnswer(key[0], rdtype, DnsStatus.OK, records)
        status = DnsStatus.NODATA if key[0] in names else DnsStatus.NXDOMAIN
        return DnsAnswer(key[0], rdtype, status)

    return lookup


def with_record(record: str, domain: str = "example.com") -> spf.Lookup:
    return table_lookup({**RFC_ZONE, (domain, "TXT"): [record]})


ALL_HOSTS = ["192.0.2.10", "192.0.2.11", "192.0.2.65", "192.0.2.66", "192.0.2.129",
             "192.0.2.130", "192.0.2.140", "192.0.2.200", "10.2.3.4"]  # fmt: skip

# RFC 7208 Appendix A.2: record -> the hosts that pass (all others: fail via -all).
A2_CASES = [
    ("v=spf1 +all", ALL_HOSTS),
    ("v=spf1 a -all", ["192.0.2.10", "192.0.2.11"]),
    ("v=spf1 a:example.org -all", []),
    ("v=spf1 mx -all", ["192.0.2.129", "192.0.2.130"]),
    ("v=spf1 mx:example.org -all", ["192.0.2.140"]),
    ("v=spf1 mx mx:example.org -all", ["192.0.2.129", "192.0.2.130", "192.0.2.140"]),
    ("v=spf1 mx/30 mx:example.org/30 -all", ["192.0.2.129", "192.0.2.130", "192.0.2.140"]),
    (
        "v=spf1 ptr -all",
        ["192.0.2.10", "192.0.2.11", "192.0.2.65", "192.0.2.66", "192.0.2.129", "192.0.2.130"],
    ),  # fmt: skip
    ("v=spf1 ip4:192.0.2.128/28 -all", ["192.0.2.129", "192.0.2.130", "192.0.2.140"]),
]


@pytest.mark.parametrize(("record", "passing"), A2_CASES)
async def test_rfc7208_appendix_a2(record: str, passing: list[str]) -> None:
    for host in ALL_HOSTS:
        out = await spf.check_host(with_record(record), "example.com", ip=host)
        expected = SpfResult.PASS if host in passing else SpfResult.FAIL
        assert out.result is expected, (record, host, out.reason)


async def test_mx_cidr_covers_neighbours() -> None:
    """A.2: 'mx/30' passes any host in 192.0.2.128/30, e.g. .131 which is no MX."""
    out = await spf.check_host(with_record("v=spf1 mx/30 -all"), "example.com", ip="192.0.2.131")
    assert out.result is SpfResult.PASS


MACRO_ENV = macros.MacroVars(
    sender="strong-bad@email.example.com",
    domain="email.example.com",
    ip=__import__("ipaddress").ip_address("192.0.2.3"),
)

# RFC 7208 section 7.4
MACRO_CASES = [
    ("%{s}", "strong-bad@email.example.com"),
    ("%{o}", "email.example.com"),
    ("%{d}", "email.example.com"),
    ("%{d4}", "email.example.com"),
    ("%{d3}", "email.example.com"),
    ("%{d2}", "example.com"),
    ("%{d1}", "com"),
    ("%{dr}", "com.example.email"),
    ("%{d2r}", "example.email"),
    ("%{l}", "strong-bad"),
    ("%{l-}", "strong.bad"),
    ("%{lr}", "strong-bad"),
    ("%{lr-}", "bad.strong"),
    ("%{l1r-}", "strong"),
    ("%{ir}.%{v}._spf.%{d2}", "3.2.0.192.in-addr._spf.example.com"),
    ("%{lr-}.lp._spf.%{d2}", "bad.strong.lp._spf.example.com"),
    ("%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "bad.strong.lp.3.2.0.192.in-addr._spf.example.com"),
    ("%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "3.2.0.192.in-addr.strong.lp._spf.example.com"),
    ("%{d2}.trusted-domains.example.net", "example.com.trusted-domains.example.net"),
]


@pytest.mark.parametrize(("macro", "expansion"), MACRO_CASES)
def test_rfc7208_macro_examples(macro: str, expansion: str) -> None:
    assert macros.expand(macro, MACRO_ENV) == expansion


def test_rfc7208_macro_ipv6_example() -> None:
    import ipaddress

    env = macros.MacroVars(
        MACRO_ENV.sender, MACRO_ENV.domain, ipaddress.ip_address("2001:db8::cb01")
    )
    assert macros.expand("%{ir}.%{v}._spf.%{d2}", env) == (
        "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.ip6._spf.example.com"
    )


# The RFC 7208 test suite's "upper-macro" case (7.3: uppercase letters are URL-escaped
# after expansion; RFC 3986's unreserved set ALPHA DIGIT - . _ ~ stays as it is).
UPPER_ENV = macros.MacroVars(sender="~jack&jill=up-a_b3.c@e8.example.com", domain="e8.example.com")


@pytest.mark.parametrize(
    ("macro", "expansion"),
    [
        ("http://example.com/why.html?l=%{L}", "http://example.com/why.html?l=~jack%26jill%3Dup-a_b3.c"),
        ("%{l}", "~jack&jill=up-a_b3.c"),
        ("%{S}", "~jack%26jill%3Dup-a_b3.c%40e8.example.com"),
        ("%{D2}", "example.com"),
    ],
)
def test_uppercase_macros_are_url_escaped(macro: str, expansion: str) -> None:
    assert macros.expand(macro, UPPER_ENV) == expansion


@pytest.mark.parametrize(
    "record",
    [
        "v=spf1 foo:example.com",  # unknown mechanism
        "v=spf1 redirect=a.example redirect=b.example",  # two redirects
        "v=spf1 ip4:300.1.1.1",
        "v=spf1 ip4:2001:db8::/32",
        "v=spf1 include",
        "v=spf1 a/33",
        "v=spf1 all:example.com",
        "v=spf1 exists:%{z}.example.com",
    ],
)
def test_syntax_errors(record: str) -> None:
    with pytest.raises((spf.SpfSyntaxError, macros.MacroError)):
        spf.parse(record)


def test_parse_terms_and_modifiers() -> None:
    rec = spf.parse(
        "v=spf1 -a:mail.example.com/24//64 ~mx ip6:2001:db8::/32 redirect=_spf.example.com"
    )
    assert [(t.qualifier, t.name, t.value, t.cidr4, t.cidr6) for t in rec.terms] == [
        ("-", "a", "mail.example.com", 24, 64),
        ("~", "mx", None, None, None),
        ("+", "ip6", "2001:db8::/32", None, None),
    ]
    assert rec.redirect == "_spf.example.com"
    assert (
        spf.parse("v=spf1 foo=bar ?all").terms[0].result is SpfResult.NEUTRAL
    )  # unknown modifier ignored


def test_select_one_record() -> None:
    """RFC 7208 4.5: records are 'v=spf1' then space or end; two are a permerror."""
    assert spf.select(["v=spf10 x", "other"]) == (None, spf.select([])[1])
    assert spf.select(["v=spf1 -all", "google-site-verification=x"])[0] == "v=spf1 -all"
    assert "2 SPF records" in (spf.select(["v=spf1 -all", "v=spf1 +all"])[1] or "")


async def test_two_records_is_permerror() -> None:
    zone = {**RFC_ZONE, ("example.com", "TXT"): ["v=spf1 -all", "v=spf1 a -all"]}
    out = await spf.check_host(table_lookup(zone), "example.com")
    assert out.result is SpfResult.PERMERROR


async def test_no_record_is_none() -> None:
    out = await spf.check_host(table_lookup(RFC_ZONE), "example.com", ip="192.0.2.10")
    assert out.result is SpfResult.NONE


def _chain_zone(depth: int) -> dict[tuple[str, str], list[str]]:
    zone = {(f"i{n}.example.net", "TXT"): [f"v=spf1 include:i{n + 1}.example.net -all"]
            for n in range(depth)}  # fmt: skip
    zone[(f"i{depth}.example.net", "TXT")] = ["v=spf1 ip4:192.0.2.1 -all"]
    return zone


async def test_lookup_limit_ten_is_fine_eleven_is_permerror() -> None:
    """RFC 7208 4.6.4: at most 10 terms that cause DNS queries."""
    ok = await spf.check_host(table_lookup(_chain_zone(10)), "i0.example.net", ip="192.0.2.1")
    assert ok.result is SpfResult.PASS and ok.lookups == 10
    over = await spf.check_host(table_lookup(_chain_zone(11)), "i0.example.net", ip="192.0.2.1")
    assert over.result is SpfResult.PERMERROR
    analysed = await spf.check_host(table_lookup(_chain_zone(11)), "i0.example.net")
    assert analysed.result is SpfResult.PERMERROR and analysed.lookups == 11


async def test_cases_jsonl_too_many_lookups() -> None:
    """cases.jsonl dns-spf-too-many-lookups: 11 DNS-querying terms (mx counts once)."""
    zone = {
        ("example.com", "TXT"): ["v=spf1 mx a include:_spf.mailhost.example.net "
                                 "include:spf.crm.example.org include:amazonses.com ~all"],
        ("example.com", "MX"): ["10 mail.example.com."],
        ("example.com", "A"): ["203.0.113.10"],
        ("mail.example.com", "A"): ["203.0.113.11"],
        ("_spf.mailhost.example.net", "TXT"): ["v=spf1 include:_nb1.mailhost.example.net "
            "include:_nb2.mailhost.example.net include:_nb3.mailhost.example.net ~all"],
        ("_nb1.mailhost.example.net", "TXT"): ["v=spf1 ip4:198.51.100.0/26 ~all"],
        ("_nb2.mailhost.example.net", "TXT"): ["v=spf1 ip4:198.51.100.64/26 ~all"],
        ("_nb3.mailhost.example.net", "TXT"): ["v=spf1 ip4:198.51.100.128/26 ~all"],
        ("spf.crm.example.org", "TXT"): ["v=spf1 include:a.spf.crm.example.org "
                                         "include:b.spf.crm.example.org -all"],
        ("a.spf.crm.example.org", "TXT"): ["v=spf1 ip4:192.0.2.0/25 -all"],
        ("b.spf.crm.example.org", "TXT"): ["v=spf1 include:c.spf.crm.example.org -all"],
        ("c.spf.crm.example.org", "TXT"): ["v=spf1 ip4:192.0.2.128/25 -all"],
        ("amazonses.com", "TXT"): ["v=spf1 ip4:199.255.192.0/22 -all"],
    }  # fmt: skip
    out = await spf.check_host(table_lookup(zone), "example.com")
    assert out.lookups == 11
    assert out.result is SpfResult.PERMERROR
    assert out.tree.total == 11
    assert "include:spf.crm.example.org  (1 lookup, 4 in total)" in out.tree_text()


async def test_include_loop_is_permerror_not_a_hang() -> None:
    zone = {
        ("a.example.net", "TXT"): ["v=spf1 include:b.example.net -all"],
        ("b.example.net", "TXT"): ["v=spf1 include:a.example.net -all"],
    }
    for ip in (None, "192.0.2.1"):
        out = await spf.check_host(table_lookup(zone), "a.example.net", ip=ip)
        assert out.result is SpfResult.PERMERROR
        assert "loop" in out.reason


async def test_void_lookup_limit() -> None:
    """RFC 7208 4.6.4: more than two void lookups is a permerror."""
    record = "v=spf1 a:n1.example.com a:n2.example.com a:n3.example.com -all"
    out = await spf.check_host(with_record(record), "example.com", ip="192.0.2.200")
    assert out.result is SpfResult.PERMERROR and "void" in out.reason
    two = "v=spf1 a:n1.example.com a:n2.example.com -all"
    assert (await spf.check_host(with_record(two), "example.com", ip="192.0.2.200")).result is (
        SpfResult.FAIL
    )


async def test_include_semantics() -> None:
    """RFC 7208 5.2: include matches only on pass; none inside is a permerror."""
    zone = {
        **RFC_ZONE,
        ("example.com", "TXT"): ["v=spf1 include:inc.example.org ~all"],
        ("inc.example.org", "TXT"): ["v=spf1 ip4:192.0.2.66 -all"],
    }
    lookup = table_lookup(zone)
    assert (await spf.check_host(lookup, "example.com", ip="192.0.2.66")).result is SpfResult.PASS
    assert (await spf.check_host(lookup, "example.com", ip="192.0.2.65")).result is (
        SpfResult.SOFTFAIL
    )
    missing = with_record("v=spf1 include:nothere.example.org -all")
    assert (await spf.check_host(missing, "example.com", ip="192.0.2.65")).result is (
        SpfResult.PERMERROR
    )


async def test_redirect() -> None:
    zone = {
        **RFC_ZONE,
        ("example.com", "TXT"): ["v=spf1 redirect=_spf.example.org"],
        ("_spf.example.org", "TXT"): ["v=spf1 ip4:192.0.2.65 -all"],
    }
    lookup = table_lookup(zone)
    assert (await spf.check_host(lookup, "example.com", ip="192.0.2.65")).result is SpfResult.PASS
    assert (await spf.check_host(lookup, "example.com", ip="192.0.2.66")).result is SpfResult.FAIL


async def test_temperror_on_servfail() -> None:
    async def broken(name: str, rdtype: str) -> DnsAnswer:
        return DnsAnswer(name, rdtype, DnsStatus.SERVFAIL)

    out = await spf.check_host(broken, "example.com", ip="192.0.2.1")
    assert out.result is SpfResult.TEMPERROR


async def test_exists_with_macro() -> None:
    zone = {**RFC_ZONE, ("1.2.0.192.in-addr._spf.example.com", "A"): ["127.0.0.2"]}
    zone[("example.com", "TXT")] = ["v=spf1 exists:%{ir}.%{v}._spf.%{d} -all"]
    lookup = table_lookup(zone)
    assert (await spf.check_host(lookup, "example.com", ip="192.0.2.1")).result is SpfResult.PASS
    analysed = await spf.check_host(lookup, "example.com")
    assert analysed.lookups == 1 and "client IP" in analysed.tree_text()
