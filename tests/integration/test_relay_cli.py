"""`mailpath check` relay flags end to end: a real `mailpath` process against the lab's
servers (endpoints passed as the environment variables `mailpath lab` prints), the password
on stdin. The relay password and a canary never appear in stdout or stderr.

The keyring is forced to keyring's `fail` backend (PYTHON_KEYRING_BACKEND), so these tests
can never touch the user's real keyring; the settings file is a temporary MAILPATH_CONFIG.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from checks.config import Profile, save_profile
from checks.creds.smtp_password import derive_smtp_password

MAILPATH = [sys.executable, "-m", "tui"]
HOST = "email-smtp.us-east-1.amazonaws.com"
CANARY = "CANARY-cli-relay-password-5b7e"
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


def _password(lab: Any) -> str:
    return derive_smtp_password(lab.key("current").secret, "us-east-1")


def _check(env: dict[str, str], *flags: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MAILPATH, "check", *ADDRESSES, "--layers", "gmail_relay", "--json",
                           *flags], input=stdin, capture_output=True, text=True, env=env,
                          timeout=60)


def _results(proc: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    return {r["id"]: r for r in json.loads(proc.stdout)["results"]}


def _assert_no_secret(proc: subprocess.CompletedProcess[str], *secrets: str) -> None:
    for secret in secrets:
        assert secret not in proc.stdout and secret not in proc.stderr
    assert "Traceback" not in proc.stderr


@pytest.mark.parametrize(("port", "mode"), [("587", "starttls"), ("465", "tls")])
def test_relay_flags_and_password_on_stdin_log_in(lab: Any, env: dict[str, str], port: str,
                                                   mode: str) -> None:
    password = _password(lab)
    proc = _check(env, "--relay-host", HOST, "--relay-port", port, "--relay-tls", mode,
                  "--relay-user", lab.key("current").access_key_id, "--relay-password-stdin",
                  stdin=password + "\n")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    auth = _results(proc)["gmail_relay.smtp.auth"]
    assert auth["status"] == "pass" and f"({mode})" in auth["evidence"][0]["label"]
    _assert_no_secret(proc, password)


def test_wrong_password_on_stdin_is_refused_and_never_shown(lab: Any,
                                                            env: dict[str, str]) -> None:
    proc = _check(env, "--relay-host", HOST, "--relay-port", "587", "--relay-tls", "starttls",
                  "--relay-user", lab.key("current").access_key_id, "--relay-password-stdin",
                  stdin=CANARY + "\n")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    auth = _results(proc)["gmail_relay.smtp.auth"]
    assert auth["status"] == "fail" and "535" in auth["summary"]
    _assert_no_secret(proc, CANARY)


def test_profile_name_gives_the_relay_settings(lab: Any, env: dict[str, str]) -> None:
    save_profile(Profile("work", relay_host=HOST, relay_port=2587, relay_tls="starttls",
                         relay_user=lab.key("current").access_key_id),
                 Path(env["MAILPATH_CONFIG"]))
    password = _password(lab)
    proc = _check(env, "--profile-name", "work", "--relay-password-stdin",
                  stdin=password + "\n")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    results = _results(proc)
    assert f"{HOST}:2587" in results["gmail_relay.smtp.connect"]["summary"]
    assert results["gmail_relay.smtp.auth"]["status"] == "pass"
    _assert_no_secret(proc, password)


@pytest.mark.parametrize(("flags", "stdin", "needle"), [
    (("--profile-name", "nobody"), "", "nobody"),
    (("--relay-host", HOST, "--relay-password-stdin"), CANARY, "--relay-user"),
    (("--relay-host", HOST, "--relay-user", "AKIAEXAMPLE", "--relay-password-stdin"), "",
     "no password on stdin"),
    (("--relay-host", HOST, "--relay-user", "u", "--relay-port", "70000"), "", "70000"),
])
def test_bad_relay_flags_get_one_clear_line(env: dict[str, str], flags: tuple[str, ...],
                                            stdin: str, needle: str) -> None:
    proc = _check(env, *flags, stdin=stdin)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert needle in proc.stderr and len(proc.stderr.strip().splitlines()) == 1
    _assert_no_secret(proc, CANARY)


def test_profile_without_a_usable_keyring_says_what_to_do(lab: Any,
                                                          env: dict[str, str]) -> None:
    save_profile(Profile("work", relay_host=HOST, relay_user="AKIAEXAMPLE"),
                 Path(env["MAILPATH_CONFIG"]))
    proc = _check(env, "--profile-name", "work")
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "keyring" in proc.stderr.lower() and "Traceback" not in proc.stderr
