"""A DNS lookup that times out under a short --timeout names the limit and the flag, and
keeps the server named; with the default limit the words stay as they were. The lab's DNS
server (a fault that never answers, and a delay per round trip)."""

from __future__ import annotations

import re
from typing import Any

from checks.context import Context, Inputs
from checks.endpoints import Endpoints
from checks.lab.dns_server import LabDnsServer
from checks.net.dns import DnsAnswer, DnsStatus, budget, lookup, short_limit
from tests.integration.test_cli_timeout_messages import _check

ZONE = {"sender.example": "$ORIGIN sender.example.\n$TTL 300\n"
        "@ SOA ns1 hostmaster 1 3600 600 1209600 300\n@ NS ns1\nns1 A 192.0.2.53\n"
        '@ TXT "v=spf1 -all"\n'}


async def _timed_out(timeout: float) -> DnsAnswer:
    async with LabDnsServer(ZONE, faults={"sender.example.": "timeout"}) as srv:
        endpoints = Endpoints(nameservers=((srv.host, srv.port),), timeout=timeout)
        ctx = Context(endpoints=endpoints, inputs=Inputs(sender="a@sender.example"))
        answer = await lookup(ctx, "sender.example", "TXT")
    assert answer.status is DnsStatus.TIMEOUT
    assert answer.server == f"{srv.host}:{srv.port}"
    return answer


async def test_a_short_timeout_is_named() -> None:
    answer = await _timed_out(2.0)
    assert answer.plain() == (f"the DNS server {answer.server} did not answer (timeout) in "
                              "0.6 s, a limit set from --timeout 2; a larger --timeout may help")


async def test_the_default_limit_keeps_the_old_words() -> None:
    answer = await _timed_out(10.0)
    assert answer.plain() == f"the DNS server {answer.server} did not answer (timeout)"


def test_only_a_limit_below_the_default_is_short() -> None:
    assert short_limit(3) == 3 and short_limit(10) == 0 and short_limit(60) == 0
    assert round(budget(3)[1], 6) == 0.9


def test_check_with_a_short_timeout_names_it(lab_factory: Any) -> None:
    _, results = _check(lab_factory("seed", delay=2.0), "--timeout", "3")
    spf = results["dns.spf.record"]
    assert spf["status"] == "error"
    assert re.search(r"the DNS server 127\.0\.0\.1:\d+ did not answer \(timeout\) in 0\.9 s, "
                     r"a limit set from --timeout 3; a larger --timeout may help",
                     spf["summary"]), spf["summary"]
