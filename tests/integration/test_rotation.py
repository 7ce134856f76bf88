"""SES SMTP credential rotation against the lab: real IAM (moto), real SMTP relay with AUTH
(it accepts exactly the SigV4 passwords of keys Active right now), in-memory keyring.

Nothing is mocked except the keyring (an in-memory backend: the user's real keyring is
never touched) and, in one test, the AWS endpoint itself, replaced by the lab's fault server
that answers AccessDenied to every call.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from moto.iam.models import AccessKeyLastUsed

from checks.config import Profile, get_profile, save_profile
from checks.context import Context
from checks.creds import audit, store
from checks.creds.rotation import (
    CURRENT,
    PENDING,
    PREVIOUS,
    OutcomeStatus,
    Question,
    QuestionId,
    Rotation,
    RotationError,
    RotationEvent,
    RotationOptions,
    StepId,
    StepStatus,
    state_path,
)
from checks.net.smtp import probe
from checks.secrets import Secret
from tests.canary import Canaries, MemoryKeyring, assert_no_canary

PROFILE = "gmail-alias"




async def _no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


FAST = RotationOptions(verify_attempts=3, gmail_poll_seconds=0, smtp_timeout=5, sleep=_no_wait)


class User:
    """Answers questions from a table (default: no) and records everything it saw."""

    def __init__(self, answers: dict[QuestionId, bool] | None = None, on_ask: Any = None):
        self.answers, self.on_ask = answers or {}, on_ask
        self.asked: list[Question] = []
        self.events: list[RotationEvent] = []

    async def confirm(self, q: Question) -> bool:
        self.asked.append(q)
        if self.on_ask is not None:
            await self.on_ask(q)
        return self.answers.get(q.id, False)

    def progress(self, event: RotationEvent) -> None:
        self.events.append(event)

    def text(self) -> str:
        return "\n".join(f"{e.step} {e.status} {e.message}" for e in self.events) + "\n".join(
            f"{q.text} {q.detail}" for q in self.asked)


ALL_YES = {q: True for q in QuestionId}


def _setup(lab: Any, tmp_path: Path) -> Path:
    """Save the lab's relay as a profile and its password in the (memory) keyring."""
    config = tmp_path / "config.toml"
    relay = lab.relay
    save_profile(Profile(PROFILE, sender="admin@sender.example", region=lab.scenario.region,
                         relay_host=relay.host, relay_port=relay.port, relay_tls=relay.tls,
                         relay_user=relay.username), config)
    store.set_secret(PROFILE, relay.password)
    return config


def _keys(lab: Any) -> dict[str, str]:
    iam = lab.boto3_client("iam")
    listed = iam.list_access_keys(UserName="ses-smtp-sender")["AccessKeyMetadata"]
    return {k["AccessKeyId"]: k["Status"] for k in listed}


def _run(rotation: Rotation, lab: Any, user: User) -> Any:
    ctx = Context(endpoints=lab.endpoints)
    return asyncio.run(rotation.run(ctx, confirm=user.confirm, progress=user.progress))


async def _auth(lab: Any, username: str, password: Secret) -> int:
    relay = lab.relay
    result = await probe(relay.host, relay.port, relay.tls, lab.endpoints,
                         auth=(username, password), timeout=5)
    assert result.auth is not None, result
    return result.auth.code


