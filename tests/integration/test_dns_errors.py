"""checks.net.dns names each failure against a real lab DNS server: a CNAME loop, and a name
that cannot be asked at all (RFC 1035 2.3.4: labels of at most 63 octets)."""

from __future__ import annotations

from checks.context import Context
from checks.endpoints import Endpoints
from checks.lab.dns_server import LabDnsServer
from checks.net.dns import DnsStatus, lookup

ZONES = {
    "sender.example.": "@ SOA ns1.sender.example. h.sender.example. 1 3600 600 1209600 300\n"
    "@ NS ns1\nns1 A 192.0.2.53\nloop1 CNAME loop2\nloop2 CNAME loop1\n",
}


async def test_cname_loop_is_named() -> None:
    async with LabDnsServer(ZONES) as srv:
        ctx = Context(endpoints=Endpoints(nameservers=((srv.host, srv.port),)))
        answer = await lookup(ctx, "loop1.sender.example", "TXT")
    assert answer.status is DnsStatus.CNAME_LOOP, answer
    assert "CNAME chain of loop1.sender.example" in answer.plain()


async def test_label_over_63_is_not_sent() -> None:
    async with LabDnsServer(ZONES) as srv:
        ctx = Context(endpoints=Endpoints(nameservers=((srv.host, srv.port),)))
        answer = await lookup(ctx, "x" * 64 + ".sender.example", "TXT")
    assert answer.status is DnsStatus.BAD_NAME
    assert "64 characters" in answer.plain() and "63" in answer.plain()
