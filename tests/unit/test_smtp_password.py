"""SES SMTP password derivation against the public vectors in test-infra.md."""

from __future__ import annotations

import pytest

from checks.creds.smtp_password import (
    derive_legacy_smtp_password,
    derive_smtp_password,
    password_version,
)

SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"  # AWS documentation example, not a real key
SIGV4_US_EAST_2 = "BMPPgbAHoFVbze1Ud0oA5uNdXRwUXUZ+qOwphGJbl/cS"
LEGACY = "An60U4ZD3sd4fg+FvXUjayOipTt8LO4rUUmhpdX6ctDy"


def test_sigv4_vector() -> None:
    assert derive_smtp_password(SECRET, "us-east-2") == SIGV4_US_EAST_2


def test_legacy_vector() -> None:
    assert derive_legacy_smtp_password(SECRET) == LEGACY


def test_region_changes_password() -> None:
    assert derive_smtp_password(SECRET, "us-east-1") != SIGV4_US_EAST_2
    assert len(derive_smtp_password(SECRET, "eu-west-1")) == 44


@pytest.mark.parametrize(
    ("pw", "version"),
    [(SIGV4_US_EAST_2, 4), (LEGACY, 2), (SECRET, None), ("", None), ("not base64!", None),
     ("AAAA", None)],
)
def test_password_version(pw: str, version: int | None) -> None:
    assert password_version(pw) == version
