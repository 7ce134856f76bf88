"""A recipient MTA that greets later than a reply may take under --timeout is 'could not
check' naming the limit and --timeout, never a fail blaming the server; a server silent
through the whole wait is judged as before ('no greeting'). Loopback fault servers
(`slow_banner` greets after `after` seconds) routed in for the seed's MX host."""

from __future__ import annotations

import dataclasses
import re
from typing import Any

from checks.context import Context
from checks.lab.faults import FaultServer
from checks.layers.recipient import _probe, greeting_patience, probe_step
from checks.model import Layer, Status
from checks.net.smtp import Failure
from checks.runner import collect
from checks.session import plan

HOST = "recipient-example.mail.protection.outlook.com"
MTA = f"{HOST}:25"
PROBE = "recipient.mta.reachable"
TIMEOUT = 3.0  # a reply may take 1 s, the greeting 2 s (1 s left to the check)


def _ctx(lab: Any, address: tuple[str, int]) -> Context:
    routes = dict(lab.endpoints.smtp_routes) | {MTA: address}
    endpoints = dataclasses.replace(lab.endpoints, smtp_routes=routes, timeout=TIMEOUT)
    return Context(endpoints=endpoints, inputs=lab.inputs)


async def _check(ctx: Context) -> Any:
    results = await collect(plan([Layer.RECIPIENT_MTA]), ctx)
    return next(r for r in results if r.check_id == PROBE)


async def test_the_probe_waits_for_a_late_greeting_and_names_it_slow(seed_lab: Any) -> None:
    async with FaultServer.smtp("slow_banner", after=1.5,
                                tls=seed_lab.certs.server_context()) as srv:
        ctx = _ctx(seed_lab, srv.address)
        assert probe_step(ctx) == 1.0 < greeting_patience(ctx) == 2.0
        result = await _probe(ctx, HOST)
    assert result.failure is Failure.SLOW and result.banner is not None
    assert 1.4 < result.greeting_seconds < 2.0 and result.greeting_wait == 2.0


async def test_a_slow_greeting_is_could_not_check_naming_the_limit(seed_lab: Any) -> None:
    async with FaultServer.smtp("slow_banner", after=1.5,
                                tls=seed_lab.certs.server_context()) as srv:
        probe = await _check(_ctx(seed_lab, srv.address))
    assert probe.status is Status.ERROR, probe.summary
    assert re.fullmatch(rf"Could not check {re.escape(HOST)}:25 from here: it greets only "
                        r"after 1\.\d s, longer than the 1 s a reply may take with "
                        r"--timeout 3", probe.summary), probe.summary
    text = probe.outcome.explanation
    assert "set from --timeout 3" in text and "run again with a larger --timeout" in text
    assert "no sign that the recipient's server is at fault" in text
    assert "never sent its greeting" not in probe.summary + text
    assert probe.outcome.fix is None
    assert probe.outcome.facts["failure"] == Failure.SLOW.value
    assert probe.outcome.facts["timeout"] == TIMEOUT


async def test_a_silent_server_is_judged_as_before(seed_lab: Any) -> None:
    """Silent through the whole wait (--timeout 3 less a second): 'no greeting'."""
    async with FaultServer.smtp("no_banner") as srv:
        ctx = _ctx(seed_lab, srv.address)
        result = await _probe(ctx, HOST)
        probe = await _check(ctx)
    assert result.failure is Failure.NO_BANNER and result.greeting_wait == 2.0
    assert probe.status is Status.ERROR, probe.summary
    assert probe.summary == (f"Could not check {HOST}:25 from here: no greeting: connected, "
                             "but the server never sent its greeting")


async def test_a_greeting_within_a_reply_s_time_is_checked_on(seed_lab: Any) -> None:
    async with FaultServer.smtp("slow_banner", after=0.2,
                                tls=seed_lab.certs.server_context()) as srv:
        probe = await _check(_ctx(seed_lab, srv.address))
    assert probe.status is Status.PASS, probe.summary
    assert "answers on port 25 with STARTTLS" in probe.summary
