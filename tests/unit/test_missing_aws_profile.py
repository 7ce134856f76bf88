"""A named AWS profile that does not exist is a usage error: one line naming the profile and
where profiles are read, exit 2 (not six identical check errors and exit 1)."""

from __future__ import annotations

from pathlib import Path

import pytest

from checks.net.aws import missing_profile
from tui.cli import main

ADDRESSES = ["--from", "admin@sender.example", "--to", "pat@recipient.example"]


@pytest.fixture(autouse=True)
def _aws_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    config = tmp_path / "config"
    config.write_text("[profile lab]\nregion = us-east-1\n[default]\nregion = eu-west-1\n")
    shared = tmp_path / "credentials"
    shared.write_text("[keys]\naws_access_key_id = AKIAIOSFODNN7EXAMPLE\n"
                      "aws_secret_access_key = x\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(shared))
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION", "MAILPATH_FROM",
                 "MAILPATH_TO", "MAILPATH_RELAY_HOST", "MAILPATH_NAMESERVER"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path


def test_known_profiles_from_either_file_pass() -> None:
    assert missing_profile("lab") is None and missing_profile("keys") is None
    assert missing_profile("default") is None


def test_a_missing_profile_names_itself_and_the_files(tmp_path: Path) -> None:
    text = missing_profile("nope") or ""
    assert text.startswith("--profile 'nope' is not an AWS profile")
    assert str(tmp_path / "config") in text and str(tmp_path / "credentials") in text
    assert "AWS_CONFIG_FILE" in text and "known: default, keys, lab" in text


@pytest.mark.parametrize("argv", [["check", *ADDRESSES, "--profile", "nope"],
                                  ["suppression", "list", "--profile", "nope"]])
def test_commands_refuse_it_before_any_aws_call(capsys, argv: list[str]) -> None:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert "--profile 'nope' is not an AWS profile" in err and "~/.aws" not in err


def test_aws_profile_from_the_environment_is_named(monkeypatch, capsys) -> None:
    monkeypatch.setenv("AWS_PROFILE", "nope")
    assert main(["check", *ADDRESSES, "--layers", "dns"]) == 2
    assert "AWS_PROFILE 'nope' is not an AWS profile" in capsys.readouterr().err


def test_without_files_the_default_places_are_named(monkeypatch) -> None:
    monkeypatch.delenv("AWS_CONFIG_FILE")
    monkeypatch.delenv("AWS_SHARED_CREDENTIALS_FILE")
    monkeypatch.setenv("HOME", "/nonexistent-home")
    text = missing_profile("nope") or ""
    assert "~/.aws/config and ~/.aws/credentials" in text and "known: none" in text
