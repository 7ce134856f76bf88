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
import contextlib
import datetime as dt
import json
import math
import os
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, field, fields, replace
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal, NoReturn

from checks.config import ConfigError, Profile, config_path, get_profile, save_profile
from checks.context import Context
from checks.creds import audit, store
from checks.creds.forensics import looks_like_access_key_id, ses_region
from checks.creds.smtp_password import derive_smtp_password
from checks.net.aws import AwsError, call
from checks.net.smtp import ProbeResult, describe, probe
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
    CANCELLED = "cancelled"  # the user said no before anything changed; nothing to resume
    PAUSED = "paused"  # stopped at a question or a bound; resumable; working credentials kept
    ROLLED_BACK = "rolled_back"  # what the rotation created was undone; old credentials intact
    FAILED = "failed"  # could not go on (AWS refused, keyring unusable); message says why
    INTERRUPTED = "interrupted"  # the user interrupted a question (Ctrl-C); resumable if changed


@dataclass(frozen=True)
class RotationOutcome:
    status: OutcomeStatus
    step: StepId | None
    message: str
    old_key_id: str
    new_key_id: str | None = None
    #: True when a state file was kept: `Rotation.resume` goes on from `step`.
    resumable: bool = False

    @property
    def exit_code(self) -> int:
        """0 completed, 1 stopped or undone (action needed), 3 could not go on, 130
        interrupted (as a shell reports Ctrl-C)."""
        return {OutcomeStatus.COMPLETED: 0, OutcomeStatus.FAILED: 3,
                OutcomeStatus.INTERRUPTED: 130}.get(self.status, 1)


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


class RotationInterrupted(Exception):  # noqa: N818 - named for what happened, like _Stop
    """Raised by a `confirm` callback when the user interrupts a question (Ctrl-C): the
    rotation stops there, keeps its state when something was changed, and says how to
    resume (outcome INTERRUPTED, exit code 130)."""


#: the longest `--gmail-wait` (and `gmail_poll_seconds`): one day
MAX_GMAIL_WAIT = 86400.0
#: after one of mailpath's own logins with the new key, IAM last-used times up to this many
#: seconds later are still taken as that login (clock skew between this machine and AWS)
OWN_LOGIN_SLACK = 60.0


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
    #: ISO time up to which a use of the new key may be mailpath's own (the verification,
    #: `creds test`); only a later last-used time counts as Gmail's
    own_login_at: str | None = None
    #: CreateAccessKey was called at this time (ISO, whole seconds) with these keys present;
    #: cleared once the new key is recorded. Set on resume: the attempt was interrupted
    create_started_at: str | None = None
    keys_before_create: list[str] = field(default_factory=list)
    #: the parts of "make the new password current" already written, in order:
    #: "previous" (old password kept), "current", "profile" (key id), "pending" (deleted)
    promote_done: list[str] = field(default_factory=list)
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


def _write_state(state: RotationState, config: Path | None) -> None:
    """Write the state file atomically (user-only permissions)."""
    state.updated = _now()
    path = state_path(state.profile, config)
    tmp = path.with_suffix(".tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(state.to_json())
        os.replace(tmp, path)
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None


def _read_state(profile_name: str, config: Path | None) -> RotationState | None:
    try:
        text = state_path(profile_name, config).read_text(encoding="utf-8")
        return RotationState.from_json(text)
    except (OSError, ValueError, TypeError):
        return None


def _later(a: str | None, b: dt.datetime) -> str:
    """The later of an ISO time (or none) and b, as ISO (full precision)."""
    known = dt.datetime.fromisoformat(a) if a else None
    return (max(known, b) if known else b).isoformat()


def _set_own_login(profile_name: str, key_id: str, config: Path | None,
                   until: Callable[[str | None], str | None]) -> tuple[bool, str | None]:
    """Apply `until` to the rotation state's own_login_at when the rotation in progress has
    `key_id` as its new key: (whether it was recorded, the value before)."""
    state = _read_state(profile_name, config)
    if state is None or not key_id or state.new_key_id != key_id:
        return False, None
    before = state.own_login_at
    state.own_login_at = until(before)
    _write_state(state, config)
    return True, before


@contextlib.contextmanager
def own_login(profile_name: str, key_id: str, *, config: Path | None = None,
              bound: float = 600.0) -> Iterator[None]:
    """Wrap a login mailpath itself makes with a profile's key (`creds test`): when a
    rotation of that profile has this key as its new key, its state records the login, so
    the rotation never takes it for Gmail's. Before the login the record reaches `bound`
    seconds ahead (a login cut off by a kill still counts as ours); after it, the time the
    login ended (plus the clock slack). Nothing is recorded when no rotation is running."""
    ahead = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=bound)
    try:
        recorded, before = _set_own_login(profile_name, key_id, config,
                                          lambda b: _later(b, ahead))
    except ConfigError:
        recorded, before = False, None
    try:
        yield
    finally:
        if recorded:
            ended = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=OWN_LOGIN_SLACK)
            with contextlib.suppress(ConfigError):
                _set_own_login(profile_name, key_id, config, lambda _: _later(before, ended))


