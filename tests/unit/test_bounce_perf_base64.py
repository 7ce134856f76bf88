"""A base64 part decodes as it did when the bytes that are no base64 characters were
deleted before decoding (the decoder skips them itself): same bytes, same failures."""

from __future__ import annotations

import base64
import binascii
import random

from checks.bounce import mail


def _deleted_first(data: bytes) -> bytes | None:
    try:
        return base64.b64decode(data.translate(None, mail._NOT_BASE64) + b"==")
    except (ValueError, binascii.Error):
        return None


def _as_read(data: bytes) -> bytes | None:
    try:
        return base64.b64decode(data + b"==")
    except (ValueError, binascii.Error):
        return None


def test_skipping_junk_is_deleting_it() -> None:
    rng = random.Random(3)
    junk = b"ABCxyz019+/=\n\r \t-*\x00\xff.:="
    for _ in range(50000):
        if rng.random() < 0.5:
            data = bytes(rng.choice(junk) for _ in range(rng.randint(0, 30)))
        else:
            chunk = bytearray(base64.b64encode(rng.randbytes(rng.randint(0, 24))))
            for _ in range(rng.randint(0, 4)):
                chunk.insert(rng.randint(0, len(chunk)), rng.choice(junk))
            data = bytes(chunk)
        assert _as_read(data) == _deleted_first(data), data


def test_part_decoded() -> None:
    part = mail.parse_headers(b"Content-Type: text/plain\nContent-Transfer-Encoding: base64")
    body = base64.encodebytes("bonjour, caf\u00e9".encode()) + b"\n\x00junk"
    assert mail._decoded(part, body) == "bonjour, caf\u00e9"
