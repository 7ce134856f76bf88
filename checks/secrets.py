"""Secrets that refuse to print themselves, and redaction of text that may hold them."""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterable

MASK = "[REDACTED]"
#: an IAM secret access key: 40 characters of base64's alphabet
_IAM_SECRET = re.compile(r"[A-Za-z0-9/+]{40}")
#: the version byte of an SES SMTP password (SigV4, legacy SigV2): 44 base64 chars, 33 bytes
_SMTP_PASSWORD_VERSIONS = (0x02, 0x04)


def _utf8(value: str) -> bytes:
    """Bytes of any str, lone surrogates included (they come from undecodable input)."""
    return value.encode("utf-8", errors="surrogateescape")


def _b64(value: str) -> str:
    try:
        raw = _utf8(value)
    except UnicodeEncodeError:  # a surrogate that did not come from surrogateescape
        raw = value.encode("utf-8", errors="replace")
    return base64.b64encode(raw).decode("ascii")


def secret_shape(text: str) -> str | None:
    """'smtp_password' or 'iam_secret' when `text` is shaped like one, else None (used to
    mask a password pasted into a username field)."""
    text = text.strip()
    if len(text) == 44:
        try:
            raw = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raw = b""
        if len(raw) == 33 and raw[0] in _SMTP_PASSWORD_VERSIONS:
            return "smtp_password"
    return "iam_secret" if _IAM_SECRET.fullmatch(text) else None


class Secret:
    """A credential. `str()` and `repr()` never show it; `reveal()` does, on purpose."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def masked(self) -> str:
        """A mask that tells only the length: no character of the secret, not even a few."""
        n = len(self._value)
        return f"•••• ({n} character{'s' if n != 1 else ''})"

    def __bool__(self) -> bool:
        return bool(self._value)

    def __repr__(self) -> str:
        return "Secret(****)"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


class Redactor:
    """Replaces every known secret (and its base64 forms, as AUTH sends them) with a mask."""

    def __init__(self, secrets: Iterable[str | Secret] = ()) -> None:
        self._needles: set[str] = set()
        for s in secrets:
            self.add(s)

    def add(self, secret: str | Secret) -> None:
        value = secret.reveal() if isinstance(secret, Secret) else secret
        if len(value) < 4:
            return
        self._needles.add(value)
        self._needles.add(_b64(value))

    def add_auth_plain(self, username: str, password: str | Secret) -> None:
        """Also mask the AUTH PLAIN blob built from this pair."""
        pw = password.reveal() if isinstance(password, Secret) else password
        self.add(_b64(f"\0{username}\0{pw}"))

    def __call__(self, text: str) -> str:
        for needle in sorted(self._needles, key=len, reverse=True):
            if needle in text:
                text = text.replace(needle, MASK)
        return text
