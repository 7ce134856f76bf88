"""Tester's findings F3, F4, F5, F8, F13-F15 in process: secrets with undecodable bytes,
a password pasted as the username, relay flags over the environment relay, region names,
and `creds set|delete` with an in-memory keyring (never the user's real one)."""

from __future__ import annotations

import argparse
import base64
import io
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from checks import validate
from checks.config import load_profiles
from checks.context import Context, Inputs, RelaySettings
from checks.creds.smtp_password import derive_smtp_password
from checks.layers.gmail_relay import _not_a_key_id
from checks.secrets import MASK, Redactor, Secret, secret_shape
from tui.cli import UsageError, main
from tui.commands.relay_args import read_password, relay_from_args

HOST = "email-smtp.us-east-1.amazonaws.com"
KEY_ID = "AKIAIOSFODNN7EXAMPLE"
SMTP_PW = derive_smtp_password("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "us-east-1")
RANDOM = bytes(range(128, 256)) * 4 + b"\xff\xfe\n"


# --------------------------------------------------------------------------- F3


def test_redactor_and_secret_take_any_str() -> None:
    odd = RANDOM.decode("utf-8", errors="surrogateescape").rstrip("\n")
    redact = Redactor([odd, Secret("lone \ud800 surrogate")])
    redact.add_auth_plain("user\udcbe", odd)
    assert MASK in redact(f"pw={odd}") and odd not in redact(f"pw={odd}")
    assert "\udcbe" not in Secret(odd).masked() and repr(Secret(odd)) == "Secret(****)"


@pytest.mark.parametrize("stream", [
    io.TextIOWrapper(io.BytesIO(RANDOM), encoding="utf-8"),
    io.TextIOWrapper(io.BytesIO(RANDOM), encoding="utf-8", errors="surrogateescape"),
    io.StringIO(RANDOM.decode("utf-8", errors="surrogateescape")),
])
def test_password_on_stdin_must_be_utf8(stream: Any) -> None:
    with pytest.raises(UsageError, match="not UTF-8 text"):
        read_password(stream)


def test_utf8_password_on_stdin_is_read() -> None:
    stream = io.TextIOWrapper(io.BytesIO("pässwörd-ok\r\nrest".encode()), encoding="ascii")
    assert read_password(stream) == Secret("pässwörd-ok")


# --------------------------------------------------------------------------- F4


def test_password_pasted_as_username_is_redacted_and_named() -> None:
    assert secret_shape(SMTP_PW) == "smtp_password" and secret_shape(KEY_ID) is None
    assert secret_shape("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY") == "iam_secret"
    ctx = Context(inputs=Inputs(relay=RelaySettings(HOST, 587, "starttls", SMTP_PW)))
    login = base64.b64encode(SMTP_PW.encode()).decode()
    assert SMTP_PW not in ctx.redactor(f"user {SMTP_PW} / {login}")
    summary = _not_a_key_id(SMTP_PW)
    assert SMTP_PW not in summary and SMTP_PW[-4:] not in summary and "44 characters" in summary
    assert "looks like an SMTP password" in summary and "swapped" in summary
    assert "'admin@sender.example' is not an access key id" in _not_a_key_id(
        "admin@sender.example")


# --------------------------------------------------------------------------- F5, F8

ENV = {"MAILPATH_RELAY_HOST": HOST, "MAILPATH_RELAY_PORT": "2587",
       "MAILPATH_RELAY_USER": "AKIAOLDOLDOLDOLDOLD1"}


def _args(**flags: Any) -> argparse.Namespace:
    base = {"relay_host": None, "relay_port": None, "relay_tls": None, "relay_user": None,
            "relay_password_stdin": False, "profile_name": None, "region": None}
    return argparse.Namespace(**(base | flags))


def test_flags_override_the_environment_relay_field_by_field() -> None:
    relay = relay_from_args(_args(relay_user=KEY_ID, relay_password_stdin=True),
                            io.StringIO("new-password\n"), env=ENV)
    assert relay == RelaySettings(HOST, 2587, "starttls", KEY_ID, Secret("new-password"))
    assert relay_from_args(_args(), env=ENV) == RelaySettings(HOST, 2587, "starttls",
                                                              ENV["MAILPATH_RELAY_USER"])
    assert relay_from_args(_args(), env={}) is None


@pytest.mark.parametrize(("flags", "env", "needle"), [
    ({"relay_port": 0}, ENV, "--relay-port 0 is not a TCP port"),
    ({"relay_port": 99999, "relay_host": HOST, "relay_user": KEY_ID}, {}, "99999"),
    ({"relay_user": KEY_ID}, {}, "--relay-user needs --relay-host"),
    ({"relay_password_stdin": True}, {}, "--relay-password-stdin needs --relay-host"),
    ({"relay_host": "bad host!", "relay_user": KEY_ID}, {}, "not a host name"),
    ({"relay_host": HOST, "relay_user": " "}, {}, "--relay-user"),
    ({"region": "xx"}, ENV, "'xx' is not an AWS region"),
])
def test_bad_relay_values_are_usage_errors(flags: dict[str, Any], env: dict[str, str],
                                           needle: str) -> None:
    with pytest.raises(UsageError, match=needle):
        relay_from_args(_args(**flags), io.StringIO("pw\n"), env=env)


def test_relay_host_region_wins_and_says_so(capsys: pytest.CaptureFixture[str]) -> None:
    relay_from_args(_args(region="eu-west-1"), env=ENV)
    out, err = capsys.readouterr()
    assert out == "" and "us-east-1" in err and "instead of --region eu-west-1" in err
    relay_from_args(_args(region="us-east-1"), env=ENV)
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize(("name", "ok"), [
    ("us-east-1", True), ("EU-WEST-1", True), ("us-gov-west-1", True), ("ap-southeast-9", True),
    ("xx", False), ("xx-nowhere-9", False), ("../x", False), ("", False), ("us-east1", False),
    ("eu-wset-1", False),
])
def test_region_names(name: str, ok: bool) -> None:
    if ok:
        assert validate.region(name) == name.lower()
    else:
        with pytest.raises(validate.InvalidValue, match="not an AWS region"):
            validate.region(name)


def test_region_typo_gets_a_did_you_mean() -> None:
    with pytest.raises(validate.InvalidValue, match="did you mean eu-west-1"):
        validate.region("eu-wset-1")


# --------------------------------------------------------------------------- F13-F15


def _creds(monkeypatch: pytest.MonkeyPatch, config: Path, *argv: str,
           stdin: str = "pw-1234567890\n") -> int:
    monkeypatch.setenv("MAILPATH_CONFIG", str(config))
    monkeypatch.setattr(sys, "stdin", io.StringIO(stdin))
    return main(["creds", *argv])


GOOD = ("--relay-host", HOST, "--relay-user", KEY_ID, "--password-stdin")


@pytest.mark.parametrize(("argv", "needle"), [
    (("ok2", "--relay-host", "bad host!", "--relay-user", KEY_ID), "not a host name"),
    (("ok2", "--relay-host", HOST, "--relay-user", ""), "--relay-user is empty"),
    (("ok2", *GOOD, "--from", "notanaddr"), "not an email address"),
    (("ok2", *GOOD, "--region", "../x"), "not an AWS region"),
    (("", *GOOD), "profile name"),
    (("ok2", *GOOD, "--relay-port", "0"), "not a TCP port"),
])
def test_creds_set_refuses_bad_values_before_storing(
        memory: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str], argv: tuple[str, ...], needle: str) -> None:
    argv = (*argv, "--password-stdin") if "--password-stdin" not in argv else argv
    assert _creds(monkeypatch, tmp_path / "c.toml", "set", *argv) == 2
    assert needle in capsys.readouterr().err
    assert memory.items == {} and not (tmp_path / "c.toml").exists()


