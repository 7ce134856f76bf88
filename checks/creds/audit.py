"""An append-only audit log of every credential change, as JSON lines next to the settings.

One line per change: time (UTC), action, profile and non-secret details (key ids, user
names, regions, step ids). A `Secret` handed in is refused, so a careless caller fails
loudly instead of writing a password to disk.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from checks.config import config_path
from checks.secrets import Secret

FILE_NAME = "audit.jsonl"


class AuditError(Exception):
    """The log could not be written; the message names the file."""


def audit_path(config: Path | None = None) -> Path:
    """`audit.jsonl` in the directory of the settings file."""
    return (config or config_path()).parent / FILE_NAME


def _plain(details: Mapping[str, Any]) -> dict[str, Any]:
    for key, value in details.items():
        if isinstance(value, Secret):
            raise TypeError(f"audit detail {key!r} is a Secret: secrets never go to the log")
    return dict(details)


def record(action: str, profile: str, *, path: Path | None = None,
           **details: Any) -> dict[str, Any]:
    """Append one entry and return it. Raises AuditError when the file cannot be written."""
    entry = {"time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
             "action": action, "profile": profile, **_plain(details)}
    target = path or audit_path()
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        with os.fdopen(fd, "a", encoding="utf-8") as fh:
            fh.write(json.dumps(entry, default=str, sort_keys=True) + "\n")
    except OSError as exc:
        raise AuditError(f"cannot write the audit log {target}: {exc.strerror or exc}") from None
    return entry


def read(path: Path | None = None, *, profile: str | None = None) -> list[dict[str, Any]]:
    """All entries (oldest first), optionally of one profile; unreadable lines are skipped."""
    try:
        lines = (path or audit_path()).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        return []
    except OSError as exc:
        raise AuditError(f"cannot read the audit log: {exc.strerror or exc}") from None
    entries = [_parse(line) for line in lines]
    return [e for e in entries if e and (profile is None or e.get("profile") == profile)]


def _parse(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None
