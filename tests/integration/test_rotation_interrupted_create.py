"""A stop while CreateAccessKey is under way, against the lab (real IAM in moto, real SMTP
relay): the key IAM made is found again on resume and deleted (its secret is lost, so it
cannot be adopted), and a failed resume keeps the state file. Also: the keyring failing
while the new password is stored rolls back, saying so.

The stop is made by wrapping the rotation's AWS call: CreateAccessKey really runs on the
lab's IAM, then the process 'dies' (a BaseException nothing in mailpath catches) before the
reply is used, as a Ctrl-C or a kill would leave it. The keyrings are the in-memory test
backend, and one small failing backend written for the last test."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from moto.iam.models import AccessKeyLastUsed

from checks.context import Context
from checks.creds import rotation as rotation_module
from checks.creds import store
from checks.creds.rotation import (
    PENDING,
    OutcomeStatus,
    QuestionId,
    Rotation,
    StepId,
    StepStatus,
    state_path,
)
from tests.canary import Canaries, MemoryKeyring, assert_no_canary, keyring_backend
from tests.integration.test_rotation import FAST, PROFILE, User, _keys, _run, _setup


class Killed(BaseException):
    """Stands for the end of the process (Ctrl-C or a kill) right after IAM made the key."""


def _kill_after_create(monkeypatch: pytest.MonkeyPatch) -> None:
    real = rotation_module.call

    async def call(ctx: Any, service: str, operation: str, **params: Any) -> Any:
        reply = await real(ctx, service, operation, **params)
        if operation == "create_access_key":
            monkeypatch.setattr(rotation_module, "call", real)  # once
            raise Killed("killed while CreateAccessKey was answered")
        return reply

    monkeypatch.setattr(rotation_module, "call", call)


def _interrupted(lab: Any, config: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Start a rotation and kill it inside CreateAccessKey; the key IAM made (untracked)."""
    before = set(_keys(lab))
    _kill_after_create(monkeypatch)
    with pytest.raises(Killed):
        _run(Rotation.start(PROFILE, config=config, options=FAST), lab,
             User({QuestionId.DELETE_INACTIVE_KEY: True}))
    state = json.loads(state_path(PROFILE, config).read_text())
    assert state["new_key_id"] is None and state["create_started_at"]
    lost = set(_keys(lab)) - before
    assert len(lost) == 1 and _keys(lab)[next(iter(lost))] == "Active"
    return lost.pop()


