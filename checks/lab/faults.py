"""Fault-injecting stand-ins the lab lacks: broken SMTP servers, a failing AWS endpoint,
broken HTTPS, a lame DNS server. Each runs on the caller's event loop on 127.0.0.1:random;
route a host to it with `dataclasses.replace(lab.endpoints, smtp_routes=...)` and friends.

    async with FaultServer.smtp("drop_after_ehlo") as srv:
        endpoints = replace(lab.endpoints, smtp_routes={..., "host:587": srv.address})
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import ssl
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import dns.flags
import dns.message

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]

SMTP_FAULTS = ("no_banner", "slow_banner", "drop_after_ehlo", "tls_handshake", "wrong_name",
               "garbage", "421_mid_session")
HTTPS_FAULTS = ("timeout", "wrong_type", "bad_cert")

#: AWS fault -> (query-protocol status, code, rest-json status, x-amzn-ErrorType)
AWS_FAULTS: dict[str, tuple[int, str, int, str]] = {
    "throttling": (400, "Throttling", 429, "TooManyRequestsException"),
    "access_denied": (403, "AccessDenied", 403, "AccessDeniedException"),
    "expired_token": (403, "ExpiredToken", 403, "ExpiredTokenException"),
    "500": (500, "InternalFailure", 500, "InternalFailure"),
}
_HOLD = 3600.0  # "never answers": held until the server closes


@dataclass
class FaultServer:
    """One TCP server on the running loop; `address` is (host, port) to route to."""

    handler: Handler
    ssl_context: ssl.SSLContext | None = None
    server: asyncio.Server | None = None
    tasks: set[asyncio.Task[Any]] = field(default_factory=set)

    @property
    def address(self) -> tuple[str, int]:
        assert self.server is not None
        return "127.0.0.1", int(self.server.sockets[0].getsockname()[1])

    @property
    def url(self) -> str:
        scheme = "https" if self.ssl_context else "http"
        return f"{scheme}://127.0.0.1:{self.address[1]}"

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self.tasks.add(task)
        try:
            await self.handler(reader, writer)
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError):
            pass  # the client gave up: expected in a fault test
        except asyncio.CancelledError:
            pass  # our own __aexit__ ends held sessions; a cancelled task would log a traceback
        finally:
            self.tasks.discard(task)
            writer.close()

    async def __aenter__(self) -> FaultServer:
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0,
                                                 ssl=self.ssl_context)
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.server is not None
        self.server.close()
        held = list(self.tasks)
        for task in held:
            task.cancel()
        if held:  # let each end quietly before the loop goes on
            await asyncio.wait(held, timeout=2)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(self.server.wait_closed(), 2)

    # -- constructors ----------------------------------------------------------------------

    @classmethod
    def smtp(cls, fault: str, *, tls: ssl.SSLContext | None = None,
             after: float = 30.0) -> FaultServer:
        """An SMTP server with one fault (SMTP_FAULTS); `tls` serves STARTTLS."""
        if fault not in SMTP_FAULTS:
            raise ValueError(f"unknown SMTP fault {fault!r}; use one of {SMTP_FAULTS}")
        return cls(_SmtpFault(fault, tls, after).run)

    @classmethod
    def aws(cls, fault: str) -> FaultServer:
        """An AWS endpoint answering every call with one error (AWS_FAULTS)."""
        if fault not in AWS_FAULTS:
            raise ValueError(f"unknown AWS fault {fault!r}; use one of {sorted(AWS_FAULTS)}")
        return cls(lambda r, w: _aws_reply(r, w, fault))

    @classmethod
    def https(cls, fault: str, tls: ssl.SSLContext, body: str = "") -> FaultServer:
        """HTTPS with one fault (HTTPS_FAULTS); bad_cert needs `tls` with an untrusted cert."""
        if fault not in HTTPS_FAULTS:
            raise ValueError(f"unknown HTTPS fault {fault!r}; use one of {HTTPS_FAULTS}")
        return cls(lambda r, w: _https_reply(r, w, fault, body), ssl_context=tls)


# --------------------------------------------------------------------------- SMTP


@dataclass
class _SmtpFault:
    fault: str
    tls: ssl.SSLContext | None
    after: float
    in_tls: bool = False

    async def run(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.fault == "no_banner":
            await asyncio.sleep(_HOLD)
        if self.fault == "slow_banner":
            await asyncio.sleep(self.after)
        if self.fault == "garbage":
            await _say(writer, "\x00\x7fHELLO? this is not SMTP")
            await asyncio.sleep(_HOLD)
        await _say(writer, "220 fault.example ESMTP ready")
        while line := (await reader.readline()).decode("ascii", "replace").strip():
            if not await self._answer(line.upper().split(" ")[0], reader, writer):
                return

    async def _answer(self, verb: str, reader: asyncio.StreamReader,
                      writer: asyncio.StreamWriter) -> bool:
        """Reply to one command; False ends the session."""
        mid_session = self.in_tls or verb in ("AUTH", "MAIL", "RCPT")
        if self.fault == "421_mid_session" and mid_session:
            await _say(writer, "421 4.4.2 fault.example Service shutting down, closing channel")
            return False
        if verb in ("EHLO", "HELO"):
            return await self._ehlo(writer)
        if verb == "STARTTLS":
            return await self._starttls(writer)
        if verb == "QUIT":
            await _say(writer, "221 Bye")
            return False
        await _say(writer, "535 Authentication Credentials Invalid" if verb == "AUTH"
                   else "250 OK")
        return True

    async def _ehlo(self, writer: asyncio.StreamWriter) -> bool:
        if self.fault == "drop_after_ehlo":
            return False
        tls = [] if self.in_tls or self.tls is None else ["250-STARTTLS"]
        await _say(writer, *["250-fault.example", *tls, "250 AUTH PLAIN LOGIN"])
        return True

    async def _starttls(self, writer: asyncio.StreamWriter) -> bool:
        await _say(writer, "220 Ready to start TLS")
        if self.fault == "tls_handshake" or self.tls is None:
            await _say(writer, "this is not a TLS ServerHello")
            return False
        await writer.start_tls(self.tls)
        self.in_tls = True
        return True


async def _say(writer: asyncio.StreamWriter, *lines: str) -> None:
    writer.write("".join(f"{line}\r\n" for line in lines).encode())
    await writer.drain()


# --------------------------------------------------------------------------- AWS, HTTPS


async def _read_request(reader: asyncio.StreamReader) -> str:
    """The request line; headers and body are read and dropped."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    length = next((int(v) for k, _, v in (h.partition(":") for h in head.split("\r\n"))
                   if k.strip().lower() == "content-length" and v.strip().isdigit()), 0)
    if length:
        await reader.readexactly(length)
    return head.split("\r\n")[0]