@contextlib.contextmanager
def _run_lock(profile_name: str, config: Path | None) -> Iterator[bool]:
    """Hold `rotation/PROFILE.lock` while a rotation runs, so a second mailpath (the TUI
    and the command line, two terminals) cannot drive the same rotation at once: yields
    False when another process holds it. Where the platform has no `fcntl` (Windows), or
    the lock file cannot be made, it yields True: no lock rather than no rotation."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover (POSIX test machines)
        yield True
        return
    path = state_path(profile_name, config).with_suffix(".lock")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError:
        yield True
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # (closing releases the lock)


def stopped_while_promoting(profile_name: str, config: Path | None = None) -> bool:
    """True when a rotation of this profile stopped inside "make the new password current"
    (the keyring and the profile may name different keys until it is resumed)."""
    state = _read_state(profile_name, config)
    return bool(state and state.promote_done
                and state.steps.get(StepId.PROMOTE) != StepStatus.DONE)




#: step statuses after which a step is not run again.
_FINISHED = frozenset({StepStatus.DONE, StepStatus.SKIPPED})
_NOT_FOUND = frozenset({"NoSuchEntity", "NotFoundException", "NoSuchEntityException"})
_TITLE = {s.id: s.title for s in STEPS}
StepReturn = tuple[StepStatus, str]


class _Stop(Exception):
    """Ends `run`: the outcome's status, the step it stopped at and what to tell the user."""

    def __init__(self, status: OutcomeStatus, step: StepId | None, message: str) -> None:
        super().__init__(message)
        self.status, self.step, self.message = status, step, message


def _load_profile(name: str, config: Path | None) -> Profile:
    try:
        return get_profile(name, config)
    except ConfigError as exc:
        raise RotationError(str(exc)) from None


def _initial_state(profile: Profile, iam_user: str | None) -> RotationState:
    host = (profile.relay_host or "").strip().lower()
    region = ses_region(host)
    if region is None:
        raise RotationError(f"profile {profile.name!r}: relay host {host or '(none)'} is not an "
                            "Amazon SES SMTP endpoint (email-smtp.REGION.amazonaws.com); only "
                            "SES SMTP credentials can be rotated")
    user = (profile.relay_user or "").strip()
    if not looks_like_access_key_id(user):
        raise RotationError(f"profile {profile.name!r}: the SMTP username is not an IAM access "
                            "key id (AKIA…), so there is no IAM key to rotate")
    tls = profile.relay_tls or "starttls"
    port = profile.relay_port or (465 if tls == "tls" else 587)
    return RotationState(profile.name, region, host, port, tls, user, user_name=iam_user,
                         started=_now(), updated=_now())


def _why(exc: Exception) -> str:
    """The plain-words reason of a failure (an AwsError's explanation names the permission)."""
    if isinstance(exc, AwsError) and exc.explanation:
        return f"{exc} — {exc.explanation}"
    return str(exc)


def _reply_text(result: ProbeResult) -> str:
    return result.auth.text if result.auth is not None else describe(result)


def _iso(value: Any) -> str | None:
    if isinstance(value, dt.datetime):
        when = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return when.astimezone(dt.UTC).isoformat(timespec="seconds")
    return None


