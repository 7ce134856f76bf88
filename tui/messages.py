"""Every custom message of the TUI, in one place: workers post them, handlers own the state."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from textual.message import Message

from checks.context import RelaySettings
from checks.model import CheckResult


@dataclass
class RunBegan(Message):
    """A diagnosis run started; `check_ids` are its checks in plan order."""

    run_id: int
    check_ids: tuple[str, ...]


@dataclass
class CheckBegan(Message):
    """One check of a run started."""

    run_id: int
    check_id: str


@dataclass
class CheckDone(Message):
    """One check of a run finished with this result."""

    run_id: int
    result: CheckResult


@dataclass
class RunDone(Message):
    """A run finished; `results` are the results of that run only."""

    run_id: int
    results: tuple[CheckResult, ...]


@dataclass
class IntakeSubmitted(Message):
    """The user described the problem: a symptom id from `checks.tree.SYMPTOMS` and inputs."""

    symptom: str
    sender: str | None
    recipients: tuple[str, ...]
    bounce: object = None
    #: the send path when the intake knows it (a Gmail relay bounce); None: ask the user
    path: str | None = None
    #: the relay of the stored profile the user named ("check my setup"), password included
    relay: RelaySettings | None = None
    profile: str | None = None


@dataclass
class ActionRequested(Message):
    """The user asked to run a fix action (`Fix.action`) for a check."""

    check_id: str
    action: str
    #: `Fix.action_args`, e.g. {"email": ...} for remove_suppression
    args: Mapping[str, str] = field(default_factory=dict)
