"""Organisational domain (RFC 7489 3.2), with a small built-in public-suffix table.

A full Public Suffix List is not bundled: the multi-label suffixes below cover
the common cases, and anything else falls back to "the last two labels".
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

_DATA = Path(__file__).with_name("public_suffixes.json")


@cache
def _suffixes() -> frozenset[str]:
    """Loaded once per process: read-only reference data, not a lookup cache."""
    return frozenset(json.loads(_DATA.read_text(encoding="utf-8")))


def org_domain(domain: str) -> str:
    """The organisational domain: one label below the longest known public suffix."""
    labels = domain.lower().rstrip(".").split(".")
    for size in range(len(labels) - 1, 0, -1):
        if ".".join(labels[-size:]) in _suffixes():
            return ".".join(labels[-size - 1 :])
    return ".".join(labels[-2:])
