"""Names read from a server certificate after a verification failure (checks.net.smtp), so a
mismatch can say which name the certificate is for. Certificates are made here with
`cryptography`; no network."""

from __future__ import annotations

import datetime as dt

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from checks.net.smtp import certificate_names


def _der(common_name: str, sans: list[str] | None) -> bytes:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
               .public_key(key.public_key()).serial_number(7)
               .not_valid_before(now).not_valid_after(now + dt.timedelta(days=1)))
    if sans is not None:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.DNSName(s) for s in sans]), critical=False)
    return builder.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


def test_subject_alternative_names_win_over_the_common_name() -> None:
    der = _der("panel.hosting.example", ["panel.hosting.example", "*.hosting.example"])
    assert certificate_names(der) == ("panel.hosting.example", "*.hosting.example")


def test_common_name_when_there_are_no_alternative_names() -> None:
    assert certificate_names(_der("localhost.localdomain", None)) == ("localhost.localdomain",)


def test_nothing_or_garbage_gives_no_names() -> None:
    assert certificate_names(None) == ()
    assert certificate_names(b"not a certificate") == ()
