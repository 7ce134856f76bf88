"""The sending IP addresses a bounce names: what SPF and the DNS blocklists are asked about.

Receivers name the connecting IP in their reply ("banned sending IP [192.0.2.1]", Gmail's
"The IP address sending this message ... [54.240.8.10]", a blocklist URL ending in the
IP). The receiver's own address is not the sender's, so it is not read: neither the remote MTA
field nor Postfix's `host NAME[IP] said:` form (an address glued to a host name). Only IPv4
is looked for; private, loopback and other non-public addresses are left out, except the
documentation ranges (RFC 5737), which stand for public addresses in examples and the lab.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable

#: an IPv4 address, not glued to a host name before it (Postfix's receiver "name[ip]")
_IPV4 = re.compile(r"(?<![\w.-]\[)(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(?![\d.])")
#: RFC 5737 documentation networks: examples' and the lab's stand-ins for public addresses
_DOCUMENTATION = tuple(
    ipaddress.IPv4Network(n) for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24")
)


def bounce_texts(bounce: object) -> list[str]:
    """The parts of a bounce that speak about the sender: replies, diagnostics, raw text."""
    if bounce is None:
        return []
    if isinstance(bounce, str):
        return [bounce]
    texts = [str(getattr(bounce, name, "") or "") for name in ("raw", "text")]
    texts += [str(getattr(r, "diagnostic", "") or "") for r in getattr(bounce, "recipients", ())]
    relay = getattr(bounce, "relay", None)
    texts.append(str(getattr(relay, "reply", "") or ""))
    texts += [str(n) for n in getattr(bounce, "notes", ()) or ()]
    return [t for t in texts if t]


def public_ipv4(texts: Iterable[str]) -> list[str]:
    """Public IPv4 addresses in the texts, once each, in order of appearance."""
    found: list[str] = []
    for text in texts:
        found += [c for c in _IPV4.findall(text) if _is_public(c)]
    return list(dict.fromkeys(found))


def _is_public(candidate: str) -> bool:
    try:
        ip = ipaddress.IPv4Address(candidate)
    except ValueError:
        return False
    if any(ip in net for net in _DOCUMENTATION):
        return True
    hidden = ip.is_private or ip.is_loopback or ip.is_unspecified or ip.is_reserved
    return not (hidden or ip.is_multicast or ip.is_link_local)


def sending_ips(bounce: object) -> list[str]:
    """Public IPv4 addresses a bounce names as the sender's."""
    return public_ipv4(bounce_texts(bounce))
