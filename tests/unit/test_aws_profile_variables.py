"""AWS_PROFILE / AWS_DEFAULT_PROFILE as the AWS CLI reads them: checked at start like
--profile (one line, exit 2), set-but-empty AWS variables refused, and a profile named only
in the environment left to boto3, so access keys in the environment win over it (an explicit
--profile still wins over them)."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from checks.context import Context
from checks.endpoints import EndpointError, Endpoints
from checks.net import aws
from tui.cli import main

ADDRESSES = ["--from", "admin@sender.example", "--to", "pat@recipient.example"]
#: made up per run (key-id shaped, never a real key): which one boto3 picked tells the source
PROFILE_KEY, ENV_KEY = ("AKIA" + secrets.token_hex(8).upper() for _ in range(2))
VARIABLES = ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_REGION", "AWS_DEFAULT_REGION",
             "AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
             "AWS_SESSION_TOKEN", "AWS_DATA_PATH", "MAILPATH_FROM", "MAILPATH_TO",
             "MAILPATH_RELAY_HOST", "MAILPATH_NAMESERVER")


@pytest.fixture(autouse=True)
def _aws_files(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    config = tmp_path / "config"
    config.write_text("[profile lab]\nregion = us-east-1\n")
    shared = tmp_path / "credentials"
    shared.write_text(f"[lab]\naws_access_key_id = {PROFILE_KEY}\n"
                      "aws_secret_access_key = profile-secret\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(shared))
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)


def _usage(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1, err
    return err


@pytest.mark.parametrize("variable", ["AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_ENDPOINT_URL",
                                      "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_CONFIG_FILE",
                                      "AWS_SHARED_CREDENTIALS_FILE", "AWS_DATA_PATH"])
@pytest.mark.parametrize("argv", [["check", *ADDRESSES, "--layers", "dns"],
                                  ["suppression", "list"], ["suppression", "show", "a@b.example"]])
def test_set_but_empty_is_a_usage_error(monkeypatch, capsys, variable: str,
                                        argv: list[str]) -> None:
    monkeypatch.setenv(variable, "")
    err = _usage(capsys, argv)
    assert f"{variable} is set but empty" in err, err


def test_a_flag_wins_over_its_empty_variable() -> None:
    got = Endpoints.from_env({"AWS_PROFILE": "", "AWS_REGION": " "}, aws_profile="lab",
                             aws_region="eu-west-1")
    assert got.aws_profile == "lab" and got.aws_region == "eu-west-1"
    with pytest.raises(EndpointError, match="AWS_ENDPOINT_URL is set but empty"):
        Endpoints.from_env({"AWS_ENDPOINT_URL": ""}, aws_profile="lab")


@pytest.mark.parametrize("variable", ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"])
@pytest.mark.parametrize("argv", [["check", *ADDRESSES, "--layers", "dns"],
                                  ["suppression", "stats"]])
def test_a_missing_profile_in_either_variable_names_it(monkeypatch, capsys, variable: str,
                                                       argv: list[str]) -> None:
    monkeypatch.setenv(variable, "nope")
    err = _usage(capsys, argv)
    assert f"{variable} 'nope' is not an AWS profile" in err and "known: lab" in err, err


def test_boto3s_order_decides_which_variable_is_named(monkeypatch, capsys) -> None:
    """boto3 reads AWS_DEFAULT_PROFILE before AWS_PROFILE: the one it would use is checked."""
    monkeypatch.setenv("AWS_DEFAULT_PROFILE", "nope")
    monkeypatch.setenv("AWS_PROFILE", "lab")
    assert "AWS_DEFAULT_PROFILE 'nope'" in _usage(capsys, ["suppression", "list"])
    got = Endpoints.from_env({"AWS_PROFILE": "lab"})
    assert got.aws_env_profile == ("AWS_PROFILE", "lab") and got.aws_profile is None


def _access_key(endpoints: Endpoints) -> str:
    credentials = aws._session(Context(endpoints=endpoints)).get_credentials()
    assert credentials is not None
    return str(credentials.access_key)


@pytest.mark.parametrize("variable", ["AWS_PROFILE", "AWS_DEFAULT_PROFILE"])
def test_keys_in_the_environment_win_over_a_profile_from_it(monkeypatch, variable) -> None:
    """As `aws` and boto3.Session() do: the environment's keys come first in the chain."""
    monkeypatch.setenv(variable, "lab")
    assert _access_key(Endpoints.from_env()) == PROFILE_KEY  # no keys in the environment
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    assert _access_key(Endpoints.from_env()) == ENV_KEY


def test_an_explicit_profile_wins_over_keys_in_the_environment(monkeypatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", ENV_KEY)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "env-secret")
    assert _access_key(Endpoints.from_env(aws_profile="lab")) == PROFILE_KEY
    assert _access_key(Endpoints.from_env()) == ENV_KEY
