"""DMARC policy discovery against the lab DNS server (RFC 7489 6.6.3): the organisational
domain's record applies when the From domain has no TXT *or only TXT that is not DMARC*; two
v=DMARC1 records mean no policy applies (named as such, a fault)."""

from __future__ import annotations

import dataclasses
from typing import Any

from checks.context import Context
from checks.lab import load_scenario
from checks.lab.faults import timed_results
from checks.model import Status

DMARC = '_dmarc      TXT   "v=DMARC1; p=quarantine; rua=mailto:dmarc@sender.example"'


def _lab(lab_factory: Any, extra: str, sender: str = "admin@sender.example") -> Context:
    base = load_scenario("healthy")
    zones = dict(base.zones)
    assert DMARC in zones["sender.example"]
    zones["sender.example"] = zones["sender.example"].replace(DMARC, extra)
    lab = lab_factory(dataclasses.replace(base, zones=zones))
    endpoints = dataclasses.replace(lab.endpoints, timeout=3.0)
    return Context(endpoints=endpoints, inputs=dataclasses.replace(lab.inputs, sender=sender))


async def test_junk_txt_at_subdomain_falls_back_to_org(lab_factory: Any) -> None:
    extra = (DMARC.replace("p=quarantine", "p=reject; sp=quarantine")
             + '\n_dmarc.sub    TXT   "google-site-verification=abc"\nsub A 192.0.2.9')
    results, _ = await timed_results(_lab(lab_factory, extra, "admin@sub.sender.example"))
    record = results["dns.dmarc.record"]
    assert record.status is Status.PASS, record.summary
    assert "organisational domain sender.example" in record.summary
    assert "sp=quarantine applies" in record.summary


async def test_two_dmarc_records_mean_no_policy(lab_factory: Any) -> None:
    extra = '_dmarc TXT "v=DMARC1; p=quarantine"\n_dmarc TXT "v=DMARC1; p=reject"'
    results, _ = await timed_results(_lab(lab_factory, extra))
    record = results["dns.dmarc.record"]
    assert record.status is Status.FAIL, record.summary
    assert record.summary.startswith("2 DMARC records") and "no DMARC policy" in record.summary
    assert "No DMARC record" not in record.summary
