"""Turn command-line flags and environment variables into a Context for the engine."""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from checks import validate
from checks.context import Context, Inputs, RelaySettings
from checks.endpoints import EndpointError, Endpoints, parse_dnsbl_zones, parse_nameservers
from checks.secrets import Secret
from tui.cli import UsageError

#: flags whose explicitly empty value is a mistake (an unset shell variable), not "use the default"
_NOT_EMPTY = {"sender": "--from", "recipients": "--to", "layers": "--layers",
              "nameserver": "--nameserver", "region": "--region", "profile": "--profile",
              "bounce": "--bounce", "envelope_sender": "--envelope-sender"}


def context_from_args(args: argparse.Namespace, env: Mapping[str, str]) -> Context:
    _refuse_empty(args)
    endpoints = endpoints_from(args, env)
    bounce = _bounce(getattr(args, "bounce", None), args)
    relay = _relay(args, env) or relay_from_bounce(bounce)
    sender, sender_what = _flag_or_variable(args.sender, "--from", env, "MAILPATH_FROM")
    recipients, to_what = _flag_or_variable(args.recipients, "--to", env, "MAILPATH_TO")
    inputs = Inputs(
        sender=_address(sender, sender_what),
        recipients=_recipients(recipients, to_what) or _bounce_recipients(bounce),
        relay=relay,
        path=args.path or ("gmail_send_as" if relay else "ses_api"),
        bounce=bounce,
        dkim_selectors=_selectors(getattr(args, "dkim_selectors", None)),
        envelope_sender=_address(args.envelope_sender, "--envelope-sender")
        if getattr(args, "envelope_sender", None) else None,
    )
    return Context(endpoints=endpoints, inputs=inputs)


def _flag_or_variable(value: Any, flag: str, env: Mapping[str, str], variable: str
                      ) -> tuple[Any, str]:
    """The flag's value, else the variable's (refused when set but empty, as an empty flag
    is), with the name to blame in messages."""
    if value:
        return value, flag
    text = env.get(variable)
    if text is not None and not text.strip(" \t,"):
        raise UsageError(f"{variable} is set but empty (an unset shell variable?); unset it, "
                         f"or give {flag}")
    if text is None:
        return value, flag
    return (text if isinstance(value, str | None) else [text]), variable


def _refuse_empty(args: argparse.Namespace) -> None:
    for attr, flag in _NOT_EMPTY.items():
        value = getattr(args, attr, None)
        values = value if isinstance(value, list) else [value]
        if any(v is not None and not str(v).strip() for v in values):
            raise UsageError(f"{flag} was given an empty value (an unset shell variable?)")


def _timeout(value: float | None) -> float | None:
    if value is None:
        return None
    try:
        return validate.timeout(value)
    except validate.InvalidValue as exc:
        raise UsageError(str(exc)) from None


def endpoints_from(args: argparse.Namespace, env: Mapping[str, str]) -> Endpoints:
    _timeout(args.timeout)
    try:
        nameservers = parse_nameservers(args.nameserver) if args.nameserver else None
    except EndpointError as exc:
        raise UsageError(f"--nameserver: {exc}") from None
    if nameservers == ():
        raise UsageError(f"--nameserver {args.nameserver!r} names no server (HOST[:PORT])")
    try:
        endpoints = Endpoints.from_env(
            env,
            aws_region=_region(args.region),
            aws_profile=args.profile,
            nameservers=nameservers,
            timeout=args.timeout,
            dnsbl_zones=dnsbl_from(getattr(args, "dnsbl", None)),
        )
    except EndpointError as exc:
        raise UsageError(str(exc)) from None
    refuse_missing_profile(endpoints, "--profile")
    return endpoints


def refuse_missing_profile(endpoints: Endpoints, what: str = "--profile") -> None:
    """A named AWS profile that does not exist is a usage error (one line naming it), not
    the same error in every AWS check: the one given on purpose (named `what`), else the one
    AWS_DEFAULT_PROFILE / AWS_PROFILE names (named by its variable)."""
    if endpoints.aws_profile:
        name = endpoints.aws_profile
    elif endpoints.aws_env_profile:
        what, name = endpoints.aws_env_profile
    else:
        return
    from checks.net.aws import missing_profile

    problem = missing_profile(name, what)
    if problem:
        raise UsageError(problem)


def dnsbl_from(text: str | None) -> tuple[str, ...] | None:
    """--dnsbl ZONE[,ZONE]: None when not given; given, it must name a zone."""
    if text is None:
        return None
    try:
        zones = parse_dnsbl_zones(text)
    except EndpointError as exc:
        raise UsageError(f"--dnsbl: {exc}") from None
    if not zones:
        raise UsageError("--dnsbl was given no zone")
    return zones


def _address(value: str | None, flag: str) -> str:
    if not value:
        raise UsageError(f"{flag} ADDR is required (the sender's address)")
    try:
        return validate.address(value, flag)
    except validate.InvalidValue as exc:
        raise UsageError(str(exc)) from None


