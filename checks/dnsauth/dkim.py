"""DKIM key records (RFC 6376 3.6.1, RFC 8463, RFC 8301): parse one, name its key and faults.

Pure and without DNS: the check in `checks.layers.dns.dkim` fetches the TXT record of
`<selector>._domainkey.<domain>` and hands the text here.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

from checks.dnsauth.records import TagWording, tag_list

#: RFC 8301 3.2: verifiers must not accept RSA keys smaller than this
RSA_MINIMUM_BITS = 1024
#: RFC 8301 3.2: signers should use at least this
RSA_ADVISED_BITS = 2048
ED25519_KEY_BYTES = 32  # RFC 8463 4.2: the bare public key, no ASN.1 wrapper
_SELECTOR = re.compile(r"^[a-z0-9_](?:[a-z0-9_-]{0,62})(?:\.[a-z0-9_][a-z0-9_-]{0,62})*$", re.I)
_RSA_OID = bytes.fromhex("2a864886f70d010101")  # 1.2.840.113549.1.1.1 rsaEncryption


class DkimKeyError(ValueError):
    """The record is not a usable DKIM key record; the message says why, in plain words."""


_WORDING = TagWording(DkimKeyError, "{part!r} is not a tag=value pair", "tag {name}= appears twice")


@dataclass(frozen=True)
class DkimKey:
    """A parsed key record: its type and size, and what a receiver would make of it."""

    raw: str
    key_type: str
    bits: int | None  # None when revoked
    revoked: bool = False
    testing: bool = False
    hashes: tuple[str, ...] = ()

    def describe(self) -> str:
        """'rsa 2048-bit key', 'ed25519 key', 'revoked rsa key'."""
        if self.revoked:
            return f"revoked {self.key_type} key (empty p=)"
        size = f" {self.bits}-bit" if self.key_type == "rsa" else ""
        return f"{self.key_type}{size} key"


def valid_selector(selector: str) -> bool:
    """A selector is one or more DNS labels (RFC 6376 3.1)."""
    return bool(_SELECTOR.match(selector))


def is_key_record(text: str) -> bool:
    """Whether a TXT string looks like a DKIM key record at all (v=DKIM1 or a p= tag)."""
    low = text.strip().lower()
    return low.startswith("v=dkim1") or bool(re.search(r"(^|;)\s*p\s*=", low))


def parse_tags(text: str) -> dict[str, str]:
    """RFC 6376 3.2 tag-list: 'tag=value; ...'; a repeated tag makes the whole list invalid."""
    return tag_list(text, _WORDING)


def parse_key(text: str) -> DkimKey:
    """Parse a key record; raises DkimKeyError with the reason a verifier would reject it."""
    tags = parse_tags(text)
    _check_version(text, tags)
    if "p" not in tags:
        raise DkimKeyError("no p= tag (the public key is required)")
    key_type = tags.get("k", "rsa").lower()
    if key_type not in ("rsa", "ed25519"):
        raise DkimKeyError(f"unknown key type k={key_type} (verifiers know rsa and ed25519)")
    _check_service(tags)
    hashes = tuple(h.strip().lower() for h in tags.get("h", "").split(":") if h.strip())
    testing = "y" in (f.strip().lower() for f in tags.get("t", "").split(":"))
    data = re.sub(r"\s+", "", tags["p"])
    if not data:
        return DkimKey(text, key_type, None, revoked=True, testing=testing, hashes=hashes)
    bits = key_bits(key_type, _b64(data))
    return DkimKey(text, key_type, bits, testing=testing, hashes=hashes)


def _check_version(text: str, tags: dict[str, str]) -> None:
    if "v" not in tags:
        return
    if not text.strip().startswith("v"):
        raise DkimKeyError("v= must be the first tag of the record")
    if tags["v"] != "DKIM1":
        raise DkimKeyError(f"v={tags['v']} (it must be exactly DKIM1)")


def _check_service(tags: dict[str, str]) -> None:
    services = {s.strip().lower() for s in tags.get("s", "*").split(":")}
    if not services & {"*", "email"}:
        raise DkimKeyError(f"s={tags['s']} does not allow email")


def _b64(data: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise DkimKeyError("p= is not valid base64") from None


def key_bits(key_type: str, data: bytes) -> int:
    """Key size in bits: RSA from its DER modulus, Ed25519 from its 32 raw bytes."""
    if key_type == "ed25519":
        if len(data) != ED25519_KEY_BYTES:
            raise DkimKeyError(
                f"an ed25519 p= holds the bare 32-byte key (RFC 8463), not {len(data)} bytes"
            )
        return 256
    return _rsa_modulus(data).bit_length()


# -- a minimal DER reader, just enough for RSA public keys --------------------------------


def _der(data: bytes, pos: int) -> tuple[int, bytes, int]:
    """(tag, content, position after it) of the DER element at pos."""
    if pos + 2 > len(data):
        raise DkimKeyError("p= is not a DER-encoded public key (truncated)")
    tag, length, pos = data[pos], data[pos + 1], pos + 2
    if length & 0x80:
        count = length & 0x7F
        if count == 0 or count > 4 or pos + count > len(data):
            raise DkimKeyError("p= is not a DER-encoded public key (bad length)")
        length, pos = int.from_bytes(data[pos : pos + count], "big"), pos + count
    if pos + length > len(data):
        raise DkimKeyError("p= is not a DER-encoded public key (truncated)")
    return tag, data[pos : pos + length], pos + length


def _rsa_modulus(data: bytes, *, wrapped: bool = True) -> int:
    """The modulus of a SubjectPublicKeyInfo, or of a bare PKCS#1 RSAPublicKey.

    A SubjectPublicKeyInfo wraps exactly one RSAPublicKey (RFC 3279 2.3.1), so the reader
    unwraps at most once (`wrapped`): a key nested in a key, however deep, is refused in
    one step instead of being followed down."""
    tag, body, _ = _der(data, 0)
    if tag != 0x30:
        raise DkimKeyError("p= is not a DER-encoded public key")
    first, inner, after = _der(body, 0)
    if first == 0x02:  # PKCS#1 RSAPublicKey: SEQUENCE { INTEGER n, INTEGER e }
        return int.from_bytes(inner, "big")
    if not wrapped:
        raise DkimKeyError(
            "p= is not a valid RSA public key: its key bits hold another key wrapper "
            "instead of the modulus and exponent"
        )
    if first != 0x30 or _RSA_OID not in inner:
        raise DkimKeyError("p= holds a key that is not RSA, but k= says rsa")
    bit_tag, bits, _ = _der(body, after)
    if bit_tag != 0x03 or not bits:
        raise DkimKeyError("p= is not a DER-encoded public key (no key bits)")
    return _rsa_modulus(bits[1:], wrapped=False)  # skip the BIT STRING's unused-bits byte


def problems(key: DkimKey) -> tuple[list[str], list[str]]:
    """(faults that break DKIM, warnings) for a parsed key, per RFC 8301 and RFC 6376."""
    faults: list[str] = []
    warnings: list[str] = []
    if key.revoked:
        faults.append("the key is revoked (empty p=): every signature with it fails")
    if key.key_type == "rsa" and key.bits is not None:
        if key.bits < RSA_MINIMUM_BITS:
            faults.append(f"RSA key of {key.bits} bits: RFC 8301 receivers reject under 1024")
        elif key.bits < RSA_ADVISED_BITS:
            warnings.append(f"RSA key of {key.bits} bits: RFC 8301 advises at least 2048")
    if key.hashes and "sha256" not in key.hashes:
        faults.append(f"h={':'.join(key.hashes)} allows only SHA-1, which RFC 8301 forbids")
    if key.testing:
        warnings.append("t=y: the domain is testing DKIM; receivers may ignore failures")
    return faults, warnings
