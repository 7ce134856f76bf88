"""A throwaway certificate authority and server certificate for the lab, made at start.

One CA signs one leaf certificate whose subject alternative names cover every host name the
lab serves (SES SMTP hosts, recipient MTAs, mta-sts.* hosts) plus 127.0.0.1. Clients trust
the CA file (`Endpoints.ca_file`); with the default trust store they get a verification error.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

_VALIDITY = dt.timedelta(days=2)


@dataclass(frozen=True)
class LabCerts:
    ca_file: Path
    cert_file: Path
    key_file: Path
    #: the CA's private key (0600), kept so `make_extra_leaf` can sign more leaves
    ca_key_file: Path | None = None

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(str(self.cert_file), str(self.key_file))
        return ctx

    def client_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=str(self.ca_file))


def _name(common_name: str) -> x509.Name:
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "mailpath lab"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ])


def _builder(
    subject: str, issuer: str, public_key: ec.EllipticCurvePublicKey
) -> x509.CertificateBuilder:
    now = dt.datetime.now(dt.UTC)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer))
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + _VALIDITY)
    )


def _ca(key: ec.EllipticCurvePrivateKey) -> x509.Certificate:
    return (
        _builder("mailpath lab CA", "mailpath lab CA", key.public_key())
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False),
                       critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )


def _alt_names(hosts: Iterable[str]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = [x509.DNSName(h) for h in dict.fromkeys(hosts)]
    names.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    return x509.SubjectAlternativeName(names)


def _leaf(
    hosts: list[str], key: ec.EllipticCurvePrivateKey,
    ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey,
) -> x509.Certificate:
    return (
        _builder(hosts[0] if hosts else "localhost", "mailpath lab CA", key.public_key())
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_alt_names(hosts or ["localhost"]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )


def _pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.touch(mode=0o600)
    path.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))


def make_certs(directory: Path, hosts: Iterable[str]) -> LabCerts:
    """Write ca.pem, ca.key, server.pem and server.key (keys 0600) into `directory`."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    key = ec.generate_private_key(ec.SECP256R1())
    ca = _ca(ca_key)
    leaf = _leaf([h.lower().rstrip(".") for h in hosts], key, ca, ca_key)
    certs = LabCerts(directory / "ca.pem", directory / "server.pem", directory / "server.key",
                     directory / "ca.key")
    certs.ca_file.write_bytes(_pem(ca))
    certs.cert_file.write_bytes(_pem(leaf) + _pem(ca))
    _write_key(certs.key_file, key)
    _write_key(directory / "ca.key", ca_key)
    return certs


def make_extra_leaf(certs: LabCerts, names: Iterable[str], stem: str) -> LabCerts:
    """A second leaf signed by the same lab CA for `names` only (a server presenting a
    certificate for another name); written next to the CA as `<stem>.pem` / `<stem>.key`."""
    if certs.ca_key_file is None:
        raise ValueError("these lab certificates were made without keeping the CA key")
    ca_key = serialization.load_pem_private_key(certs.ca_key_file.read_bytes(), None)
    ca = x509.load_pem_x509_certificate(certs.ca_file.read_bytes())
    assert isinstance(ca_key, ec.EllipticCurvePrivateKey)
    key = ec.generate_private_key(ec.SECP256R1())
    leaf = _leaf([n.lower().rstrip(".") for n in names], key, ca, ca_key)
    directory = certs.ca_file.parent
    extra = LabCerts(certs.ca_file, directory / f"{stem}.pem", directory / f"{stem}.key",
                     certs.ca_key_file)
    extra.cert_file.write_bytes(_pem(leaf) + _pem(ca))
    _write_key(extra.key_file, key)
    return extra
