"""SPF on the lab DNS server: a label over 63 characters is a permerror naming it (a fault,
not "could not check"); +all is a warning (RFC 7208 5.1: it authorises every host)."""

from __future__ import annotations

import dataclasses
from typing import Any

from checks.context import Context
from checks.lab import load_scenario
from checks.lab.faults import timed_results
from checks.model import Status

MF_SPF = 'mail        TXT   "v=spf1 include:amazonses.com ~all"'


async def _results(lab_factory: Any, record: str) -> dict[str, Any]:
    base = load_scenario("healthy")
    assert MF_SPF in base.zones["sender.example"]
    zone = base.zones["sender.example"].replace(MF_SPF, f'mail TXT "{record}"')
    lab = lab_factory(dataclasses.replace(base, zones={**base.zones, "sender.example": zone}))
    ctx = Context(endpoints=dataclasses.replace(lab.endpoints, timeout=3.0), inputs=lab.inputs)
    results, _ = await timed_results(ctx)
    return results


async def test_long_label_is_a_permerror_naming_it(lab_factory: Any) -> None:
    label = "x" * 70
    results = await _results(lab_factory, f"v=spf1 include:{label}.sender.example "
                                          "include:amazonses.com ~all")
    spf = results["dns.spf.record"]
    assert spf.status is Status.FAIL, spf.summary
    assert label in spf.summary and "70 characters" in spf.summary
    assert "could not be read" not in spf.summary


async def test_plus_all_warns(lab_factory: Any) -> None:
    results = await _results(lab_factory, "v=spf1 include:amazonses.com +all")
    spf = results["dns.spf.record"]
    assert spf.status is Status.WARN, spf.summary
    assert "+all" in spf.summary and "every host" in spf.summary
    assert spf.outcome.fix is not None and "~all" in spf.outcome.fix.summary
