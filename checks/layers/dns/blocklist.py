"""Sending IPs (given with --sending-ip or named in a bounce), against DNS blocklists."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from checks.context import Context
from checks.dnsauth import dnsbl
from checks.layers.dns.common import DNS_ERROR_TEXT, evidence_of, known_sending_ips, unusable
from checks.model import Evidence, Layer, Outcome, passed, skipped, warned
from checks.net.dns import DnsAnswer, lookup
from checks.registry import CheckError, Deps, check

_DNSBL_CAVEAT = (
    "Listings are the lists' own judgement of the IP. If it is one of SES's shared IPs "
    "(no dedicated IP), AWS watches and delists it: you need not, and cannot, request it. "
    "For a dedicated IP, request delisting on the list's site after fixing the cause. "
    "Some lists (Spamhaus) refuse queries that come through large public resolvers and "
    "answer 127.255.255.x instead: that is a refusal, not a listing."
)


@check("dns.blocklist", Layer.DNS, "Sending IPs on DNS blocklists")
async def blocklist(ctx: Context, deps: Deps) -> Outcome:
    ips = known_sending_ips(ctx)
    if not ips:
        return skipped(
            "No sending IP known",
            "Give --sending-ip IP, or paste a bounce that names the sending IP, to check it "
            "against DNS blocklists.",
        )
    zones = ctx.endpoints.dnsbl_zones or dnsbl.default_zones()
    queries = [(ip, zone) for ip in ips for zone in zones]
    answers = await asyncio.gather(
        *(lookup(ctx, dnsbl.query_name(ip, z), "A") for ip, z in queries)
    )
    verdicts = [_verdict(ip, z, a) for (ip, z), a in zip(queries, answers, strict=True)]
    return _blocklist_outcome(
        verdicts, len(ips), len(zones), tuple(evidence_of(a) for a in answers)
    )


def _verdict(ip: str, zone: str, answer: DnsAnswer) -> dnsbl.Verdict:
    """The list's verdict; with no usable answer, what the DNS server did instead."""
    if unusable(answer):
        return dnsbl.Verdict(ip, zone, "unknown", answer.plain())
    return dnsbl.verdict(ip, zone, answer.records, True)


def _blocklist_outcome(
    verdicts: Sequence[dnsbl.Verdict], n_ips: int, n_zones: int, evidence: tuple[Evidence, ...]
) -> Outcome:
    def of(state: str) -> list[dnsbl.Verdict]:
        return [v for v in verdicts if v.state == state]

    listed, refused, unknown = of("listed"), of("refused"), of("unknown")
    lines = [
        f"{v.ip} on {v.zone}: {v.state}{f' ({v.detail})' if v.detail else ''}" for v in verdicts
    ]
    text = _DNSBL_CAVEAT + "\n" + "\n".join(lines)
    facts = {
        "listed": [f"{v.ip} on {v.zone}" for v in listed],
        "refused": [v.zone for v in refused],
    }
    if listed:
        return warned(f"Listed: {', '.join(facts['listed'])}", text, evidence=evidence, facts=facts)
    if unknown:
        first = unknown[0]
        raise CheckError(
            f"Could not ask {len(unknown)} of {n_zones * n_ips} blocklist queries: {first.ip} on "
            f"{first.zone}: {first.detail}",
            explanation=DNS_ERROR_TEXT + "\n" + "\n".join(lines),
            evidence=evidence,
        )
    asked = n_zones * n_ips - len(refused) - len(unknown)
    summary = f"{n_ips} IP(s) not listed ({asked} of {n_zones * n_ips} list queries answered)"
    if refused:
        summary += f"; refused by {', '.join(dict.fromkeys(v.zone for v in refused))}"
        return warned(summary, text, evidence=evidence, facts=facts)
    return passed(summary, text, evidence=evidence, facts=facts)