def test_resume_deletes_the_key_of_an_interrupted_create(
        fresh_seed_lab: Any, memory: MemoryKeyring, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    lab = fresh_seed_lab
    config = _setup(lab, tmp_path)
    lost = _interrupted(lab, config, monkeypatch)

    user = User({})  # no to "Gmail updated?"
    outcome = _run(Rotation.resume(PROFILE, config=config, options=FAST), lab, user)
    assert outcome.status is OutcomeStatus.PAUSED and outcome.step is StepId.UPDATE_GMAIL, \
        outcome.message
    new = outcome.new_key_id
    assert new and new != lost
    assert _keys(lab) == {lab.key("current").access_key_id: "Active", new: "Active"}
    said = [e.message for e in user.events if e.step is StepId.CREATE_KEY]
    assert any(f"deleted the key {lost} made by the interrupted attempt" in m and
               "cannot be used" in m for m in said), said
    assert not json.loads(state_path(PROFILE, config).read_text())["create_started_at"]
    canaries = Canaries.of_lab(lab).add("new IAM secret",
                                        lab.aws.iam.access_keys[new].secret_access_key)
    assert_no_canary(user.text(), outcome.message, tmp_path, canaries=canaries)


def test_a_failed_resume_keeps_the_state(fresh_seed_lab: Any, memory: MemoryKeyring,
                                         tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """The resume cannot reach IAM (the lab's fault server answers AccessDenied): the state
    file stays, and a later resume cleans up and goes on."""
    from checks.lab.faults import FaultServer

    lab = fresh_seed_lab
    config = _setup(lab, tmp_path)
    lost = _interrupted(lab, config, monkeypatch)

    async def denied() -> Any:
        rotation = Rotation.resume(PROFILE, config=config, options=FAST)
        user = User({})
        async with FaultServer.aws("access_denied") as srv:
            ctx = Context(endpoints=replace(lab.endpoints, aws_endpoint_url=srv.url))
            return await rotation.run(ctx, confirm=user.confirm, progress=user.progress)

    outcome = asyncio.run(denied())
    assert outcome.status is OutcomeStatus.FAILED and outcome.resumable, outcome.message
    assert state_path(PROFILE, config).exists()
    assert lost in _keys(lab)

    outcome = _run(Rotation.resume(PROFILE, config=config, options=FAST), lab, User({}))
    assert outcome.status is OutcomeStatus.PAUSED, outcome.message
    assert lost not in _keys(lab)


def test_a_used_key_is_not_taken_for_the_lost_one(fresh_seed_lab: Any, memory: MemoryKeyring,
                                                  tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    """The interrupted attempt's key was never used (its secret existed nowhere): a key that
    appeared meanwhile and has been used is someone else's, and is left alone."""
    lab = fresh_seed_lab
    config = _setup(lab, tmp_path)
    lost = _interrupted(lab, config, monkeypatch)
    lab.aws.iam.access_keys[lost].last_used = AccessKeyLastUsed(
        dt.datetime.now(dt.UTC), "ses", lab.scenario.region)
    outcome = _run(Rotation.resume(PROFILE, config=config, options=FAST), lab, User({}))
    assert outcome.status is OutcomeStatus.FAILED and outcome.resumable
    assert "leaves it alone" in outcome.message and lost in outcome.message
    assert lost in _keys(lab) and state_path(PROFILE, config).exists()


class PendingRefusedKeyring(MemoryKeyring):
    """Test-only keyring: storing the pending password fails with an ordinary exception
    whose text holds the password (as a careless D-Bus binding might)."""

    seen: str = ""

    def set_password(self, service: str, username: str, password: str) -> None:
        if username.endswith(PENDING):
            PendingRefusedKeyring.seen = password
            raise RuntimeError(f"org.freedesktop.DBus.Error.NoReply while storing {password}")
        super().set_password(service, username, password)


def test_keyring_failing_to_store_the_new_password_rolls_back(
        fresh_seed_lab: Any, tmp_path: Path) -> None:
    lab = fresh_seed_lab
    with keyring_backend(PendingRefusedKeyring()):
        config = _setup(lab, tmp_path)
        user = User({QuestionId.DELETE_INACTIVE_KEY: True})
        outcome = _run(Rotation.start(PROFILE, config=config, options=FAST), lab, user)
        assert store.get_secret(PROFILE) == lab.relay.password
    assert outcome.status is OutcomeStatus.ROLLED_BACK, outcome.message
    created = next(e.message for e in user.events if e.step is StepId.CREATE_KEY
                   and e.status is StepStatus.DONE)
    new = created.rsplit(" ", 1)[-1]
    assert outcome.message.startswith("Storing the new SMTP password in the keyring failed: "
                                      "The keyring backend")
    assert "RuntimeError" in outcome.message
    assert f"the new key {new} was deleted" in outcome.message
    assert new not in _keys(lab)
    assert not state_path(PROFILE, config).exists()
    assert PendingRefusedKeyring.seen
    canaries = Canaries.of_lab(lab).add("new SMTP password", PendingRefusedKeyring.seen, new)
    assert_no_canary(user.text(), outcome.message, tmp_path, canaries=canaries)


class DiesBeforePending(MemoryKeyring):
    """Test-only keyring: the process 'dies' just before the pending password is stored
    (after the new key was created and recorded): its secret existed only in that run."""

    armed = True

    def set_password(self, service: str, username: str, password: str) -> None:
        if username.endswith(PENDING) and DiesBeforePending.armed:
            DiesBeforePending.armed = False
            raise Killed("killed before the pending password was stored")
        super().set_password(service, username, password)


def test_resume_says_it_replaced_a_key_whose_secret_was_lost(
        fresh_seed_lab: Any, tmp_path: Path) -> None:
    lab = fresh_seed_lab
    with keyring_backend(DiesBeforePending()):
        config = _setup(lab, tmp_path)
        with pytest.raises(Killed):
            _run(Rotation.start(PROFILE, config=config, options=FAST), lab,
                 User({QuestionId.DELETE_INACTIVE_KEY: True}))
        lost = json.loads(state_path(PROFILE, config).read_text())["new_key_id"]
        assert lost in _keys(lab)
        user = User({})
        outcome = _run(Rotation.resume(PROFILE, config=config, options=FAST), lab, user)
    assert outcome.status is OutcomeStatus.PAUSED, outcome.message
    new = outcome.new_key_id
    assert new and new != lost and lost not in _keys(lab) and new in _keys(lab)
    done = next(e.message for e in user.events if e.step is StepId.STORE_PENDING
                and e.status is StepStatus.DONE)
    assert f"the key {lost} created before the stop could not be used" in done
    assert f"created {new} instead" in done
