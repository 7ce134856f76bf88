"""`mailpath check`: diagnose a sender → recipient path headless, for scripts and CI."""

from __future__ import annotations

import argparse
import os
from typing import TYPE_CHECKING

from checks.diagnosis import EXIT_USAGE

if TYPE_CHECKING:
    from checks.context import Context

EPILOG = f"""exit codes: 0 healthy, 1 faults found, {EXIT_USAGE} usage error,
3 some checks could not run (or a layer named in --layers was not checked at all);
1 wins when faults are found and some checks could not run.
Endpoints come from the environment as `mailpath lab` prints them (AWS_ENDPOINT_URL,
MAILPATH_NAMESERVER, MAILPATH_SMTP_ROUTES, MAILPATH_HTTPS_ROUTES, MAILPATH_CA_FILE,
MAILPATH_RELAY_HOST/PORT/TLS/USER, MAILPATH_RELAY_PASSWORD_FILE); real use needs none of them."""


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "check",
        help="diagnose the path from a sender to a recipient",
        description="Run the checks of every layer live and print the diagnosis.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_path_arguments(p, "default: gmail_send_as when a relay is set")
    p.add_argument("--layers", metavar="LIST",
                   help="comma-separated: gmail_relay,ses,dns,recipient_mta (default: all)")
    p.add_argument("--dkim-selector", dest="dkim_selectors", metavar="SEL", action="append",
                   default=[], help="also check this DKIM selector's key record (repeatable)")
    p.add_argument("--dnsbl", metavar="ZONE[,ZONE]",
                   help="DNS blocklist zones to ask (default: MAILPATH_DNSBL_ZONES or built in)")
    p.add_argument("--sending-ip", dest="sending_ips", metavar="IP", action="append", default=[],
                   help="also evaluate SPF check_host() and blocklists for this IP (repeatable)")
    add_run_arguments(p)
    p.add_argument("--json", action="store_true", help="print the diagnosis as JSON")
    add_relay_arguments(p)
    p.set_defaults(func=run)


def add_path_arguments(p: argparse.ArgumentParser, path_default: str) -> None:
    """The path to diagnose and where to look, shared by `check` and `tui`."""
    p.add_argument("--from", dest="sender", metavar="ADDR", help="the sender (From) address")
    p.add_argument("--to", dest="recipients", metavar="ADDR", action="append", default=[],
                   help="a recipient address (repeat or comma-separate for several)")
    p.add_argument("--path", choices=("gmail_send_as", "ses_smtp", "ses_api"),
                   help=f"how the message was sent ({path_default})")
    p.add_argument("--region", help="the SES region (default: AWS_REGION or us-east-1)")
    p.add_argument("--profile", help="the AWS profile to use, as the AWS CLI has it")
    p.add_argument("--nameserver", metavar="HOST[:PORT]", help="ask this DNS server")
    p.add_argument("--bounce", metavar="FILE", help="start from this bounce (shown as evidence)")


def add_run_arguments(p: argparse.ArgumentParser) -> None:
    """The per-check time limit, shared by `check` and `tui`."""
    p.add_argument("--timeout", type=_seconds, metavar="SECONDS",
                   help="per-check time limit in seconds, from 0.1 to 600 (default 10)")


def _seconds(text: str) -> float:
    """--timeout's value as a number; what is no number is told the range it must be in
    (the range itself is checked with the other shared flags, cli._check_shared_flags)."""
    try:
        return float(text)
    except ValueError:
        from checks.validate import MAX_TIMEOUT, MIN_TIMEOUT

        raise argparse.ArgumentTypeError(
            f"must be a number of seconds from {MIN_TIMEOUT:g} to {MAX_TIMEOUT:g}, "
            f"not {text!r}") from None


def add_relay_arguments(p: argparse.ArgumentParser) -> None:
    """The relay flags (tui.commands.relay_args), imported only when the parser is built."""
    from tui.commands import relay_args

    relay_args.add_relay_arguments(p)


def run(args: argparse.Namespace) -> int:
    from checks.model import Layer
    from tui.cli import UsageError
    from tui.commands._inputs import context_from_args
    from tui.commands._output import diagnose_and_print, parse_layers

    ctx = _with_dns_flags(context_from_args(args, os.environ), args)
    layers = parse_layers(args.layers)
    wanting = {Layer.SES, Layer.RECIPIENT_MTA} & set(layers or Layer)
    if wanting and not ctx.inputs.recipients:
        raise UsageError(
            "--to ADDR is required for the " + " and ".join(sorted(w.value for w in wanting))
            + " layers (or set MAILPATH_TO, or leave them out with --layers)"
        )
    profile, relay = getattr(args, "profile_name", None), ctx.inputs.relay
    if profile and relay is not None:
        from checks.creds.rotation import own_login

        # a rotation of this profile waiting for Gmail's first login must not take this one
        with own_login(profile, relay.username):
            return diagnose_and_print(ctx, layers, as_json=args.json)
    return diagnose_and_print(ctx, layers, as_json=args.json)


def _with_dns_flags(ctx: Context, args: argparse.Namespace) -> Context:
    """--dnsbl replaces the blocklist zones (context_from_args has read them already, before
    MAILPATH_DNSBL_ZONES; applied again for callers that build the context otherwise);
    --sending-ip adds IPs to evaluate."""
    import dataclasses
    import ipaddress

    from tui.cli import UsageError
    from tui.commands._inputs import dnsbl_from

    zones = dnsbl_from(args.dnsbl)
    if zones is not None:
        ctx.endpoints = dataclasses.replace(ctx.endpoints, dnsbl_zones=zones)
    ips = []
    for text in (t.strip() for v in args.sending_ips for t in v.split(",")):
        try:
            ips.append(str(ipaddress.ip_address(text)))
        except ValueError:
            raise UsageError(f"--sending-ip {text!r} is not an IP address") from None
    if ips:
        ctx.inputs = dataclasses.replace(ctx.inputs, sending_ips=tuple(dict.fromkeys(ips)))
    return ctx
