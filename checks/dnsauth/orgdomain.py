"""Organisational domain (RFC 7489 3.2) from the Public Suffix List.

DMARC needs the public suffix of a domain: the organisational domain is one label below
it, and relaxed alignment compares organisational domains. A two-label guess is wrong for
`co.uk`, `com.au` and thousands more (then `a.co.uk` and `b.co.uk` would look aligned).
The full list is read from the system's copy (Debian/Ubuntu `publicsuffix`, Fedora
`publicsuffix-list`) when there is one; otherwise a small built-in table of the common
multi-label suffixes (public_suffixes.json) is used, and rarer suffixes fall back to "the
last two labels". `list_source()` says which one is in use.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

_BUILTIN = Path(__file__).with_name("public_suffixes.json")
#: where distributions install the Public Suffix List
SYSTEM_LISTS = (
    Path("/usr/share/publicsuffix/public_suffix_list.dat"),
    Path("/usr/share/publicsuffix-list/public_suffix_list.dat"),
)


@dataclass(frozen=True)
class SuffixRules:
    """The list's three kinds of rule: plain, wildcard (`*.ck`, stored as `ck`), exception."""

    plain: frozenset[str]
    wildcard: frozenset[str]
    exception: frozenset[str]
    source: str = ""

    def public_suffix(self, domain: str) -> str:
        """The longest matching rule wins; an exception rule beats its wildcard."""
        labels = domain.lower().rstrip(".").split(".")
        for i in range(len(labels)):
            candidate = ".".join(labels[i:])
            if candidate in self.exception:
                return ".".join(labels[i + 1 :])
            if candidate in self.plain or ".".join(labels[i + 1 :]) in self.wildcard:
                return candidate
        return labels[-1]  # the implicit "*" rule


def parse_rules(lines: Iterable[str], source: str = "") -> SuffixRules:
    """Rules from the list's text format: one per line, `//` comments, IDN as Unicode."""
    plain: set[str] = set()
    wildcard: set[str] = set()
    exception: set[str] = set()
    for line in lines:
        rule = _ascii(line.strip().split(" ")[0].lower())
        if not rule or rule.startswith("//"):
            continue
        if rule.startswith("!"):
            exception.add(rule[1:])
        elif rule.startswith("*."):
            wildcard.add(rule[2:])
        else:
            plain.add(rule)
    return SuffixRules(frozenset(plain), frozenset(wildcard), frozenset(exception), source)


def _ascii(rule: str) -> str:
    """A rule with Unicode labels in the A-label (punycode) form DNS names arrive in."""
    if rule.isascii():
        return rule
    try:
        return ".".join(
            part if part in ("*", "!") else part.encode("idna").decode("ascii")
            for part in rule.split(".")
        )
    except UnicodeError:
        return ""  # a label Python's IDNA 2003 codec refuses: skip that rule


@cache
def rules() -> SuffixRules:
    """Read once per process: reference data, not a lookup cache."""
    for path in SYSTEM_LISTS:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError:
            continue
        return parse_rules(text.splitlines(), str(path))
    names = json.loads(_BUILTIN.read_text(encoding="utf-8"))
    return parse_rules(names, f"built-in table ({_BUILTIN.name}, common suffixes only)")


def list_source() -> str:
    return rules().source


def org_domain(domain: str) -> str:
    """The organisational domain: one label below the public suffix (itself if it is one)."""
    labels = domain.lower().rstrip(".").split(".")
    suffix = rules().public_suffix(domain)
    size = suffix.count(".") + 1
    if size >= len(labels):
        return ".".join(labels)
    return ".".join(labels[-size - 1 :])
