"""A relay that stops answering part-way: the finding names the step where it stopped
(a real TCP server on loopback that greets and then goes quiet)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import pytest

from checks.context import Context, Inputs, RelaySettings
from checks.endpoints import Endpoints
from checks.model import CheckResult, Status
from checks.net.smtp import Failure, probe
from checks.registry import load_all_checks
from checks.runner import RunFinished, run_checks
from checks.secrets import Secret

HOST = "relay.example"
TIMEOUT = 1.5


@contextlib.asynccontextmanager
async def quiet_after(verb: str) -> AsyncIterator[int]:
    """Greets, answers until `verb` arrives, then says nothing more."""
    held: list[asyncio.StreamWriter] = []

    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        writer.write(b"220 relay.example ESMTP\r\n")
        while line := await reader.readline():
            if line.upper().startswith(verb.encode()):
                await asyncio.sleep(30)
            writer.write(b"250-relay.example\r\n250-STARTTLS\r\n250 AUTH PLAIN\r\n")

    server = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        for w in held:
            w.close()
        server.close()


async def _connect_and_tls(ctx: Context) -> dict[str, CheckResult]:
    """Only the connect and TLS checks (no AWS, no DNS): the relay is not SES."""
    registry = load_all_checks()
    chosen = [registry.get(c) for c in ("gmail_relay.smtp.connect", "gmail_relay.smtp.tls")]
    async for event in run_checks(chosen, ctx):
        if isinstance(event, RunFinished):
            return {r.check_id: r for r in event.results}
    raise AssertionError("no RunFinished")


def _endpoints(port: int) -> Endpoints:
    return Endpoints(smtp_routes={f"{HOST}:587": ("127.0.0.1", port)}, timeout=TIMEOUT * 3)


@pytest.mark.parametrize(("verb", "step"), [("EHLO", "EHLO"), ("STARTTLS", "STARTTLS")])
async def test_the_probe_names_the_step(verb: str, step: str) -> None:
    async with quiet_after(verb) as port:
        res = await probe(HOST, 587, "starttls", _endpoints(port), timeout=TIMEOUT)
    assert res.failure is Failure.TIMEOUT and res.step == step
    assert res.stopped_at == f"the server stopped answering at {step}"


@pytest.mark.parametrize(("verb", "step"), [("EHLO", "EHLO"), ("STARTTLS", "STARTTLS")])
async def test_the_tls_finding_says_where_the_session_stopped(verb: str, step: str) -> None:
    relay = RelaySettings(HOST, 587, "starttls", "AKIAIOSFODNN7EXAMPLE", Secret("x" * 44))
    async with quiet_after(verb) as port:
        ctx = Context(endpoints=_endpoints(port),
                      inputs=Inputs(sender="admin@sender.example", recipients=(), relay=relay,
                                    path="gmail_send_as"))
        results = await _connect_and_tls(ctx)
    tls = results["gmail_relay.smtp.tls"]
    assert tls.status is Status.FAIL
    assert tls.summary == f"TLS not reached: the server stopped answering at {step}"
