"""Lab zone texts as the lab DNS server reads them, for the server and scenario validation
alike: SOA, NS and `$TTL` are optional (records default to 300 s; the zone's own `$TTL` or
SOA wins)."""

from __future__ import annotations

import re

import dns.exception
import dns.name
import dns.zone

_DEFAULT_TTL = "$TTL 300\n"
#: the line number in a dnspython parse error ("<string>:4: ...")
_LINE = re.compile(r"^<string>:(\d+):")


class ZoneTextError(ValueError):
    """A zone text that does not parse (dnspython's message, lines counted in the text)."""


def parse_zone(text: str, origin: dns.name.Name) -> dns.zone.Zone:
    """The zone (absolute names); a parse error (ZoneTextError) names the line of `text`
    itself (the default `$TTL` line put in front of it is not counted)."""
    try:
        return dns.zone.from_text(_DEFAULT_TTL + text, origin=origin, relativize=False,
                                  check_origin=False)
    except dns.exception.DNSException as exc:
        message = _LINE.sub(lambda m: f"<string>:{int(m[1]) - 1}:", str(exc), count=1)
        raise ZoneTextError(message) from None
