"""Tester's findings end to end: a real `mailpath` process against the lab (F3 undecodable
password, F4 password pasted as the username, F5 relay flags over the MAILPATH_RELAY_*
relay, F13 a keyring backend that cannot load, F16 suppression). No traceback, exit 2 for
usage errors, secrets never in stdout or stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from checks.creds.smtp_password import derive_smtp_password

MAILPATH = [sys.executable, "-m", "tui"]
HOST = "email-smtp.us-east-1.amazonaws.com"
ADDRESSES = ("--from", "admin@sender.example", "--to", "pat@recipient.example")


@pytest.fixture(scope="module")
def lab(module_lab_factory: Any) -> Any:
    return module_lab_factory("healthy")


@pytest.fixture
def env(lab: Any, tmp_path: Path) -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR", "VIRTUAL_ENV"}
    base = {k: v for k, v in os.environ.items() if k in keep}
    return base | lab.endpoints.to_env() | {
        "MAILPATH_CONFIG": str(tmp_path / "config.toml"),
        "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring",
    }


def _run(env: dict[str, str], *argv: str, stdin: bytes = b"") -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([*MAILPATH, *argv], input=stdin, capture_output=True, env=env,
                          timeout=60)
    return subprocess.CompletedProcess(proc.args, proc.returncode,
                                       proc.stdout.decode("utf-8", "replace"),
                                       proc.stderr.decode("utf-8", "replace"))


def _usage_error(proc: subprocess.CompletedProcess[str], needle: str) -> None:
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    assert "Traceback" not in proc.stderr


def _password(lab: Any) -> str:
    return derive_smtp_password(lab.key("current").secret, "us-east-1")


def test_undecodable_password_on_stdin(env: dict[str, str]) -> None:
    garbage = bytes(range(128, 256)) * 400
    proc = _run(env, "check", *ADDRESSES, "--relay-host", HOST, "--relay-user",
                "AKIAIOSFODNN7EXAMPLE", "--relay-password-stdin", stdin=garbage)
    _usage_error(proc, "the password on stdin is not UTF-8 text")


def test_password_pasted_as_username_is_masked(lab: Any, env: dict[str, str]) -> None:
    password = _password(lab)
    for extra in ((), ("--json",)):
        proc = _run(env, "check", *ADDRESSES, "--layers", "gmail_relay", "--relay-host", HOST,
                    "--relay-user", password, "--relay-password-stdin", *extra,
                    stdin=password.encode() + b"\n")
        assert password not in proc.stdout + proc.stderr and "Traceback" not in proc.stderr
        assert "looks like an SMTP password" in proc.stdout and "swapped" in proc.stdout


def test_relay_flags_override_the_environment_relay(lab: Any, env: dict[str, str],
                                                    tmp_path: Path) -> None:
    old = tmp_path / "old-password"
    old.write_text("not-the-password-1234\n")
    env |= {"MAILPATH_RELAY_HOST": HOST, "MAILPATH_RELAY_PORT": "587",
            "MAILPATH_RELAY_USER": "AKIAOLDOLDOLDOLDOLD1", "MAILPATH_RELAY_PASSWORD_FILE": str(old)}
    proc = _run(env, "check", *ADDRESSES, "--layers", "gmail_relay", "--json", "--relay-user",
                lab.key("current").access_key_id, "--relay-password-stdin",
                stdin=_password(lab).encode() + b"\n")
    results = {r["id"]: r for r in json.loads(proc.stdout)["results"]}
    assert results["gmail_relay.smtp.auth"]["status"] == "pass", proc.stdout
    _usage_error(_run(env, "check", *ADDRESSES, "--relay-port", "0"), "--relay-port 0")
    proc = _run(env, "check", *ADDRESSES, "--layers", "gmail_relay", "--json", "--region",
                "eu-west-1")
    assert "instead of --region eu-west-1" in proc.stderr and json.loads(proc.stdout)
    _usage_error(_run(env, "check", *ADDRESSES, "--region", "xx-nowhere-9"), "not an AWS region")


def test_keyring_backend_that_cannot_load(env: dict[str, str]) -> None:
    env |= {"PYTHON_KEYRING_BACKEND": "no.such.Backend"}
    proc = _run(env, "creds", "set", "p1", "--relay-host", HOST, "--relay-user",
                "AKIAIOSFODNN7EXAMPLE", "--password-stdin", stdin=b"pw\n")
    _usage_error(proc, "PYTHON_KEYRING_BACKEND ('no.such.Backend') cannot be loaded")
    assert "--relay-password-stdin needs" not in proc.stderr


# --------------------------------------------------------------------------- F16


def _suppression(lab: Any, *argv: str) -> subprocess.CompletedProcess[str]:
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep} | lab.endpoints.to_env()
    env |= {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
    return _run(env, "suppression", *argv)


@pytest.mark.parametrize(("argv", "needle"), [
    (("export", "--json"), "export writes CSV"),
    (("list", "--since", "2027-01-01", "--until", "2020-01-01"), "is after --until"),
    (("list", "--region", "xx"), "'xx' is not an AWS region"),
    (("stats", "--region", "eu-wset-1"), "did you mean eu-west-1"),
])
def test_suppression_usage_errors(seed_lab: Any, argv: tuple[str, ...], needle: str) -> None:
    _usage_error(_suppression(seed_lab, *argv), needle)


def test_suppression_ids_only_with_details(seed_lab: Any) -> None:
    plain = _suppression(seed_lab, "list", "--json")
    rows = [json.loads(line) for line in plain.stdout.splitlines()]
    assert rows and all("message_id" not in r for r in rows)
    assert "1 entry on the us-east-1 list" in plain.stderr
    detailed = _suppression(seed_lab, "list", "--json", "--details")
    assert all(json.loads(line)["message_id"] for line in detailed.stdout.splitlines())
    csv_plain = _suppression(seed_lab, "export").stdout.splitlines()
    assert csv_plain[0] == "email,reason,last_update,region"
    csv_full = _suppression(seed_lab, "export", "--details").stdout.splitlines()
    assert csv_full[0].endswith("message_id,feedback_id,region") and ",," not in csv_full[1]
