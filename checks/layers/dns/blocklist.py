"""Sending IPs named in a bounce, against DNS blocklists."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from checks.context import Context
from checks.dnsauth import dnsbl
from checks.dnsauth.sending_ips import sending_ips
from checks.layers.dns.common import (
    evidence_of,
)
from checks.model import Evidence, Layer, Outcome, passed, skipped, warned
from checks.net.dns import lookup
from checks.registry import Deps, check

_DNSBL_CAVEAT = (
    "Listings are the lists' own judgement of the IP. If it is one of SES's shared IPs "
    "(no dedicated IP), AWS watches and delists it: you need not, and cannot, request it. "
    "For a dedicated IP, request delisting on the list's site after fixing the cause. "
    "Some lists (Spamhaus) refuse queries that come through large public resolvers and "
    "answer 127.255.255.x instead: that is a refusal, not a listing."
)


@check("dns.blocklist", Layer.DNS, "Sending IPs on DNS blocklists")
async def blocklist(ctx: Context, deps: Deps) -> Outcome:
    ips = sending_ips(ctx.inputs.bounce)
    if not ips:
        return skipped(
            "No sending IP known",
            "Paste a bounce that names the sending IP to check it against DNS blocklists.",
        )
    zones = ctx.endpoints.dnsbl_zones or dnsbl.default_zones()
    queries = [(ip, zone) for ip in ips for zone in zones]
    answers = await asyncio.gather(
        *(lookup(ctx, dnsbl.query_name(ip, z), "A") for ip, z in queries)
    )
    verdicts = [
        dnsbl.verdict(ip, z, a.records, a.ok or a.status.is_negative)
        for (ip, z), a in zip(queries, answers, strict=True)
    ]
    return _blocklist_outcome(
        verdicts, len(ips), len(zones), tuple(evidence_of(a) for a in answers)
    )


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
    asked = n_zones * n_ips - len(refused) - len(unknown)
    summary = f"{n_ips} IP(s) not listed ({asked} of {n_zones * n_ips} list queries answered)"
    if refused:
        summary += f"; refused by {', '.join(dict.fromkeys(v.zone for v in refused))}"
        return warned(summary, text, evidence=evidence, facts=facts)
    return passed(summary, text, evidence=evidence, facts=facts)