async def _respond(writer: asyncio.StreamWriter, status: int, ctype: str, body: bytes,
                   extra: tuple[str, ...] = ()) -> None:
    head = [f"HTTP/1.1 {status} Fault", f"Content-Type: {ctype}",
            f"Content-Length: {len(body)}", "Connection: close", *extra]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
    await writer.drain()


async def _aws_reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                     fault: str) -> None:
    request = await _read_request(reader)
    v1_status, code, v2_status, v2_type = AWS_FAULTS[fault]
    message = f"Injected fault: {code}"
    if " /v2/" in request:
        body = json.dumps({"message": message}).encode()
        await _respond(writer, v2_status, "application/json", body,
                       (f"x-amzn-ErrorType: {v2_type}",))
        return
    xml = (f"<ErrorResponse><Error><Type>Sender</Type><Code>{code}</Code>"
           f"<Message>{message}</Message></Error><RequestId>fault</RequestId></ErrorResponse>")
    await _respond(writer, v1_status, "text/xml", xml.encode())


async def _https_reply(reader: asyncio.StreamReader, writer: asyncio.StreamWriter,
                       fault: str, body: str) -> None:
    await _read_request(reader)
    if fault == "timeout":
        await asyncio.sleep(_HOLD)
    ctype = "text/html; charset=utf-8" if fault == "wrong_type" else "text/plain"
    await _respond(writer, 200, ctype, body.encode())


# --------------------------------------------------------------------------- DNS


class LameDns(asyncio.DatagramProtocol):
    """A nameserver that is listed but not authoritative: NOERROR, no AA, no records."""

    transport: asyncio.DatagramTransport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        try:
            query = dns.message.from_wire(data)
        except Exception:  # noqa: BLE001 - a lame server ignores what it cannot read
            return
        reply = dns.message.make_response(query)
        reply.flags &= ~dns.flags.AA
        assert self.transport is not None
        self.transport.sendto(reply.to_wire(), addr)


@contextlib.asynccontextmanager
async def lame_dns() -> Any:
    """Yields (host, port) of a lame nameserver on UDP."""
    loop = asyncio.get_running_loop()
    transport, _ = await loop.create_datagram_endpoint(LameDns, local_addr=("127.0.0.1", 0))
    try:
        yield "127.0.0.1", int(transport.get_extra_info("sockname")[1])
    finally:
        transport.close()


# --------------------------------------------------------------------------- running


async def timed_results(ctx: Any) -> tuple[dict[str, Any], float]:
    """Run the full diagnosis of ctx; (check id -> CheckResult, wall seconds)."""
    import time

    from checks.runner import collect
    from checks.session import layers_for, plan

    start = time.monotonic()
    results = await collect(plan(layers_for(ctx)), ctx)
    return {r.check_id: r for r in results}, time.monotonic() - start
