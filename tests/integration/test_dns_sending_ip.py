"""SPF check_host() for the sending IP a bounce names, and that IP on DNS blocklists, against
a real lab DNS server (lists served as zones). Expected results follow RFC 7208 (include
match passes; no match falls to ~all, softfail) and RFC 5782 (127.0.0.2 = listed)."""

from __future__ import annotations

from typing import Any

from checks.bounce.model import BounceReport, RecipientResult
from checks.context import Context, Inputs
from checks.endpoints import Endpoints
from checks.lab.dns_server import LabDnsServer
from checks.model import Layer
from checks.registry import load_all_checks
from checks.runner import collect

ZONES = {
    "sender.example.": """\
@ SOA ns1.sender.example. hostmaster.sender.example. 1 3600 600 1209600 300
@ NS ns1.sender.example.
@ TXT "v=spf1 include:amazonses.com ~all"
""",
    "amazonses.com.": '@ TXT "v=spf1 ip4:54.240.0.0/18 -all"\n',
    "bl.example.": "10.8.240.54 A 127.0.0.2\n10.8.240.54 TXT \"listed for a test\"\n",
    "refuse.example.": "* A 127.255.255.254\n",
    "clean.example.": "@ SOA ns.clean.example. h.clean.example. 1 3600 600 1209600 300\n",
}
LISTS = ("bl.example", "refuse.example", "clean.example")


def bounce(ip: str) -> BounceReport:
    return BounceReport(
        kind="dsn",
        recipients=(
            RecipientResult(
                address="pat@recipient.example",
                diagnostic=f"550 5.7.606 Access denied, banned sending IP [{ip}].",
                remote_mta="recipient-example.mail.protection.outlook.com",
            ),
        ),
    )


async def run(check_id: str, bounce_report: Any, ips: tuple[str, ...] = ()) -> Any:
    async with LabDnsServer(ZONES) as srv:
        ctx = Context(
            endpoints=Endpoints(nameservers=((srv.host, srv.port),), dnsbl_zones=LISTS),
            inputs=Inputs(sender="admin@sender.example", bounce=bounce_report, sending_ips=ips),
        )
        checks = [c for c in load_all_checks().in_layers([Layer.DNS]) if c.id == check_id]
        (result,) = await collect(checks, ctx)
    return result


async def test_ses_ip_passes_check_host() -> None:
    result = await run("dns.spf.authorises_ses", bounce("54.240.8.10"))
    assert result.status.value == "pass", result.summary
    assert "54.240.8.10: pass" in result.summary
    assert result.facts["ip_results"] == {"54.240.8.10": "pass"}


async def test_other_ip_softfails_and_warns() -> None:
    result = await run("dns.spf.authorises_ses", bounce("192.0.2.77"))
    assert result.status.value == "warn", result.summary
    assert "192.0.2.77 gets SPF softfail" in result.summary
    evidence = result.outcome.evidence[-1].content
    assert "check_host(192.0.2.77, sender.example) = softfail" in evidence


async def test_without_bounce_no_ip_result() -> None:
    result = await run("dns.spf.authorises_ses", None)
    assert result.status.value == "pass"
    assert "ip_results" not in result.facts


async def test_blocklists_listing_and_refusal() -> None:
    result = await run("dns.blocklist", bounce("54.240.8.10"))
    assert result.status.value == "warn", result.summary
    assert result.facts["listed"] == ["54.240.8.10 on bl.example"]
    assert result.facts["refused"] == ["refuse.example"]
    assert "SES's shared IPs" in result.outcome.explanation
    assert "refuse.example: refused (queries through a public" in result.outcome.explanation


async def test_blocklists_clean_ip() -> None:
    result = await run("dns.blocklist", bounce("192.0.2.77"))
    assert result.facts["listed"] == []
    assert "not listed" in result.summary and "refused by refuse.example" in result.summary


async def test_no_bounce_skips() -> None:
    result = await run("dns.blocklist", None)
    assert result.status.value == "skip"


async def test_given_sending_ip_gets_check_host_without_a_bounce() -> None:
    """--sending-ip: RFC 7208 check_host() for that IP (no include matches: ~all, softfail)."""
    result = await run("dns.spf.authorises_ses", None, ("192.0.2.77",))
    assert result.status.value == "warn", result.summary
    assert result.facts["ip_results"] == {"192.0.2.77": "softfail"}


async def test_given_sending_ip_is_checked_on_blocklists() -> None:
    result = await run("dns.blocklist", None, ("54.240.8.10",))
    assert result.facts["listed"] == ["54.240.8.10 on bl.example"]
