"""`mailpath check --dnsbl ZONE[,ZONE] --sending-ip IP`: zones replace the blocklist list, IPs
are added to the inputs; bad values are usage errors (exit 2)."""

from __future__ import annotations

import argparse

import pytest

from checks.context import Context
from tui.cli import UsageError
from tui.commands.check import _with_dns_flags


def _args(dnsbl: str | None = None, ips: tuple[str, ...] = ()) -> argparse.Namespace:
    return argparse.Namespace(dnsbl=dnsbl, sending_ips=list(ips))


def test_flags_reach_endpoints_and_inputs() -> None:
    ctx = _with_dns_flags(Context(), _args("bl.example,Other.Example.", ("192.0.2.7,2001:db8::1",
                                                                          "192.0.2.7")))
    assert ctx.endpoints.dnsbl_zones == ("bl.example", "other.example")
    assert ctx.inputs.sending_ips == ("192.0.2.7", "2001:db8::1")


def test_no_flags_change_nothing() -> None:
    ctx = _with_dns_flags(Context(), _args())
    assert ctx.endpoints.dnsbl_zones == Context().endpoints.dnsbl_zones
    assert ctx.inputs.sending_ips == ()


@pytest.mark.parametrize("args", [_args("not a zone"), _args(","), _args(ips=("300.1.1.1",))])
def test_bad_values_are_usage_errors(args: argparse.Namespace) -> None:
    with pytest.raises(UsageError):
        _with_dns_flags(Context(), args)
