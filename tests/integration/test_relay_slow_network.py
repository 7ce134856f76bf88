"""A slow network must not be diagnosed as a relay that never greets (tester's F17).

The lab's latency knob delays replies, not the TCP handshake, so the slow connect is given
as a ProbeResult (pure logic, no server needed); the patient case runs against the lab.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

from checks.context import Context
from checks.layers.gmail_relay import connect_outcome
from checks.model import Layer, Status
from checks.net.smtp import Failure, ProbeResult
from checks.session import run_diagnosis


def _silent(connect_seconds: float) -> ProbeResult:
    return ProbeResult("email-smtp.us-east-1.amazonaws.com", 587, "starttls",
                       failure=Failure.NO_BANNER, connect_seconds=connect_seconds,
                       reply_timeout=2.0)


def test_no_greeting_after_a_slow_connect_is_could_not_check(seed_lab: Any) -> None:
    ctx = Context(endpoints=seed_lab.endpoints, inputs=seed_lab.inputs)
    assert ctx.inputs.relay is not None
    outcome = connect_outcome(ctx, ctx.inputs.relay, _silent(1.5), [])
    assert outcome.status is Status.ERROR
    assert "--timeout" in outcome.explanation


def test_no_greeting_after_a_fast_connect_is_a_fault(seed_lab: Any) -> None:
    ctx = Context(endpoints=seed_lab.endpoints, inputs=seed_lab.inputs)
    assert ctx.inputs.relay is not None
    outcome = connect_outcome(ctx, ctx.inputs.relay, _silent(0.01), [])
    assert outcome.status is Status.FAIL


def test_a_server_that_never_greets_is_still_found(lab_factory: Any) -> None:
    lab = lab_factory("relay-no-banner")
    diagnosis = asyncio.run(run_diagnosis(Context(endpoints=lab.endpoints, inputs=lab.inputs),
                                          [Layer.GMAIL_RELAY]))
    assert "gmail_relay.smtp.connect" in {r.check_id for r in diagnosis.root_causes}


async def test_a_slow_connect_measured_once_is_measured_again(seed_lab: Any) -> None:
    """A machine too busy to finish a loopback connect in time once (the flaky
    relay-no-banner run) does not turn a silent server into 'could not check': the connect
    is measured again and the fastest counts. No speed is assumed beyond 'a loopback
    connect takes less than 1000 s'."""
    from checks.net.smtp import recheck_slow_connect

    relay = seed_lab.inputs.relay
    once = ProbeResult(relay.host, relay.port, relay.tls, failure=Failure.NO_BANNER,
                       connect_seconds=1000.0, reply_timeout=3000.0)
    assert once.slow_network
    again = await recheck_slow_connect(once, seed_lab.endpoints)
    assert again.connect_seconds < 1000.0 and not again.slow_network


async def test_a_connect_that_fails_when_measured_again_keeps_the_verdict(seed_lab: Any) -> None:
    from checks.net.smtp import recheck_slow_connect

    once = ProbeResult("nothing-listens.example", 9, "starttls", failure=Failure.NO_BANNER,
                       connect_seconds=1000.0, reply_timeout=3000.0)
    routes = {"nothing-listens.example:9": ("127.0.0.1", 9)}
    endpoints = dataclasses.replace(seed_lab.endpoints, smtp_routes=routes)
    assert (await recheck_slow_connect(once, endpoints)).slow_network
