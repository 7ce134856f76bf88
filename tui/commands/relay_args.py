"""Relay flags for `mailpath check`: explicit settings, or a stored profile plus its keyring
password. The integrator wires `add_relay_arguments` and `relay_from_args` into `check`."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from checks.config import ConfigError, Profile, get_profile
from checks.context import RelaySettings
from checks.creds.store import StoreError, get_secret
from checks.secrets import Secret
from tui.cli import UsageError

DEFAULT_PORT = {"starttls": 587, "tls": 465}


def add_relay_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("SMTP relay (as Gmail's 'Send mail as' dialog has it)")
    group.add_argument("--relay-host", metavar="H", help="SMTP server, e.g. "
                       "email-smtp.us-east-1.amazonaws.com")
    group.add_argument("--relay-port", metavar="P", type=int,
                       help="port (default 587 for starttls, 465 for tls)")
    group.add_argument("--relay-tls", choices=("starttls", "tls"),
                       help="starttls = Gmail's 'TLS'; tls = Gmail's 'SSL' (default starttls)")
    group.add_argument("--relay-user", metavar="U", help="SMTP username (SES: the access key id)")
    group.add_argument("--relay-password-stdin", action="store_true",
                       help="read the relay password from stdin (not stored)")
    group.add_argument("--profile-name", metavar="NAME",
                       help="use a stored mailpath profile (`mailpath creds set`)")
    group.add_argument("--envelope-sender", metavar="ADDR",
                       help="the envelope sender (Return-Path) when the relay writes its own, "
                       "e.g. a VERP bounce address; SES checks it as well as --from")


def relay_from_args(args: argparse.Namespace, stdin: TextIO | None = None) -> RelaySettings | None:
    """Flags override the profile's values; None when neither names a relay host."""
    profile = _profile(getattr(args, "profile_name", None))
    host = getattr(args, "relay_host", None) or (profile.relay_host if profile else None)
    if not host:
        if profile is not None:
            raise UsageError(f"profile {profile.name!r} has no relay_host")
        return None
    tls = getattr(args, "relay_tls", None) or (profile and profile.relay_tls) or "starttls"
    port = getattr(args, "relay_port", None) or (profile and profile.relay_port) \
        or DEFAULT_PORT[tls]
    if not 0 < port < 65536:
        raise UsageError(f"--relay-port {port} is not a TCP port")
    user = getattr(args, "relay_user", None) or (profile and profile.relay_user)
    if not user:
        raise UsageError("--relay-user U is required with --relay-host (SES: the access key id)")
    password = _password(args, profile, stdin)
    return RelaySettings(host.strip().lower(), int(port), tls,  # type: ignore[arg-type]
                         user.strip(), password)


def _profile(name: str | None) -> Profile | None:
    if not name:
        return None
    try:
        return get_profile(name)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def _password(args: argparse.Namespace, profile: Profile | None,
              stdin: TextIO | None) -> Secret | None:
    if getattr(args, "relay_password_stdin", False):
        return read_password(stdin or sys.stdin)
    if profile is None:
        return None
    try:
        return get_secret(profile.name)
    except StoreError as exc:
        raise UsageError(str(exc)) from None


def read_password(stream: TextIO) -> Secret:
    """The first line of the stream, without its line end."""
    line = stream.readline().rstrip("\r\n")
    if not line:
        raise UsageError("no password on stdin (--relay-password-stdin reads one line)")
    return Secret(line)
