"""What the TUI remembers between sessions, next to the user's settings file.

- Settings: the non-secret ones, as the `tui` profile of `checks.config` (the file named by
  MAILPATH_CONFIG, else the user's config dir). Lab endpoints (loopback URLs, nameservers,
  routes) are never written; passwords only ever go to the OS keyring.
- Recent inputs: sender and recipient addresses and bounce file paths, newest first, in
  `recent.json` beside the settings file. Never a secret, never a bounce's text.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from checks.config import ConfigError, Profile, config_path, load_profiles, save_profile

if TYPE_CHECKING:
    from tui.screens.settings import Settings

TUI_PROFILE = "tui"
RECENT_FILE = "recent.json"
#: kind of recent input -> how many are kept
RECENT_KINDS = {"senders": 8, "recipients": 8, "bounce_files": 8}


def save_settings(settings: Settings, path: Path | None = None) -> tuple[Path, str | None]:
    """Save as the `tui` profile (its relay user kept); returns the file and an error or None."""
    path = path or config_path()
    try:
        old = load_profiles(path).get(TUI_PROFILE, Profile(TUI_PROFILE))
        profile = replace(old, sender=settings.sender or None, region=settings.region,
                          aws_profile=settings.aws_profile or None,
                          relay_host=settings.relay_host or None,
                          relay_port=int(settings.relay_port), relay_tls=settings.relay_mode)
        return save_profile(profile, path), None
    except ConfigError as exc:
        return path, str(exc)


def recent_path(config: Path | None = None) -> Path:
    """recent.json beside the settings file (`config`, else the user's)."""
    return (config or config_path()).parent / RECENT_FILE


def load_recent(path: Path | None = None) -> dict[str, list[str]]:
    """Recent inputs by kind; an unreadable or odd file counts as empty."""
    try:
        data = json.loads((path or recent_path()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    data = data if isinstance(data, dict) else {}
    return {kind: _strings(data.get(kind))[:keep] for kind, keep in RECENT_KINDS.items()}


def _strings(value: object) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []


def remember(kind: str, values: list[str], path: Path | None = None) -> None:
    """Put `values` first in the `kind` list; best effort (a read-only disk is not an error)."""
    path = path or recent_path()
    recent = load_recent(path)
    fresh = [v.strip() for v in values if v.strip()]
    recent[kind] = list(dict.fromkeys(fresh + recent[kind]))[:RECENT_KINDS[kind]]
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(recent, indent=1), encoding="utf-8")
        path.chmod(0o600)
    except OSError:
        pass
