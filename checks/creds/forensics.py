"""Why SES refused a relay login: the password's shape, and one named cause for a 535.

Pure functions, no I/O. SES SMTP passwords are base64 of a version byte and an
HMAC-SHA256 digest: 0x04 for SigV4 (region-bound, 44 characters), 0x02 for the
legacy SigV2 scheme SES no longer accepts. An IAM secret access key is 40
characters of base64 alphabet that do not decode to either.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Shape(StrEnum):
    SIGV4 = "sigv4"
    SIGV2 = "sigv2"
    IAM_SECRET = "iam_secret"
    EMPTY = "empty"
    UNKNOWN = "unknown"


class Cause(StrEnum):
    """The one named reason behind `535 Authentication Credentials Invalid`."""

    KEY_DELETED = "key_deleted"
    KEY_INACTIVE = "key_inactive"
    IAM_SECRET = "iam_secret"
    SIGV2 = "sigv2"
    OTHER_REGION = "other_region"
    UNKNOWN = "unknown"


#: which check owns (fails for) each cause; UNKNOWN leaves the auth failure as the root cause.
CAUSE_OWNER: dict[Cause, str] = {
    Cause.KEY_DELETED: "gmail_relay.ses.key_state",
    Cause.KEY_INACTIVE: "gmail_relay.ses.key_state",
    Cause.IAM_SECRET: "gmail_relay.ses.password_shape",
    Cause.SIGV2: "gmail_relay.ses.password_shape",
    Cause.OTHER_REGION: "gmail_relay.ses.region",
    Cause.UNKNOWN: "gmail_relay.smtp.auth",
}

CAUSE_TEXT: dict[Cause, str] = {
    Cause.KEY_DELETED: "the IAM access key behind the SMTP username is not a key of this AWS "
    "account (deleted, or another account's)",
    Cause.KEY_INACTIVE: "the IAM access key behind the SMTP username is deactivated (Inactive)",
    Cause.IAM_SECRET: "the password is the IAM secret access key itself, not the SES SMTP "
    "password derived from it",
    Cause.SIGV2: "the password is a legacy SigV2 SMTP password, which SES no longer accepts",
    Cause.OTHER_REGION: "the SMTP password was derived for another region than the relay host's",
    Cause.UNKNOWN: "SES did not accept the credentials, and none of the known causes fits",
}

SHAPE_TEXT: dict[Shape, str] = {
    Shape.SIGV4: "a current (SigV4) SES SMTP password",
    Shape.SIGV2: "a legacy SigV2 SES SMTP password (created before 2019, no longer accepted)",
    Shape.IAM_SECRET: "an IAM secret access key (40 characters), not an SMTP password",
    Shape.EMPTY: "empty",
    Shape.UNKNOWN: "not shaped like an SES SMTP password",
}

_IAM_SECRET = re.compile(r"[A-Za-z0-9/+]{40}")
_VERSION_BYTE = {4: Shape.SIGV4, 2: Shape.SIGV2}
_SES_HOST = re.compile(r"email-smtp(?:-fips)?\.([a-z]{2}(?:-gov)?-[a-z]+-\d)\.amazonaws\.com\.?")
_ACCESS_KEY_ID = re.compile(r"(AKIA|ASIA)[A-Z0-9]{16}")


def password_shape(password: str) -> Shape:
    """Tell a SigV4 or SigV2 SMTP password from an IAM secret key or anything else."""
    if not password:
        return Shape.EMPTY
    raw = _b64(password) if len(password) == 44 else None
    if raw is not None and len(raw) == 33 and raw[0] in _VERSION_BYTE:
        return _VERSION_BYTE[raw[0]]
    if _IAM_SECRET.fullmatch(password):
        return Shape.IAM_SECRET
    return Shape.UNKNOWN


def _b64(text: str) -> bytes | None:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return None


def ses_region(host: str) -> str | None:
    """The region of an SES SMTP endpoint (`email-smtp.<region>.amazonaws.com`), else None."""
    match = _SES_HOST.fullmatch(host.strip().lower())
    return match.group(1) if match else None


def looks_like_access_key_id(username: str) -> bool:
    return bool(_ACCESS_KEY_ID.fullmatch(username.strip()))


@dataclass(frozen=True)
class Evidence535:
    """What is known when SES answered 535. `key_status` is Active, Inactive, deleted or None."""

    key_status: str | None
    shape: Shape
    host_region: str | None = None
    password_region: str | None = None


def cause_of_535(ev: Evidence535) -> Cause:
    """Exactly one named cause, the most basic first: a dead key hides everything else."""
    if ev.key_status == "deleted":
        return Cause.KEY_DELETED
    if ev.key_status == "Inactive":
        return Cause.KEY_INACTIVE
    if ev.shape is Shape.IAM_SECRET:
        return Cause.IAM_SECRET
    if ev.shape is Shape.SIGV2:
        return Cause.SIGV2
    if ev.password_region and ev.host_region and ev.password_region != ev.host_region:
        return Cause.OTHER_REGION
    return Cause.UNKNOWN


def region_of_password(password: str, secret: str, regions: Iterable[str]) -> str | None:
    """The region this SigV4 password was derived for, when the IAM secret is known."""
    from checks.creds.smtp_password import derive_smtp_password

    return next((r for r in regions if derive_smtp_password(secret, r) == password), None)
