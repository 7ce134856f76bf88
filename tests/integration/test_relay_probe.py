"""The SMTP probe against real servers on 127.0.0.1: aiosmtpd with STARTTLS, implicit TLS
and AUTH, plus raw asyncio servers for the faults (no banner, garbage, drop)."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket
import ssl
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from checks.endpoints import Endpoints
from checks.net.smtp import Failure, probe
from checks.secrets import Secret

HOST = "email-smtp.us-east-1.amazonaws.com"
USER = "AKIAEXAMPLEPROBE0001"
CANARY = "CANARY-relay-password-7f3a9c"


def _cert(tmp: Path, name: str, *, expired: bool = False) -> tuple[Path, Path, Path]:
    """A throwaway CA and a leaf certificate for `name`; returns (ca, cert, key) files."""
    now = dt.datetime.now(dt.UTC)
    ca_key, key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "probe test CA")])
    ca = (
        x509.CertificateBuilder().subject_name(ca_name).issuer_name(ca_name)
        .public_key(ca_key.public_key()).serial_number(1)
        .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=9))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    end = now - dt.timedelta(days=2) if expired else now + dt.timedelta(days=9)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name).public_key(key.public_key()).serial_number(2)
        .not_valid_before(now - dt.timedelta(days=5)).not_valid_after(end)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    stem = f"{name}{'-expired' if expired else ''}"
    paths = tmp / f"{stem}-ca.pem", tmp / f"{stem}.pem", tmp / f"{stem}.key"
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return paths


def _authenticator(server, session, envelope, mechanism, auth_data):  # type: ignore[no-untyped-def]
    ok = isinstance(auth_data, LoginPassword) and auth_data.password == CANARY.encode()
    return AuthResult(success=ok, handled=False)


class _Handler:
    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        raise AssertionError("the probe must never send mail")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _server(cert: tuple[Path, Path, Path], implicit: bool) -> Controller:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert[1], cert[2])
    kw = {"ssl_context": ctx} if implicit else {"tls_context": ctx, "require_starttls": True}
    ctl = Controller(_Handler(), hostname="127.0.0.1", port=_free_port(),
                     authenticator=_authenticator,
                     auth_require_tls=not implicit, auth_required=True, **kw)
    ctl.start()
    return ctl


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path, Path]]:
    tmp = tmp_path_factory.mktemp("certs")
    return {"good": _cert(tmp, HOST), "wrong": _cert(tmp, "mail.other.example"),
            "expired": _cert(tmp, HOST, expired=True)}


@pytest.fixture(scope="module")
def servers(certs: dict[str, tuple[Path, Path, Path]]) -> Iterator[dict[str, int]]:
    made = {
        "starttls": _server(certs["good"], False), "tls": _server(certs["good"], True),
        "wrong": _server(certs["wrong"], False), "expired": _server(certs["expired"], True),
    }
    yield {k: c.port for k, c in made.items()}
    for ctl in made.values():
        ctl.stop()


def _ep(port: int, ca: Path, target_port: int = 587) -> Endpoints:
    return Endpoints(smtp_routes={f"{HOST}:{target_port}": ("127.0.0.1", port)},
                     ca_file=str(ca))


async def test_starttls_auth_success(servers: dict[str, int], certs: dict) -> None:  # type: ignore[type-arg]
    res = await probe(HOST, 587, "starttls", _ep(servers["starttls"], certs["good"][0]),
                      auth=(USER, Secret(CANARY)), timeout=3)
    assert res.ok and res.auth_ok and res.tls_version
    assert "AUTH PLAIN [REDACTED]" in res.transcript_text()
    assert CANARY not in repr(res)


async def test_wrong_password_gives_535_and_redacted_transcript(
    servers: dict[str, int], certs: dict  # type: ignore[type-arg]
) -> None:
    res = await probe(HOST, 587, "starttls", _ep(servers["starttls"], certs["good"][0]),
                      auth=(USER, Secret("not-the-password-000")), timeout=3)
    assert res.ok and res.auth is not None and res.auth.code == 535
    assert "not-the-password-000" not in repr(res)


async def test_implicit_tls(servers: dict[str, int], certs: dict) -> None:  # type: ignore[type-arg]
    res = await probe(HOST, 465, "tls", _ep(servers["tls"], certs["good"][0], 465),
                      auth=(USER, Secret(CANARY)), timeout=3)
    assert res.ok and res.auth_ok


async def test_no_auth_shows_530_at_mail_from(servers: dict[str, int], certs: dict) -> None:  # type: ignore[type-arg]
    res = await probe(HOST, 587, "starttls", _ep(servers["starttls"], certs["good"][0]),
                      mail_from="admin@sender.example", timeout=3)
    assert res.mail_from is not None and res.mail_from.code == 530


@pytest.mark.parametrize(
    ("server", "cert", "mode", "failure"),
    [
        ("wrong", "wrong", "starttls", Failure.TLS_HOSTNAME),
        ("expired", "expired", "tls", Failure.TLS_EXPIRED),
        ("starttls", "wrong", "starttls", Failure.TLS_UNTRUSTED),  # CA not trusted
        ("starttls", "good", "tls", Failure.TLS_PROTOCOL),  # SSL set on a STARTTLS port
    ],
)
async def test_tls_failures(servers: dict[str, int], certs: dict, server: str, cert: str,  # type: ignore[type-arg]
                            mode: str, failure: Failure) -> None:
    res = await probe(HOST, 587, mode, _ep(servers[server], certs[cert][0]), timeout=3)  # type: ignore[arg-type]
    assert res.failure is failure, res


async def test_starttls_on_implicit_tls_port_gives_no_banner(
    servers: dict[str, int], certs: dict  # type: ignore[type-arg]
) -> None:
    res = await probe(HOST, 465, "starttls", _ep(servers["tls"], certs["good"][0], 465),
                      timeout=0.5)
    assert res.failure is Failure.NO_BANNER


async def _raw_server(behaviour: bytes | None) -> AsyncIterator[int]:
    async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if behaviour is None:
            await asyncio.sleep(5)
        else:
            writer.write(behaviour)
            await writer.drain()
        writer.close()

    srv = await asyncio.start_server(serve, "127.0.0.1", 0)
    try:
        yield srv.sockets[0].getsockname()[1]
    finally:
        srv.close()


@pytest.mark.parametrize(
    ("behaviour", "failure"),
    [
        (None, Failure.NO_BANNER),
        (b"HTTP/1.1 400 Bad Request\r\n", Failure.GARBAGE),
        (b"", Failure.DROPPED),
        (b"554 No SMTP service here\r\n", Failure.REJECTED),
    ],
)
async def test_raw_faults(behaviour: bytes | None, failure: Failure) -> None:
    async for port in _raw_server(behaviour):
        res = await probe(HOST, 587, "starttls", _ep(port, Path("/nonexistent")), timeout=0.5)
        assert res.failure is failure


async def test_refused_and_dns() -> None:
    srv = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = srv.sockets[0].getsockname()[1]
    srv.close()
    await srv.wait_closed()
    ep = Endpoints(smtp_routes={f"{HOST}:587": ("127.0.0.1", port)})
    assert (await probe(HOST, 587, "starttls", ep, timeout=1)).failure is Failure.REFUSED
    dns = await probe("no-such-host.invalid", 587, "starttls", Endpoints(), timeout=2)
    assert dns.failure is Failure.DNS
