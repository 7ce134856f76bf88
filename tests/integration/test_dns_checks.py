"""DNS-layer checks against real lab DNS servers, without the SES layer (no AWS access):
authoritative vs resolver mismatch, broken DNS (SERVFAIL, timeout, garbage, >512 bytes)."""

from __future__ import annotations

from collections.abc import Mapping

from checks.context import Context, Inputs
from checks.endpoints import Endpoints
from checks.lab.dns_server import LabDnsServer
from checks.model import Layer
from checks.registry import load_all_checks
from checks.runner import collect

ZONE = """\
@      SOA ns1.sender.example. hostmaster.sender.example. 1 3600 600 1209600 300
@      NS  ns1.sender.example.
ns1    A   192.0.2.53
@      TXT "v=spf1 include:amazonses.com ~all"
_dmarc TXT "v=DMARC1; p=quarantine; rua=mailto:dmarc@sender.example"
@      MX  10 mx.sender.example.
mx     A   192.0.2.25
big    TXT {big}
"""
SES = '@ TXT "v=spf1 ip4:54.240.0.0/18 -all"\n'
BIG = " ".join(f'"{"y" * 200}"' for _ in range(4))


def zones(spf: str = "include:amazonses.com ~all") -> dict[str, str]:
    text = ZONE.replace("include:amazonses.com ~all", spf).format(big=BIG)
    return {"sender.example.": text, "amazonses.com.": SES}


#: check timeout for tests that wait out a dead server: DNS lookups get a share of it
SHORT = 2.0


async def run(
    servers: Mapping[str, LabDnsServer], ids: set[str], timeout: float = 10
) -> dict[str, object]:
    resolver, auth = servers["resolver"], servers.get("auth", servers["resolver"])
    endpoints = Endpoints(
        nameservers=((resolver.host, resolver.port),),
        dns_routes={"*": (auth.host, auth.port)},
        timeout=timeout,
    )
    ctx = Context(
        endpoints=endpoints,
        inputs=Inputs(sender="admin@sender.example", recipients=("x@sender.example",)),
    )
    checks = [c for c in load_all_checks().in_layers([Layer.DNS]) if c.id in ids]
    return {r.check_id: r for r in await collect(checks, ctx)}


async def test_dns_layer_runs_without_ses() -> None:
    async with LabDnsServer(zones()) as srv:
        got = await run(
            {"resolver": srv},
            {
                "dns.spf.record",
                "dns.spf.authorises_ses",
                "dns.dkim.cnames",
                "dns.dmarc.record",
                "dns.dmarc.alignment",
                "dns.mail_from.mx",
            },
        )
    status = {k: r.status.value for k, r in got.items()}  # type: ignore[attr-defined]
    assert status == {
        "dns.spf.record": "pass",
        "dns.spf.authorises_ses": "pass",
        "dns.dkim.cnames": "skip",
        "dns.dmarc.record": "pass",
        "dns.dmarc.alignment": "skip",
        "dns.mail_from.mx": "skip",
    }
    assert "MAIL FROM domain is unknown" in got["dns.spf.record"].outcome.explanation  # type: ignore[attr-defined]


async def test_authoritative_vs_resolver_mismatch() -> None:
    """The resolver still serves the old SPF; the zone's own server has the new one."""
    async with LabDnsServer(zones("-all")) as stale, LabDnsServer(zones()) as auth:
        got = await run({"resolver": stale, "auth": auth}, {"dns.propagation"})
    result = got["dns.propagation"]
    assert result.status.value == "warn", result.summary  # type: ignore[attr-defined]
    assert "TXT sender.example" in result.summary  # type: ignore[attr-defined]


async def test_same_data_agrees() -> None:
    async with LabDnsServer(zones()) as srv:
        got = await run({"resolver": srv}, {"dns.propagation"})
    assert got["dns.propagation"].status.value == "pass"  # type: ignore[attr-defined]


async def test_broken_dns_gives_error_not_crash() -> None:
    faults = {"sender.example.": "servfail", "_dmarc.sender.example.": "garbage"}
    async with LabDnsServer(zones(), faults=faults) as srv:
        got = await run({"resolver": srv}, {"dns.spf.record", "dns.dmarc.record"}, SHORT)
    for result in got.values():
        assert result.status.value == "error", result.summary  # type: ignore[attr-defined]
        assert "internal error" not in result.summary  # type: ignore[attr-defined]


