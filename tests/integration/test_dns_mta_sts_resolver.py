"""The MTA-STS policy host is resolved through the configured nameserver (--nameserver), never
the system resolver, when no HTTPS route maps it (the lab's routes are taken away here)."""

from __future__ import annotations

import dataclasses
from typing import Any

from checks.context import Context
from checks.lab import load_scenario
from checks.lab.faults import timed_results
from checks.model import Status

STS_A = "mta-sts     A     192.0.2.80"


def _lab_ctx(lab_factory: Any, new_line: str) -> Context:
    base = load_scenario("healthy")
    zone = base.zones["recipient.example"]
    assert STS_A in zone
    zones = {**base.zones, "recipient.example": zone.replace(STS_A, new_line)}
    lab = lab_factory(dataclasses.replace(base, zones=zones))
    endpoints = dataclasses.replace(lab.endpoints, timeout=3.0, https_routes={})
    assert endpoints.nameservers  # the lab's DNS server, as --nameserver gives it
    return Context(endpoints=endpoints, inputs=lab.inputs)


def _all_text(result: Any) -> str:
    evidence = " ".join(e.content for e in result.outcome.evidence)
    return f"{result.summary}\n{result.outcome.explanation}\n{evidence}"


async def test_policy_host_address_comes_from_the_nameserver(lab_factory: Any) -> None:
    # recipient.example exists only in the lab: the system resolver could not find it.
    ctx = _lab_ctx(lab_factory, "mta-sts     A     127.0.0.1")
    results, _ = await timed_results(ctx)
    sts = results["dns.mta_sts.policy"]
    text = _all_text(sts)
    assert "mta-sts.recipient.example. A @127.0.0.1:" in text, text  # asked the lab nameserver
    assert "via 127.0.0.1" in text, text  # and connected to the address it gave
    assert "does not resolve" not in text, text


async def test_policy_host_without_address_is_named(lab_factory: Any) -> None:
    ctx = _lab_ctx(lab_factory, "")
    results, _ = await timed_results(ctx)
    sts = results["dns.mta_sts.policy"]
    # RFC 8461 5: a policy that cannot be fetched is as if there were none: a warning
    assert sts.status is Status.WARN, _all_text(sts)
    assert "mta-sts.recipient.example has no address" in sts.summary
    assert "NXDOMAIN" in sts.summary
