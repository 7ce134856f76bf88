"""Non-secret settings: named profiles in a TOML file under the user's config directory.

Path: $MAILPATH_CONFIG, else platformdirs' user config dir / config.toml. Secrets never go
here (they live in the OS keyring, checks.creds.store); a file that holds one is refused.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any

import platformdirs

TLS_MODES = ("starttls", "tls")
#: keys that would hold a secret: refused on read and on write.
SECRET_KEYS = frozenset({"password", "relay_password", "secret", "secret_access_key",
                         "aws_secret_access_key", "smtp_password", "token"})


class ConfigError(ValueError):
    """The settings file could not be read or a value is wrong; one line saying which."""


@dataclass(frozen=True)
class Profile:
    """One named set of settings. Every field is optional except the name."""

    name: str
    sender: str | None = None
    region: str | None = None
    aws_profile: str | None = None
    relay_host: str | None = None
    relay_port: int | None = None
    relay_tls: str | None = None
    relay_user: str | None = None

    def to_toml(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if k != "name" and v is not None}


_FIELDS = {f.name: f for f in fields(Profile) if f.name != "name"}
_INT_FIELDS = frozenset({"relay_port"})


def config_path(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("MAILPATH_CONFIG"):
        return Path(env["MAILPATH_CONFIG"]).expanduser()
    return platformdirs.user_config_path("mailpath") / "config.toml"


def config_problem(env: Mapping[str, str] | None = None) -> str | None:
    """Why MAILPATH_CONFIG cannot name a file ("~user/…" for a user this system does not
    know), or None when it can: checked once at start, before any path is worked out."""
    env = os.environ if env is None else env
    try:
        config_path(env)
    except RuntimeError:
        return (f"MAILPATH_CONFIG={env['MAILPATH_CONFIG']!r}: cannot expand '~' "
                "(no such user or home directory)")
    return None


def load_profiles(path: Path | None = None) -> dict[str, Profile]:
    """All profiles in the file (none when the file does not exist yet)."""
    path = path or config_path()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read {path}: {getattr(exc, 'strerror', None) or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: TOML syntax error: {exc}") from None
    profiles = data.get("profiles", {})
    if not isinstance(profiles, dict):
        raise ConfigError(f"{path}: 'profiles' must be a table")
    return {name: _profile(path, name, body) for name, body in profiles.items()}


def _profile(path: Path, name: str, body: Any) -> Profile:
    where = f"{path}: profiles.{name}"
    if not isinstance(body, dict):
        raise ConfigError(f"{where}: expected a table")
    for key, value in body.items():
        _check_value(where, key, value)
    return Profile(name=name, **body)


def _check_value(where: str, key: str, value: Any) -> None:
    if key.lower() in SECRET_KEYS:
        raise ConfigError(f"{where}.{key}: secrets do not belong in the settings file; "
                          "store them with `mailpath creds set` (OS keyring)")
    if key not in _FIELDS:
        raise ConfigError(f"{where}: unknown setting {key!r} (known: {', '.join(_FIELDS)})")
    wanted = int if key in _INT_FIELDS else str
    if not isinstance(value, wanted) or isinstance(value, bool):
        raise ConfigError(f"{where}.{key}: expected {'a number' if wanted is int else 'text'}")
    if key == "relay_tls" and value not in TLS_MODES:
        raise ConfigError(f"{where}.relay_tls: {value!r} is not one of {', '.join(TLS_MODES)}")
    if key == "relay_port" and isinstance(value, int) and not 0 < value < 65536:
        raise ConfigError(f"{where}.relay_port: {value} is not a TCP port")


def get_profile(name: str, path: Path | None = None) -> Profile:
    profiles = load_profiles(path)
    if name not in profiles:
        known = ", ".join(sorted(profiles)) or "none yet"
        raise ConfigError(f"no profile {name!r} in {path or config_path()} (known: {known})")
    return profiles[name]


def save_profile(profile: Profile, path: Path | None = None) -> Path:
    """Add or replace one profile; the file is rewritten with user-only permissions."""
    path = path or config_path()
    for key, value in profile.to_toml().items():
        _check_value(f"profile {profile.name}", key, value)
    profiles = load_profiles(path)
    profiles[profile.name] = profile
    _write(path, profiles)
    return path


def delete_profile(name: str, path: Path | None = None) -> bool:
    path = path or config_path()
    profiles = load_profiles(path)
    if profiles.pop(name, None) is None:
        return False
    _write(path, profiles)
    return True


def _write(path: Path, profiles: Mapping[str, Profile]) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dump_toml(profiles), encoding="utf-8")
        path.chmod(0o600)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None


def dump_toml(profiles: Mapping[str, Profile]) -> str:
    """The file's text: one [profiles.NAME] table per profile, strings and integers only."""
    out = ["# mailpath settings (no secrets: those live in the OS keyring)\n"]
    for name in sorted(profiles):
        out.append(f"\n[profiles.{_key(name)}]\n")
        out += [f"{k} = {_value(v)}\n" for k, v in profiles[name].to_toml().items()]
    return "".join(out)


def _key(name: str) -> str:
    return name if name.replace("-", "").replace("_", "").isalnum() else _value(name)


def _value(value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    escaped = str(value).replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'
