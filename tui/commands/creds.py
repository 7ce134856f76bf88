"""`mailpath creds set|show|test|delete|rotate`: relay profiles (settings file) and their password
(OS keyring). Never prints a secret; show masks it."""

from __future__ import annotations

import argparse
import contextlib
import getpass
import math
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from checks import validate
from checks.config import (
    ConfigError,
    Profile,
    config_path,
    delete_profile,
    get_profile,
    load_profiles,
    save_profile,
)
from checks.creds.store import (
    StoreError,
    delete_secret,
    get_secret,
    set_secret,
    usable_backend,
)
from checks.secrets import Secret
from tui.cli import UsageError

T = TypeVar("T")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("creds", help="store, show, test or delete relay credentials",
                       description="Relay settings go to the settings file "
                       f"({config_path()}); the password only to the OS keyring.")
    actions = p.add_subparsers(dest="creds_action", metavar="ACTION", required=True)
    _add_set(actions)
    _add_rotate(actions)
    for name, func, text in (("show", show, "show a profile (password masked)"),
                             ("test", test, "log in to the relay with a stored profile"),
                             ("delete", delete, "delete a profile and its keyring password")):
        q = actions.add_parser(name, help=text)
        q.add_argument("name", help="profile name")
        q.set_defaults(func=func)