def test_full_rotation_of_the_seed_relay(fresh_seed_lab: Any, memory: MemoryKeyring,
                                         tmp_path: Path) -> None:
    lab = fresh_seed_lab
    config = _setup(lab, tmp_path)
    old, current = lab.key("old").access_key_id, lab.key("current").access_key_id
    assert _keys(lab) == {old: "Inactive", current: "Active"}
    rotation = Rotation.start(PROFILE, config=config, options=FAST)

    async def gmail_logs_in(q: Question) -> None:
        if q.id is QuestionId.GMAIL_UPDATED:  # "Gmail" logs in with the values it was given
            fields = rotation.gmail_settings()
            pw = fields.field("password").value
            assert isinstance(pw, Secret)
            assert await _auth(lab, str(fields.field("username").value), pw) == 235
            later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)  # IAM's clock moved on
            lab.aws.iam.access_keys[str(fields.field("username").value)].last_used = \
                AccessKeyLastUsed(later, "ses", lab.scenario.region)

    user = User(ALL_YES, on_ask=gmail_logs_in)
    outcome = _run(rotation, lab, user)

    assert outcome.status is OutcomeStatus.COMPLETED, outcome.message
    new = outcome.new_key_id
    assert new and new not in (old, current)
    assert _keys(lab) == {current: "Active", new: "Active"}  # old key deleted (made room)
    assert get_profile(PROFILE, config).relay_user == new
    password = store.get_secret(PROFILE, CURRENT)
    assert password is not None
    assert asyncio.run(_auth(lab, new, password)) == 235
    assert store.get_secret(PROFILE, PENDING) is None
    assert store.get_secret(PROFILE, PREVIOUS) is None
    assert not state_path(PROFILE, config).exists()
    asked = [q.id for q in user.asked]
    assert asked[0] is QuestionId.DELETE_INACTIVE_KEY and QuestionId.GMAIL_UPDATED in asked
    done = {e.step for e in user.events if e.status in (StepStatus.DONE, StepStatus.SKIPPED)}
    assert done == set(StepId)
    actions = [e["action"] for e in audit.read(audit.audit_path(config))]
    assert actions[:3] == ["rotation_started", "delete_access_key", "create_access_key"]
    assert actions[-1] == "rotation_completed"
    canaries = Canaries.of_lab(lab).add("new SMTP password", password.reveal(), new)
    assert_no_canary(user.text(), outcome.message, tmp_path,
                     audit.audit_path(config).read_text(), canaries=canaries)


def test_two_keys_refused_changes_nothing(fresh_seed_lab: Any, memory: MemoryKeyring,
                                          tmp_path: Path) -> None:
    lab = fresh_seed_lab
    config = _setup(lab, tmp_path)
    before = _keys(lab)
    user = User({})  # says no to everything
    outcome = _run(Rotation.start(PROFILE, config=config, options=FAST), lab, user)
    assert outcome.status is OutcomeStatus.CANCELLED
    assert "Nothing changed" in outcome.message and not outcome.resumable
    assert [q.id for q in user.asked] == [QuestionId.DELETE_INACTIVE_KEY]
    assert _keys(lab) == before
    assert store.get_secret(PROFILE) == lab.relay.password
    assert not state_path(PROFILE, config).exists()


def test_a_rotation_another_process_runs_is_left_alone(fresh_seed_lab: Any,
                                                      memory: MemoryKeyring,
                                                      tmp_path: Path) -> None:
    """Two mailpath processes (the TUI and the command line) must not drive one rotation:
    while another process holds the profile's rotation lock, run() changes nothing."""
    lab = fresh_seed_lab
    config = _setup(lab, tmp_path)
    before = _keys(lab)
    lock = state_path(PROFILE, config).with_suffix(".lock")
    lock.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import fcntl, os, sys, time; "
         "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o600); "
         "fcntl.flock(fd, fcntl.LOCK_EX); print('held', flush=True); time.sleep(60)",
         str(lock)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == "held\n"
        user = User(ALL_YES)
        outcome = _run(Rotation.start(PROFILE, config=config, options=FAST), lab, user)
    finally:
        holder.kill()
        holder.wait()
    assert outcome.status is OutcomeStatus.FAILED and outcome.exit_code == 3
    assert "Another mailpath is running a rotation of 'gmail-alias'" in outcome.message
    assert not outcome.resumable and user.asked == [] and user.events == []
    assert _keys(lab) == before
    assert not state_path(PROFILE, config).exists()
    # once the other process is gone, the lock is free again
    outcome = _run(Rotation.start(PROFILE, config=config, options=FAST), lab, User({}))
    assert outcome.status is OutcomeStatus.CANCELLED, outcome.message


def test_active_key_needs_two_confirmations(fresh_seed_lab: Any, memory: MemoryKeyring,
                                            tmp_path: Path) -> None:
    """Both keys Active: the other one is offered, with a second confirmation; one no stops."""
    lab = fresh_seed_lab
    old = lab.key("old").access_key_id
    lab.boto3_client("iam").update_access_key(UserName="ses-smtp-sender", AccessKeyId=old,
                                              Status="Active")
    config = _setup(lab, tmp_path)
    before = _keys(lab)
    user = User({QuestionId.DELETE_ACTIVE_KEY: True})
    outcome = _run(Rotation.start(PROFILE, config=config, options=FAST), lab, user)
    assert outcome.status is OutcomeStatus.CANCELLED
    assert [q.id for q in user.asked] == [QuestionId.DELETE_ACTIVE_KEY,
                                           QuestionId.DELETE_ACTIVE_KEY_AGAIN]
    assert all(q.destructive for q in user.asked)
    assert lab.key("current").access_key_id in user.asked[0].text  # never the relay's own key
    assert _keys(lab) == before


