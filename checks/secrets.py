"""Secrets that refuse to print themselves, and redaction of text that may hold them."""

from __future__ import annotations

import base64
from collections.abc import Iterable

MASK = "[REDACTED]"


class Secret:
    """A credential. `str()` and `repr()` never show it; `reveal()` does, on purpose."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def masked(self) -> str:
        """A hint for the user: the last four characters at most, never more."""
        tail = self._value[-4:] if len(self._value) >= 12 else ""
        return f"••••{tail}"

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
        self._needles.add(base64.b64encode(value.encode()).decode())

    def add_auth_plain(self, username: str, password: str | Secret) -> None:
        """Also mask the AUTH PLAIN blob built from this pair."""
        pw = password.reveal() if isinstance(password, Secret) else password
        self.add(base64.b64encode(f"\0{username}\0{pw}".encode()).decode())

    def __call__(self, text: str) -> str:
        for needle in sorted(self._needles, key=len, reverse=True):
            if needle in text:
                text = text.replace(needle, MASK)
        return text
