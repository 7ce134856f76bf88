"""A DKIM p= whose key bits hold another key wrapper, however deep: refused in one step with
a plain reason, never a RecursionError (RFC 3279 2.3.1: one RSAPublicKey in the SPKI)."""

from __future__ import annotations

import base64
import sys

import pytest

from checks.dnsauth import dkim

RSA_1024 = (  # RFC 6376 Appendix C
    "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDwIRP/UC3SBsEmGqZ9ZJW3/DkMoGeLnQg1fWn7/zYt"
    "IxN2SnFCjxOCKG9v3b4jYfcTNh5ijSsq631uBItLa7od+v/RtdC2UzJ1lWT947qR+Rcac2gbto/NMqJ0fzfVjH4O"
    "uKhitdY9tf6mcwGjaNBcWToIMmPSPDdQPNUYckcQ2QIDAQAB"
)
ALGORITHM = bytes.fromhex("300d06092a864886f70d0101010500")


def _der(tag: int, content: bytes) -> bytes:
    n = len(content)
    if n < 0x80:
        return bytes([tag, n]) + content
    size = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(size)]) + size + content


def _wrap(key: bytes, times: int) -> bytes:
    for _ in range(times):
        key = _der(0x30, ALGORITHM + _der(0x03, b"\x00" + key))
    return key


def test_rfc6376_key_still_reads() -> None:
    assert dkim.parse_key(f"v=DKIM1; p={RSA_1024}").bits == 1024


@pytest.mark.parametrize("extra", [1, 2, sys.getrecursionlimit() + 100])
def test_key_in_a_key_is_not_a_valid_key(extra: int) -> None:
    data = _wrap(base64.b64decode(RSA_1024), extra)
    with pytest.raises(dkim.DkimKeyError, match="p= is not a valid RSA public key"):
        dkim.parse_key(f"v=DKIM1; p={base64.b64encode(data).decode()}")