def _add_set(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    q = actions.add_parser("set", help="store a relay profile and its password")
    q.add_argument("name", help="profile name, e.g. gmail-alias")
    q.add_argument("--from", dest="sender", metavar="ADDR", help="the Send-mail-as address")
    q.add_argument("--region", help="SES region")
    q.add_argument("--aws-profile", help="AWS CLI profile for the SES/IAM checks")
    q.add_argument("--relay-host", metavar="H", required=True)
    q.add_argument("--relay-port", metavar="P", type=int)
    q.add_argument("--relay-tls", choices=("starttls", "tls"), default="starttls")
    q.add_argument("--relay-user", metavar="U", required=True)
    q.add_argument("--password-stdin", action="store_true",
                   help="read the password from stdin instead of prompting")
    q.set_defaults(func=set_)


def set_(args: argparse.Namespace) -> int:
    from tui.commands.relay_args import read_password

    profile = _validated_profile(args)
    _store(usable_backend, "set")  # refuse before asking for the password
    password = read_password(sys.stdin, "--password-stdin") if args.password_stdin \
        else _prompt()
    path = _save_then_store(profile, password)
    print(f"Saved profile {profile.name!r} in {path}; password ({password_length(password)}) "
          "in the OS keyring (service mailpath).")
    return 0


def _validated_profile(args: argparse.Namespace) -> Profile:
    """The profile from the flags, checked as `check` checks them (nothing stored yet)."""
    from tui.commands.relay_args import DEFAULT_PORT

    def opt(fn: Callable[[Any, str], Any], value: Any, flag: str) -> Any:
        return None if value is None else fn(value, flag)
    try:
        return Profile(
            validate.profile_name(args.name),
            sender=opt(validate.address, args.sender, "--from"),
            region=opt(validate.region, args.region, "--region"),
            aws_profile=opt(validate.username, args.aws_profile, "--aws-profile"),
            relay_host=validate.hostname(args.relay_host, "--relay-host"),
            relay_port=validate.port(DEFAULT_PORT[args.relay_tls] if args.relay_port is None
                                     else args.relay_port, "--relay-port"),
            relay_tls=args.relay_tls, relay_user=validate.username(args.relay_user,
                                                                   "--relay-user"))
    except validate.InvalidValue as exc:
        raise UsageError(str(exc)) from None


def _save_then_store(profile: Profile, password: Secret) -> Path:
    """Settings first (a failed write leaves no orphan secret); if the keyring then fails,
    the profile as it was before is put back."""
    before = _config(load_profiles).get(profile.name)
    path = _config(lambda: save_profile(profile))
    try:
        set_secret(profile.name, password)
    except StoreError as exc:
        _config(lambda: save_profile(before) if before else delete_profile(profile.name))
        raise UsageError(_hint(exc, "set")) from None
    return path


def _prompt() -> Secret:
    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask for the password: use --password-stdin")
    value = getpass.getpass("Relay (SMTP) password: ")
    if not value:
        raise UsageError("empty password")
    return Secret(value)


def show(args: argparse.Namespace) -> int:
    profile = _config(lambda: get_profile(args.name))
    secret = _store(lambda: get_secret(profile.name), "show")
    for key, value in profile.to_toml().items():
        print(f"{key}: {value}")
    print(f"password: {'set, ' + password_length(secret) if secret else '(none stored)'}")
    return 0


def password_length(secret: Secret) -> str:
    """How long a stored password is: the only thing `creds` ever tells about it."""
    n = len(secret.reveal())
    return f"{n} character{'s' if n != 1 else ''}"


def test(args: argparse.Namespace) -> int:
    from checks.context import Context, Inputs
    from checks.creds.rotation import own_login, stopped_while_promoting
    from checks.endpoints import EndpointError, Endpoints
    from checks.model import Layer
    from tui.commands._output import diagnose_and_print
    from tui.commands.relay_args import relay_from_args

    profile = _config(lambda: get_profile(args.name))
    _store(lambda: get_secret(profile.name), "test")
    if stopped_while_promoting(profile.name):
        print(f"Note: a rotation of {profile.name!r} stopped while making the new password "
              "current, so the stored username and password may not match yet: finish it "
              f"with `mailpath creds rotate {profile.name} --resume`.", file=sys.stderr)
    relay = relay_from_args(argparse.Namespace(profile_name=profile.name))
    try:
        region = profile.region and validate.region(profile.region,
                                                    f"profile {profile.name!r} region")
        endpoints = Endpoints.from_env(os.environ, aws_region=region,
                                       aws_profile=profile.aws_profile)
    except (EndpointError, validate.InvalidValue) as exc:
        raise UsageError(str(exc)) from None
    _refuse_missing_aws_profile(endpoints, profile)
    ctx = Context(endpoints=endpoints, inputs=Inputs(sender=profile.sender, relay=relay,
                                                     path="gmail_send_as"))
    # a rotation waiting for Gmail's first login with the new key must not take this one
    with own_login(profile.name, profile.relay_user or ""):
        return diagnose_and_print(ctx, [Layer.GMAIL_RELAY], as_json=False)


def delete(args: argparse.Namespace) -> int:
    known = args.name in _config(load_profiles)
    try:
        had_secret = delete_secret(args.name)  # first: a locked keyring keeps both
    except StoreError as exc:
        if not known:
            raise UsageError(f"no profile {args.name!r}") from None
        raise UsageError(_hint(exc, "delete")) from None
    removed = _config(lambda: delete_profile(args.name))
    if not removed and not had_secret:
        raise UsageError(f"no profile {args.name!r}")
    print(f"Deleted profile {args.name!r}" + (" and its keyring password" if had_secret else ""))
    return 0


def _config(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


#: what each command can do instead when the keyring cannot be used (its own flags only)
KEYRING_HINTS = {
    "set": "Without a keyring nothing can be stored; `mailpath check --relay-host H "
    "--relay-user U --relay-password-stdin` tests a password without storing it.",
    "show": "The profile's other settings are in the settings file; only the password needs "
    "the keyring.",
    "test": "`mailpath check --profile-name NAME --relay-password-stdin` tests the profile "
    "with a password given on stdin instead.",
    "delete": "Nothing was deleted: run `mailpath creds delete` again once the keyring "
    "works.",
    "rotate": "Nothing was changed: a rotation keeps the old and the new password in the "
    "keyring, so it starts only once the keyring works.",
}


def _hint(exc: StoreError, command: str) -> str:
    return f"{exc} {KEYRING_HINTS[command]}"


def _store(fn: Callable[[], T], command: str) -> T:
    try:
        return fn()
    except StoreError as exc:
        raise UsageError(_hint(exc, command)) from None


# --------------------------------------------------------------------------- rotate

ROTATE_EPILOG = """exit codes: 0 rotation completed, 1 paused or rolled back (see the message; a
paused rotation goes on with --resume), 2 usage error, 3 could not go on (AWS, keyring),
130 interrupted (Ctrl-C; what was done is kept: --resume goes on).
With --yes and no terminal, the AWS part runs unattended and the rotation pauses before the
Gmail step, which needs a person: run again with --resume on a terminal. Only a use of the
new key later than mailpath's own logins with it (the check, `creds test`) counts as Gmail's.
Ctrl-D at a question answers no."""


def _add_rotate(actions: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    q = actions.add_parser("rotate", help="rotate a profile's SES SMTP credentials (new IAM key)",
                           description="Create a new IAM key, verify its SMTP password with "
                           "SES, guide the Gmail update, then retire the old key.",
                           epilog=ROTATE_EPILOG,
                           formatter_class=argparse.RawDescriptionHelpFormatter)
    q.add_argument("name", help="profile name")
    q.add_argument("--yes", action="store_true", help="answer yes, except to deleting an "
                   "Active key and to the Gmail questions when there is no terminal")
    q.add_argument("--resume", action="store_true", help="go on with a stopped rotation")
    q.add_argument("--iam-user", metavar="NAME", help="the IAM user, when IAM cannot tell")
    q.add_argument("--gmail-wait", type=_gmail_wait, metavar="SECONDS",
                   help="how long to watch for Gmail's login with the new key (default 300; "
                   "0 to 86400)")
    q.set_defaults(func=rotate)


def _gmail_wait(text: str) -> float:
    """--gmail-wait: seconds, a finite number from 0 to one day (inf and nan refused)."""
    from checks.creds.rotation import MAX_GMAIL_WAIT

    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and 0 <= value <= MAX_GMAIL_WAIT):
        raise argparse.ArgumentTypeError(f"give the seconds to wait as a number from 0 to "
                                         f"{MAX_GMAIL_WAIT:g}, not {text!r}")
    return value


def rotate(args: argparse.Namespace) -> int:
    import asyncio

    from checks.context import Context
    from checks.creds.rotation import Rotation

    interactive = sys.stdin.isatty()
    if not interactive and not args.yes:
        raise UsageError("no terminal to ask on: pass --yes (the Gmail step then waits for "
                         "--resume on a terminal)")
    rotation = _rotation(args)
    try:  # before any IAM change; exit 3 as for any keyring trouble during the rotation
        get_secret(rotation.profile.name)
    except StoreError as exc:
        print(f"mailpath: {_hint(exc, 'rotate')}", file=sys.stderr)
        return 3
    ctx = Context(endpoints=_endpoints(rotation.profile))
    asker = _Asker(rotation, yes=args.yes, interactive=interactive)
    try:
        outcome = asyncio.run(rotation.run(ctx, confirm=asker.confirm, progress=_print_event))
    except KeyboardInterrupt:  # Ctrl-C while a step worked (not at a question)
        print("\nInterrupted: what was done so far is kept and the credentials in use "
              "still work.", flush=True)
        if Rotation.in_progress(args.name):
            print(f"Go on later with: mailpath creds rotate {args.name} --resume")
        return 130
    print(outcome.message)
    if outcome.resumable:
        print(f"Go on later with: mailpath creds rotate {args.name} --resume")
    return int(outcome.exit_code)


def _rotation(args: argparse.Namespace) -> Any:
    from dataclasses import replace

    from checks.creds.rotation import Rotation, RotationError, RotationOptions

    options = RotationOptions()
    if args.gmail_wait is not None:
        options = replace(options, gmail_poll_seconds=args.gmail_wait)  # checked
    try:
        if args.resume:
            return Rotation.resume(args.name, options=options)
        return Rotation.start(args.name, iam_user=args.iam_user, options=options)
    except RotationError as exc:
        raise UsageError(str(exc)) from None


def _endpoints(profile: Profile) -> Any:
    from checks.endpoints import EndpointError, Endpoints

    try:
        endpoints = Endpoints.from_env(os.environ, aws_region=profile.region,
                                       aws_profile=profile.aws_profile)
    except EndpointError as exc:
        raise UsageError(str(exc)) from None
    _refuse_missing_aws_profile(endpoints, profile)
    return endpoints


def _refuse_missing_aws_profile(endpoints: Any, profile: Profile) -> None:
    from tui.commands._inputs import refuse_missing_profile

    refuse_missing_profile(endpoints, f"profile {profile.name!r} aws_profile")


def _print_event(event: Any) -> None:
    glyph = {"done": "✓", "skipped": "–", "failed": "✗", "rolled_back": "↶", "waiting": "…",
             "running": "→"}.get(str(event.status), "·")
    if str(event.status) != "running":
        print(f"{glyph} {event.step}: {event.message}", flush=True)


class _Asker:
    """Answers the rotation's questions: --yes, the terminal, or no."""

    #: questions --yes never answers for the user without a terminal
    NEEDS_PERSON = frozenset({"delete_active_key", "delete_active_key_again", "gmail_updated",
                              "gmail_works"})

    def __init__(self, rotation: Any, *, yes: bool, interactive: bool) -> None:
        self.rotation, self.yes, self.interactive = rotation, yes, interactive
        #: Ctrl-D was pressed at a question: every later question is a no, unread
        self.ended = False

    async def confirm(self, question: Any) -> bool:
        if str(question.id) == "gmail_updated" and self.interactive:
            await self._show_gmail_fields()
        elif str(question.id) == "gmail_updated":
            self._list_gmail_fields()
        if self.yes and str(question.id) not in self.NEEDS_PERSON:
            print(f"? {question.text} yes (--yes)")
            return True
        if not self.interactive:
            print(f"? {question.text} no (needs a person at a terminal)")
            return False
        detail = f"  {question.detail}\n" if question.detail else ""
        return await self._ask_terminal(f"{detail}? {question.text} [y/N] ")

    def _list_gmail_fields(self) -> None:
        """No terminal: the fields the guidance speaks of, the password masked, and how to
        see it (the new password is only ever shown on a terminal)."""
        from checks.creds.rotation import RotationError

        try:
            settings = self.rotation.gmail_settings()
        except RotationError as exc:
            print(f"  (the Gmail fields cannot be listed: {exc})")
            settings = None
        for f in settings.fields if settings else ():
            shown = f.value.masked() if isinstance(f.value, Secret) else f.value
            print(f"  {f.label}: {shown}")
        print(f"  (the password is shown only on a terminal: run `mailpath creds rotate "
              f"{self.rotation.profile.name} --resume` on one to see it and go on)")

    async def _show_gmail_fields(self) -> None:
        settings = self.rotation.gmail_settings()
        for line in settings.guidance:
            print(f"  {line}")
        for f in settings.fields:
            shown = f.value.masked() if isinstance(f.value, Secret) else f.value
            print(f"  {f.label}: {shown}")
        if await self._ask_terminal("? Show the new password on this terminal to type it "
                                    "into Gmail? [y/N] "):
            _reveal_on_terminal(settings.field("password").value)

    async def _ask_terminal(self, prompt: str) -> bool:
        """A yes/no on the terminal. The line is read in a daemon thread while the event loop
        waits, so one Ctrl-C (asyncio's SIGINT handler cancels the run) interrupts the
        rotation at once: a blocking `input` in the loop's thread would not return, as the
        signal may land in another thread. Ctrl-D (end of input) is a no, to this question
        and every later one."""
        import asyncio
        import threading

        from checks.creds.rotation import RotationInterrupted

        if self.ended:
            print(f"{prompt}no (end of input)")
            return False
        print(prompt, end="", flush=True)
        loop = asyncio.get_running_loop()
        line: asyncio.Future[bytes] = loop.create_future()

        def deliver(data: bytes) -> None:
            if not line.done():
                line.set_result(data)

        def read() -> None:
            try:
                data = os.read(sys.stdin.fileno(), 4096)  # raw fd: no lock held at exit
            except (OSError, ValueError):
                data = b""
            with contextlib.suppress(RuntimeError):  # the loop has ended (interrupted)
                loop.call_soon_threadsafe(deliver, data)

        threading.Thread(target=read, name="mailpath-answer", daemon=True).start()
        try:
            data = await line
        except asyncio.CancelledError:
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()  # the interrupt ends the rotation as an outcome, not a crash
            print()
            raise RotationInterrupted("interrupted at a question") from None
        if not data:
            self.ended = True
            print("\n(end of input: taken as no)")
            return False
        return data.decode(errors="replace").strip().lower() in ("y", "yes")


def _reveal_on_terminal(password: Any) -> None:
    """Write the password to the controlling terminal only (never stdout, never a log)."""
    try:
        with open("/dev/tty", "w", encoding="utf-8") as tty:
            tty.write(f"  Password: {password.reveal()}\n  (clear the screen afterwards)\n")
    except OSError:
        print("  (no terminal to show it on)")
