"""An SMTP probe that never sends mail: connect, banner, EHLO, TLS, AUTH, QUIT.

Used by the relay checks and the recipient-MTA checks. Every step has a timeout,
the certificate is verified against the host name the user gave (not the routed
address), and the transcript never holds an AUTH payload.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import ipaddress
import re
import socket
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal

from cryptography import x509
from cryptography.x509.oid import NameOID

from checks.endpoints import Endpoints
from checks.net import dns
from checks.net.tls import trusted_context
from checks.secrets import MASK, Secret

Mode = Literal["starttls", "tls", "plain"]
EHLO_NAME = "mailpath.invalid"
_REPLY = re.compile(r"(\d{3})([ -])(.*)")


class Failure(StrEnum):
    """Where and how a probe stopped; the value is a plain phrase."""

    DNS = "host name does not resolve"
    REFUSED = "connection refused"
    CONNECT_TIMEOUT = "no answer to the connection attempt"
    UNREACHABLE = "network unreachable"
    NO_BANNER = "connected, but the server never sent its greeting"
    DROPPED = "the server closed the connection"
    TIMEOUT = "the server stopped answering"
    GARBAGE = "the server's reply is not SMTP"
    REJECTED = "the server refused the session"
    NO_STARTTLS = "STARTTLS is not offered on this port"
    STARTTLS_REFUSED = "STARTTLS is offered, but the server refused it"
    TLS_HOSTNAME = "the certificate does not match the host name"
    TLS_EXPIRED = "the certificate has expired"
    TLS_UNTRUSTED = "the certificate is not signed by a trusted authority"
    TLS_PROTOCOL = "the TLS handshake failed"
    NO_AUTH = "AUTH PLAIN/LOGIN is not offered"
    #: the greeting came, but only after the time allowed per reply (see probe's patience):
    #: the server is alive, and slower than the limit, so the rest could not be checked
    SLOW = "the server answers, but more slowly than the time allowed per reply"


TLS_FAILURES = frozenset(
    {Failure.TLS_HOSTNAME, Failure.TLS_EXPIRED, Failure.TLS_UNTRUSTED, Failure.TLS_PROTOCOL,
     Failure.NO_STARTTLS, Failure.STARTTLS_REFUSED}
)
CONNECT_FAILURES = frozenset(
    {Failure.DNS, Failure.REFUSED, Failure.CONNECT_TIMEOUT, Failure.UNREACHABLE,
     Failure.NO_BANNER, Failure.DROPPED, Failure.TIMEOUT, Failure.GARBAGE, Failure.REJECTED,
     Failure.SLOW}
)

CERTIFICATE_FAILURES = frozenset({Failure.TLS_HOSTNAME, Failure.TLS_EXPIRED,
                                  Failure.TLS_UNTRUSTED})
#: ports where servers speak implicit TLS ("SSL" in Gmail's dialog): SES's 465 and 2465.
IMPLICIT_TLS_PORTS = frozenset({465, 2465})
IMPLICIT_TLS_DETAIL = ("the port speaks implicit TLS: it answered a TLS handshake and waits "
                       "for one instead of greeting")

#: failures that can happen at any step, so the step is worth naming
STEP_FAILURES = frozenset({Failure.TIMEOUT, Failure.DROPPED, Failure.GARBAGE})

#: stops after which the session is still in step, so QUIT is worth sending.
_POLITE = frozenset({Failure.NO_STARTTLS, Failure.STARTTLS_REFUSED, Failure.NO_AUTH,
                     Failure.REJECTED, Failure.SLOW})
#: the start of a Failure.DNS detail when the lookup itself failed (not "no such host"):
#: getaddrinfo's own words for EAI_AGAIN, so callers read both the same way
LOOKUP_FAILED = "Temporary failure in name resolution"

#: OpenSSL verify codes -> failure (X509_V_ERR_*).
_VERIFY_CODES: dict[int, Failure] = {
    62: Failure.TLS_HOSTNAME,
    10: Failure.TLS_EXPIRED,
    9: Failure.TLS_EXPIRED,  # not yet valid: a date problem all the same
    18: Failure.TLS_UNTRUSTED,
    19: Failure.TLS_UNTRUSTED,
    20: Failure.TLS_UNTRUSTED,
    21: Failure.TLS_UNTRUSTED,
}


@dataclass(frozen=True)
class Reply:
    code: int
    lines: tuple[str, ...]

    @property
    def text(self) -> str:
        return f"{self.code} " + " ".join(self.lines)


@dataclass(frozen=True)
class ProbeResult:
    host: str
    port: int
    mode: Mode
    failure: Failure | None = None
    detail: str = ""
    banner: Reply | None = None
    capabilities: tuple[str, ...] = ()
    tls_version: str | None = None
    auth: Reply | None = None
    mail_from: Reply | None = None
    transcript: tuple[str, ...] = ()
    #: names the server's certificate covers, read again without verification after a
    #: certificate failure (so a mismatch can say which name it is for)
    certificate_names: tuple[str, ...] = ()
    #: how long the TCP (and implicit TLS) connection took, and how long a reply was waited for:
    #: a greeting missing after a slow connect may only be late, not absent
    connect_seconds: float = 0.0
    reply_timeout: float = 0.0
    #: the step the probe was at when it stopped (or last reached): "connect", "greeting",
    #: "EHLO", "STARTTLS", "TLS handshake", "EHLO after STARTTLS", "AUTH", "MAIL FROM"
    step: str = ""
    #: the address connected to, when the host name was looked up on the configured
    #: nameservers (empty when the system resolver or a route chose it)
    address: str = ""
    #: how long the greeting was waited for (at least reply_timeout; more with patience),
    #: and how long it took when it came (0.0 when it never did)
    greeting_wait: float = 0.0
    greeting_seconds: float = 0.0

    @property
    def stopped_at(self) -> str:
        """The failure with its step, e.g. 'the server stopped answering at EHLO'."""
        if self.failure is None:
            return ""
        step = f" at {self.step}" if self.step and self.failure in STEP_FAILURES else ""
        return f"{self.failure.value}{step}"

    @property
    def slow_network(self) -> bool:
        """The connection alone used a large part of the time a reply was given."""
        return self.reply_timeout > 0 and self.connect_seconds > 0.25 * self.reply_timeout

    @property
    def ok(self) -> bool:
        return self.failure is None

    @property
    def connected(self) -> bool:
        """Reached a greeting (and, for implicit TLS, a finished handshake)."""
        return self.banner is not None

    @property
    def auth_ok(self) -> bool:
        return self.auth is not None and self.auth.code == 235

    def transcript_text(self) -> str:
        return "\n".join(self.transcript)


class ProbeStop(Exception):
    def __init__(self, failure: Failure, detail: str = "") -> None:
        super().__init__(failure.value)
        self.failure, self.detail = failure, detail
        #: the looked-up address(es) a failed connection went to ('' when none was looked up)
        self.address = ""


@dataclass
class _Session:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    step_timeout: float
    log: list[str] = field(default_factory=list)

    async def read_reply(self) -> Reply:
        lines: list[str] = []
        while True:
            line = await self._readline()
            match = _REPLY.fullmatch(line)
            if not match:
                raise ProbeStop(Failure.GARBAGE, f"got {line[:80]!r}")
            lines.append(match.group(3))
            if match.group(2) == " ":
                return Reply(int(match.group(1)), tuple(lines))

    async def _readline(self) -> str:
        try:
            raw = await asyncio.wait_for(self.reader.readline(), self.step_timeout)
        except TimeoutError:
            raise ProbeStop(Failure.TIMEOUT) from None
        except (ValueError, asyncio.LimitOverrunError):
            raise ProbeStop(Failure.GARBAGE, "reply line too long") from None
        except (ConnectionError, ssl.SSLError) as exc:
            raise ProbeStop(Failure.DROPPED, type(exc).__name__) from None
        if not raw:
            raise ProbeStop(Failure.DROPPED)
        line = raw.decode("utf-8", "replace").rstrip("\r\n")
        self.log.append(f"S: {line}")
        return line

    async def command(self, line: str, shown: str | None = None) -> Reply:
        await self.send(line, shown)
        return await self.read_reply()

    async def send(self, line: str, shown: str | None = None) -> None:
        self.log.append(f"C: {shown if shown is not None else line}")
        try:
            self.writer.write(line.encode() + b"\r\n")
            await asyncio.wait_for(self.writer.drain(), self.step_timeout)
        except (ConnectionError, TimeoutError) as exc:
            raise ProbeStop(Failure.DROPPED, type(exc).__name__) from None


def tls_context(endpoints: Endpoints, verify: bool = True) -> ssl.SSLContext:
    """The system trust store plus the configured CA file (the lab's certificate); with
    verify=False a context that accepts any certificate, only to read what it says."""
    if verify:
        return trusted_context(endpoints.ca_file)
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def certificate_names(der: bytes | None) -> tuple[str, ...]:
    """DNS names of a DER certificate (subject alternative names, else the common name)."""
    if not der:
        return ()
    try:
        cert = x509.load_der_x509_certificate(der)
    except ValueError:
        return ()
    try:
        sans = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName)
        return tuple(sans.value.get_values_for_type(x509.DNSName))
    except x509.ExtensionNotFound:
        common = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)
        return tuple(str(a.value) for a in common)


def classify_tls_error(exc: ssl.SSLError) -> ProbeStop:
    if isinstance(exc, ssl.SSLCertVerificationError):
        failure = _VERIFY_CODES.get(exc.verify_code, Failure.TLS_UNTRUSTED)
        return ProbeStop(failure, exc.verify_message or str(exc.reason))
    return ProbeStop(Failure.TLS_PROTOCOL, str(exc.reason or exc))


def _connect_error(exc: OSError) -> ProbeStop:
    if isinstance(exc, socket.gaierror):
        return ProbeStop(Failure.DNS, str(exc.strerror or exc))
    if isinstance(exc, ConnectionRefusedError):
        return ProbeStop(Failure.REFUSED)
    if isinstance(exc, ssl.SSLError):
        return classify_tls_error(exc)
    if isinstance(exc, ConnectionError):
        return ProbeStop(Failure.DROPPED, type(exc).__name__)
    return ProbeStop(Failure.UNREACHABLE, str(exc.strerror or exc))


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


async def targets(host: str, port: int, endpoints: Endpoints,
                  timeout: float) -> tuple[tuple[str, tuple[str, int]], ...]:
    """Where to connect for host:port, as (address looked up, (host, port) to connect to):
    its route (the lab's stand-ins); else, with configured nameservers, host's A and AAAA
    records looked up there (each address may be routed in turn), never the system
    resolver; else host itself (the system resolver). The address is '' when none was
    looked up. Raises ProbeStop(DNS) when the configured nameservers give no address."""
    routed = endpoints.smtp_address(host, port)
    if routed != (host, port) or not endpoints.nameservers or _is_ip(host):
        return (("", routed),)
    a, aaaa = await dns.addresses(endpoints.nameservers, timeout, host)
    found = [*a.records, *aaaa.records]
    if found:
        return tuple((ip, endpoints.smtp_address(ip, port)) for ip in found)
    failed = next((x for x in (a, aaaa) if x.status.is_failure), None)
    if failed is not None:
        raise ProbeStop(Failure.DNS, f"{LOOKUP_FAILED}: {failed.rdtype} lookup: {failed.plain()}")
    if a.status is dns.DnsStatus.NXDOMAIN:
        raise ProbeStop(Failure.DNS, f"{a.plain()}, asked {a.server}")
    raise ProbeStop(Failure.DNS, f"the name has no A or AAAA record (NODATA), asked {a.server}")


async def _open(
    host: str, port: int, mode: Mode, endpoints: Endpoints, timeout: float, verify: bool = True
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, str]:
    """Connect (and, for implicit TLS, shake hands) to the first of host's targets that
    answers, within `timeout` in all: (reader, writer, the address when one was looked up)."""
    deadline = time.monotonic() + timeout
    stop = ProbeStop(Failure.CONNECT_TIMEOUT)
    tried: list[str] = []
    for address, (addr_host, addr_port) in await targets(host, port, endpoints, timeout):
        left = deadline - time.monotonic()
        if left <= 0:
            break
        tried += [address] if address else []
        try:
            reader, writer = await _connect(host, addr_host, addr_port, mode, endpoints, left,
                                            verify)
        except ProbeStop as exc:
            stop = exc
            if exc.failure not in (Failure.REFUSED, Failure.UNREACHABLE,
                                   Failure.CONNECT_TIMEOUT):
                break  # a server answered: its failure is the finding
            continue
        return reader, writer, address
    stop.address = ", ".join(tried)
    raise stop


async def _connect(
    host: str, addr_host: str, addr_port: int, mode: Mode, endpoints: Endpoints,
    timeout: float, verify: bool,
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    tls = tls_context(endpoints, verify) if mode == "tls" else None
    try:
        return await asyncio.wait_for(
            asyncio.open_connection(
                addr_host, addr_port, ssl=tls, server_hostname=host if tls else None,
                ssl_handshake_timeout=timeout if tls else None,
            ),
            timeout,
        )
    except TimeoutError:
        raise ProbeStop(Failure.CONNECT_TIMEOUT) from None
    except OSError as exc:
        raise _connect_error(exc) from None


def ehlo_keywords(reply: Reply) -> tuple[str, ...]:
    """EHLO extension lines after the greeting line, upper-cased."""
    return tuple(line.strip().upper() for line in reply.lines[1:])


def auth_mechanisms(capabilities: tuple[str, ...]) -> set[str]:
    for cap in capabilities:
        words = cap.replace("=", " ").split()
        if words and words[0] == "AUTH":
            return set(words[1:])
    return set()


@dataclass
class _Probe:
    """One probe run; collects what it learns, so a stop keeps the partial picture."""

    host: str
    port: int
    mode: Mode
    endpoints: Endpoints
    timeout: float
    banner: Reply | None = None
    capabilities: tuple[str, ...] = ()
    tls_version: str | None = None
    auth: Reply | None = None
    mail_from: Reply | None = None
    session: _Session | None = None
    verify: bool = True
    peer_der: bytes | None = None
    connect_seconds: float = 0.0
    step: str = "connect"
    address: str = ""
    #: how long to wait for the greeting (None: as for any reply, `timeout`)
    patience: float | None = None
    greeting_seconds: float = 0.0

    @property
    def greeting_wait(self) -> float:
        return max(self.timeout, self.patience or 0.0)

    async def run(self, credentials: tuple[str, Secret] | None, mail_from: str | None) -> None:
        began = time.monotonic()
        try:
            reader, writer, self.address = await _open(self.host, self.port, self.mode,
                                                       self.endpoints, self.timeout, self.verify)
        except ProbeStop as stop:
            self.address = stop.address
            raise
        self.connect_seconds = time.monotonic() - began
        self.session = _Session(reader, writer, self.timeout)
        if self.mode == "tls":
            self._tls_done(writer)
        await self._greet()
        if self.mode == "starttls":
            await self._starttls()
        if credentials is not None:
            self.step = "AUTH"
            await self._authenticate(*credentials)
        if mail_from is not None:
            self.step = "MAIL FROM"
            self.mail_from = await self.session.command(f"MAIL FROM:<{mail_from}>")

    async def _greet(self) -> None:
        """Wait for the greeting (up to the patience, when one is given). A greeting later
        than the time allowed per reply stops the probe as SLOW: the server is alive, but the
        steps after it would each run out of time, so no verdict on them is honest."""
        assert self.session is not None
        self.step = "greeting"
        began = time.monotonic()
        self.session.step_timeout = self.greeting_wait
        try:
            self.banner = await self._first_reply(self.session)
        except ProbeStop as stop:
            if stop.failure is Failure.TIMEOUT:
                raise ProbeStop(Failure.NO_BANNER) from None
            raise
        finally:
            self.session.step_timeout = self.timeout
        self.greeting_seconds = time.monotonic() - began
        if self.banner.code != 220:
            raise ProbeStop(Failure.REJECTED, self.banner.text)
        if self.patience is not None and self.greeting_seconds > self.timeout:
            raise ProbeStop(Failure.SLOW, f"the greeting came after {self.greeting_seconds:.1f} "
                            f"s; each reply may take {self.timeout:.2g} s")
        await self._ehlo()

    async def _first_reply(self, session: _Session) -> Reply:
        if self.mode != "starttls" or self.port not in IMPLICIT_TLS_PORTS:
            return await session.read_reply()
        return await self._greeting_or_tls(session)

    async def _greeting_or_tls(self, session: _Session) -> Reply:
        """STARTTLS set on an implicit-TLS port: wait for the greeting while a second
        connection tries a TLS handshake. If TLS answers before any greeting, the server is
        waiting for a ClientHello: stop at once. A slow server that really greets still
        wins, since its port fails the handshake (it speaks plain text first)."""
        greeting = asyncio.ensure_future(session.read_reply())
        handshake = asyncio.ensure_future(
            speaks_tls(self.host, self.port, self.endpoints, self.timeout))
        try:
            done, _ = await asyncio.wait({greeting, handshake},
                                         return_when=asyncio.FIRST_COMPLETED)
            if greeting not in done and handshake.result():
                raise ProbeStop(Failure.NO_BANNER, IMPLICIT_TLS_DETAIL)
            return await greeting
        finally:
            for task in (greeting, handshake):
                task.cancel()

    async def _ehlo(self) -> None:
        assert self.session is not None
        self.step = "EHLO after STARTTLS" if self.step == "TLS handshake" else "EHLO"
        reply = await self.session.command(f"EHLO {EHLO_NAME}")
        if reply.code != 250:
            raise ProbeStop(Failure.REJECTED, reply.text)
        self.capabilities = ehlo_keywords(reply)

    async def _starttls(self) -> None:
        assert self.session is not None
        if "STARTTLS" not in self.capabilities:
            raise ProbeStop(Failure.NO_STARTTLS)
        self.step = "STARTTLS"
        reply = await self.session.command("STARTTLS")
        if reply.code != 220:
            raise ProbeStop(Failure.STARTTLS_REFUSED, reply.text)
        await self._upgrade()
        await self._ehlo()

    async def _upgrade(self) -> None:
        assert self.session is not None
        self.step = "TLS handshake"
        writer = self.session.writer
        try:
            await asyncio.wait_for(
                writer.start_tls(tls_context(self.endpoints, self.verify),
                                 server_hostname=self.host),
                self.timeout,
            )
        except TimeoutError:
            raise ProbeStop(Failure.TLS_PROTOCOL, "handshake timed out") from None
        except ssl.SSLError as exc:
            raise classify_tls_error(exc) from None
        except ConnectionError as exc:
            raise ProbeStop(Failure.DROPPED, type(exc).__name__) from None
        self.session.log.append("-- TLS established --")
        self._tls_done(writer)

    def _tls_done(self, writer: asyncio.StreamWriter) -> None:
        self.tls_version = _tls_version(writer)
        ssl_object = writer.get_extra_info("ssl_object")
        self.peer_der = ssl_object.getpeercert(binary_form=True) if ssl_object else None

    async def _authenticate(self, username: str, password: Secret) -> None:
        assert self.session is not None
        mechanisms = auth_mechanisms(self.capabilities)
        if "PLAIN" in mechanisms:
            self.auth = await _auth_plain(self.session, username, password)
        elif "LOGIN" in mechanisms:
            self.auth = await _auth_login(self.session, username, password)
        else:
            raise ProbeStop(Failure.NO_AUTH, ", ".join(sorted(mechanisms)) or "no AUTH at all")

    async def finish(self, polite: bool) -> None:
        """QUIT when the session is still sound; otherwise just close the socket."""
        if self.session is None:
            return
        if polite:  # QUIT without waiting for 221: the answer tells nothing, and costs a round trip
            self.session.step_timeout = min(self.session.step_timeout, 2.0)
            with contextlib.suppress(ProbeStop):
                await self.session.send("QUIT")
        await _close(self.session.writer)

    def result(self, stop: ProbeStop | None) -> ProbeResult:
        return ProbeResult(
            self.host, self.port, self.mode,
            failure=stop.failure if stop else None,
            detail=stop.detail if stop else "",
            banner=self.banner, capabilities=self.capabilities, tls_version=self.tls_version,
            auth=self.auth, mail_from=self.mail_from,
            transcript=tuple(self.session.log) if self.session else (),
            connect_seconds=self.connect_seconds, reply_timeout=self.timeout, step=self.step,
            address=self.address, greeting_wait=self.greeting_wait,
            greeting_seconds=self.greeting_seconds,
        )


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def _auth_plain(session: _Session, username: str, password: Secret) -> Reply:
    blob = _b64(f"\0{username}\0{password.reveal()}")
    return await session.command(f"AUTH PLAIN {blob}", shown=f"AUTH PLAIN {MASK}")


async def _auth_login(session: _Session, username: str, password: Secret) -> Reply:
    reply = await session.command("AUTH LOGIN")
    if reply.code != 334:
        return reply
    reply = await session.command(_b64(username), shown=MASK)
    if reply.code != 334:
        return reply
    return await session.command(_b64(password.reveal()), shown=MASK)


def _tls_version(writer: asyncio.StreamWriter) -> str | None:
    ssl_object = writer.get_extra_info("ssl_object")
    return ssl_object.version() if ssl_object is not None else None


async def _close(writer: asyncio.StreamWriter) -> None:
    writer.close()
    with contextlib.suppress(OSError, TimeoutError, ssl.SSLError):
        await asyncio.wait_for(writer.wait_closed(), 1.0)


async def probe(
    host: str,
    port: int,
    mode: Mode,
    endpoints: Endpoints,
    *,
    auth: tuple[str, Secret] | None = None,
    mail_from: str | None = None,
    timeout: float = 10.0,
    patience: float | None = None,
) -> ProbeResult:
    """Probe an SMTP server up to AUTH (and optionally MAIL FROM), then QUIT. Never raises
    for network trouble: the result names what happened.

    `timeout` bounds each reply; `patience` (when longer) bounds the greeting only, so a
    server that is merely slow greets within it and is told apart from a silent one: a
    greeting later than `timeout` ends the probe as Failure.SLOW."""
    run = _Probe(host, port, mode, endpoints, timeout, patience=patience)
    stop: ProbeStop | None = None
    try:
        await run.run(auth, mail_from)
    except ProbeStop as exc:
        stop = exc
    finally:
        await run.finish(polite=stop is None or stop.failure in _POLITE)
    result = run.result(stop)
    if stop is not None and stop.failure in CERTIFICATE_FAILURES:
        names = await peer_certificate_names(host, port, mode, endpoints, timeout=timeout)
        result = dataclasses.replace(result, certificate_names=names)
    return result


async def peer_certificate_names(host: str, port: int, mode: Mode, endpoints: Endpoints, *,
                                 timeout: float = 10.0) -> tuple[str, ...]:
    """Connect again without verifying, only to read which names the certificate is for."""
    run = _Probe(host, port, mode, endpoints, timeout, verify=False)
    stop: ProbeStop | None = None
    try:
        await run.run(None, None)
    except ProbeStop as exc:
        stop = exc
    finally:
        await run.finish(polite=stop is None)
    return certificate_names(run.peer_der)


async def speaks_tls(host: str, port: int, endpoints: Endpoints, timeout: float) -> bool:
    """Whether the port completes a TLS handshake straight away (implicit TLS); any
    certificate will do, since only the protocol is in question."""
    try:
        _, writer, _ = await _open(host, port, "tls", endpoints, timeout, verify=False)
    except ProbeStop:
        return False
    await _close(writer)
    return True


async def connect_time(host: str, port: int, mode: Mode, endpoints: Endpoints,
                       timeout: float) -> float | None:
    """Seconds a fresh connection (with the handshake, for implicit TLS) takes; None if
    it fails."""
    began = time.monotonic()
    try:
        _, writer, _ = await _open(host, port, mode, endpoints, timeout, verify=False)
    except ProbeStop:
        return None
    seconds = time.monotonic() - began
    await _close(writer)
    return seconds


async def recheck_slow_connect(result: ProbeResult, endpoints: Endpoints,
                               tries: int = 2) -> ProbeResult:
    """A slow connect measured once may be this machine's hiccup (a busy CPU, the event loop
    held up), not the network: measure again and keep the fastest, so that only a network
    slow every time makes a missing greeting 'could not check'."""
    for _ in range(tries):
        if not result.slow_network:
            break
        seconds = await connect_time(result.host, result.port, result.mode, endpoints,
                                     result.reply_timeout)
        if seconds is not None:
            result = dataclasses.replace(
                result, connect_seconds=min(result.connect_seconds, seconds))
    return result


#: Gmail's two choices and SES's ports: (port, mode) to try when the configured pair fails.
SES_COMBINATIONS: tuple[tuple[int, Mode], ...] = (
    (587, "starttls"), (2587, "starttls"), (465, "tls"), (2465, "tls"), (25, "starttls"),
)


def describe(result: ProbeResult, redact: Callable[[str], str] = str) -> str:
    """One line on what the probe reached, for summaries."""
    via = f" via {result.address}" if result.address else ""
    where = f"{result.host}:{result.port} ({result.mode}){via}"
    if result.failure is None:
        return f"{where}: OK"
    detail = f" ({redact(result.detail)})" if result.detail else ""
    return f"{where}: {result.stopped_at}{detail}"
