"""`mailpath creds set|show|test|delete`: relay profiles (settings file) and their password
(OS keyring). Never prints a secret; show masks it."""

from __future__ import annotations

import argparse
import getpass
import os
import sys
from collections.abc import Callable
from typing import TypeVar

from checks.config import (
    ConfigError,
    Profile,
    config_path,
    delete_profile,
    get_profile,
    save_profile,
)
from checks.creds.store import StoreError, delete_secret, get_secret, set_secret
from checks.secrets import Secret
from tui.cli import UsageError

T = TypeVar("T")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("creds", help="store, show, test or delete relay credentials",
                       description="Relay settings go to the settings file "
                       f"({config_path()}); the password only to the OS keyring.")
    actions = p.add_subparsers(dest="creds_action", metavar="ACTION", required=True)
    _add_set(actions)
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
    from tui.commands.relay_args import DEFAULT_PORT, read_password

    password = read_password(sys.stdin) if args.password_stdin else _prompt()
    profile = Profile(args.name, sender=args.sender, region=args.region,
                      aws_profile=args.aws_profile, relay_host=args.relay_host.strip().lower(),
                      relay_port=args.relay_port or DEFAULT_PORT[args.relay_tls],
                      relay_tls=args.relay_tls, relay_user=args.relay_user.strip())
    _store(lambda: set_secret(profile.name, password))
    path = _config(lambda: save_profile(profile))
    print(f"Saved profile {profile.name!r} in {path}; password {password.masked()} in the OS "
          "keyring (service mailpath).")
    return 0


def _prompt() -> Secret:
    if not sys.stdin.isatty():
        raise UsageError("no terminal to ask for the password: use --password-stdin")
    value = getpass.getpass("Relay (SMTP) password: ")
    if not value:
        raise UsageError("empty password")
    return Secret(value)


def show(args: argparse.Namespace) -> int:
    profile = _config(lambda: get_profile(args.name))
    secret = _store(lambda: get_secret(profile.name))
    for key, value in profile.to_toml().items():
        print(f"{key}: {value}")
    print(f"password: {secret.masked() if secret else '(none stored)'}")
    return 0


def test(args: argparse.Namespace) -> int:
    from checks.context import Context, Inputs
    from checks.endpoints import EndpointError, Endpoints
    from checks.model import Layer
    from tui.commands._output import diagnose_and_print
    from tui.commands.relay_args import relay_from_args

    profile = _config(lambda: get_profile(args.name))
    relay = relay_from_args(argparse.Namespace(profile_name=profile.name))
    try:
        endpoints = Endpoints.from_env(os.environ, aws_region=profile.region,
                                       aws_profile=profile.aws_profile)
    except EndpointError as exc:
        raise UsageError(str(exc)) from None
    ctx = Context(endpoints=endpoints, inputs=Inputs(sender=profile.sender, relay=relay,
                                                     path="gmail_send_as"))
    return diagnose_and_print(ctx, [Layer.GMAIL_RELAY], as_json=False)


def delete(args: argparse.Namespace) -> int:
    had_secret = _store(lambda: delete_secret(args.name))  # first: a locked keyring keeps both
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


def _store(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except StoreError as exc:
        raise UsageError(str(exc)) from None