def test_verification_failing_rolls_back(fresh_seed_lab: Any, memory: MemoryKeyring,
                                         tmp_path: Path) -> None:
    """The relay refuses every login (it is routed to a fault server answering 535): the new
    key is deleted and the old credentials stay exactly as they were."""
    from checks.lab.faults import FaultServer

    lab = fresh_seed_lab
    config = _setup(lab, tmp_path)
    rotation = Rotation.start(PROFILE, config=config, options=FAST)
    user = User(ALL_YES)

    async def go() -> Any:
        async with FaultServer.smtp("wrong_name", tls=None) as srv:
            routes = {**lab.endpoints.smtp_routes, f"{lab.relay.host}:{lab.relay.port}":
                      srv.address}
            ctx = Context(endpoints=replace(lab.endpoints, smtp_routes=routes))
            return await rotation.run(ctx, confirm=user.confirm, progress=user.progress)

    outcome = asyncio.run(go())
    assert outcome.status is OutcomeStatus.ROLLED_BACK, outcome.message
    assert "old credentials are untouched" in outcome.message
    keys = _keys(lab)
    assert outcome.new_key_id is None or outcome.new_key_id not in keys
    assert lab.key("current").access_key_id in keys and len(keys) == 1  # made room, nothing new
    assert store.get_secret(PROFILE) == lab.relay.password
    assert store.get_secret(PROFILE, PENDING) is None
    assert get_profile(PROFILE, config).relay_user == lab.relay.username
    waits = [e for e in user.events if e.step is StepId.VERIFY and e.status is StepStatus.WAITING]
    assert len(waits) == FAST.verify_attempts - 1


def test_resume_after_a_stop_in_the_middle(fresh_seed_lab: Any, memory: MemoryKeyring,
                                           tmp_path: Path) -> None:
    lab = fresh_seed_lab
    lab.boto3_client("iam").delete_access_key(  # one key: no room to make, the old one stays
        UserName="ses-smtp-sender", AccessKeyId=lab.key("current").access_key_id)
    config = _setup(lab, tmp_path)
    first = User({})  # no to "Gmail updated?"
    outcome = _run(Rotation.start(PROFILE, config=config, options=FAST), lab, first)
    assert [q.id for q in first.asked] == [QuestionId.GMAIL_UPDATED]
    assert outcome.status is OutcomeStatus.PAUSED and outcome.resumable
    assert outcome.step is StepId.UPDATE_GMAIL
    assert state_path(PROFILE, config).exists()
    with pytest.raises(RotationError, match="already in progress"):
        Rotation.start(PROFILE, config=config)

    resumed = Rotation.resume(PROFILE, config=config, options=FAST)
    statuses = dict((s.id, st) for s, st in resumed.checklist())
    assert statuses[StepId.PROMOTE] is StepStatus.DONE
    assert statuses[StepId.UPDATE_GMAIL] is StepStatus.WAITING
    second = User({QuestionId.GMAIL_UPDATED: True, QuestionId.GMAIL_WORKS: True})
    outcome = _run(resumed, lab, second)  # stops again before deleting: asked, said no
    assert outcome.status is OutcomeStatus.PAUSED and outcome.step is StepId.DELETE_OLD
    assert [q.id for q in second.asked][:2] == [QuestionId.GMAIL_UPDATED, QuestionId.GMAIL_WORKS]
    assert not any(e.step is StepId.CREATE_KEY for e in second.events)  # not done again

    third = User(ALL_YES)
    outcome = _run(Rotation.resume(PROFILE, config=config, options=FAST), lab, third)
    assert outcome.status is OutcomeStatus.COMPLETED
    assert [q.id for q in third.asked] == [QuestionId.DELETE_OLD]
    assert _keys(lab) == {outcome.new_key_id: "Active"}


