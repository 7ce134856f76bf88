"""A stop inside "make the new password current" (several separate keyring writes and a
settings write) is resumed without losing the old password, against the lab (real IAM in
moto, real SMTP relay with AUTH).

The keyring is a small real backend written for this test (`KillingKeyring`, in memory): it
stands for a process killed right after (or right before) one of its writes lands. The kill
is a BaseException nothing in mailpath catches, as SIGKILL would leave things."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import keyring
import pytest

from checks.config import get_profile
from checks.creds import store
from checks.creds.rotation import (
    CURRENT,
    PENDING,
    PREVIOUS,
    OutcomeStatus,
    QuestionId,
    Rotation,
    StepId,
    StepStatus,
    state_path,
    stopped_while_promoting,
)
from tests.canary import Canaries, MemoryKeyring, assert_no_canary
from tests.integration.test_rotation import FAST, PROFILE, User, _auth, _keys, _run, _setup


class Killed(BaseException):
    """Stands for SIGKILL: the process ends where it is."""


class KillingKeyring(MemoryKeyring):
    """Test-only in-memory keyring that 'kills the process' at one write or delete of one
    account: `after` the change landed, or `before` it."""

    def __init__(self) -> None:
        super().__init__()
        self.trap: tuple[str, str, str] | None = None  # (operation, kind, before|after)

    def _maybe_kill(self, op: str, username: str, when: str) -> None:
        if self.trap == (op, username.split(":", 1)[1], when):
            self.trap = None
            raise Killed(f"killed {when} {op} {username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        self._maybe_kill("set", username, "before")
        super().set_password(service, username, password)
        self._maybe_kill("set", username, "after")

    def delete_password(self, service: str, username: str) -> None:
        self._maybe_kill("delete", username, "before")
        super().delete_password(service, username)
        self._maybe_kill("delete", username, "after")


@pytest.fixture
def killing() -> Iterator[KillingKeyring]:
    before = keyring.get_keyring()
    backend = KillingKeyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(before)


#: every point between the separate writes of the promotion
KILL_POINTS = [
    ("set", PREVIOUS, "after"),  # old password kept, not recorded yet
    ("set", CURRENT, "before"),
    ("set", CURRENT, "after"),  # the tester's case: current is new, profile still old
    ("delete", PENDING, "before"),  # the profile already names the new key
    ("delete", PENDING, "after"),
]


@pytest.mark.parametrize("trap", KILL_POINTS, ids=["-".join(t) for t in KILL_POINTS])
def test_a_kill_inside_promote_resumes_keeping_the_old_password(
        trap: tuple[str, str, str], fresh_seed_lab: Any, killing: KillingKeyring,
        tmp_path: Path) -> None:
    lab = fresh_seed_lab
    config = _setup(lab, tmp_path)
    old_password = lab.relay.password  # (the seed's stale password: its key is Inactive)
    killing.trap = trap
    rotation = Rotation.start(PROFILE, config=config, options=FAST)
    with pytest.raises(Killed):
        _run(rotation, lab, User({QuestionId.DELETE_INACTIVE_KEY: True}))
    assert killing.trap is None  # the kill happened, inside the promotion
    new = rotation.state.new_key_id
    assert new and state_path(PROFILE, config).exists()
    assert stopped_while_promoting(PROFILE, config) or trap == ("set", PREVIOUS, "after")

    resumed = Rotation.resume(PROFILE, config=config, options=FAST)
    user = User({})  # no to "Gmail updated?": stops right after the promotion
    outcome = _run(resumed, lab, user)
    assert outcome.status is OutcomeStatus.PAUSED and outcome.step is StepId.UPDATE_GMAIL, \
        outcome.message
    assert not any(e.step is StepId.CREATE_KEY for e in user.events)  # not done again
    assert store.get_secret(PROFILE, PREVIOUS) == old_password  # never the new password
    current = store.get_secret(PROFILE, CURRENT)
    assert current is not None and current != old_password
    assert store.get_secret(PROFILE, PENDING) is None
    assert get_profile(PROFILE, config).relay_user == new
    assert asyncio.run(_auth(lab, new, current)) == 235  # the profile works as stored
    assert not stopped_while_promoting(PROFILE, config)
    promoted = [e for e in user.events if e.step is StepId.PROMOTE
                and e.status is StepStatus.DONE]
    assert promoted and "old password is kept as previous" in promoted[0].message
    canaries = Canaries.of_lab(lab).add("new SMTP password", current.reveal(), new)
    assert_no_canary(user.text(), outcome.message, tmp_path, canaries=canaries)


def test_a_failed_write_inside_promote_rolls_back_the_profile_too(
        fresh_seed_lab: Any, killing: KillingKeyring, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The keyring refuses the last part (deleting the pending copy) after the profile was
    switched to the new key: the rollback deletes that key, so the profile goes back to the
    old key and the old password back to current."""
    lab = fresh_seed_lab
    config = _setup(lab, tmp_path)

    def refuse(service: str, username: str) -> None:
        if username.endswith(PENDING) and get_profile(PROFILE, config).relay_user != \
                lab.relay.username:
            raise RuntimeError("org.freedesktop.DBus.Error.NoReply")
        MemoryKeyring.delete_password(killing, service, username)

    monkeypatch.setattr(killing, "delete_password", refuse)
    outcome = _run(Rotation.start(PROFILE, config=config, options=FAST), lab,
                   User({QuestionId.DELETE_INACTIVE_KEY: True}))
    assert outcome.status is OutcomeStatus.ROLLED_BACK, outcome.message
    assert "Make the new password current failed" in outcome.message
    assert "DBus" not in outcome.message  # the backend's own text is never shown
    assert get_profile(PROFILE, config).relay_user == lab.relay.username
    assert store.get_secret(PROFILE, CURRENT) == lab.relay.password
    assert store.get_secret(PROFILE, PREVIOUS) is None
    assert set(_keys(lab)) == {lab.key("current").access_key_id}  # the new key deleted
