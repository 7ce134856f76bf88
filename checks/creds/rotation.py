"""SES SMTP credential rotation: a resumable, two-phase workflow that never leaves the user
without working credentials.

The steps (`STEPS`, data a UI can show as a checklist) run in order; each finished step is
written to a non-secret state file next to the settings (`rotation/PROFILE.json`), so a
stopped rotation resumes where it stopped. Secrets live only in the OS keyring
(`checks.creds.store`): the new SMTP password is stored as *pending*, promoted to the
profile's password once SES accepts it, and the old one kept as *previous* until the end.
The new IAM secret access key itself is never stored: only the SMTP password derived from it.
Every change goes to the audit log (`checks.creds.audit`), without secrets.

    rotation = Rotation.start("gmail-alias")            # or Rotation.resume("gmail-alias")
    outcome = await rotation.run(ctx, confirm=ask, progress=show)
    rotation.gmail_settings()                           # server, port, username, password
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from pathlib import Path

from checks.config import Profile, config_path
from checks.context import Context
from checks.secrets import Secret

#: IAM actions the rotation calls; an AccessDenied names the one that was missing.
REQUIRED_PERMISSIONS = (
    "iam:GetAccessKeyLastUsed",
    "iam:ListAccessKeys",
    "iam:CreateAccessKey",
    "iam:UpdateAccessKey",
    "iam:DeleteAccessKey",
)

#: keyring kinds (accounts `PROFILE:KIND` under service `mailpath`).
CURRENT, PENDING, PREVIOUS = "relay_password", "relay_password_pending", "relay_password_previous"


class StepId(StrEnum):
    FIND_USER = "find_user"
    MAKE_ROOM = "make_room"
    CREATE_KEY = "create_key"
    STORE_PENDING = "store_pending"
    VERIFY = "verify"
    PROMOTE = "promote"
    UPDATE_GMAIL = "update_gmail"
    CONFIRM_GMAIL = "confirm_gmail"
    DEACTIVATE_OLD = "deactivate_old"
    DELETE_OLD = "delete_old"


@dataclass(frozen=True)
class Step:
    """One entry of the checklist: what it does, in plain words."""

    id: StepId
    title: str
    detail: str


STEPS: tuple[Step, ...] = (
    Step(StepId.FIND_USER, "Find the IAM user",
         "Map the SMTP username (an access key id) to its IAM user (GetAccessKeyLastUsed)."),
    Step(StepId.MAKE_ROOM, "Make room for a new key",
         "An IAM user holds at most two keys: if there are two, delete one after you confirm."),
    Step(StepId.CREATE_KEY, "Create a new access key", "CreateAccessKey for that user."),
    Step(StepId.STORE_PENDING, "Derive and store the new SMTP password",
         "Derive the SES SMTP password for the relay's region; keep it in the OS keyring "
         "as pending."),
    Step(StepId.VERIFY, "Verify the new password",
         "Log in to the SES SMTP relay with it, retrying while the new key propagates."),
    Step(StepId.PROMOTE, "Make the new password current",
         "The profile now uses the new key; the old password is kept as previous."),
    Step(StepId.UPDATE_GMAIL, "Update Gmail",
         "Settings → Accounts and Import → Send mail as → edit info: enter the new username "
         "and password."),
    Step(StepId.CONFIRM_GMAIL, "Confirm Gmail uses the new key",
         "Wait until the new key's last use moves (or confirm that Gmail sends)."),
    Step(StepId.DEACTIVATE_OLD, "Deactivate the old key",
         "UpdateAccessKey to Inactive: nothing can log in with it any more."),
    Step(StepId.DELETE_OLD, "Delete the old key",
         "A separate, explicit step: DeleteAccessKey and forget the previous password."),
)


class StepStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    WAITING = "waiting"  # waiting for the user or for AWS (propagation, last use)
    DONE = "done"
    SKIPPED = "skipped"
    FAILED = "failed"
    ROLLED_BACK = "rolled_back"


@dataclass(frozen=True)
class RotationEvent:
    """Progress of one step, for a log line or a checklist row."""

    step: StepId
    status: StepStatus
    message: str = ""


class QuestionId(StrEnum):
    DELETE_INACTIVE_KEY = "delete_inactive_key"
    DELETE_ACTIVE_KEY = "delete_active_key"
    DELETE_ACTIVE_KEY_AGAIN = "delete_active_key_again"
    GMAIL_UPDATED = "gmail_updated"
    GMAIL_WORKS = "gmail_works"
    DEACTIVATE_OLD = "deactivate_old"
    DELETE_OLD = "delete_old"


@dataclass(frozen=True)
class Question:
    """A yes/no the user must answer; `destructive` asks the UI for extra care."""

    id: QuestionId
    step: StepId
    text: str
    detail: str = ""
    destructive: bool = False


Confirm = Callable[[Question], Awaitable[bool]]
Progress = Callable[[RotationEvent], None]


class OutcomeStatus(StrEnum):
    COMPLETED = "completed"  # new key in use, old key deleted
    PAUSED = "paused"  # stopped at a question or a bound; resumable; working credentials kept
    ROLLED_BACK = "rolled_back"  # what the rotation created was undone; old credentials intact
    FAILED = "failed"  # could not go on (AWS refused, keyring unusable); message says why


@dataclass(frozen=True)
class RotationOutcome:
    status: OutcomeStatus
    step: StepId | None
    message: str
    old_key_id: str
    new_key_id: str | None = None

    @property
    def resumable(self) -> bool:
        return self.status in (OutcomeStatus.PAUSED, OutcomeStatus.FAILED)


@dataclass(frozen=True)
class GmailField:
    """One field of Gmail's "Edit info" dialog; copy `value` (reveal a Secret only to copy)."""

    name: str
    label: str
    value: str | Secret


