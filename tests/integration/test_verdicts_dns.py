"""Tester's F1: an unusable DNS answer (timeout, SERVFAIL, REFUSED, garbage) is never a fault
in the user's or the recipient's records. Real lab DNS servers (the seed scenario with
per-name faults, a resolver on a closed port); every check of the DNS and recipient layers
must end as error ("could not check", naming the server) or as what a definite answer
proves, and a check that needs a fact another check could not establish never passes."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from checks.bounce.model import BounceReport, RecipientResult
from checks.context import Context, Inputs
from checks.endpoints import Endpoints
from checks.lab import load_scenario
from checks.lab.dns_server import LabDnsServer
from checks.lab.faults import timed_results
from checks.model import Layer, Status
from checks.registry import load_all_checks
from checks.runner import collect

TIMEOUT = 2.0
DEAD = ("127.0.0.1", 1)  # nothing listens: every query times out or is refused
LAYERS = (Layer.DNS, Layer.RECIPIENT_MTA)
FINDINGS = (Status.FAIL, Status.WARN)
TOKEN = "0ed8379b6bbe6af575776327bbaf9c8b._domainkey.sender.example."


def _ctx(lab: Any, **changes: Any) -> Context:
    endpoints = dataclasses.replace(lab.endpoints, timeout=TIMEOUT, **changes)
    return Context(endpoints=endpoints, inputs=lab.inputs)


def _text(result: Any) -> str:
    return f"{result.status.value}: {result.summary} / {result.outcome.explanation}"


def _findings(results: dict[str, Any]) -> dict[str, str]:
    return {
        cid: _text(r) for cid, r in results.items()
        if r.layer in LAYERS and r.status in FINDINGS
    }


async def test_dead_resolver_blames_no_record(seed_lab: Any) -> None:
    results, _ = await timed_results(_ctx(seed_lab, nameservers=(DEAD,)))
    assert _findings(results) == {}
    cnames = results["dns.dkim.cnames"]
    assert cnames.status is Status.ERROR, _text(cnames)
    assert "127.0.0.1:1" in cnames.summary and "timeout" in cnames.summary
    assert cnames.outcome.fix is None
    assert results["dns.dmarc.alignment"].status is Status.ERROR, _text(
        results["dns.dmarc.alignment"])
    assert "DMARC record" in results["dns.dmarc.alignment"].summary
    for cid in ("dns.dmarc.record", "dns.propagation", "recipient.mx.provider"):
        assert "127.0.0.1:1" in results[cid].summary, _text(results[cid])


#: name answered with the fault -> checks that must end as error (the others must not blame)
FAULTED = {
    TOKEN: ("dns.dkim.cnames",),
    "_dmarc.sender.example.": ("dns.dmarc.record", "dns.dmarc.alignment", "dns.propagation"),
    "mail.sender.example.": ("dns.mail_from.mx", "dns.spf.record"),
    "recipient.example.": ("dns.mta_sts.policy", "recipient.mx.provider"),
    "recipient-example.mail.protection.outlook.com.": ("recipient.mx.provider",),
}


@pytest.mark.parametrize("kind", ["servfail", "refused", "garbage"])
@pytest.mark.parametrize("name", list(FAULTED))
async def test_unusable_answer_is_could_not_check(name: str, kind: str, lab_factory: Any) -> None:
    scenario = dataclasses.replace(load_scenario("seed"), dns_faults={name: kind})
    results, _ = await timed_results(_ctx(lab_factory(scenario)))
    assert _findings(results) == {}
    for cid in FAULTED[name]:
        assert results[cid].status is Status.ERROR, _text(results[cid])
        assert "127.0.0.1:" in results[cid].summary + results[cid].outcome.explanation or (
            cid == "dns.dmarc.alignment"), _text(results[cid])


async def test_one_unread_token_beside_a_wrong_one_is_named_apart(lab_factory: Any) -> None:
    """A definite wrong CNAME is still a fault; the unread one is not counted as wrong."""
    seed = load_scenario("seed")
    zone = seed.zones["sender.example"].replace(
        "9f8ad200f32ff72036cb12a72b2c44bb.dkim.amazonses.com.", "elsewhere.example.")
    scenario = dataclasses.replace(seed, dns_faults={TOKEN: "servfail"},
                                   zones={**seed.zones, "sender.example": zone})
    results, _ = await timed_results(_ctx(lab_factory(scenario)))
    cnames = results["dns.dkim.cnames"]
    assert cnames.status is Status.FAIL, _text(cnames)
    expected = "1 of 3 DKIM CNAMEs wrong; 1 could not be read"
    assert cnames.summary.startswith(expected), cnames.summary


async def test_alignment_passes_when_it_does_not_depend_on_the_unread_fact(
        lab_factory: Any) -> None:
    """Unread DKIM CNAMEs do not matter when the custom MAIL FROM aligns SPF anyway."""
    scenario = dataclasses.replace(load_scenario("seed"), dns_faults={TOKEN: "servfail"})
    results, _ = await timed_results(_ctx(lab_factory(scenario)))
    assert results["dns.dmarc.alignment"].status is Status.PASS


ZONES = {
    "sender.example.": "@ SOA ns1.sender.example. h.sender.example. 1 3600 600 1209600 300\n",
    "bl.example.": "10.8.240.54 A 127.0.0.2\n",
    "clean.example.": "@ SOA ns.clean.example. h.clean.example. 1 3600 600 1209600 300\n",
}


def _bounce(ip: str) -> BounceReport:
    return BounceReport(kind="dsn", recipients=(RecipientResult(
        address="pat@recipient.example", diagnostic=f"550 5.7.606 banned sending IP [{ip}].",
        remote_mta="mx.recipient.example"),))


async def _blocklist(ip: str, faults: dict[str, str]) -> Any:
    async with LabDnsServer(ZONES, faults=faults) as srv:
        ctx = Context(
            endpoints=Endpoints(nameservers=((srv.host, srv.port),), timeout=TIMEOUT,
                                dnsbl_zones=("bl.example", "clean.example")),
            inputs=Inputs(sender="admin@sender.example", bounce=_bounce(ip)),
        )
        checks = [c for c in load_all_checks().in_layers([Layer.DNS]) if c.id == "dns.blocklist"]
        (result,) = await collect(checks, ctx)
    return result


async def test_blocklist_without_answers_is_not_clean() -> None:
    result = await _blocklist("192.0.2.77", {"77.2.0.192.clean.example.": "servfail"})
    assert result.status is Status.ERROR, _text(result)
    assert "clean.example" in result.summary and "SERVFAIL" in result.summary


async def test_blocklist_listing_still_reported_beside_an_unread_list() -> None:
    result = await _blocklist("54.240.8.10", {"10.8.240.54.clean.example.": "servfail"})
    assert result.status is Status.WARN and "bl.example" in result.summary, _text(result)