class Rotation:
    """One rotation of a profile's SES SMTP credentials. Build with `start` or `resume`."""

    steps = STEPS

    def __init__(self, profile: Profile, state: RotationState, *, config: Path | None = None,
                 options: RotationOptions | None = None) -> None:
        self.profile, self.state = profile, state
        self.config = config
        self.options = options or RotationOptions()
        wait = self.options.gmail_poll_seconds
        if not (math.isfinite(wait) and 0 <= wait <= MAX_GMAIL_WAIT):
            raise RotationError(f"the Gmail wait must be from 0 to {MAX_GMAIL_WAIT:g} seconds "
                                f"(got {wait!r})")
        #: True when built by `resume`: a failed resume keeps the state file
        self.resumed = False
        self._current: StepId | None = None
        self._secret: Secret | None = None  # the new IAM secret: memory only, one step long
        self._ctx = Context()
        self._confirm: Confirm | None = None
        self._progress: Progress = lambda event: None

    # -- construction ----------------------------------------------------------------

    @classmethod
    def start(cls, profile_name: str, *, iam_user: str | None = None,
              config: Path | None = None, options: RotationOptions | None = None) -> Rotation:
        """A new rotation; RotationError when the profile is unusable or one is in progress.
        `iam_user` names the IAM user when its key is gone and IAM cannot tell."""
        if cls.in_progress(profile_name, config):
            raise RotationError(f"a rotation of {profile_name!r} is already in progress: "
                                "resume it (mailpath creds rotate NAME --resume)")
        profile = _load_profile(profile_name, config)
        return cls(profile, _initial_state(profile, iam_user), config=config, options=options)

    @classmethod
    def resume(cls, profile_name: str, *, config: Path | None = None,
               options: RotationOptions | None = None) -> Rotation:
        """The rotation in progress for this profile; RotationError when there is none."""
        path = state_path(profile_name, config)
        try:
            state = RotationState.from_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise RotationError(f"no rotation of {profile_name!r} to resume") from None
        except (OSError, ValueError, TypeError) as exc:
            raise RotationError(f"cannot read the rotation state {path}: {exc}") from None
        rotation = cls(_load_profile(profile_name, config), state, config=config,
                       options=options)
        rotation.resumed = True
        return rotation

    @staticmethod
    def in_progress(profile_name: str, config: Path | None = None) -> bool:
        return state_path(profile_name, config).exists()

    # -- what a UI shows -------------------------------------------------------------------

    def checklist(self) -> list[tuple[Step, StepStatus]]:
        """Every step with its status so far (for a checklist view)."""
        return [(s, self._status(s.id)) for s in STEPS]

    def gmail_settings(self) -> GmailSettings:
        """What to type into Gmail's dialog: server, port, username, password (a Secret, the
        new one: pending or current). RotationError before the new password exists."""
        key = self.state.new_key_id
        password = self._get(store_kind := PENDING) or (
            self._get(store_kind := CURRENT) if self._promoted() else None)
        if key is None or password is None:
            raise RotationError("the new SMTP password does not exist yet (or is no longer in "
                                f"the keyring as {store_kind})")
        return GmailSettings((
            GmailField("server", "SMTP Server", self.state.relay_host),
            GmailField("port", "Port", str(self.state.relay_port)),
            GmailField("username", "Username", key),
            GmailField("password", "Password", password),
        ), GMAIL_GUIDANCE)

    # -- the run -----------------------------------------------------------------------

    async def run(self, ctx: Context, *, confirm: Confirm,
                  progress: Progress) -> RotationOutcome:
        """Run the remaining steps in order. Never raises for AWS, SMTP, keyring or settings
        trouble: the outcome says what happened and what is still in place."""
        self._ctx, self._confirm, self._progress = ctx, confirm, progress
        with _run_lock(self.state.profile, self.config) as held:
            if not held:
                return RotationOutcome(
                    OutcomeStatus.FAILED, None,
                    f"Another mailpath is running a rotation of {self.state.profile!r} right "
                    "now: nothing was changed here. Let that one finish (or stop it), then "
                    "resume if it asks you to.", self.state.old_key_id, self.state.new_key_id)
            return await self._run_steps()

    async def _run_steps(self) -> RotationOutcome:
        try:
            for step in STEPS:
                if self._status(step.id) not in _FINISHED:
                    await self._run_step(step.id)
        except _Stop as stop:
            return self._stopped(stop)
        except RotationInterrupted:
            return self._stopped(self._interrupted())
        except asyncio.CancelledError:
            # Ctrl-C outside a question, or the UI ending the task: what is done is kept
            if self._changed():
                with contextlib.suppress(ConfigError):
                    self._save()
            raise
        return self._completed()

    def _interrupted(self) -> _Stop:
        step = self._current
        where = f" at “{_TITLE[step]}”" if step else ""
        if self._changed() or self.resumed:
            return _Stop(OutcomeStatus.INTERRUPTED, step, f"Interrupted{where}: nothing more "
                         "was changed; what was done so far is kept and the credentials in "
                         "use still work.")
        return _Stop(OutcomeStatus.INTERRUPTED, step, f"Interrupted{where} before anything "
                     "was changed: nothing to resume.")

    async def _run_step(self, step: StepId) -> None:
        self._current = step
        self._mark(step, StepStatus.RUNNING, _TITLE[step])
        try:
            status, message = await _HANDLERS[step](self)
        except (AwsError, store.StoreError, ConfigError, audit.AuditError) as exc:
            await self._fail(step, exc)
        self._mark(step, status, message)

    async def _fail(self, step: StepId, exc: Exception) -> NoReturn:
        reason = self._ctx.redactor(_why(exc))
        if self.state.new_key_id and not self._promoted():
            await self._rollback(step, f"{_TITLE[step]} failed: {reason}")
        self._mark(step, StepStatus.FAILED, reason)
        raise _Stop(OutcomeStatus.FAILED, step, f"{_TITLE[step]} failed: {reason}")

    # -- the steps (each returns its final status and a line for the user) ----------------

    async def _find_user(self) -> StepReturn:
        old = self.state.old_key_id
        if self.state.user_name:
            return StepStatus.SKIPPED, f"IAM user {self.state.user_name} (given)"
        try:
            reply = await self._iam("get_access_key_last_used", AccessKeyId=old)
        except AwsError as exc:
            if exc.code not in _NOT_FOUND:
                raise
            raise _Stop(OutcomeStatus.FAILED, StepId.FIND_USER,
                        f"IAM no longer knows the key {old} (deleted), so it cannot say whose it "
                        "was. Start again naming the IAM user (--iam-user NAME).") from None
        self.state.user_name = str(reply.get("UserName") or "")
        if not self.state.user_name:
            raise _Stop(OutcomeStatus.FAILED, StepId.FIND_USER,
                        f"IAM did not name the user of key {old}; start again with --iam-user")
        self._audit("rotation_started", user=self.state.user_name, old_key=old)
        return StepStatus.DONE, f"key {old} belongs to IAM user {self.state.user_name}"

    async def _make_room(self) -> StepReturn:
        keys = await self._list_keys()
        if len(keys) < 2:
            return StepStatus.SKIPPED, f"{self.state.user_name} has {len(keys)} key(s): room " \
                "for a new one"
        victim = self._pick_victim(keys)
        if victim is None:
            raise _Stop(OutcomeStatus.CANCELLED, StepId.MAKE_ROOM, _NO_VICTIM)
        key_id, status = victim["AccessKeyId"], victim["Status"]
        if not await self._ask_delete(key_id, status):
            raise _Stop(OutcomeStatus.CANCELLED, StepId.MAKE_ROOM,
                        f"Nothing changed: {self.state.user_name} keeps both keys, and an IAM "
                        "user can hold only two, so no new key was created.")
        await self._iam("delete_access_key", UserName=self.state.user_name, AccessKeyId=key_id)
        self.state.room_key_id = key_id
        self._audit("delete_access_key", key=key_id, key_status=status, why="make_room")
        return StepStatus.DONE, f"deleted the {status} key {key_id} to make room"

    async def _create_key(self) -> StepReturn:
        note = await self._clear_interrupted_create()
        keys = await self._list_keys()
        # recorded before the call: a stop inside it leaves a key this state can find again
        self.state.create_started_at = dt.datetime.now(dt.UTC).replace(
            microsecond=0).isoformat()
        self.state.keys_before_create = sorted(str(k.get("AccessKeyId")) for k in keys)
        self._save()
        reply = await self._iam("create_access_key", UserName=self.state.user_name)
        key = reply.get("AccessKey", {})
        self._secret = Secret(str(key.get("SecretAccessKey", "")))
        self._ctx.redactor.add(self._secret)
        self.state.new_key_id = str(key.get("AccessKeyId", ""))
        self.state.create_started_at, self.state.keys_before_create = None, []
        self._save()
        self._audit("create_access_key", key=self.state.new_key_id, user=self.state.user_name)
        return StepStatus.DONE, f"{note}created the access key {self.state.new_key_id}"

    async def _clear_interrupted_create(self) -> str:
        """After a stop inside CreateAccessKey: the key it may have made is not recorded and
        its secret is gone (it was never stored), so it cannot be adopted. Find it (not the
        profile's key, not there before the attempt, created after the attempt began) and
        delete it; '' when there was no such attempt, else a line saying what was done."""
        started = self.state.create_started_at
        if not started or self.state.new_key_id:
            return ""
        since = dt.datetime.fromisoformat(started)
        before = set(self.state.keys_before_create) | {self.state.old_key_id}
        lost = [k for k in await self._list_keys() if k.get("AccessKeyId") not in before
                and (created := _iso(k.get("CreateDate"))) is not None
                and dt.datetime.fromisoformat(created) >= since]
        done = []
        for k in lost:
            key_id = str(k.get("AccessKeyId"))
            if await self._last_used(key_id) is not None:  # ours was never used: no secret
                raise _Stop(OutcomeStatus.FAILED, StepId.CREATE_KEY, f"The key {key_id} "
                            f"appeared after the interrupted attempt at {started} began, but "
                            "it has been used, so it is not that attempt's: mailpath leaves "
                            "it alone. Delete it yourself if it is not needed, then resume.")
            await self._iam("delete_access_key", UserName=self.state.user_name,
                            AccessKeyId=key_id)
            self._audit("delete_access_key", key=key_id, why="interrupted_create")
            done.append(f"deleted the key {key_id} made by the interrupted attempt at "
                        f"{started} (its secret was lost with that run, so it cannot be "
                        "used); ")
        self.state.create_started_at, self.state.keys_before_create = None, []
        self._save()
        if not done:
            return "the interrupted attempt at creating a key had made none; "
        return "".join(done)

    async def _store_pending(self) -> StepReturn:
        replaced = ""
        if self._secret is None:
            lost = self.state.new_key_id
            secret = await self._recreate_key()
            replaced = (f"the key {lost} created before the stop could not be used (its "
                        f"secret existed only in that run): deleted it and created "
                        f"{self.state.new_key_id} instead; ")
            self._emit(StepId.STORE_PENDING, StepStatus.RUNNING, replaced)
        else:
            secret = self._secret
        password = Secret(derive_smtp_password(secret.reveal(), self.state.region))
        self._protect(password)
        try:
            store.set_secret(self.state.profile, password, PENDING)
        except store.StoreError as exc:
            await self._rollback(StepId.STORE_PENDING, "Storing the new SMTP password in the "
                                 f"keyring failed: {exc}")
        self._secret = None
        self._audit("store_pending", key=self.state.new_key_id, region=self.state.region)
        return StepStatus.DONE, f"{replaced}SMTP password for {self.state.region} stored in " \
            "the OS keyring as pending"

    async def _verify(self) -> StepReturn:
        password = self._get(PENDING)
        if password is None:
            await self._rollback(StepId.VERIFY, "the pending password is missing from the keyring")
        self._protect(password)
        attempts, delay, last = self.options.verify_attempts, self.options.verify_first_delay, ""
        for attempt in range(1, attempts + 1):
            result = await self._login(password)
            if result.auth_ok:
                await self._note_verified()
                return StepStatus.DONE, f"SES accepted the new password: {_reply_text(result)}"
            last = self._ctx.redactor(_reply_text(result))
            if attempt < attempts:
                self._emit(StepId.VERIFY, StepStatus.WAITING, f"attempt {attempt}/{attempts}: "
                           f"{last}; the key may still be propagating, retrying in {delay:g} s")
                await self.options.sleep(delay)
                delay = min(delay * 2, self.options.verify_max_delay)
        await self._rollback(StepId.VERIFY, f"SES did not accept the new password after "
                             f"{attempts} attempts (last reply: {last})")

    async def _promote(self) -> StepReturn:
        """Several separate writes, each recorded in the state once made, so a stop between
        any two is resumed by doing only the rest: previous (the old password), current
        (the new one), the profile's key id, then the pending copy deleted. The new
        password never overwrites previous."""
        new, done, name = self.state.new_key_id or "", self.state.promote_done, self.profile.name
        password = self._get(PENDING)
        moved = "current" in done or (not done and self.profile.relay_user == new)
        if password is None and moved:  # pending already moved to current
            password = self._get(CURRENT)
        if password is None:
            await self._rollback(StepId.PROMOTE, "the pending password is missing from the keyring")
        self._protect(password)
        again = " (resumed: " + ", ".join(done) + " already done)" if done else ""
        if "previous" not in done:
            current = self._get(CURRENT)
            if current is not None and current != password:
                store.set_secret(name, current, PREVIOUS)
            self._promote_part("previous")
        if "current" not in done:
            store.set_secret(name, password, CURRENT)
            self._promote_part("current")
        if "profile" not in done:
            if self.profile.relay_user != new:
                self.profile = replace(self.profile, relay_user=new)
                save_profile(self.profile, self.config)
            self._promote_part("profile")
        if "pending" not in done:
            store.delete_secret(name, PENDING)
            self._promote_part("pending")
        self._audit("promote", key=new, previous_key=self.state.old_key_id)
        kept = "the old password is kept as previous" if self._get(PREVIOUS) is not None \
            else "there was no old password to keep"
        return StepStatus.DONE, f"profile {name} now uses key {new}; {kept}{again}"

    def _promote_part(self, part: str) -> None:
        self.state.promote_done.append(part)
        self._save()

    async def _update_gmail(self) -> StepReturn:
        self._emit(StepId.UPDATE_GMAIL, StepStatus.WAITING, " ".join(GMAIL_GUIDANCE))
        question = Question(QuestionId.GMAIL_UPDATED, StepId.UPDATE_GMAIL,
                            "Have you saved the new username and password in Gmail's "
                            "\"Send mail as\" settings (edit info)?", " ".join(GMAIL_GUIDANCE))
        if not await self._ask(question):
            raise _Stop(OutcomeStatus.PAUSED, StepId.UPDATE_GMAIL, _GMAIL_PAUSE)
        self._audit("gmail_updated", key=self.state.new_key_id, confirmed_by="user")
        return StepStatus.DONE, "Gmail has the new settings (you confirmed)"

    async def _confirm_gmail(self) -> StepReturn:
        used = await self._poll_new_key_use()
        if used is not None:
            self._audit("gmail_uses_new_key", key=self.state.new_key_id, last_used=used)
            ours = self._baseline().isoformat(timespec="seconds")
            return StepStatus.DONE, f"the new key was used at {used}, later than mailpath's " \
                f"own logins with it (counted up to {ours}): Gmail logged in with it"
        question = Question(QuestionId.GMAIL_WORKS, StepId.CONFIRM_GMAIL, _GMAIL_WORKS_TEXT,
                            "IAM updates a key's last-used date with a delay (up to hours).")
        if not await self._ask(question):
            raise _Stop(OutcomeStatus.PAUSED, StepId.CONFIRM_GMAIL, _CONFIRM_PAUSE)
        self._audit("gmail_uses_new_key", key=self.state.new_key_id, confirmed_by="user")
        return StepStatus.DONE, "Gmail sends with the new key (you confirmed)"

    async def _deactivate_old(self) -> StepReturn:
        old = self.state.old_key_id
        status = await self._key_status(old)
        if status != "Active":
            return StepStatus.SKIPPED, f"the old key {old} is already " \
                f"{'deleted' if status is None else status}"
        question = Question(QuestionId.DEACTIVATE_OLD, StepId.DEACTIVATE_OLD,
                            f"Deactivate the old key {old} now?", "Anything still logging in "
                            "with it stops working; it can be reactivated until it is deleted.",
                            destructive=True)
        if not await self._ask(question):
            raise _Stop(OutcomeStatus.PAUSED, StepId.DEACTIVATE_OLD,
                        f"The old key {old} stays Active. Resume to deactivate it.")
        await self._iam("update_access_key", UserName=self.state.user_name, AccessKeyId=old,
                        Status="Inactive")
        self._audit("deactivate_access_key", key=old)
        return StepStatus.DONE, f"the old key {old} is now Inactive"

    async def _delete_old(self) -> StepReturn:
        old = self.state.old_key_id
        if await self._key_status(old) is None:
            self._forget_previous()
            return StepStatus.SKIPPED, f"the old key {old} is already deleted"
        question = Question(QuestionId.DELETE_OLD, StepId.DELETE_OLD,
                            f"Delete the old key {old} for good?", "It is Inactive; deleting "
                            "cannot be undone. You can also do this later with --resume.",
                            destructive=True)
        if not await self._ask(question):
            raise _Stop(OutcomeStatus.PAUSED, StepId.DELETE_OLD, f"The old key {old} is "
                        "Inactive and kept. Resume later to delete it.")
        await self._iam("delete_access_key", UserName=self.state.user_name, AccessKeyId=old)
        self._forget_previous()
        self._audit("delete_access_key", key=old, why="rotation_done")
        return StepStatus.DONE, f"the old key {old} is deleted"

    # -- helpers: AWS --------------------------------------------------------------------

    async def _iam(self, operation: str, **params: Any) -> dict[str, Any]:
        return await call(self._ctx, "iam", operation, **params)

    async def _list_keys(self) -> list[dict[str, Any]]:
        reply = await self._iam("list_access_keys", UserName=self.state.user_name)
        return list(reply.get("AccessKeyMetadata", []))

    async def _key_status(self, key_id: str) -> str | None:
        """Active or Inactive; None when the user no longer has that key."""
        return next((str(k.get("Status")) for k in await self._list_keys()
                     if k.get("AccessKeyId") == key_id), None)

    async def _last_used(self, key_id: str) -> dt.datetime | None:
        reply = await self._iam("get_access_key_last_used", AccessKeyId=key_id)
        value = (reply.get("AccessKeyLastUsed") or {}).get("LastUsedDate")
        return value if isinstance(value, dt.datetime) else None

    def _pick_victim(self, keys: list[dict[str, Any]]) -> dict[str, Any] | None:
        """An Inactive key (another before the profile's own), else the other Active key;
        never the profile's own Active key (Gmail would lose working credentials)."""
        old = self.state.old_key_id
        inactive = sorted((k for k in keys if k.get("Status") != "Active"),
                          key=lambda k: k.get("AccessKeyId") == old)
        others = [k for k in keys if k.get("AccessKeyId") != old]
        return inactive[0] if inactive else (others[0] if others else None)

    async def _ask_delete(self, key_id: str, status: str) -> bool:
        used = await self._last_used(key_id)
        seen = f"last used {_iso(used)}" if used else "never used"
        if status != "Active":
            return await self._ask(Question(
                QuestionId.DELETE_INACTIVE_KEY, StepId.MAKE_ROOM,
                f"{self.state.user_name} already has two keys. Delete the Inactive key "
                f"{key_id} ({seen}) to make room?", "An Inactive key cannot log in anyway."))
        first = Question(QuestionId.DELETE_ACTIVE_KEY, StepId.MAKE_ROOM,
                         f"Both keys of {self.state.user_name} are Active. Delete the other "
                         f"Active key {key_id} ({seen}) to make room?",
                         "Whatever still uses that key stops working at once.", destructive=True)
        again = Question(QuestionId.DELETE_ACTIVE_KEY_AGAIN, StepId.MAKE_ROOM,
                         f"Really delete the Active key {key_id}? This cannot be undone.",
                         destructive=True)
        return await self._ask(first) and await self._ask(again)

    async def _recreate_key(self) -> Secret:
        """After a stop between creating the key and storing its password the secret is gone:
        delete that key and make another."""
        await self._drop_new_key()
        await self._create_key()
        assert self._secret is not None
        return self._secret

    async def _drop_new_key(self) -> str:
        """Delete the new key (if any); '' when done, else why it could not be deleted."""
        new = self.state.new_key_id
        if not new:
            return ""
        try:
            await self._iam("delete_access_key", UserName=self.state.user_name, AccessKeyId=new)
        except AwsError as exc:
            if exc.code not in _NOT_FOUND:
                return f" The new key {new} could not be deleted ({_why(exc)}): delete it yourself."
        self._audit("delete_access_key", key=new, why="rollback")
        self.state.new_key_id = None
        return ""

    async def _login(self, password: Secret) -> ProbeResult:
        state = self.state
        mode: Literal["tls", "starttls"] = "tls" if state.relay_tls == "tls" else "starttls"
        return await probe(state.relay_host, state.relay_port, mode, self._ctx.endpoints,
                           auth=(state.new_key_id or "", password),
                           timeout=self.options.smtp_timeout)

    async def _note_verified(self) -> None:
        """Remember when the check logged in, so only a later use counts as Gmail's."""
        reported = await self._last_used(self.state.new_key_id or "")
        now = dt.datetime.now(dt.UTC)
        latest = max(reported, now) if reported else now
        self.state.verified_at = latest.isoformat()  # full precision: our own login is not Gmail's
        self.state.own_login_at = _later(self.state.own_login_at,
                                         latest + dt.timedelta(seconds=OWN_LOGIN_SLACK))
        self._audit("verify", key=self.state.new_key_id, result="accepted")

    def _baseline(self) -> dt.datetime:
        """The latest time a use of the new key may be mailpath's own: the verification, and
        any later login of mailpath with it (`creds test`, recorded in the state file by
        another process too, so the file is read again)."""
        times = [self.state.verified_at, self.state.own_login_at]
        on_disk = _read_state(self.state.profile, self.config)
        if on_disk is not None and on_disk.new_key_id == self.state.new_key_id:
            times.append(on_disk.own_login_at)
        known = [dt.datetime.fromisoformat(t) for t in times if t]
        return max(known) if known else dt.datetime.now(dt.UTC)

    async def _poll_new_key_use(self) -> str | None:
        """The new key's last use when it is later than mailpath's own last login with it
        (the verification, `creds test`), polled with a bound."""
        o = self.options
        rounds = int(o.gmail_poll_seconds // max(o.gmail_poll_interval, 0.001)) + 1
        for n in range(rounds):
            baseline = self._baseline()
            used = await self._last_used(self.state.new_key_id or "")
            if used is not None and used > baseline:
                return _iso(used)
            if n + 1 < rounds:
                since = min(baseline, dt.datetime.now(dt.UTC)).isoformat(timespec="seconds")
                self._emit(StepId.CONFIRM_GMAIL, StepStatus.WAITING, "no login with the new "
                           f"key since {since} yet (mailpath's own logins do not count); "
                           f"checking again in {o.gmail_poll_interval:g} s")
                await o.sleep(o.gmail_poll_interval)
        return None

    # -- helpers: rollback and endings -------------------------------------------------

    async def _rollback(self, step: StepId, reason: str) -> NoReturn:
        """Undo what this rotation created before promotion, then stop (raises _Stop)."""
        new = self.state.new_key_id
        left = await self._drop_new_key()
        left += self._restore_profile(new)
        try:
            self._restore_keyring()
        except store.StoreError as exc:
            left += (f" The keyring could not be put back ({exc}): run `mailpath creds test "
                     f"{self.state.profile}` once it works.")
        self.state.promote_done = []
        for undone in (StepId.CREATE_KEY, StepId.STORE_PENDING, StepId.VERIFY, StepId.PROMOTE):
            if self._status(undone) not in (StepStatus.PENDING,):
                self._mark(undone, StepStatus.ROLLED_BACK, "undone")
        self._audit("rollback", step=str(step), deleted_key=new, reason=reason)
        what = f"the new key {new} was deleted" if new else "no new key was left"
        raise _Stop(OutcomeStatus.ROLLED_BACK, step, f"{reason.rstrip('.')}. Rolled back: "
                    f"{what} and the old credentials are untouched.{left}")

    def _restore_profile(self, new: str | None) -> str:
        """A stop inside promotion may have saved the new key id in the profile: put the
        old one back ('' when done or not needed, else what to do)."""
        if not new or self.profile.relay_user != new:
            return ""
        try:
            self.profile = replace(self.profile, relay_user=self.state.old_key_id)
            save_profile(self.profile, self.config)
        except ConfigError as exc:
            return (f" The profile still names the deleted key ({exc}): set it back with "
                    "`mailpath creds set`.")
        return ""

    def _restore_keyring(self) -> None:
        previous = self._get(PREVIOUS)
        if previous is not None:
            store.set_secret(self.state.profile, previous, CURRENT)
            store.delete_secret(self.state.profile, PREVIOUS)
        store.delete_secret(self.state.profile, PENDING)

    def _forget_previous(self) -> None:
        if store.delete_secret(self.state.profile, PREVIOUS):
            self._audit("forget_previous_password")

    def _stopped(self, stop: _Stop) -> RotationOutcome:
        keep = stop.status in (OutcomeStatus.PAUSED, OutcomeStatus.FAILED,
                               OutcomeStatus.INTERRUPTED) and (self._changed() or self.resumed)
        if stop.step is not None and self._status(stop.step) is StepStatus.RUNNING:
            self.state.steps[stop.step] = StepStatus.WAITING  # stopped at a question
        self._save() if keep else self._discard_state()
        self._safe_audit("rotation_stopped", outcome=str(stop.status), step=str(stop.step),
                         message=stop.message)
        return RotationOutcome(stop.status, stop.step, stop.message, self.state.old_key_id,
                               self.state.new_key_id, resumable=keep)

    def _completed(self) -> RotationOutcome:
        self._discard_state()
        self._safe_audit("rotation_completed", key=self.state.new_key_id,
                         old_key=self.state.old_key_id)
        return RotationOutcome(OutcomeStatus.COMPLETED, None, f"Done: {self.state.profile} "
                               f"uses the new key {self.state.new_key_id}; the old key "
                               f"{self.state.old_key_id} is gone.", self.state.old_key_id,
                               self.state.new_key_id)

    def _changed(self) -> bool:
        return bool(self.state.new_key_id or self.state.room_key_id or self._promoted()
                    or self.state.create_started_at or self.state.promote_done)

    def _promoted(self) -> bool:
        return self._status(StepId.PROMOTE) is StepStatus.DONE

    # -- helpers: state, keyring, events -------------------------------------------------

    def _status(self, step: StepId) -> StepStatus:
        return StepStatus(self.state.steps.get(step, StepStatus.PENDING))

    def _mark(self, step: StepId, status: StepStatus, message: str) -> None:
        self.state.steps[step] = status
        if status is not StepStatus.RUNNING:
            self._save()
        self._emit(step, status, message)

    def _emit(self, step: StepId, status: StepStatus, message: str) -> None:
        self._progress(RotationEvent(step, status, self._ctx.redactor(message)))

    async def _ask(self, question: Question) -> bool:
        assert self._confirm is not None, "run() first"
        return bool(await self._confirm(question))

    def _save(self) -> None:
        """Write the state file atomically (user-only permissions)."""
        on_disk = _read_state(self.state.profile, self.config)
        if on_disk is not None and on_disk.new_key_id == self.state.new_key_id \
                and on_disk.own_login_at:  # recorded by `creds test` meanwhile: keep it
            self.state.own_login_at = _later(self.state.own_login_at,
                                             dt.datetime.fromisoformat(on_disk.own_login_at))
        _write_state(self.state, self.config)

    def _discard_state(self) -> None:
        state_path(self.state.profile, self.config).unlink(missing_ok=True)

    def _get(self, kind: str) -> Secret | None:
        return store.get_secret(self.state.profile, kind)

    def _protect(self, password: Secret) -> None:
        self._ctx.redactor.add(password)
        self._ctx.redactor.add_auth_plain(self.state.new_key_id or "", password)

    def _audit(self, action: str, **details: Any) -> None:
        audit.record(action, self.state.profile, path=audit.audit_path(self.config),
                     **{k: v for k, v in details.items() if v is not None})

    def _safe_audit(self, action: str, **details: Any) -> None:
        # the outcome already tells the user; a missing log line must not hide it
        with contextlib.suppress(audit.AuditError):
            self._audit(action, **details)


_HANDLERS: dict[StepId, Callable[[Rotation], Awaitable[StepReturn]]] = {
    StepId.FIND_USER: Rotation._find_user,
    StepId.MAKE_ROOM: Rotation._make_room,
    StepId.CREATE_KEY: Rotation._create_key,
    StepId.STORE_PENDING: Rotation._store_pending,
    StepId.VERIFY: Rotation._verify,
    StepId.PROMOTE: Rotation._promote,
    StepId.UPDATE_GMAIL: Rotation._update_gmail,
    StepId.CONFIRM_GMAIL: Rotation._confirm_gmail,
    StepId.DEACTIVATE_OLD: Rotation._deactivate_old,
    StepId.DELETE_OLD: Rotation._delete_old,
}

_NO_VICTIM = ("Nothing changed: the IAM user already has two keys and the only candidate is the "
              "Active key the relay uses now, which mailpath never deletes (Gmail would lose its "
              "working credentials). Deactivate or delete the other key yourself, then retry.")
_GMAIL_PAUSE = ("Paused before Gmail was updated: mailpath holds the new password (verified "
                "with SES). Gmail keeps using its old settings until you change them; resume "
                "when it has the new ones.")
_GMAIL_WORKS_TEXT = ("IAM shows no login with the new key since mailpath's own (the check, "
                     "`creds test`) yet. Did a test message sent from Gmail through this "
                     "address go out?")
_CONFIRM_PAUSE = ("Paused: Gmail is not confirmed to use the new key yet, so the old key is "
                  "left as it is. Resume once a test message from Gmail goes out.")
