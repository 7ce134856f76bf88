"""Tester's F27: a probe that fails at the connection level from this machine (refused,
unanswered) proves nothing about the remote side, whose mail comes from SES's or Google's
network: it is "could not check", never a root cause with a fix for the recipient or the
relay. A server that answers and misbehaves stays a finding, and so does a relay whose other
port/mode works. Real lab servers; routes point a host at a closed port (127.0.0.1:1)."""

from __future__ import annotations

import dataclasses
from typing import Any

from checks.context import Context
from checks.diagnosis import diagnose
from checks.lab.faults import timed_results
from checks.model import Status

TIMEOUT = 2.0
CLOSED = ("127.0.0.1", 1)
RELAY = "email-smtp.us-east-1.amazonaws.com"
MX = "recipient-example.mail.protection.outlook.com"
STS_HOST = "mta-sts.recipient.example"


def _ctx(lab: Any, **changes: Any) -> Context:
    endpoints = dataclasses.replace(lab.endpoints, timeout=TIMEOUT, **changes)
    return Context(endpoints=endpoints, inputs=lab.inputs)


def _text(result: Any) -> str:
    return f"{result.status.value}: {result.summary} / {result.outcome.explanation}"


def _routes(lab: Any, **closed: bool) -> dict[str, tuple[str, int]]:
    """The lab's SMTP routes with the named ports (p25, p587…) sent to a closed port."""
    ports = {int(k[1:]) for k, v in closed.items() if v}
    return {k: CLOSED if int(k.rsplit(":", 1)[1]) in ports else v
            for k, v in lab.endpoints.smtp_routes.items()}


async def test_port_25_blocked_here_is_not_the_recipients_fault(seed_lab: Any) -> None:
    results, _ = await timed_results(_ctx(seed_lab, smtp_routes=_routes(seed_lab, p25=True)))
    mta = results["recipient.mta.reachable"]
    assert mta.status is Status.ERROR, _text(mta)
    assert mta.summary.startswith(f"Could not reach {MX}:25 from here"), mta.summary
    assert "block outbound port 25" in mta.summary
    assert "SES" in mta.outcome.explanation and mta.outcome.fix is None
    assert "misbehaves" not in _text(mta)
    assert results["gmail_relay.smtp.connect"].status is Status.PASS  # the relay's 25 is unused


async def test_relay_unreachable_on_every_port_is_could_not_check(seed_lab: Any) -> None:
    closed = _routes(seed_lab, p25=True, p587=True, p465=True, p2587=True, p2465=True)
    results, _ = await timed_results(_ctx(seed_lab, smtp_routes=closed))
    connect = results["gmail_relay.smtp.connect"]
    assert connect.status is Status.ERROR, _text(connect)
    assert f"Could not reach {RELAY}:587 from here" in connect.summary
    assert "Google's network" in connect.outcome.explanation
    assert connect.outcome.fix is None
    summary = diagnose(list(results.values()))
    fixes = [c.outcome.fix.summary for c in summary.root_causes if c.outcome.fix]
    assert not any("submission server" in f for f in fixes), fixes


async def test_relay_port_refused_but_another_works_keeps_the_verdict(seed_lab: Any) -> None:
    results, _ = await timed_results(_ctx(seed_lab, smtp_routes=_routes(seed_lab, p587=True)))
    connect = results["gmail_relay.smtp.connect"]
    assert connect.status is Status.FAIL, _text(connect)
    assert connect.outcome.fix is not None
    assert connect.outcome.fix.summary.startswith("Use port 2587 with \"Secured connection "
                                                  "using TLS\""), connect.outcome.fix.summary


async def test_mta_sts_fetch_refused_here_is_could_not_check(seed_lab: Any) -> None:
    ctx = _ctx(seed_lab, https_routes={STS_HOST: "https://127.0.0.1:1"})
    results, _ = await timed_results(ctx)
    sts = results["dns.mta_sts.policy"]
    assert sts.status is Status.ERROR, _text(sts)
    assert "Could not fetch the MTA-STS policy of recipient.example from here" in sts.summary
    assert "connection refused" in sts.summary, sts.summary
    assert "All connection attempts failed" not in _text(sts)
    assert sts.outcome.fix is None
