"""A relay slower than a short --timeout allows is 'could not check' naming the limit and
--timeout, never a fail blaming the server; a relay that stays silent through the whole wait
is still a fault. Real processes and the lab's servers (`delay` per round trip)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import re
from typing import Any

from checks.context import Context
from checks.lab.faults import FaultServer
from checks.model import Status
from checks.net.smtp import Failure, probe
from checks.session import run_diagnosis
from tests.integration.test_cli_timeout_messages import _check

CONNECT = "gmail_relay.smtp.connect"


def test_a_slow_relay_under_a_short_timeout_is_could_not_check(lab_factory: Any) -> None:
    proc, results = _check(lab_factory("seed", delay=1.5), "--timeout", "3")
    connect = results[CONNECT]
    assert connect["status"] == "error", connect
    assert re.fullmatch(r"Could not check: email-smtp\.us-east-1\.amazonaws\.com:587 greets "
                        r"only after [12]\.\d s, longer than the 1 s a reply may take with "
                        r"--timeout 3", connect["summary"]), connect["summary"]
    text = connect["explanation"]
    assert "set from --timeout 3" in text and "run again with a larger --timeout" in text
    assert "no sign that the relay is at fault" in text
    assert "never sent its greeting" not in connect["summary"] + text
    assert "Authentication failed" not in text  # no Gmail headline: nothing failed
    diagnosis = json.loads(proc.stdout)["diagnosis"]
    assert CONNECT not in {r["check"] for r in diagnosis["root_causes"]}
    assert CONNECT in {r["check"] for r in diagnosis["could_not_check"]}


async def test_a_silent_relay_under_the_same_timeout_is_still_a_fault(seed_lab: Any) -> None:
    """Silent for the whole wait (--timeout 3 less a second): the server's fault."""
    relay = "email-smtp.us-east-1.amazonaws.com:587"
    async with FaultServer.smtp("no_banner") as srv:
        routes = dict(seed_lab.endpoints.smtp_routes) | {relay: srv.address}
        endpoints = dataclasses.replace(seed_lab.endpoints, smtp_routes=routes, timeout=3.0)
        diagnosis = await run_diagnosis(Context(endpoints=endpoints, inputs=seed_lab.inputs))
    connect = next(r for r in diagnosis.results if r.check_id == CONNECT)
    assert connect.status is Status.FAIL, connect.summary
    assert "never sent its greeting" in connect.summary
    assert "Nothing came in the 2.0 s mailpath waited after connecting" in \
        connect.outcome.explanation


async def test_the_probe_tells_a_late_greeting_from_none(lab_factory: Any) -> None:
    """With patience, a greeting after the per-reply time is SLOW (with how long it took);
    without, the probe reads it as before (no greeting within its time)."""
    lab = lab_factory("seed", delay=0.6)
    host = "email-smtp.us-east-1.amazonaws.com"
    patient, plain = await asyncio.gather(
        probe(host, 587, "starttls", lab.endpoints, timeout=0.3, patience=1.5),
        probe(host, 587, "starttls", lab.endpoints, timeout=0.3))
    assert patient.failure is Failure.SLOW and patient.banner is not None
    assert 0.5 < patient.greeting_seconds < 1.5 and patient.greeting_wait == 1.5
    assert patient.detail.startswith("the greeting came after ")
    assert plain.failure is Failure.NO_BANNER and plain.greeting_wait == 0.3
