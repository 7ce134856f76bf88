"""`mailpath creds rotate` never takes mailpath's own login with the new key for Gmail's,
against the lab (real IAM in moto, real SMTP relay with AUTH that moves the key's last use).

The commands run as the user runs them (subprocesses); the keyring is the test-only file
backend `tests.canary.CanaryFileKeyring`. The Gmail question is answered in this process on
the same files (the keyring backend is set to the same file for it)."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest
from moto.iam.models import AccessKeyLastUsed

from checks.creds import audit
from checks.creds.rotation import OutcomeStatus, QuestionId, Rotation, StepId, state_path
from tests.canary import Canaries, CanaryFileKeyring, assert_no_canary
from tests.integration.test_rotation import FAST, PROFILE, User, _keys, _run

REPO = Path(__file__).resolve().parents[2]
MAIN = "import sys; from tui.cli import main; sys.exit(main(sys.argv[1:]))"


def cli_env(lab: Any, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    return env | lab.endpoints.to_env() | {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "MAILPATH_CONFIG": str(tmp_path / "config.toml"), "PYTHONPATH": str(REPO),
        "PYTHON_KEYRING_BACKEND": "tests.canary.CanaryFileKeyring",
        "MAILPATH_TEST_KEYRING": str(tmp_path / "keyring.json")}


def cli(env: dict[str, str], *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", MAIN, "creds", *args], input=stdin,
                          capture_output=True, text=True, env=env, timeout=90, cwd=REPO)


def set_profile(lab: Any, env: dict[str, str]) -> None:
    relay = lab.relay
    saved = cli(env, "set", PROFILE, "--relay-host", relay.host, "--relay-user",
                relay.username, "--region", "us-east-1", "--password-stdin",
                stdin=relay.password.reveal())
    assert saved.returncode == 0, saved.stderr


@pytest.fixture
def file_keyring(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """This process uses the subprocesses' keyring file too."""
    monkeypatch.setenv("MAILPATH_TEST_KEYRING", str(tmp_path / "keyring.json"))
    before = keyring.get_keyring()
    keyring.set_keyring(CanaryFileKeyring())
    try:
        yield
    finally:
        keyring.set_keyring(before)


def double_check(env: dict[str, str], how: str, sender: str
                 ) -> subprocess.CompletedProcess[str]:
    """The user's own login with the profile: `creds test`, or a diagnosis of the relay
    with the profile (`check --profile-name`)."""
    if how == "creds test":
        return cli(env, "test", PROFILE)
    return subprocess.run([sys.executable, "-c", MAIN, "check", "--profile-name", PROFILE,
                           "--from", sender, "--layers", "gmail_relay"],
                          capture_output=True, text=True, env=env, timeout=90, cwd=REPO,
                          input="")


@pytest.mark.parametrize("how", ["creds test", "check --profile-name"])
def test_own_login_during_the_gmail_wait_is_not_gmail(lab_factory: Any, tmp_path: Path,
                                                       file_keyring: None, how: str) -> None:
    lab = lab_factory("healthy")  # the relay's key is Active, the user's other one Inactive
    env = cli_env(lab, tmp_path)
    config = tmp_path / "config.toml"
    set_profile(lab, env)
    first = cli(env, "rotate", PROFILE, "--yes")  # pauses at "Gmail updated?"
    assert first.returncode == 1, first.stdout + first.stderr
    # the person says Gmail is updated, but not yet that a test message went out
    person = User({QuestionId.GMAIL_UPDATED: True})
    paused = _run(Rotation.resume(PROFILE, config=config, options=FAST), lab, person)
    assert paused.status is OutcomeStatus.PAUSED and paused.step is StepId.CONFIRM_GMAIL
    new = paused.new_key_id
    old = lab.relay.username
    assert new
    # the verification was ten minutes ago (beyond its clock slack)
    path = state_path(PROFILE, config)
    state = json.loads(path.read_text())
    earlier = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)).isoformat()
    state |= {"verified_at": earlier, "own_login_at": earlier}
    path.write_text(json.dumps(state))

    # the user double-checks: mailpath logs in itself
    tested = double_check(env, how, lab.scenario.sender)
    used = lab.aws.iam.access_keys[new].last_used
    assert used is not None and used.timestamp > dt.datetime.fromisoformat(state["verified_at"])
    assert "Traceback" not in tested.stderr and tested.returncode in (0, 1), tested.stderr

    unattended = cli(env, "rotate", PROFILE, "--resume", "--yes", "--gmail-wait", "0")
    out = unattended.stdout + unattended.stderr
    assert unattended.returncode == 1, out
    assert "Gmail logged in" not in out and "needs a person" in out
    assert "deactivate_old" not in out and _keys(lab)[old] == "Active"  # left as it was
    assert state_path(PROFILE, config).exists()

    # Gmail itself logs in later (IAM's clock has moved on): that one counts
    lab.aws.iam.access_keys[new].last_used = AccessKeyLastUsed(
        dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5), "ses", lab.scenario.region)
    done = cli(env, "rotate", PROFILE, "--resume", "--yes", "--gmail-wait", "0")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Gmail logged in with it" in done.stdout and old not in _keys(lab)

    stored = json.loads((tmp_path / "keyring.json").read_text())
    canaries = (Canaries.of_lab(lab).add("new IAM secret",
                                         lab.aws.iam.access_keys[new].secret_access_key)
                .add("new SMTP password", stored[f"mailpath/{PROFILE}:relay_password"], new))
    assert_no_canary(first.stdout, first.stderr, tested.stdout, tested.stderr, out,
                     done.stdout, done.stderr, person.text(), tmp_path / "config.toml",
                     audit.audit_path(config).read_text(), canaries=canaries)
