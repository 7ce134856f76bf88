"""Settings profiles: round trip, clear errors, and no secrets in the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.config import (
    ConfigError,
    Profile,
    config_path,
    delete_profile,
    get_profile,
    load_profiles,
    save_profile,
)


def test_round_trip_and_permissions(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "config.toml"
    prof = Profile("gmail alias", sender="admin@sender.example", region="us-east-1",
                   relay_host="email-smtp.us-east-1.amazonaws.com", relay_port=587,
                   relay_tls="starttls", relay_user="AKIAIOSFODNN7EXAMPLE")
    save_profile(prof, path)
    assert get_profile("gmail alias", path) == prof
    assert path.stat().st_mode & 0o077 == 0
    assert delete_profile("gmail alias", path) and load_profiles(path) == {}


def test_env_override(tmp_path: Path) -> None:
    assert config_path({"MAILPATH_CONFIG": str(tmp_path / "x.toml")}) == tmp_path / "x.toml"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[profiles.a]\npassword = 'x'\n", "secrets do not belong"),
        ("[profiles.a]\nrelay_tls = 'ssl'\n", "not one of"),
        ("[profiles.a]\nrelay_port = 'x'\n", "expected a number"),
        ("[profiles.a]\ncolour = 'x'\n", "unknown setting"),
        ("[profiles\n", "TOML syntax error"),
    ],
)
def test_bad_files(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "c.toml"
    path.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_profiles(path)


def test_missing_profile_lists_known(tmp_path: Path) -> None:
    save_profile(Profile("one"), tmp_path / "c.toml")
    with pytest.raises(ConfigError, match="known: one"):
        get_profile("two", tmp_path / "c.toml")