def test_access_denied_names_the_permission(fresh_seed_lab: Any, memory: MemoryKeyring,
                                            tmp_path: Path) -> None:
    """The AWS endpoint is the lab's fault server answering AccessDenied to every call."""
    from checks.lab.faults import FaultServer

    lab = fresh_seed_lab
    config = _setup(lab, tmp_path)
    user = User(ALL_YES)

    async def go(iam_user: str | None) -> Any:
        rotation = Rotation.start(PROFILE, config=config, options=FAST, iam_user=iam_user)
        async with FaultServer.aws("access_denied") as srv:
            ctx = Context(endpoints=replace(lab.endpoints, aws_endpoint_url=srv.url))
            return await rotation.run(ctx, confirm=user.confirm, progress=user.progress)

    outcome = asyncio.run(go(None))
    assert outcome.status is OutcomeStatus.FAILED
    assert "iam:GetAccessKeyLastUsed" in outcome.message
    outcome = asyncio.run(go("ses-smtp-sender"))
    assert "iam:ListAccessKeys" in outcome.message
    assert store.get_secret(PROFILE) == lab.relay.password


def test_state_file_and_audit_hold_no_secrets(fresh_seed_lab: Any, memory: MemoryKeyring,
                                              tmp_path: Path) -> None:
    lab = fresh_seed_lab
    config = _setup(lab, tmp_path)
    user = User({QuestionId.DELETE_INACTIVE_KEY: True})
    outcome = _run(Rotation.start(PROFILE, config=config, options=FAST), lab, user)
    assert outcome.resumable
    state = json.loads(state_path(PROFILE, config).read_text())
    assert state["new_key_id"] == outcome.new_key_id
    new_pw = store.get_secret(PROFILE, CURRENT)
    assert new_pw is not None
    key = lab.aws.iam.access_keys[outcome.new_key_id]
    canaries = (Canaries.of_lab(lab).add("new SMTP password", new_pw.reveal(), key.access_key_id)
                .add("new IAM secret", key.secret_access_key))
    assert_no_canary(user.text(), outcome.message, tmp_path,
                     audit.audit_path(config).read_text(), canaries=canaries)


def test_cli_rotate_unattended_pauses_at_gmail(fresh_seed_lab: Any, tmp_path: Path) -> None:
    """`mailpath creds rotate --yes` without a terminal: the AWS part runs, the Gmail step
    waits for a person; nothing secret on stdout/stderr. Keyring: the test-only file backend."""
    import os
    import subprocess
    import sys

    lab = fresh_seed_lab
    repo = Path(__file__).resolve().parents[2]
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")}
    env |= lab.endpoints.to_env() | {
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "MAILPATH_CONFIG": str(tmp_path / "config.toml"), "PYTHONPATH": str(repo),
        "PYTHON_KEYRING_BACKEND": "tests.canary.CanaryFileKeyring",
        "MAILPATH_TEST_KEYRING": str(tmp_path / "keyring.json")}
    main = "import sys; from tui.cli import main; sys.exit(main(sys.argv[1:]))"

    def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", main, "creds", *args], input=stdin,
                              capture_output=True, text=True, env=env, timeout=60, cwd=repo)

    relay = lab.relay
    saved = cli("set", PROFILE, "--relay-host", relay.host, "--relay-user", relay.username,
                "--region", "us-east-1", "--password-stdin", stdin=relay.password.reveal())
    assert saved.returncode == 0, saved.stderr
    assert cli("rotate", PROFILE).returncode == 2  # no terminal, no --yes
    run = cli("rotate", PROFILE, "--yes")
    assert run.returncode == 1, run.stdout + run.stderr
    assert "SES accepted the new password" in run.stdout and "--resume" in run.stdout
    new_id = json.loads((tmp_path / "rotation" / f"{PROFILE}.json").read_text())["new_key_id"]
    new_key = lab.aws.iam.access_keys[new_id]
    stored = json.loads((tmp_path / "keyring.json").read_text())
    canaries = (Canaries.of_lab(lab).add("new IAM secret", new_key.secret_access_key)
                .add("new SMTP password", stored[f"mailpath/{PROFILE}:relay_password"], new_id))
    assert_no_canary(run.stdout, run.stderr, tmp_path / "rotation", tmp_path / "config.toml",
                     audit.audit_path(tmp_path / "config.toml").read_text(), canaries=canaries)
