"""Amazon SES SMTP passwords, derived from an IAM secret access key.

SES SMTP does not take the IAM secret itself: the password is a keyed-hash chain over the
secret. Version 4 passwords (first decoded byte 0x04) are bound to one region; legacy
version 2 passwords (0x02, before 2019) work in any region that still accepts them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

SIGV4_VERSION = 0x04
LEGACY_VERSION = 0x02
#: The fixed inputs of the SigV4 chain after the region ("date", then region, then these).
_DATE = "11111111"
_SERVICE = "ses"
_TERMINAL = "aws4_request"
_MESSAGE = "SendRawEmail"


def _sign(key: bytes, msg: str) -> bytes:
    return hmac.new(key, msg.encode("utf-8"), hashlib.sha256).digest()


def derive_smtp_password(secret: str, region: str) -> str:
    """The SigV4 SES SMTP password for `secret` in `region` (44 base64 characters)."""
    key = ("AWS4" + secret).encode("utf-8")
    for part in (_DATE, region, _SERVICE, _TERMINAL, _MESSAGE):
        key = _sign(key, part)
    return base64.b64encode(bytes([SIGV4_VERSION]) + key).decode("ascii")


def derive_legacy_smtp_password(secret: str) -> str:
    """The legacy (SigV2, region-independent) SES SMTP password for `secret`."""
    digest = _sign(secret.encode("utf-8"), _MESSAGE)
    return base64.b64encode(bytes([LEGACY_VERSION]) + digest).decode("ascii")


def password_version(pw: str) -> int | None:
    """The version byte of an SES SMTP password (4 or 2), or None if it is not one.

    An IAM secret pasted as the password is 40 characters and not a 33-byte base64 blob,
    so it gives None.
    """
    try:
        raw = base64.b64decode(pw, validate=True)
    except (binascii.Error, ValueError):
        return None
    if len(raw) != 33 or raw[0] not in (SIGV4_VERSION, LEGACY_VERSION):
        return None
    return raw[0]
