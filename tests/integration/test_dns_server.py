"""The lab DNS server, exercised with dnspython's real async resolver and queries."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import dns.asyncquery
import dns.asyncresolver
import dns.exception
import dns.flags
import dns.message
import dns.nameserver
import dns.rcode
import dns.resolver
import pytest

from checks.lab.dns_server import LabDnsServer

ZONE = """\
$TTL 300
@        IN SOA ns1.example.com. hostmaster.example.com. 1 7200 900 1209600 300
@        IN NS  ns1.example.com.
@        IN MX  10 mx.example.com.
@        IN TXT "v=spf1 include:amazonses.com -all"
mx       IN A   192.0.2.25
www      IN CNAME mx
far      IN CNAME mx.example.org.
out      IN CNAME elsewhere.invalid.
loop1    IN CNAME loop2
loop2    IN CNAME loop1
a.b.deep IN TXT "deep"
*.wild   IN TXT "wildcard"
big      IN TXT {big}
slow     IN TXT "slow"
bad      IN TXT "bad"
"""
BIG = " ".join(f'"{"x" * 200}{i}"' for i in range(6))
ORG = """\
@  IN SOA ns1.example.org. hostmaster.example.org. 1 7200 900 1209600 300
mx IN A 198.51.100.7
"""


def _zones() -> dict[str, str]:
    return {"example.com.": ZONE.format(big=BIG), "example.org.": ORG}


@pytest.fixture
async def server() -> AsyncIterator[LabDnsServer]:
    faults = {
        "servfail.example.com.": "servfail",
        "refused.example.com.": "refused",
        "slow.example.com.": "timeout",
        "bad.example.com.": "garbage",
        "big.example.com.": "truncate_no_tcp",
        "BIGTC.example.com.": "truncate_no_tcp",
    }
    async with LabDnsServer(_zones(), faults=faults) as srv:
        yield srv


def _resolver(srv: LabDnsServer, lifetime: float = 2.0) -> dns.asyncresolver.Resolver:
    res = dns.asyncresolver.Resolver(configure=False)
    res.nameservers = [dns.nameserver.Do53Nameserver(srv.host, port=srv.port)]
    res.cache = None
    res.lifetime = lifetime
    res.timeout = lifetime
    return res


async def _udp(srv: LabDnsServer, name: str, rdtype: str, **kw: object) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype, **kw)  # type: ignore[arg-type]
    return await dns.asyncquery.udp(query, srv.host, port=srv.port, timeout=2.0)


async def _tcp(srv: LabDnsServer, name: str, rdtype: str) -> dns.message.Message:
    query = dns.message.make_query(name, rdtype)
    return await dns.asyncquery.tcp(query, srv.host, port=srv.port, timeout=2.0)


async def test_start_returns_one_port_for_udp_and_tcp(server: LabDnsServer) -> None:
    assert server.host == "127.0.0.1" and server.port > 0
    by_udp = await _udp(server, "example.com.", "MX")
    by_tcp = await _tcp(server, "example.com.", "MX")
    assert by_udp.answer == by_tcp.answer
    assert str(by_udp.answer[0][0]) == "10 mx.example.com."


async def test_authoritative_answer_via_resolver(server: LabDnsServer) -> None:
    answer = await _resolver(server).resolve("example.com.", "TXT")
    assert answer.response.flags & dns.flags.AA
    assert [r.to_text() for r in answer] == ['"v=spf1 include:amazonses.com -all"']


async def test_nxdomain_versus_nodata(server: LabDnsServer) -> None:
    res = _resolver(server)
    with pytest.raises(dns.resolver.NXDOMAIN):
        await res.resolve("nothere.example.com.", "A")
    with pytest.raises(dns.resolver.NoAnswer):
        await res.resolve("mx.example.com.", "TXT")
    nodata = await _udp(server, "mx.example.com.", "TXT")
    assert nodata.rcode() == dns.rcode.NOERROR and not nodata.answer
    assert nodata.authority[0].rdtype == dns.rdatatype.SOA


async def test_empty_non_terminal_is_nodata(server: LabDnsServer) -> None:
    reply = await _udp(server, "b.deep.example.com.", "TXT")
    assert reply.rcode() == dns.rcode.NOERROR and not reply.answer


async def test_wildcard(server: LabDnsServer) -> None:
    answer = await _resolver(server).resolve("anything.wild.example.com.", "TXT")
    assert answer[0].to_text() == '"wildcard"'
    assert answer.rrset is not None and answer.rrset.name.to_text() == "anything.wild.example.com."


async def test_cname_chased_within_and_across_served_zones(server: LabDnsServer) -> None:
    res = _resolver(server)
    inside = await res.resolve("www.example.com.", "A")
    assert inside[0].address == "192.0.2.25"
    assert inside.canonical_name.to_text() == "mx.example.com."
    across = await res.resolve("far.example.com.", "A")
    assert across[0].address == "198.51.100.7"


async def test_cname_out_of_zones_and_loops_stop(server: LabDnsServer) -> None:
    out = await _udp(server, "out.example.com.", "A")
    assert [rr.rdtype for rr in out.answer] == [dns.rdatatype.CNAME]
    loop = await _udp(server, "loop1.example.com.", "A")
    assert len(loop.answer) == 2 and loop.rcode() == dns.rcode.NOERROR


async def test_names_outside_all_zones_are_refused(server: LabDnsServer) -> None:
    reply = await _udp(server, "example.net.", "A")
    assert reply.rcode() == dns.rcode.REFUSED
    assert not reply.flags & dns.flags.AA


async def test_large_udp_answer_truncates_and_resolver_retries_tcp() -> None:
    async with LabDnsServer(_zones()) as srv:
        plain = await _udp(srv, "big.example.com.", "TXT")
        assert plain.flags & dns.flags.TC and not plain.answer
        small_edns = await _udp(srv, "big.example.com.", "TXT", use_edns=0, payload=512)
        assert small_edns.flags & dns.flags.TC
        large_edns = await _udp(srv, "big.example.com.", "TXT", use_edns=0, payload=4096)
        assert not large_edns.flags & dns.flags.TC and large_edns.answer
        answer = await _resolver(srv).resolve("big.example.com.", "TXT")
        assert len(b"".join(answer[0].strings)) > 512


@pytest.mark.parametrize(
    ("name", "rcode"),
    [("servfail.example.com.", dns.rcode.SERVFAIL), ("refused.example.com.", dns.rcode.REFUSED)],
)
async def test_rcode_faults(server: LabDnsServer, name: str, rcode: dns.rcode.Rcode) -> None:
    assert (await _udp(server, name, "TXT")).rcode() == rcode
    with pytest.raises(dns.resolver.NoNameservers):
        await _resolver(server).resolve(name, "TXT")


async def test_timeout_fault_udp_and_tcp(server: LabDnsServer) -> None:
    query = dns.message.make_query("slow.example.com.", "TXT")
    with pytest.raises(dns.exception.Timeout):
        await dns.asyncquery.udp(query, server.host, port=server.port, timeout=0.2)
    with pytest.raises(dns.exception.Timeout):
        await dns.asyncquery.tcp(query, server.host, port=server.port, timeout=0.2)
    with pytest.raises(dns.resolver.LifetimeTimeout):
        await _resolver(server, lifetime=0.3).resolve("slow.example.com.", "TXT")


async def test_garbage_fault(server: LabDnsServer) -> None:
    query = dns.message.make_query("bad.example.com.", "TXT")
    with pytest.raises(dns.exception.FormError):
        await dns.asyncquery.udp(query, server.host, port=server.port, timeout=1.0)
    with pytest.raises((dns.resolver.NoNameservers, dns.resolver.LifetimeTimeout)):
        await _resolver(server, lifetime=0.5).resolve("bad.example.com.", "TXT")


async def test_truncate_no_tcp_fault(server: LabDnsServer) -> None:
    reply = await _udp(server, "bigtc.example.com.", "TXT")
    assert reply.flags & dns.flags.TC
    with pytest.raises((EOFError, ConnectionError)):
        await _tcp(server, "bigtc.example.com.", "TXT")
    with pytest.raises((dns.resolver.NoNameservers, dns.resolver.LifetimeTimeout)):
        await _resolver(server, lifetime=0.5).resolve("big.example.com.", "TXT")


async def test_global_delay_applies_per_query() -> None:
    async with LabDnsServer(_zones(), delay=0.05) as srv:
        loop = asyncio.get_running_loop()
        start = loop.time()
        await _udp(srv, "example.com.", "MX")
        assert loop.time() - start >= 0.05  # a lower bound only: no upper timing bound


async def test_stop_closes_port() -> None:
    srv = LabDnsServer(_zones())
    host, port = await srv.start()
    await srv.stop()
    query = dns.message.make_query("example.com.", "MX")
    with pytest.raises((ConnectionError, OSError)):
        await dns.asyncquery.tcp(query, host, port=port, timeout=0.5)


def test_bad_inputs_give_clear_errors() -> None:
    with pytest.raises(ValueError, match="cannot parse zone text"):
        LabDnsServer({"example.com.": "@ IN BOGUS x"})
    with pytest.raises(ValueError, match="unknown DNS fault"):
        LabDnsServer(_zones(), faults={"x.example.com.": "explode"})


async def test_formerr_and_ignored_responses(server: LabDnsServer) -> None:
    header = b"\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
    assert server.answer(header + b"\xff", tcp=False)[3] & 0x0F == dns.rcode.FORMERR  # type: ignore[index]
    response = dns.message.make_response(dns.message.make_query("example.com.", "A"))
    assert server.answer(response.to_wire(), tcp=False) is None
    assert server.answer(b"\x01", tcp=False) is None
