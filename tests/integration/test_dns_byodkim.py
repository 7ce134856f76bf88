"""BYODKIM (SES SigningAttributesOrigin EXTERNAL): the one SES token is the selector, and
dns.dkim.cnames checks the TXT key at <selector>._domainkey.<domain> (RFC 6376 3.6.2.2: key
type and size), never an Easy DKIM CNAME."""

from __future__ import annotations

import dataclasses
from typing import Any

from checks.context import Context
from checks.lab import load_scenario
from checks.lab.faults import timed_results
from checks.model import Status

NAME = "dns-byodkim-key"


def _ctx(lab: Any) -> Context:
    return Context(endpoints=dataclasses.replace(lab.endpoints, timeout=3.0), inputs=lab.inputs)


async def test_byodkim_key_is_read_as_txt(lab_factory: Any) -> None:
    results, _ = await timed_results(_ctx(lab_factory(NAME)))
    assert results["ses.identity.dkim"].outcome.facts["origin"] == "EXTERNAL"
    cnames = results["dns.dkim.cnames"]
    assert cnames.status is Status.PASS, cnames.summary
    assert "mp2026._domainkey.sender.example" in cnames.summary
    assert "rsa 2048-bit" in cnames.summary and "CNAME" not in cnames.summary
    assert results["dns.dmarc.alignment"].status is Status.PASS
    assert results["dns.propagation"].status is Status.PASS


async def test_byodkim_without_its_key_fails_and_dmarc_needs_spf(lab_factory: Any) -> None:
    base = load_scenario(NAME)
    zone = "\n".join(line for line in base.zones["sender.example"].splitlines()
                     if not line.startswith("mp2026._domainkey"))
    scenario = dataclasses.replace(base, zones={**base.zones, "sender.example": zone})
    results, _ = await timed_results(_ctx(lab_factory(scenario)))
    cnames = results["dns.dkim.cnames"]
    assert cnames.status is Status.FAIL, cnames.summary
    assert "no DKIM key record" in cnames.summary
    assert cnames.outcome.fix is not None and "TXT" in " ".join(cnames.outcome.fix.steps)
    # DKIM d=sender.example is gone; the custom MAIL FROM's passing SPF still aligns.
    assert results["dns.dmarc.alignment"].status is Status.PASS
    assert results["dns.dmarc.alignment"].outcome.facts["dkim_aligned"] is False