def test_unwritable_settings_leave_no_orphan_secret(memory: Any, monkeypatch: pytest.MonkeyPatch,
                                                    tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    assert _creds(monkeypatch, Path("/proc/mailpath-test.toml"), "set", "z", *GOOD) == 2
    assert "cannot write" in capsys.readouterr().err and memory.items == {}


def test_keyring_failure_puts_the_old_profile_back(memory: Any, monkeypatch: pytest.MonkeyPatch,
                                                   tmp_path: Path) -> None:
    config = tmp_path / "c.toml"
    assert _creds(monkeypatch, config, "set", "p", *GOOD) == 0
    before = load_profiles(config)

    def refuse(*_: Any) -> None:
        import keyring.errors
        raise keyring.errors.KeyringLocked("locked")
    monkeypatch.setattr(memory, "set_password", refuse)
    assert _creds(monkeypatch, config, "set", "p", *GOOD, "--region", "eu-west-1") == 2
    assert _creds(monkeypatch, config, "set", "q", *GOOD) == 2
    assert load_profiles(config) == before


def test_creds_delete_unknown_profile_and_stored_profile_errors(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    """No usable keyring here (keyring's fail backend): the profile is still named."""
    import keyring
    from keyring.backends import fail

    before = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        assert _creds(monkeypatch, tmp_path / "c.toml", "delete", "nosuch") == 2
        assert "no profile 'nosuch'" in capsys.readouterr().err
        assert _creds(monkeypatch, tmp_path / "c.toml", "set", "p", *GOOD) == 2
        err = capsys.readouterr().err
    finally:
        keyring.set_keyring(before)
    assert "mailpath check --relay-host" in err and "--relay-password-stdin needs" not in err
    assert "pass the password for one run with --relay-password-stdin" not in err


def test_stored_profile_errors_name_the_profile(memory: Any, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "c.toml"
    config.write_text('[profiles.ok2]\nrelay_host = "h.example"\nrelay_user = ""\n')
    monkeypatch.setenv("MAILPATH_CONFIG", str(config))
    with pytest.raises(UsageError, match="profile 'ok2' has no relay_user"):
        relay_from_args(argparse.Namespace(profile_name="ok2"), env=os.environ)


# --------------------------------------------------------------------------- audit: variables


@pytest.mark.parametrize(
    "variable, value, needle",
    [
        ("MAILPATH_NAMESERVER", "::::", "MAILPATH_NAMESERVER: bad host in '::::'"),
        ("MAILPATH_NAMESERVER", "1.2.3:4:5", "MAILPATH_NAMESERVER: bad host"),
        ("MAILPATH_SMTP_ROUTES", "a:1=b", "MAILPATH_SMTP_ROUTES: SMTP route 'a:1=b': target 'b' "
         "has no port"),
        ("MAILPATH_SMTP_ROUTES", "a:x=b:1", "MAILPATH_SMTP_ROUTES: SMTP route 'a:x=b:1'"),
        ("MAILPATH_DNS_ROUTES", "=1.2.3.4", "MAILPATH_DNS_ROUTES: DNS route"),
        ("MAILPATH_HTTPS_ROUTES", "a=http://b", "MAILPATH_HTTPS_ROUTES: HTTPS route"),
    ],
)
def test_bad_endpoint_variables_are_usage_errors_naming_them(
        variable: str, value: str, needle: str, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv(variable, value)
    assert main(["check", "--from", "a@sender.example", "--to", "b@recipient.example"]) == 2
    err = capsys.readouterr().err
    assert needle in err and len(err.strip().splitlines()) == 1


def test_good_endpoint_variables_still_parse() -> None:
    from checks.endpoints import Endpoints

    ep = Endpoints.from_env({"MAILPATH_NAMESERVER": "[::1]:53,::1,127.0.0.1:5353",
                             "MAILPATH_SMTP_ROUTES": "*:25=127.0.0.1:2525,h.example:587=[::1]:1"})
    assert ep.nameservers == (("::1", 53), ("::1", 53), ("127.0.0.1", 5353))
    assert ep.smtp_address("x.example", 25) == ("127.0.0.1", 2525)
    assert ep.smtp_address("H.example", 587) == ("::1", 1)
    assert Endpoints.from_env(ep.to_env()).smtp_routes == ep.smtp_routes


def test_a_nameserver_flag_error_names_the_flag(capsys: pytest.CaptureFixture[str]) -> None:
    args = ["check", "--from", "a@sender.example", "--to", "b@recipient.example"]
    assert main([*args, "--nameserver", "::::"]) == 2
    assert "--nameserver: bad host in '::::'" in capsys.readouterr().err


def test_aws_error_summary_keeps_the_whole_first_sentence() -> None:
    import botocore.exceptions as bce

    from checks.net.aws import local_error

    err = local_error(bce.ProfileNotFound(profile="nosuch"), "sesv2", "get_account")
    assert str(err).endswith("does not exist in ~/.aws/config or ~/.aws/credentials")


def test_creds_show_and_set_tell_only_that_a_password_is_set_and_its_length(
        memory: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "c.toml"
    assert _creds(monkeypatch, config, "set", "p1", *GOOD, stdin="pw-1234567890WXYZ\n") == 0
    assert _creds(monkeypatch, config, "show", "p1") == 0
    out = capsys.readouterr().out
    assert "password: set, 17 characters" in out and "(17 characters)" in out
    assert "WXYZ" not in out and "7890" not in out
