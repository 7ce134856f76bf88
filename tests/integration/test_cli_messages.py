"""Messages the tester found wanting: the usage of the subcommand given a bad flag, an AWS
reason said once, and the Gmail step of an unattended rotation listing its fields."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.canary import Canaries, assert_no_canary

MAILPATH = [sys.executable, "-m", "tui"]
REPO = Path(__file__).resolve().parents[2]


def _env(**extra: str) -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR", "VIRTUAL_ENV"}
    return {k: v for k, v in os.environ.items() if k in keep} | extra


def _run(*args: str, env: dict[str, str] | None = None, stdin: str = ""
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MAILPATH, *args], capture_output=True, text=True, input=stdin,
                          env=env or _env(), timeout=120, cwd=REPO)


@pytest.mark.parametrize(("argv", "usage"), [
    (("suppression", "export", "-o", "x"), "usage: mailpath suppression export"),
    (("iam-policy", "--bogus"), "usage: mailpath iam-policy"),
    (("check", "--bogus"), "usage: mailpath check"),
    (("creds", "show", "x", "--bogus"), "usage: mailpath creds show"),
])
def test_an_unknown_flag_shows_the_subcommands_usage(argv: tuple[str, ...], usage: str):
    proc = _run(*argv)
    assert proc.returncode == 2 and proc.stdout == ""
    assert proc.stderr.startswith(usage), proc.stderr
    assert f"error: unrecognized arguments: {argv[-2] if argv[-1] == 'x' else argv[-1]}" \
        in proc.stderr


def test_suppression_list_on_an_unreachable_endpoint_says_the_reason_once(tmp_path: Path):
    env = _env(AWS_ENDPOINT_URL="http://127.0.0.1:9", AWS_ACCESS_KEY_ID="x",
               AWS_SECRET_ACCESS_KEY="y", AWS_REGION="us-east-1", HOME=str(tmp_path))
    proc = _run("suppression", "list", env=env)
    assert proc.returncode == 3, proc.stderr
    assert proc.stderr.count("Could not reach the AWS endpoint") == 1, proc.stderr
    nocreds = _run("suppression", "list", env=_env(AWS_ENDPOINT_URL="http://127.0.0.1:9",
                                                    HOME=str(tmp_path)))
    assert nocreds.stderr.count("No AWS credentials found") == 1, nocreds.stderr
    assert "aws configure" in nocreds.stderr  # what the explanation adds is kept


def test_unattended_rotation_lists_the_gmail_fields_masked(fresh_seed_lab: Any,
                                                           tmp_path: Path) -> None:
    lab, profile = fresh_seed_lab, "gmail-alias"
    env = _env(**lab.endpoints.to_env() | {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"},
               MAILPATH_CONFIG=str(tmp_path / "config.toml"),
               PYTHONPATH=str(REPO), PYTHON_KEYRING_BACKEND="tests.canary.CanaryFileKeyring",
               MAILPATH_TEST_KEYRING=str(tmp_path / "keyring.json"))
    relay = lab.relay
    saved = _run("creds", "set", profile, "--relay-host", relay.host, "--relay-user",
                 relay.username, "--region", "us-east-1", "--password-stdin", env=env,
                 stdin=relay.password.reveal())
    assert saved.returncode == 0, saved.stderr
    run = _run("creds", "rotate", profile, "--yes", "--gmail-wait", "0", env=env)
    assert run.returncode == 1, run.stdout + run.stderr
    out = run.stdout
    below = out[out.index("below, one field at a time"):]
    new_id = json.loads((tmp_path / "rotation" / f"{profile}.json").read_text())["new_key_id"]
    assert f"SMTP Server: {relay.host}" in below and "Port: 587" in below
    assert f"Username: {new_id}" in below and "Password: •••• (44 characters)" in below
    assert f"mailpath creds rotate {profile} --resume" in below
    stored = json.loads((tmp_path / "keyring.json").read_text())
    secret = lab.aws.iam.access_keys[new_id].secret_access_key
    canaries = (Canaries.of_lab(lab).add("new IAM secret", secret)
                .add("new SMTP password", stored[f"mailpath/{profile}:relay_password"], new_id))
    assert_no_canary(run.stdout, run.stderr, canaries=canaries)