async def test_timeout_is_an_error_within_the_check_budget() -> None:
    async with LabDnsServer(zones(), faults={"_dmarc.sender.example.": "timeout"}) as srv:
        got = await run({"resolver": srv}, {"dns.dmarc.record"}, SHORT)
    result = got["dns.dmarc.record"]
    assert result.status.value == "error"  # type: ignore[attr-defined]
    assert f"{srv.host}:{srv.port} did not answer (timeout)" in result.summary  # type: ignore[attr-defined]


async def test_silent_server_is_named_by_the_check_not_the_runner() -> None:
    """A UDP socket that reads queries and never answers (a real socket, not a mock)."""
    import socket

    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    port = silent.getsockname()[1]
    try:
        endpoints = Endpoints(nameservers=(("127.0.0.1", port),), timeout=SHORT)
        ctx = Context(endpoints=endpoints, inputs=Inputs(sender="admin@sender.example"))
        checks = [c for c in load_all_checks().in_layers([Layer.DNS])
                  if c.id in {"dns.spf.record", "dns.dmarc.record"}]
        got = {r.check_id: r for r in await collect(checks, ctx)}
    finally:
        silent.close()
    for result in got.values():
        assert result.status.value == "error"
        assert f"127.0.0.1:{port} did not answer (timeout)" in result.summary, result.summary
        assert "no answer within" not in result.summary


async def test_large_txt_over_tcp() -> None:
    from checks.net.dns import lookup

    async with LabDnsServer(zones()) as srv:
        ctx = Context(endpoints=Endpoints(nameservers=((srv.host, srv.port),)))
        answer = await lookup(ctx, "big.sender.example", "TXT")
        again = await lookup(ctx, "BIG.sender.example.", "TXT")
    assert answer.ok and len(answer.records[0]) == 800
    assert again is answer  # one lookup per run, shared


def two_ns(spf: str = "include:amazonses.com ~all") -> dict[str, str]:
    """The zone with a second nameserver, ns2 at 192.0.2.54."""
    found = zones(spf)
    found["sender.example."] += "@ NS ns2.sender.example.\nns2 A 192.0.2.54\n"
    return found


async def test_every_authoritative_server_is_compared() -> None:
    """ns1 and the resolver have the new SPF; ns2 was never updated: the first server that
    answers agrees, so only asking all of them finds ns2."""
    async with LabDnsServer(two_ns()) as fresh, LabDnsServer(two_ns("-all")) as stale:
        endpoints = Endpoints(
            nameservers=((fresh.host, fresh.port),),
            dns_routes={"192.0.2.53": (fresh.host, fresh.port),
                        "192.0.2.54": (stale.host, stale.port)},
        )
        ctx = Context(endpoints=endpoints, inputs=Inputs(sender="admin@sender.example"))
        checks = [c for c in load_all_checks().in_layers([Layer.DNS]) if c.id == "dns.propagation"]
        (result,) = await collect(checks, ctx)
    assert result.status.value == "warn", result.summary
    assert "ns2.sender.example (192.0.2.54) serves" in result.summary
    assert "ns1.sender.example (192.0.2.53) agree(s)" in result.summary


async def test_silent_authoritative_server_is_named() -> None:
    """ns2's address routes to a closed loopback socket: ns1 answers, ns2 never does."""
    import socket

    silent = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    silent.bind(("127.0.0.1", 0))
    try:
        async with LabDnsServer(two_ns()) as srv:
            endpoints = Endpoints(
                nameservers=((srv.host, srv.port),),
                dns_routes={"192.0.2.53": (srv.host, srv.port),
                            "192.0.2.54": silent.getsockname()},
                timeout=SHORT,
            )
            ctx = Context(endpoints=endpoints, inputs=Inputs(sender="admin@sender.example"))
            checks = [c for c in load_all_checks().in_layers([Layer.DNS])
                      if c.id == "dns.propagation"]
            (result,) = await collect(checks, ctx)
    finally:
        silent.close()
    assert result.status.value == "warn", result.summary
    assert "1 of 2 nameservers" in result.summary
    assert "ns2.sender.example (192.0.2.54) did not answer" in result.outcome.explanation
