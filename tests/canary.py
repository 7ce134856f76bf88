"""Secret canaries: known secrets planted in a run, and one assertion that none leaked.

    from tests.canary import Canaries, assert_no_canary, CANARY_PASSWORD

    canaries = Canaries.of_lab(lab)            # the lab's IAM secrets and relay password
    assert_no_canary(proc.stdout, proc.stderr, tmp_path, canaries=canaries)

`assert_no_canary` takes strings, bytes, JSON-able objects, exceptions and paths (a file is
read, whatever its suffix: CSV exports, JSON/Markdown reports, settings, audit log, SVG
screenshots; a directory is walked), and looks for every canary in its raw form and in the
encodings a leak would take (base64, AUTH PLAIN, URL-quoted).

Two keyring backends for subprocess tests (set `PYTHON_KEYRING_BACKEND` to their dotted
path and `PYTHONPATH` to the repository): `CanaryFileKeyring` keeps passwords in the JSON
file named by `MAILPATH_TEST_KEYRING` (a stand-in for an unlocked OS keyring that
survives between processes), `LockedKeyring` refuses every access as a locked collection.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import urllib.parse
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import keyring
import keyring.backend
import keyring.errors

from checks.creds.store import MemoryKeyring  # noqa: F401  (re-exported for the tests)

#: planted relay password: long, unique, no character that any output would escape.
CANARY_PASSWORD = "CanaryRelayPw-7Qx9Zt2Lm4Vb8Kd1"
#: planted AWS secret access key (for commands that read AWS_SECRET_ACCESS_KEY).
CANARY_AWS_SECRET = "CanaryAwsSecret0Jf3Hs8Pw2Nq5Xr7Ty4Uc6Ve9"
CANARY_USER = "AKIACANARYEXAMPLE000"
#: files are read up to this size (no suffix list: a .csv export or .jsonl log counts too)
_MAX_BYTES = 32 * 1024 * 1024


def encodings(secret: str, username: str | None = None) -> set[str]:
    """The forms a secret takes on the way out: raw, base64, URL-quoted, AUTH PLAIN."""
    forms = {secret, base64.b64encode(secret.encode()).decode(), urllib.parse.quote(secret)}
    if username is not None:
        forms.add(base64.b64encode(f"\0{username}\0{secret}".encode()).decode())
    return {f for f in forms if len(f) >= 8}


@dataclass
class Canaries:
    """The needles to look for, each with a name for the failure message."""

    needles: dict[str, str] = field(default_factory=dict)

    def add(self, name: str, secret: str, username: str | None = None) -> Canaries:
        for i, form in enumerate(sorted(encodings(secret, username))):
            self.needles[form] = f"{name}#{i}"
        return self

    @classmethod
    def default(cls) -> Canaries:
        return (cls().add("relay password", CANARY_PASSWORD, CANARY_USER)
                .add("AWS secret", CANARY_AWS_SECRET))

    @classmethod
    def of_lab(cls, lab: Any, base: Canaries | None = None) -> Canaries:
        """Every secret a lab holds: each IAM key's secret and the stored relay password."""
        out = Canaries(dict(base.needles)) if base else cls.default()
        for label, key in lab.aws.keys.items():
            out.add(f"IAM secret {label}", key.secret)
        relay = lab.relay
        if relay is not None and relay.password:
            out.add("relay password", relay.password.reveal(), relay.username)
        return out

    def found_in(self, text: str) -> list[str]:
        return sorted({name for needle, name in self.needles.items() if needle in text})


def _texts(item: Any) -> Iterator[tuple[str, str]]:
    """(where, text) pairs for one item: a path, bytes, an exception, JSON or str."""
    if isinstance(item, Path):
        yield from _path_texts(item)
    elif isinstance(item, bytes):
        yield "bytes", item.decode("utf-8", "replace")
    elif isinstance(item, BaseException):
        yield f"{type(item).__name__}", f"{item!s}\n{item!r}\n{item.args!r}"
    elif isinstance(item, str):
        yield "text", item
    else:
        yield type(item).__name__, json.dumps(item, default=repr)


def _path_texts(path: Path) -> Iterator[tuple[str, str]]:
    """Every regular file under path, any suffix (a canary is ASCII: it shows in any bytes)."""
    files: Iterable[Path] = sorted(path.rglob("*")) if path.is_dir() else [path]
    for f in files:
        if f.is_file() and not f.is_symlink():
            with f.open("rb") as fh:
                yield str(f), fh.read(_MAX_BYTES).decode("utf-8", errors="replace")


def assert_no_canary(*items: Any, canaries: Canaries | None = None,
                     allow: Iterable[Path] = ()) -> None:
    """Fail naming the canary and where it was found; `allow` lists files that may hold it
    (the keyring stand-in's own store)."""
    canaries = canaries or Canaries.default()
    allowed = {str(p) for p in allow}
    leaks = [f"{name} in {where}" for item in items for where, text in _texts(item)
             if where not in allowed for name in canaries.found_in(text)]
    assert not leaks, "secret canary leaked: " + "; ".join(leaks)


# --------------------------------------------------------------------------- keyrings


@contextlib.contextmanager
def keyring_backend(backend: keyring.backend.KeyringBackend) -> Iterator[None]:
    """Use this keyring backend inside the block; the one before comes back after it."""
    before = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield
    finally:
        keyring.set_keyring(before)


class CanaryFileKeyring(keyring.backend.KeyringBackend):
    """Test-only keyring kept in the JSON file $MAILPATH_TEST_KEYRING (survives processes)."""

    priority = 1  # type: ignore[assignment]

    def _path(self) -> Path:
        return Path(os.environ["MAILPATH_TEST_KEYRING"])

    def _load(self) -> dict[str, str]:
        path = self._path()
        return json.loads(path.read_text()) if path.exists() else {}

    def _save(self, data: dict[str, str]) -> None:
        self._path().write_text(json.dumps(data))

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        self._save(self._load() | {f"{service}/{username}": password})

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if data.pop(f"{service}/{username}", None) is None:
            raise keyring.errors.PasswordDeleteError("not found")
        self._save(data)


class LockedKeyring(keyring.backend.KeyringBackend):
    """A collection that stays locked: every access fails as Secret Service does."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise keyring.errors.KeyringLocked("collection is locked")
