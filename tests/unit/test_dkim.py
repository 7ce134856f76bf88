"""DKIM key records, with expected values from RFC 6376, RFC 8463 and RFC 8301."""

from __future__ import annotations

import base64

import pytest

from checks.dnsauth import dkim

# RFC 6376 Appendix C: the brisbane._domainkey.example.com record (a 1024-bit RSA key).
RFC6376_KEY = (
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQ"
    "KBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYt"
    "IxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v"
    "/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4OuKhi"
    "tdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB"
)
RFC6376_RECORD = f"v=DKIM1; p={RFC6376_KEY}"
# RFC 8463 Appendix A.2: the brisbane ed25519 record (the RFC 8032 test key).
RFC8463_RECORD = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
# RFC 8410 section 4: the fixed 12-byte SubjectPublicKeyInfo prefix of an Ed25519 key.
ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


def test_rfc6376_example_key_is_rsa_1024() -> None:
    key = dkim.parse_key(RFC6376_RECORD)
    assert (key.key_type, key.bits, key.revoked) == ("rsa", 1024, False)
    faults, warnings = dkim.problems(key)
    assert faults == []
    assert warnings and "2048" in warnings[0]  # RFC 8301 3.2


def test_rfc8463_example_key_is_ed25519() -> None:
    key = dkim.parse_key(RFC8463_RECORD)
    assert (key.key_type, key.bits) == ("ed25519", 256)
    assert dkim.problems(key) == ([], [])


def test_key_split_over_strings_with_spaces() -> None:
    """RFC 6376 3.6.2.2: whitespace inside p= (from joined TXT strings) is ignored."""
    spaced = "v=DKIM1; p=" + " ".join(RFC6376_KEY[i : i + 40] for i in range(0, 216, 40))
    assert dkim.parse_key(spaced).bits == 1024


def test_bare_pkcs1_rsa_key() -> None:
    """Some signers publish the RSAPublicKey without the SubjectPublicKeyInfo wrapper."""
    der = base64.b64decode(RFC6376_KEY)
    bare = base64.b64encode(der[22:]).decode()  # after the 22-byte SPKI header
    assert dkim.parse_key(f"p={bare}").bits == 1024


def test_empty_p_is_revoked() -> None:
    """RFC 6376 3.6.1: 'An empty value means that this public key has been revoked.'"""
    key = dkim.parse_key("v=DKIM1; k=rsa; p=")
    assert key.revoked and key.bits is None
    faults, _ = dkim.problems(key)
    assert "revoked" in faults[0]


def test_rsa_under_1024_bits_is_a_fault() -> None:
    modulus = (1 << 511) | 1  # a 512-bit modulus, DER by hand: SEQUENCE { INTEGER n, INTEGER e }
    n = b"\x02\x41\x00" + modulus.to_bytes(64, "big")
    der = b"\x30" + bytes([len(n) + 5]) + n + b"\x02\x03\x01\x00\x01"
    key = dkim.parse_key("p=" + base64.b64encode(der).decode())
    assert key.bits == 512
    faults, _ = dkim.problems(key)
    assert "1024" in faults[0]


def test_sha1_only_and_testing_flags() -> None:
    key = dkim.parse_key(f"v=DKIM1; h=sha1; t=y; p={RFC6376_KEY}")
    faults, warnings = dkim.problems(key)
    assert "SHA-1" in faults[0]  # RFC 8301 3.1
    assert any("t=y" in w for w in warnings)


@pytest.mark.parametrize(
    ("record", "words"),
    [
        ("v=DKIM2; p=" + RFC6376_KEY, "DKIM1"),
        (f"p={RFC6376_KEY}; v=DKIM1", "first tag"),
        ("v=DKIM1; k=dsa; p=" + RFC6376_KEY, "unknown key type"),
        ("v=DKIM1; p=AAAA; p=BBBB", "twice"),  # RFC 6376 3.2: the whole list is invalid
        ("v=DKIM1; s=tlsrpt; p=" + RFC6376_KEY, "does not allow email"),
        ("v=DKIM1; k=rsa", "no p= tag"),
        ("v=DKIM1; p=not*base64", "base64"),
        ("v=DKIM1; p=AAAA", "DER"),
        ("just some text", "not a tag=value"),
    ],
)
def test_syntax_errors(record: str, words: str) -> None:
    with pytest.raises(dkim.DkimKeyError, match=words):
        dkim.parse_key(record)


def test_ed25519_in_spki_form_is_rejected() -> None:
    """RFC 8463 4.2: p= is the bare 32-byte key; the 60-character SPKI form is wrong."""
    raw = base64.b64decode("11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=")
    spki = base64.b64encode(ED25519_SPKI_PREFIX + raw).decode()
    assert len(spki) == 60
    with pytest.raises(dkim.DkimKeyError, match="32-byte"):
        dkim.parse_key(f"v=DKIM1; k=ed25519; p={spki}")


@pytest.mark.parametrize(
    ("selector", "ok"),
    [("brisbane", True), ("s1024.eu", True), ("google", True), ("selector1-x", True),
     ("", False), ("bad selector", False), ("a..b", False), ("x;y", False)],
)
def test_selector_syntax(selector: str, ok: bool) -> None:
    assert dkim.valid_selector(selector) is ok


def test_is_key_record() -> None:
    assert dkim.is_key_record(RFC6376_RECORD)
    assert dkim.is_key_record("k=rsa; p=" + RFC6376_KEY)
    assert not dkim.is_key_record("v=spf1 -all")
