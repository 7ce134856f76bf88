"""Sender and recipient names as users type them: a From with a trailing dot is the same
domain; a From on a subdomain is covered by the verified parent domain identity (SES: "when you
verify a domain identity, you can send email from any subdomain … of the verified domain"); a
recipient address literal (RFC 5321 4.1.3) has no domain records to look up."""

from __future__ import annotations

import dataclasses
from typing import Any

from checks.context import Context
from checks.lab.faults import timed_results
from checks.model import Status


def _ctx(lab: Any, **inputs: Any) -> Context:
    endpoints = dataclasses.replace(lab.endpoints, timeout=10.0)  # not a timing test
    return Context(endpoints=endpoints, inputs=dataclasses.replace(lab.inputs, **inputs))


async def test_trailing_dot_is_the_same_domain(healthy_lab: Any) -> None:
    results, _ = await timed_results(_ctx(healthy_lab, sender="admin@sender.example."))
    ident = results["ses.identity.domain"]
    assert ident.status is Status.PASS, ident.summary
    assert ident.outcome.facts["identity"] == "sender.example"
    assert results["dns.dmarc.alignment"].status is Status.PASS


async def test_subdomain_is_covered_by_the_parent_identity(healthy_lab: Any) -> None:
    results, _ = await timed_results(_ctx(healthy_lab, sender="news@mail2.sender.example"))
    ident = results["ses.identity.domain"]
    assert ident.status is Status.PASS, ident.summary
    assert ident.outcome.facts["identity"] == "sender.example"
    assert results["ses.identity.dkim"].status is Status.PASS
    # relaxed alignment: d=sender.example aligns with mail2.sender.example (RFC 7489 3.1.1)
    assert results["dns.dmarc.alignment"].status is Status.PASS


async def test_address_literal_recipient_skips_domain_records(healthy_lab: Any) -> None:
    results, _ = await timed_results(_ctx(healthy_lab, recipients=("b@[192.0.2.1]",)))
    for cid in ("dns.mta_sts.policy", "dns.tls_rpt.record"):
        res = results[cid]
        assert res.status is Status.SKIP, res.summary
        assert "address literal" in res.summary and "[192.0.2.1]" in res.summary
        assert "_mta-sts.[" not in res.outcome.explanation
