"""SMTP faults on the relay and the recipient MTA: the affected checks end with the cause
named, within their timeout (the recipient's as `error`: a probe from here is not SES's
view); every other check still finishes."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from pathlib import Path
from typing import Any

import pytest

from checks.context import Context
from checks.lab.certs import make_certs
from checks.lab.faults import FaultServer, timed_results
from checks.model import Status

RELAY = "email-smtp.us-east-1.amazonaws.com:587"
MTA = "recipient-example.mail.protection.outlook.com:25"
TIMEOUT = 2.0
BOUND = 3 * TIMEOUT  # whole run: a few check timeouts in a chain at most

#: fault -> words the relay checks must use to name the cause
CAUSES = {
    "no_banner": "never sent its greeting",
    "slow_banner": "never sent its greeting",
    "drop_after_ehlo": "closed the connection",
    "tls_handshake": "TLS failed",
    "wrong_name": "wrong.example",  # the name the certificate is for
    "garbage": "not SMTP",
    "421_mid_session": "refused the session",
}


@pytest.fixture(scope="module")
def wrong_name(tmp_path_factory: pytest.TempPathFactory, seed_lab: Any) -> tuple[Any, Path]:
    """A certificate for wrong.example from a CA the client trusts (with the lab's CA)."""
    base = tmp_path_factory.mktemp("wrong-name")
    certs = make_certs(base, ["wrong.example"])
    bundle = base / "bundle.pem"
    bundle.write_text(Path(seed_lab.endpoints.ca_file).read_text() + certs.ca_file.read_text())
    return certs.server_context(), bundle


def _ctx(lab: Any, route: str, address: tuple[str, int], ca_file: Path | None) -> Context:
    routes = dict(lab.endpoints.smtp_routes) | {route: address}
    endpoints = dataclasses.replace(lab.endpoints, smtp_routes=routes, timeout=TIMEOUT,
                                    ca_file=str(ca_file or lab.endpoints.ca_file))
    return Context(endpoints=endpoints, inputs=lab.inputs)


async def _run(fault: str, route: str, lab: Any, wrong: tuple[Any, Path]) -> tuple[dict, float]:
    tls = wrong[0] if fault == "wrong_name" else lab.certs.server_context()
    async with FaultServer.smtp(fault, tls=tls, after=30.0) as srv:
        return await timed_results(_ctx(lab, route, srv.address, wrong[1]))


def _all_finished(results: dict, lab_results: int) -> None:
    assert len(results) == lab_results
    assert all(r.status in Status for r in results.values())


@pytest.mark.parametrize("fault", list(CAUSES))
async def test_relay_fault(fault: str, seed_lab: Any, wrong_name: tuple[Any, Path]) -> None:
    results, seconds = await _run(fault, RELAY, seed_lab, wrong_name)
    assert seconds < BOUND
    first = next(r for cid, r in results.items() if cid.startswith("gmail_relay.smtp.")
                 and r.status in (Status.ERROR, Status.FAIL, Status.WARN))
    text = f"{first.summary} {first.outcome.explanation}"
    assert CAUSES[fault] in text, (fault, first.check_id, text)
    assert results["ses.suppression.recipient"].status is Status.FAIL  # the rest went on
    assert results["dns.spf.record"].status is Status.PASS
    _all_finished(results, len(results))


#: recipient MTA fault -> the cause its check must name (a probe from here is not SES's view)
MTA_CAUSES = {
    "no_banner": "no greeting: connected, but the server never sent its greeting",
    "drop_after_ehlo": "connection dropped after EHLO: the server closed the connection",
    "garbage": "garbage reply instead of the greeting: the server's reply is not SMTP",
    "421_mid_session": "421 mid-session after EHLO (in TLS): the server refused the session",
    "tls_handshake": "TLS handshake failure after STARTTLS",
}


@pytest.mark.parametrize("fault", list(MTA_CAUSES))
async def test_recipient_mta_fault(fault: str, seed_lab: Any,
                                   wrong_name: tuple[Any, Path]) -> None:
    results, seconds = await _run(fault, MTA, seed_lab, wrong_name)
    assert seconds < BOUND
    probe = results["recipient.mta.reachable"]
    assert probe.status is Status.ERROR, probe.summary
    assert probe.summary.startswith("Could not check "), probe.summary
    assert MTA_CAUSES[fault] in probe.summary, probe.summary
    assert "not from SES's sending network" in probe.outcome.explanation
    assert probe.outcome.fix is None
    assert results["gmail_relay.ses.key_state"].status is Status.FAIL


async def test_fault_server_ends_held_sessions_quietly(
        seed_lab: Any, wrong_name: tuple[Any, Path], caplog: pytest.LogCaptureFixture) -> None:
    """A server still holding a session (no banner) closes without a logged traceback."""
    with caplog.at_level(logging.ERROR, logger="asyncio"):
        await _run("no_banner", MTA, seed_lab, wrong_name)
        await asyncio.sleep(0.1)  # a cancelled session task would be reported by now
    assert not [r for r in caplog.records if r.name == "asyncio"], caplog.text[-2000:]