@dataclass(frozen=True)
class GmailSettings:
    fields: tuple[GmailField, ...]
    guidance: tuple[str, ...]

    def field(self, name: str) -> GmailField:
        return next(f for f in self.fields if f.name == name)


GMAIL_GUIDANCE = (
    "Open Gmail → Settings (gear) → See all settings → Accounts and Import.",
    "Under \"Send mail as\", find the address and click \"edit info\", then \"Next Step\".",
    "Enter the SMTP server, port, username and password below, one field at a time.",
    "Keep \"Secured connection using TLS\" (port 587) or SSL (port 465) as shown.",
    "Click \"Save Changes\", then send yourself a test message from that address.",
)


@dataclass(frozen=True)
class RotationOptions:
    """Bounds of the waiting steps; `sleep` is injectable so tests do not wait."""

    verify_attempts: int = 8
    verify_first_delay: float = 2.0
    verify_max_delay: float = 30.0
    gmail_poll_seconds: float = 300.0
    gmail_poll_interval: float = 15.0
    smtp_timeout: float = 10.0
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep


class RotationError(Exception):
    """The rotation cannot start or go on; one line saying why and what to do."""


@dataclass
class RotationState:
    """Everything a resumed rotation needs, and nothing secret (key ids are not secrets)."""

    profile: str
    region: str
    relay_host: str
    relay_port: int
    relay_tls: str
    old_key_id: str
    user_name: str | None = None
    new_key_id: str | None = None
    room_key_id: str | None = None  # the key deleted to make room, if any
    verified_at: str | None = None  # ISO time of the new key's last use after verification
    steps: dict[str, str] = field(default_factory=dict)  # step id -> StepStatus
    started: str = ""
    updated: str = ""

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RotationState:
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


def state_path(profile: str, config: Path | None = None) -> Path:
    """`rotation/PROFILE.json` in the directory of the settings file."""
    return (config or config_path()).parent / "rotation" / f"{profile}.json"


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


class Rotation:
    """One rotation of a profile's SES SMTP credentials. Build with `start` or `resume`."""

    steps = STEPS

    def __init__(self, profile: Profile, state: RotationState, *, config: Path | None = None,
                 options: RotationOptions | None = None) -> None:
        self.profile, self.state = profile, state
        self.config = config
        self.options = options or RotationOptions()

    @classmethod
    def start(cls, profile_name: str, *, config: Path | None = None,
              options: RotationOptions | None = None) -> Rotation:
        """A new rotation; RotationError when the profile is unusable or one is in progress."""
        raise NotImplementedError

    @classmethod
    def resume(cls, profile_name: str, *, config: Path | None = None,
               options: RotationOptions | None = None) -> Rotation:
        """The rotation in progress for this profile; RotationError when there is none."""
        raise NotImplementedError

    @staticmethod
    def in_progress(profile_name: str, config: Path | None = None) -> bool:
        return state_path(profile_name, config).exists()

    def checklist(self) -> list[tuple[Step, StepStatus]]:
        """Every step with its status so far (for a checklist view)."""
        return [(s, StepStatus(self.state.steps.get(s.id, StepStatus.PENDING))) for s in STEPS]

    def gmail_settings(self) -> GmailSettings:
        """What to type into Gmail's dialog: server, port, username, password (a Secret, the
        new one once created: pending or current). RotationError before the key exists."""
        raise NotImplementedError

    async def run(self, ctx: Context, *, confirm: Confirm,
                  progress: Progress) -> RotationOutcome:
        """Run the remaining steps in order. Never raises for AWS, SMTP or keyring trouble:
        the outcome says what happened and what is still in place."""
        raise NotImplementedError


