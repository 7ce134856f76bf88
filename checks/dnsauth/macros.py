"""SPF macro expansion (RFC 7208 section 7), pure and without DNS."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import quote

_MACRO = re.compile(
    r"%(?:\{(?P<letter>[slodiphcrtvSLODIPHCRTV])(?P<digits>\d*)(?P<rev>[rR]?)"
    r"(?P<delims>[.\-+,/_=]*)\}|(?P<escape>[%_\-]))"
)
_LITERAL_ESCAPES = {"%": "%", "_": " ", "-": "%20"}
_DEFAULT_DELIMS = "."


class MacroError(ValueError):
    """A macro-string that is not valid RFC 7208 syntax (a permerror)."""


class NeedsClientIp(LookupError):
    """The macro needs the client IP, which is unknown in an analysis without one."""


@dataclass(frozen=True)
class MacroVars:
    """The values macros stand for: sender, domain, client IP and HELO name."""

    sender: str
    domain: str
    ip: ipaddress.IPv4Address | ipaddress.IPv6Address | None = None
    helo: str = "unknown"

    def letter(self, letter: str) -> str:
        """The raw value of one macro letter (before transformers)."""
        local, _, sender_domain = self.sender.rpartition("@")
        values = {
            "s": self.sender,
            "l": local or "postmaster",
            "o": sender_domain,
            "d": self.domain,
            "h": self.helo,
            "p": "unknown",  # RFC 7208 7.3: "unknown" is always an allowed answer
            "r": "unknown",
            "t": "0",
        }
        if letter in values:
            return values[letter]
        return self._ip_letter(letter)

    def _ip_letter(self, letter: str) -> str:
        if self.ip is None:
            raise NeedsClientIp(letter)
        if letter == "v":
            return "in-addr" if self.ip.version == 4 else "ip6"
        if letter == "c":
            return str(self.ip)
        return dotted_ip(self.ip)


def dotted_ip(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """%{i}: dotted quad for IPv4, dot-separated nibbles for IPv6 (RFC 7208 7.3)."""
    if ip.version == 4:
        return str(ip)
    return ".".join(ip.exploded.replace(":", ""))


def validate(text: str) -> None:
    """Raise MacroError when a '%' in text does not start a valid macro."""
    rest = _MACRO.sub("", text)
    if "%" in rest:
        raise MacroError(f"invalid macro in {text!r}")


def expand(text: str, env: MacroVars) -> str:
    """Expand every macro in text; raises MacroError or NeedsClientIp."""
    validate(text)
    return _MACRO.sub(lambda m: _one(m, env), text)


def _one(match: re.Match[str], env: MacroVars) -> str:
    if match.group("escape"):
        return _LITERAL_ESCAPES[match.group("escape")]
    letter = match.group("letter")
    value = env.letter(letter.lower())
    parts = re.split("[" + re.escape(match.group("delims") or _DEFAULT_DELIMS) + "]", value)
    if match.group("rev"):
        parts.reverse()
    digits = match.group("digits")
    if digits:
        if int(digits) == 0:
            raise MacroError("macro transformer digit must not be zero")
        parts = parts[-int(digits) :]
    return _escape_if_upper(letter, ".".join(parts))


def _escape_if_upper(letter: str, value: str) -> str:
    """RFC 7208 7.3: an uppercase letter URL-escapes all but RFC 3986's unreserved set."""
    return quote(value, safe="") if letter.isupper() else value