def _region(value: str | None) -> str | None:
    try:
        return validate.region(value) if value else None
    except validate.InvalidValue as exc:
        raise UsageError(str(exc)) from None


def _recipients(values: list[str], what: str = "--to") -> tuple[str, ...]:
    found = [v.strip() for raw in values for v in raw.split(",") if v.strip()]
    for v in found:
        _address(v, what)
    return tuple(found)


def _relay(args: argparse.Namespace, env: Mapping[str, str]) -> RelaySettings | None:
    try:
        from tui.commands.relay_args import relay_from_args
    except ImportError:
        relay_from_args = None
    if relay_from_args is not None:
        relay: RelaySettings | None = relay_from_args(args)
        if relay is not None:
            return relay
    return relay_from_env(env)


def relay_from_env(env: Mapping[str, str]) -> RelaySettings | None:
    """The relay as `mailpath lab` exports it; the password comes from a file, never a variable."""
    host = env.get("MAILPATH_RELAY_HOST")
    if not host:
        return None
    port_text = env.get("MAILPATH_RELAY_PORT", "587")
    tls = env.get("MAILPATH_RELAY_TLS", "starttls")
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise UsageError(f"MAILPATH_RELAY_PORT {port_text!r} is not a TCP port (1-65535)")
    if tls not in ("starttls", "tls"):
        raise UsageError(f"MAILPATH_RELAY_TLS {tls!r} must be starttls or tls")
    pw_file = env.get("MAILPATH_RELAY_PASSWORD_FILE")
    password = _password_from_file(pw_file) if pw_file else None
    if password is None and env.get("MAILPATH_RELAY_EMPTY_PASSWORD") == "1":
        password = Secret("")  # a login tried with an empty password, as the lab's scenario
    user = env.get("MAILPATH_RELAY_USER", "")
    return RelaySettings(host, int(port_text), tls, user, password)  # type: ignore[arg-type]


def _is_address(text: str) -> bool:
    try:
        validate.address(text, "")
    except validate.InvalidValue:
        return False
    return True


def _password_from_file(path: str) -> Secret:
    what = "MAILPATH_RELAY_PASSWORD_FILE"
    try:
        text = Path(path).read_bytes().decode("utf-8").strip()
    except OSError as exc:
        raise UsageError(f"cannot read {what}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise UsageError(f"{what} {path} is not UTF-8 text") from None
    if not text:
        raise UsageError(f"{what} {path} is empty (a password was expected)")
    return Secret(text)


def _bounce_recipients(bounce: object) -> tuple[str, ...]:
    """Without --to, the addresses the bounce reports on are the recipients to check."""
    found = [getattr(r, "address", "") for r in getattr(bounce, "recipients", ())]
    return tuple(a for a in dict.fromkeys(found) if _is_address(a))


def relay_from_bounce(bounce: object) -> RelaySettings | None:
    """Gmail's relay-failure bounce names the relay host, port and mode: probe that relay
    (without credentials, since the bounce holds none)."""
    failure = getattr(bounce, "relay", None)
    if failure is None or not failure.host:
        return None
    port = int(failure.port) if str(failure.port).isdigit() else 587
    tls = "tls" if failure.tls.upper() == "SSL" or port in (465, 2465) else "starttls"
    return RelaySettings(failure.host, port, tls, "")  # type: ignore[arg-type]


def _bounce(path: str | None, args: argparse.Namespace) -> object:
    if not path:
        return None
    if path == "-" and getattr(args, "relay_password_stdin", False):
        raise UsageError("--bounce - and --relay-password-stdin cannot both read standard input")
    from checks.bounce import parse_bounce, source
    from checks.bounce.signs import BINARY

    shown = source.display(path)
    try:
        data = (source.read_stream(getattr(sys.stdin, "buffer", None)) if path == "-"
                else source.read_path(path))
    except source.Unreadable as exc:
        raise UsageError(f"cannot read bounce {shown}: {exc}") from None
    if data is None:
        raise UsageError(f"cannot start from bounce {shown}: {BINARY}")
    if isinstance(data, source.Bounded) and data.truncated:
        from checks.report import terminal_safe

        print(terminal_safe(f"mailpath: {source.truncation_note(shown, data.limit)}"),
              file=sys.stderr)
    report = parse_bounce(data, name=shown)
    if getattr(report, "error", ""):
        raise UsageError(f"cannot start from bounce {shown}: {report.error}")
    return report


_SELECTOR = re.compile(r"^(?!-)[A-Za-z0-9_-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9_-]{1,63}(?<!-))*$")


def _selectors(values: list[str] | None) -> tuple[str, ...]:
    for value in values or ():
        if len(value) > 200 or not _SELECTOR.match(value.strip()):
            raise UsageError(f"--dkim-selector {value!r} is not a DNS name (labels of letters, "
                             "digits, '-' and '_')")
    return tuple(v.strip() for v in values or ())
