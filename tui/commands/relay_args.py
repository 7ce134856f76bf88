"""Relay flags for `mailpath check`: explicit settings, or a stored profile plus its keyring
password. The integrator wires `add_relay_arguments` and `relay_from_args` into `check`."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, NoReturn, TextIO

from checks import validate
from checks.secrets import Secret
from tui.cli import UsageError

if TYPE_CHECKING:  # the rest is imported where used: `check --help` stays quick (no keyring)
    from checks.config import Profile
    from checks.context import RelaySettings, TlsMode

DEFAULT_PORT = {"starttls": 587, "tls": 465}
#: relay field -> its flag, its profile setting, its environment variable (for messages)
_FLAG = {"host": "--relay-host", "port": "--relay-port", "tls": "--relay-tls",
         "user": "--relay-user"}
_SETTING = {"host": "relay_host", "port": "relay_port", "tls": "relay_tls", "user": "relay_user"}
_ENV = {k: f"MAILPATH_RELAY_{k.upper()}" for k in _FLAG}


def add_relay_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "SMTP relay (as Gmail's 'Send mail as' dialog has it)",
        "Each flag given overrides that one field of the stored profile (--profile-name), "
        "else of the MAILPATH_RELAY_* environment; the other fields keep their values.")
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


def relay_from_args(args: argparse.Namespace, stdin: TextIO | None = None,
                    env: Mapping[str, str] | None = None) -> RelaySettings | None:
    """The relay to test: a stored profile (--profile-name), else the MAILPATH_RELAY_*
    environment, with each relay flag given overriding that field. None when no relay host
    is named anywhere."""
    profile = _profile(getattr(args, "profile_name", None))
    flags = _flag_values(args)
    env = os.environ if env is None else env
    if profile is None and not flags and not getattr(args, "relay_password_stdin", False):
        relay = _env_relay(env)
        if relay is not None:
            _note_region(args, relay.host)
        return relay
    base = _profile_base(profile) if profile else _env_base(env)
    if not (base.get("host") or flags.get("host")):
        _no_host(profile, [*map(_FLAG.get, flags), "--relay-password-stdin"])
    fields = base | flags
    where = {k: (f"profile {profile.name!r} {_SETTING[k]}" if profile else _ENV[k])
             for k in _FLAG} | {k: _FLAG[k] for k in flags}
    relay = _build(fields, where, _password(args, profile, stdin, fields.get("password")))
    _note_region(args, relay.host)
    return relay


def _flag_values(args: argparse.Namespace) -> dict[str, Any]:
    """The relay flags the user gave (None means not given; "" counts as given)."""
    names = {"host": "relay_host", "port": "relay_port", "tls": "relay_tls", "user": "relay_user"}
    return {k: getattr(args, a) for k, a in names.items() if getattr(args, a, None) is not None}


def _profile_base(profile: Profile) -> dict[str, Any]:
    values = {"host": profile.relay_host, "port": profile.relay_port, "tls": profile.relay_tls,
              "user": profile.relay_user}
    return {k: v for k, v in values.items() if v is not None}


def _env_relay(env: Mapping[str, str]) -> RelaySettings | None:
    """The MAILPATH_RELAY_* relay (as `mailpath lab` exports it), read by `_inputs`."""
    if not env.get("MAILPATH_RELAY_HOST"):
        return None
    from tui.commands._inputs import relay_from_env

    return relay_from_env(env)


def _env_base(env: Mapping[str, str]) -> dict[str, Any]:
    relay = _env_relay(env)
    if relay is None:
        return {}
    return {"host": relay.host, "port": relay.port, "tls": relay.tls, "user": relay.username,
            "password": relay.password}


def _no_host(profile: Profile | None, given: list[str | None]) -> NoReturn:
    """Raise: the profile has no host, or the first relay flag given needs one."""
    if profile is not None:
        raise UsageError(f"profile {profile.name!r} has no relay_host")
    raise UsageError(f"{given[0]} needs --relay-host H (or --profile-name, "
                     "or MAILPATH_RELAY_HOST in the environment)")


def _build(fields: dict[str, Any], where: dict[str, str], password: Secret | None
           ) -> RelaySettings:
    try:
        host = validate.hostname(fields["host"], where["host"])
        tls: TlsMode = "tls" if fields.get("tls") == "tls" else "starttls"
        port = validate.port(fields.get("port", DEFAULT_PORT[tls]), where["port"])
        if not fields.get("user"):
            raise UsageError(_missing_user(where["user"]))
        user = validate.username(fields["user"], where["user"])
    except validate.InvalidValue as exc:
        raise UsageError(str(exc)) from None
    from checks.context import RelaySettings

    return RelaySettings(host, port, tls, user, password)


def _missing_user(where: str) -> str:
    if where.startswith("profile "):
        return f"{where.replace(' relay_user', '')} has no relay_user"
    if where.startswith("MAILPATH_"):
        return f"{where} is empty: give --relay-user U (SES: the access key id)"
    return "--relay-user U is required with --relay-host (SES: the access key id)"


def _note_region(args: argparse.Namespace, host: str) -> None:
    """--region is checked here too (check's only hook); when the SES relay host names
    another region, that one wins: say so on stderr (never on stdout, which may be JSON)."""
    wanted = getattr(args, "region", None)
    if wanted is None:
        return
    try:
        wanted = validate.region(wanted, "--region")
    except validate.InvalidValue as exc:
        raise UsageError(str(exc)) from None
    from checks.creds.forensics import ses_region

    used = ses_region(host)
    if used and used != wanted:
        print(f"mailpath: note: the SES checks use {used} (from the relay host {host}) "
              f"instead of --region {wanted}", file=sys.stderr)


def _profile(name: str | None) -> Profile | None:
    from checks.config import ConfigError, get_profile

    if not name:
        return None
    try:
        return get_profile(name)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None


def _password(args: argparse.Namespace, profile: Profile | None, stdin: TextIO | None,
              fallback: Secret | None) -> Secret | None:
    """--relay-password-stdin, else the profile's keyring entry, else the environment's."""
    if getattr(args, "relay_password_stdin", False):
        return read_password(stdin or sys.stdin)
    if profile is None:
        return fallback
    from checks.creds.store import StoreError, get_secret

    try:
        return get_secret(profile.name)
    except StoreError as exc:
        hint = " Or pass the password for one run with --relay-password-stdin." \
            if hasattr(args, "relay_password_stdin") else ""
        raise UsageError(f"{exc}{hint}") from None


#: the longest password line read from stdin (SES SMTP passwords are 44 characters)
MAX_PASSWORD_BYTES = 4096


def read_password(stream: TextIO, flag: str = "--relay-password-stdin") -> Secret:
    """The first line of the stream, without its line end; it must be UTF-8 text."""
    line = _first_line(stream, flag).rstrip("\r\n")
    if not line:
        raise UsageError(f"no password on stdin ({flag} reads one line)")
    if any("\ud800" <= c <= "\udfff" for c in line):  # undecodable bytes (surrogateescape)
        raise UsageError(f"the password on stdin is not UTF-8 text ({flag})")
    return Secret(line)


def _first_line(stream: TextIO, flag: str) -> str:
    """Read bytes where the stream has them, so the decoding is ours (strict UTF-8)."""
    buffer = getattr(stream, "buffer", None)
    try:
        if buffer is not None:
            return str(buffer.readline(MAX_PASSWORD_BYTES).decode("utf-8"))
        return stream.readline(MAX_PASSWORD_BYTES)
    except UnicodeDecodeError:
        raise UsageError(f"the password on stdin is not UTF-8 text ({flag})") from None
