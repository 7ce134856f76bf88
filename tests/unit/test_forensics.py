"""Password shapes and the one named cause of a 535, from public test vectors."""

from __future__ import annotations

import pytest

from checks.creds.forensics import (
    CAUSE_OWNER,
    Cause,
    Evidence535,
    Shape,
    cause_of_535,
    looks_like_access_key_id,
    password_shape,
    ses_region,
)

# Public vectors (AWS SDK for PHP test suite), see shared/reference/test-infra.md.
IAM_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
SIGV4_US_EAST_2 = "BMPPgbAHoFVbze1Ud0oA5uNdXRwUXUZ+qOwphGJbl/cS"
SIGV2 = "An60U4ZD3sd4fg+FvXUjayOipTt8LO4rUUmhpdX6ctDy"


@pytest.mark.parametrize(
    ("password", "shape"),
    [
        (SIGV4_US_EAST_2, Shape.SIGV4),
        (SIGV2, Shape.SIGV2),
        (IAM_SECRET, Shape.IAM_SECRET),
        ("", Shape.EMPTY),
        ("hunter2", Shape.UNKNOWN),
        ("A" * 44, Shape.UNKNOWN),
    ],
)
def test_password_shape(password: str, shape: Shape) -> None:
    assert password_shape(password) is shape


@pytest.mark.parametrize(
    ("host", "region"),
    [
        ("email-smtp.us-east-1.amazonaws.com", "us-east-1"),
        ("EMAIL-SMTP.eu-west-2.amazonaws.com.", "eu-west-2"),
        ("email-smtp-fips.us-gov-west-1.amazonaws.com", "us-gov-west-1"),
        ("smtp.gmail.com", None),
        ("email-smtp.amazonaws.com", None),
    ],
)
def test_ses_region(host: str, region: str | None) -> None:
    assert ses_region(host) == region


def test_access_key_id() -> None:
    assert looks_like_access_key_id("AKIAIOSFODNN7EXAMPLE")
    assert not looks_like_access_key_id("admin@sender.example")


@pytest.mark.parametrize(
    ("ev", "cause"),
    [
        (Evidence535("deleted", Shape.IAM_SECRET), Cause.KEY_DELETED),
        (Evidence535("Inactive", Shape.SIGV4), Cause.KEY_INACTIVE),
        (Evidence535("Active", Shape.IAM_SECRET), Cause.IAM_SECRET),
        (Evidence535("Active", Shape.SIGV2), Cause.SIGV2),
        (Evidence535("Active", Shape.SIGV4, "us-east-1", "eu-west-1"), Cause.OTHER_REGION),
        (Evidence535("Active", Shape.SIGV4, "us-east-1", "us-east-1"), Cause.UNKNOWN),
        (Evidence535(None, Shape.SIGV4), Cause.UNKNOWN),
    ],
)
def test_cause_of_535(ev: Evidence535, cause: Cause) -> None:
    assert cause_of_535(ev) is cause


def test_every_cause_has_one_owner() -> None:
    assert set(CAUSE_OWNER) == set(Cause)
