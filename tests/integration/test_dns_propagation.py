"""dns.propagation against real lab DNS servers: an authoritative CNAME to another zone (a
DMARC vendor) agrees with a resolver that followed it; a nameserver that answers REFUSED is a
lame delegation, named as such, not "records differ"."""

from __future__ import annotations

import dataclasses
from typing import Any

from checks.context import Context
from checks.lab import load_scenario
from checks.lab.dns_server import LabDnsServer
from checks.lab.faults import timed_results
from checks.model import Status

DMARC = '_dmarc      TXT   "v=DMARC1; p=quarantine; rua=mailto:dmarc@sender.example"'
VENDOR = """$ORIGIN vendor.example.
$TTL 300
@      SOA   ns1.vendor.example. hostmaster.vendor.example. 1 3600 600 1209600 300
@      NS    ns1.vendor.example.
ns1    A     192.0.2.60
sender-example._dmarc  TXT  "v=DMARC1; p=reject; rua=mailto:reports@vendor.example"
sender.example._report._dmarc  TXT  "v=DMARC1"
"""


def _ctx(lab: Any, **changes: Any) -> Context:
    endpoints = dataclasses.replace(lab.endpoints, timeout=3.0, **changes)
    return Context(endpoints=endpoints, inputs=lab.inputs)


async def test_authoritative_cname_to_a_vendor_agrees(lab_factory: Any) -> None:
    base = load_scenario("healthy")
    zone = base.zones["sender.example"].replace(
        DMARC, "_dmarc CNAME sender-example._dmarc.vendor.example.")
    assert zone != base.zones["sender.example"]
    # The zone's own nameserver serves sender.example only (the CNAME, not the target);
    # the resolver also knows vendor.example, so it follows the alias to the TXT.
    zones = {**base.zones, "sender.example": zone}
    scenario = dataclasses.replace(base, zones=zones, resolver_zones={"vendor.example": VENDOR})
    results, _ = await timed_results(_ctx(lab_factory(scenario)))
    assert results["dns.dmarc.record"].status is not Status.ERROR
    assert "p=reject" in results["dns.dmarc.record"].summary
    prop = results["dns.propagation"]
    assert prop.status is Status.PASS, f"{prop.summary}\n{prop.outcome.explanation}"


async def test_refused_nameserver_is_a_lame_delegation(lab_factory: Any) -> None:
    """A second NS that serves other zones only: it answers REFUSED for sender.example."""
    other = LabDnsServer({"vendor.example": VENDOR})
    host, port = await other.start()
    try:
        base = load_scenario("healthy")
        zone = base.zones["sender.example"].replace(
            "ns1         A     192.0.2.53",
            "ns1         A     192.0.2.53\n@           NS    ns2.sender.example.\n"
            "ns2         A     192.0.2.99")
        assert zone != base.zones["sender.example"]
        lab = lab_factory(dataclasses.replace(base, zones={**base.zones, "sender.example": zone}))
        routes = {**lab.endpoints.dns_routes, "192.0.2.99": (str(host), int(port))}
        results, _ = await timed_results(_ctx(lab, dns_routes=routes))
    finally:
        await other.stop()
    prop = results["dns.propagation"]
    assert prop.status is Status.WARN, f"{prop.summary}\n{prop.outcome.explanation}"
    assert prop.summary.startswith("lame delegation: NS ns2.sender.example (192.0.2.99)")
    assert "REFUSED" in prop.summary and "differ" not in prop.summary
