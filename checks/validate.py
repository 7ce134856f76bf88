"""Validators for what a user types (flags, stored profiles): one place for `check`,
`creds set` and `suppression`. Each returns the normalised value or raises InvalidValue
with one line naming `what` (a flag such as "--region", or "profile 'x' region")."""

from __future__ import annotations

import difflib
import ipaddress
import math
import re

#: AWS regions known when this was written; a well-shaped name in a known area with known
#: words is accepted too (AWS adds regions), anything else gets a "did you mean".
KNOWN_REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "us-gov-east-1", "us-gov-west-1",
    "ca-central-1", "ca-west-1", "mx-central-1", "sa-east-1",
    "eu-central-1", "eu-central-2", "eu-west-1", "eu-west-2", "eu-west-3", "eu-south-1",
    "eu-south-2", "eu-north-1", "il-central-1", "me-south-1", "me-central-1", "af-south-1",
    "ap-east-1", "ap-east-2", "ap-south-1", "ap-south-2", "ap-southeast-1", "ap-southeast-2",
    "ap-southeast-3", "ap-southeast-4", "ap-southeast-5", "ap-southeast-7",
    "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "cn-north-1", "cn-northwest-1",
)
_AREAS = frozenset(r.split("-")[0] for r in KNOWN_REGIONS)
_WORDS = frozenset(w for r in KNOWN_REGIONS for w in r.split("-")[1:-1])
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d")
_ADDRESS = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_LABEL = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9])?")
_PROFILE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
#: the per-check time limit (`--timeout`), in seconds: below 0.1 s no lookup can answer
#: (every check would end as "could not check"), above 10 minutes a run only looks hung
MIN_TIMEOUT, MAX_TIMEOUT = 0.1, 600.0


class InvalidValue(ValueError):
    """A value the user gave is not usable; the message is one line saying which and why."""


def region(value: str, what: str = "--region") -> str:
    """An AWS region name such as us-east-1."""
    name = value.strip().lower()
    if name in KNOWN_REGIONS or _new_region(name):
        return name
    close = difflib.get_close_matches(name, KNOWN_REGIONS, n=1, cutoff=0.6)
    hint = f"; did you mean {close[0]}?" if close else " (e.g. us-east-1, eu-west-1)"
    raise InvalidValue(f"{what} {value!r} is not an AWS region{hint}")


def _new_region(name: str) -> bool:
    """Well shaped, in a known area, with known words (east, southeast, gov, ...)."""
    if not _REGION.fullmatch(name):
        return False
    area, *words, _ = name.split("-")
    return area in _AREAS and set(words) <= _WORDS


def address(value: str, what: str) -> str:
    """An email address (syntax only: something@domain.tld, no spaces)."""
    if not _ADDRESS.fullmatch(value.strip()):
        raise InvalidValue(f"{what} {value!r} is not an email address")
    return value.strip()


def hostname(value: str, what: str) -> str:
    """A DNS host name or an IP address, lower-cased, without a trailing dot."""
    name = value.strip().lower().rstrip(".")
    if _is_ip(name) or (0 < len(name) <= 253 and "." in name
                        and all(_LABEL.fullmatch(p) for p in name.split("."))):
        return name
    raise InvalidValue(f"{what} {value!r} is not a host name")


def _is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def port(value: int, what: str) -> int:
    if not 0 < value < 65536:
        raise InvalidValue(f"{what} {value} is not a TCP port (1-65535)")
    return value


def username(value: str, what: str) -> str:
    """A non-empty SMTP username without spaces or control characters."""
    name = value.strip()
    if not name:
        raise InvalidValue(f"{what} is empty")
    if any(c.isspace() or not c.isprintable() for c in name):
        raise InvalidValue(f"{what} contains spaces or control characters")
    return name


def profile_name(value: str) -> str:
    if not _PROFILE.fullmatch(value):
        raise InvalidValue(f"profile name {value!r} is not usable: use 1-64 letters, digits, "
                           "'.', '_' or '-', starting with a letter or digit")
    return value


def timeout(value: float, what: str = "--timeout") -> float:
    """A per-check time limit in seconds, from MIN_TIMEOUT to MAX_TIMEOUT (not NaN or
    infinite)."""
    if not (math.isfinite(value) and MIN_TIMEOUT <= value <= MAX_TIMEOUT):
        raise InvalidValue(f"{what} must be a number of seconds from {MIN_TIMEOUT:g} to "
                           f"{MAX_TIMEOUT:g}, not {value:g}")
    return value
