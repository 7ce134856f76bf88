"""Recipient-side records: MTA-STS (policy covers the MX hosts) and TLS-RPT."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from checks.context import Context
from checks.dnsauth import mta_sts
from checks.layers.dns.common import (
    dns_error,
    evidence_of,
    literal_skip,
    mx_hosts,
    recipient_name_domains,
    unusable,
    worst_outcome,
)
from checks.model import Evidence, Fix, Layer, Outcome, failed, passed, skipped, warned
from checks.net import https
from checks.net.dns import DnsAnswer, lookup
from checks.registry import CheckError, Deps, check


@check("dns.mta_sts.policy", Layer.DNS, "Recipient MTA-STS policy covers its MX hosts")
async def mta_sts_policy(ctx: Context, deps: Deps) -> Outcome:
    domains, literals = recipient_name_domains(ctx)
    if not domains and literals:
        return literal_skip(literals, "MTA-STS")
    if not domains:
        return skipped("No recipient domain given", "Use --to ADDRESS to check its MTA-STS.")
    outcomes = await asyncio.gather(*(_sts_for(ctx, d) for d in domains))
    return worst_outcome(outcomes)


async def _policy_host_address(ctx: Context, host: str) -> tuple[str | None, DnsAnswer | None]:
    """With --nameserver (and no route for host), resolve the policy host there, never
    through the system resolver: (address, the answer), or (None, None) when not needed."""
    if not ctx.endpoints.nameservers or https.routed(ctx.endpoints, host):
        return None, None
    answer = await lookup(ctx, host, "A")
    if not answer.ok:
        answer = await lookup(ctx, host, "AAAA")
    if unusable(answer):
        raise dns_error(answer, f"the address of {host}")
    return (answer.records[0] if answer.ok else None), answer


#: RFC 8461 5: what senders do when discovery ends without a usable policy
_NOT_IN_EFFECT = (
    "Senders then deliver as if {domain} had no MTA-STS policy (RFC 8461 5): opportunistic "
    "TLS, no MX or certificate checks. A sender that still holds a valid policy cached "
    "from an earlier fetch keeps applying that one until its max_age runs out. Mail is not "
    "refused for this, so it explains no bounce; {domain} only loses MTA-STS protection."
)


def _not_in_effect(
    domain: str, why: str, detail: str, evidence: tuple[Evidence, ...], fix: Fix | None = None
) -> Outcome:
    """A record or policy senders cannot use: a warning, never a delivery failure."""
    return warned(
        f"MTA-STS of {domain} is not in effect: {why}",
        f"{detail}\n{_NOT_IN_EFFECT.format(domain=domain)}",
        evidence=evidence,
        fix=fix or _sts_fix(domain, []),
        facts={"in_effect": False},
    )


def _policy_host_missing(domain: str, host: str, txt: DnsAnswer, answer: DnsAnswer) -> Outcome:
    return _not_in_effect(
        domain,
        f"the policy cannot be fetched: {host} has no address ({answer.plain()})",
        f"{domain} announces MTA-STS (_mta-sts.{domain}), but the policy host {host} does "
        "not resolve, so senders cannot fetch the policy.",
        (evidence_of(txt), evidence_of(answer)),
    )


def _several_records(domain: str, found: Sequence[str], txt: DnsAnswer) -> Outcome:
    """RFC 8461 3.1: more than one v=STSv1 record: senders assume there is no policy."""
    listed = "; ".join(f'"{r}"' for r in found)
    return _not_in_effect(
        domain,
        f"{len(found)} v=STSv1 records at _mta-sts.{domain} ({listed})",
        f"_mta-sts.{domain} has {len(found)} TXT records starting with v=STSv1. RFC 8461 3.1: "
        "when there is not exactly one, senders assume the domain has no MTA-STS policy and "
        "do not fetch it.",
        (evidence_of(txt),),
        Fix(
            f"The recipient ({domain}) must keep exactly one v=STSv1 record at "
            f"_mta-sts.{domain}",
            (f"Delete the others: {listed}",
             "Keep the one whose id= matches the policy now served."),
        ),
    )


async def _sts_for(ctx: Context, domain: str) -> Outcome:
    txt = await lookup(ctx, f"_mta-sts.{domain}", "TXT")
    if unusable(txt):
        raise dns_error(txt, f"the MTA-STS record of {domain}")
    text, _why = mta_sts.select(txt.records)
    found = mta_sts.records(txt.records)
    if text is None and len(found) > 1:
        return _several_records(domain, found, txt)
    if text is None:
        return passed(
            f"{domain} publishes no MTA-STS policy",
            "MTA-STS is optional; senders then use opportunistic TLS.",
            evidence=(evidence_of(txt),),
        )
    try:
        mta_sts.parse_record(text)
    except mta_sts.MtaStsError as exc:
        return _not_in_effect(
            domain,
            f"its _mta-sts record is invalid: {exc}",
            f"_mta-sts.{domain} says \"{text}\". RFC 8461 3.1: with a record that is not "
            "valid, senders stop policy discovery and do not fetch the policy.",
            (evidence_of(txt),),
            Fix(
                f"The recipient ({domain}) must correct _mta-sts.{domain}",
                (f"Current record: {text}",
                 'Form: "v=STSv1; id=<1 to 32 letters or digits>"'),
            ),
        )
    host = f"mta-sts.{domain}"
    address, looked_up = await _policy_host_address(ctx, host)
    if looked_up is not None and address is None:
        return _policy_host_missing(domain, host, txt, looked_up)
    fetched = await https.fetch(
        ctx.endpoints,
        host,
        "/.well-known/mta-sts.txt",
        timeout=fetch_timeout(ctx.endpoints.timeout),
        address=address,
    )
    evidence = (
        evidence_of(txt),
        *((evidence_of(looked_up),) if looked_up else ()),
        Evidence(f"MTA-STS policy of {domain}", fetched.evidence(), "http"),
    )
    if fetched.inconclusive:
        raise CheckError(
            f"Could not fetch the MTA-STS policy of {domain} from here: {fetched.error}",
            explanation=_NOT_REACHED,
            evidence=evidence,
        )
    if not fetched.ok:
        why = fetched.error or f"its policy URL answers HTTP {fetched.status}"
        return _not_in_effect(
            domain,
            f"the policy cannot be fetched: {why}",
            f"{domain} announces MTA-STS (_mta-sts.{domain}), but the policy at "
            f"https://mta-sts.{domain}/.well-known/mta-sts.txt cannot be fetched: {why}.",
            evidence,
        )
    if fetched.truncated:
        return _too_large(domain, evidence)
    return await _sts_policy_outcome(ctx, domain, fetched, evidence)


def _too_large(domain: str, evidence: tuple[Evidence, ...]) -> Outcome:
    """mailpath reads at most https.MAX_BYTES: a longer body is cut (the fetch says so), so
    its mx: lines cannot be judged; say the size instead of blaming a line the cut hid. A
    body of exactly MAX_BYTES is whole, and judged."""
    kb = https.MAX_BYTES // 1024
    return _not_in_effect(
        domain,
        f"the policy is {kb} KB or larger, over the limit",
        f"The policy at https://mta-sts.{domain}/.well-known/mta-sts.txt is longer than the "
        f"{kb} KB mailpath reads: RFC 8461 3.3 recommends policies of at most {kb} KB. "
        "Senders that stop reading there get a cut policy and may discard it or miss mx: "
        "lines after the cut; mailpath does not judge MX coverage from a cut policy.",
        evidence,
        Fix(
            f"The recipient ({domain}) must shrink its MTA-STS policy under {kb} KB",
            ("A policy needs only version, mode, max_age and one mx: line per MX host "
             "(or a *.name pattern covering several).",
             f"Then change the id= in _mta-sts.{domain} so senders fetch it again."),
        ),
    )


_NOT_REACHED = (
    "The HTTPS request went out from this machine: a refused or unanswered connection here "
    "may be this network (a firewall or proxy that blocks outbound HTTPS, or a slow link), "
    "so nothing is known to be wrong with the recipient's policy. Try again, or from "
    "another network, with a longer --timeout."
)


def fetch_timeout(check_timeout: float) -> float:
    """The HTTPS fetch gets a share of the check's time: the check also makes DNS lookups
    before and after it, and must still say why the fetch failed."""
    return max(0.1, min(https.TIMEOUT, check_timeout * 0.4))


async def _sts_policy_outcome(
    ctx: Context,
    domain: str,
    fetched: https.HttpsResult,
    evidence: tuple[Evidence, ...],
) -> Outcome:
    try:
        policy = mta_sts.parse_policy(fetched.text)
    except mta_sts.MtaStsError as exc:
        served = "" if fetched.content_type.startswith("text/plain") else (
            f" It is served as {fetched.content_type or 'no Content-Type'!r}, not text/plain.")
        return _not_in_effect(
            domain,
            f"its policy is invalid: {exc}",
            f"The policy at https://mta-sts.{domain}/.well-known/mta-sts.txt is not a valid "
            f"MTA-STS policy ({exc}).{served}",
            evidence,
        )
    answer, hosts = await mx_hosts(ctx, domain)
    if unusable(answer):
        raise dns_error(answer, f"the MX of {domain} (to compare with its MTA-STS policy)")
    missing = mta_sts.uncovered(policy, hosts)
    problems = [*(f"MX {h} is not covered by any mx: line" for h in missing), *policy.warnings]
    if not fetched.content_type.startswith("text/plain"):
        problems.append(f"Content-Type is {fetched.content_type!r}, not text/plain")
    facts = {"mode": policy.mode, "mx": list(policy.mx), "uncovered": missing}
    if not problems:
        return passed(
            f"MTA-STS ({policy.mode}) of {domain} covers all its MX hosts",
            f"Patterns: {', '.join(policy.mx)}.",
            evidence=(*evidence, evidence_of(answer)),
            facts=facts,
        )
    # (only an MX host no mx: line covers stops delivery; an IP mx: entry or a short
    # max_age is poor practice, mail still flows)
    make = failed if policy.mode == "enforce" and missing else warned
    return make(
        f"MTA-STS of {domain}: {problems[0]}",
        _sts_text(policy) + "\n" + "\n".join(problems),
        evidence=(*evidence, evidence_of(answer)),
        fix=_sts_fix(domain, hosts),
        facts=facts,
    )


def _sts_text(policy: mta_sts.StsPolicy) -> str:
    if policy.mode == "enforce":
        return (
            "In enforce mode, senders (SES included) refuse to deliver to an MX host the "
            "policy does not list, or whose certificate does not match: mail is deferred, "
            "then bounces (Exchange Online: 4.4.8/5.4.8). The fix is on the recipient side."
        )
    return "In testing mode senders only report the mismatch (TLS-RPT); mail still flows."


def _sts_fix(domain: str, hosts: Sequence[str]) -> Fix:
    lines = tuple(f"mx: {h}" for h in hosts)
    return Fix(
        f"The recipient ({domain}) must fix its MTA-STS policy",
        (
            f"Serve https://mta-sts.{domain}/.well-known/mta-sts.txt as text/plain",
            "List every MX host name (no IP addresses):",
            *lines,
            f"Then change the id= in _mta-sts.{domain} so senders fetch it again.",
        ),
    )


@check("dns.tls_rpt.record", Layer.DNS, "Recipient TLS-RPT record")
async def tls_rpt_record(ctx: Context, deps: Deps) -> Outcome:
    domains, literals = recipient_name_domains(ctx)
    if not domains and literals:
        return literal_skip(literals, "TLS-RPT")
    if not domains:
        return skipped("No recipient domain given", "Use --to ADDRESS to check its TLS-RPT.")
    return worst_outcome(await asyncio.gather(*(_tls_rpt_for(ctx, d) for d in domains)))


async def _tls_rpt_for(ctx: Context, domain: str) -> Outcome:
    answer = await lookup(ctx, f"_smtp._tls.{domain}", "TXT")
    if unusable(answer):
        raise dns_error(answer, f"the TLS-RPT record of {domain}")
    found = mta_sts.tlsrpt_records(answer.records)
    near = [r for r in answer.records if mta_sts.is_tlsrpt(r)]
    evidence = (evidence_of(answer),)
    if not near:
        return passed(
            f"{domain} publishes no TLS-RPT record",
            "TLS-RPT is optional: it only asks senders for TLS failure reports.",
            evidence=evidence,
        )
    found = found or near[:1]  # only near misses: the first one's fault is named
    if len(found) > 1:
        listed = "; ".join(f'"{r}"' for r in found)
        return _tls_rpt_unusable(
            domain, f"{len(found)} v=TLSRPTv1 records ({listed})", found[0], evidence)
    try:
        mta_sts.parse_tlsrpt(found[0])
    except mta_sts.MtaStsError as exc:
        return _tls_rpt_unusable(domain, str(exc), found[0], evidence)
    return passed(f"{domain} publishes a TLS-RPT record", found[0], evidence=evidence)


def _tls_rpt_unusable(
    domain: str, why: str, record: str, evidence: tuple[Evidence, ...]
) -> Outcome:
    return warned(
        f"TLS-RPT record of {domain} is not usable: {why}",
        "RFC 8460 3 needs exactly one record at _smtp._tls, starting with exactly "
        "v=TLSRPTv1; and with rua= listing mailto: addresses or https: URLs. Senders "
        f"discard any other, so {domain} gets no TLS failure reports (mail itself still "
        "flows).",
        evidence=evidence,
        fix=Fix(
            f"The recipient ({domain}) must correct _smtp._tls.{domain}",
            (f"Current record: {record}",
             f'Form: "v=TLSRPTv1; rua=mailto:tls-reports@{domain}"'),
        ),
    )
