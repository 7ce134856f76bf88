"""The DMARC record of the From domain (with the organisational-domain fallback)."""

from __future__ import annotations

import asyncio

from checks.context import Context
from checks.dnsauth import dmarc
from checks.dnsauth.orgdomain import org_domain
from checks.layers.dns.common import (
    DNS_ERROR_TEXT,
    DOMAIN,
    dns_error,
    evidence_of,
    sender_domain,
    unusable,
)
from checks.model import Evidence, Fix, Layer, Outcome, errored, failed, passed, warned
from checks.net.dns import DnsAnswer, lookup
from checks.registry import Deps, check


async def _dmarc_lookup(ctx: Context, domain: str) -> tuple[str, DnsAnswer, list[DnsAnswer]]:
    """(domain whose record applies, its answer, all answers asked) with org fallback."""
    answer = await lookup(ctx, f"_dmarc.{domain}", "TXT")
    org = org_domain(domain)
    if _no_dmarc_here(answer) and org != domain:
        fallback = await lookup(ctx, f"_dmarc.{org}", "TXT")
        return org, fallback, [answer, fallback]
    return domain, answer, [answer]


def _no_dmarc_here(answer: DnsAnswer) -> bool:
    """RFC 7489 6.6.3: the org-domain fallback applies when the name has no TXT at all, or
    TXT records none of which starts with v=DMARC1."""
    if answer.status.is_negative:
        return True
    return answer.ok and not any(map(dmarc.is_dmarc, answer.records))


@check("dns.dmarc.record", Layer.DNS, "DMARC record of the From domain", needs=(DOMAIN,))
async def dmarc_record(ctx: Context, deps: Deps) -> Outcome:
    domain = ctx.inputs.sender_domain or sender_domain(ctx, deps)
    owner, answer, asked = await _dmarc_lookup(ctx, domain)
    evidence = tuple(evidence_of(a) for a in asked)
    if unusable(answer):
        raise dns_error(answer, f"the DMARC record of {domain}")
    text, why = dmarc.select(answer.records)
    if text is None and sum(map(dmarc.is_dmarc, answer.records)) > 1:
        return _several_records(domain, owner, str(why), evidence)
    if text is None:
        return warned(
            f"No DMARC record for {domain}",
            f"{why} at _dmarc.{owner}. Gmail and "
            "Yahoo require DMARC from bulk senders; without it nothing tells "
            "receivers what to do with mail that fails.",
            evidence=evidence,
            fix=_dmarc_fix(domain),
            facts={"domain": domain, "record": None},
        )
    try:
        record = dmarc.parse(text)
    except dmarc.DmarcSyntaxError as exc:
        return failed(
            f"DMARC record of {owner} is invalid: {exc}",
            "Receivers ignore a DMARC record whose v= or policy (p=, sp=) they cannot "
            "read, as if there were none (RFC 7489 6.6.3).",
            evidence=evidence,
            fix=_invalid_fix(domain, owner, text),
            facts={"domain": domain, "record": None},
        )
    return await _dmarc_ok(ctx, domain, owner, record, evidence)


async def _dmarc_ok(
    ctx: Context, domain: str, owner: str, record: dmarc.DmarcRecord, evidence: tuple[Evidence, ...]
) -> Outcome:
    unauthorised, unread, more = await _external_reports(ctx, owner, record)
    facts = {
        "domain": domain,
        "record": record.raw,
        "p": record.p,
        "sp": record.sp,
        "sp_given": "sp" in record.tags,
        "adkim": record.adkim,
        "aspf": record.aspf,
        "pct": record.pct,
        "owner": owner,
    }
    warnings = [
        *record.warnings,
        *(
            f"report address at {d} has not authorised {owner} "
            f"(no TXT at {dmarc.report_auth_name(owner, d)})"
            for d in unauthorised
        ),
    ]
    where = "" if owner == domain else f" (inherited from the organisational domain {owner})"
    text = f"Policy p={record.p}, pct={record.pct}, adkim={record.adkim}, aspf={record.aspf}."
    if unread:  # the record itself was read: keep its facts for dns.dmarc.alignment
        return errored(
            f"DMARC record of {domain}{where}: p={record.p}, but could not check the report "
            f"authorisation of {unread[0]}",
            f"{text}\n{DNS_ERROR_TEXT}\n" + "\n".join([*unread, *warnings]),
            evidence=evidence + more,
            facts=facts,
        )
    if record.policy_error:
        return failed(
            f"DMARC record of {owner} has an invalid policy: {record.policy_error}",
            f"{text}\nThe policy you meant is not applied: receivers read the record as "
            "p=none and deliver failing mail as usual.\n" + "\n".join(warnings[1:]),
            evidence=evidence + more,
            fix=Fix(
                f"Correct the policy of _dmarc.{owner}: p= and sp= take none, quarantine or "
                "reject",
                (f"Current record: {record.raw}",),
            ),
            facts=facts,
        )
    applies = f"p={record.p}"
    if owner != domain:
        given = "sp" in record.tags
        applies = f"sp={record.sp} applies (p={record.p})" if given else f"p={record.p} (no sp=)"
    significant = [w for w in warnings if not w.startswith(("p=none", "no rua"))]
    if significant:
        return warned(
            f"DMARC record of {domain}{where}: {applies}, but {significant[0]}",
            text + "\nThe policy itself is read and applied; only what is named here is "
            "ignored or weakens it.\n" + "\n".join(warnings),
            evidence=evidence + more,
            fix=_parts_fix(owner, record, significant),
            facts=facts,
        )
    return passed(
        f"DMARC record of {domain}{where}: {applies}",
        text + ("\n" + "\n".join(warnings) if warnings else ""),
        evidence=evidence + more,
        facts=facts,
    )


async def _external_reports(
    ctx: Context, owner: str, record: dmarc.DmarcRecord
) -> tuple[list[str], list[str], tuple[Evidence, ...]]:
    """RFC 7489 7.1: report domains outside the org must publish an authorisation.

    (report domains that have not authorised owner, lookups that gave no usable answer,
    evidence)."""
    hosts = {u.domain for u in (*record.rua, *record.ruf) if u.domain}
    outside = sorted(h for h in hosts if org_domain(h) != org_domain(owner))
    answers = await asyncio.gather(
        *(lookup(ctx, dmarc.report_auth_name(owner, h), "TXT") for h in outside)
    )
    pairs = list(zip(outside, answers, strict=True))
    missing = [h for h, a in pairs if not unusable(a) and not any(map(dmarc.is_dmarc, a.records))]
    unread = [f"{a.name}: {a.plain()}" for _, a in pairs if unusable(a)]
    return missing, unread, tuple(evidence_of(a) for a in answers)


def _several_records(
    domain: str, owner: str, why: str, evidence: tuple[Evidence, ...]
) -> Outcome:
    """RFC 7489 6.6.3: more than one v=DMARC1 record: receivers apply no policy at all."""
    count = why.split()[0]
    return failed(
        f"{count} DMARC records at _dmarc.{owner}: receivers apply no DMARC policy",
        f"{why}. RFC 7489 6.6.3 ends policy discovery when more than one record starts "
        "with v=DMARC1, so mail from "
        f"{domain} is treated as if it had no DMARC record: none of them is enforced.",
        evidence=evidence,
        fix=Fix(
            f"Keep exactly one TXT record starting with v=DMARC1 at _dmarc.{owner}",
            ("Delete the others (merge what you meant into the one you keep).",),
        ),
        facts={"domain": domain, "record": None, "owner": owner},
    )


def _parts_fix(owner: str, record: dmarc.DmarcRecord, problems: list[str]) -> Fix:
    """Correct what receivers ignore, never by weakening the policy that applies."""
    keep = () if record.p == "none" else (
        f"Keep p={record.p}: publishing a weaker policy is not the fix.",)
    return Fix(
        f"Correct the tags of _dmarc.{owner} named above",
        (f"Current record: {record.raw}", *problems, *keep),
    )


def _invalid_fix(domain: str, owner: str, text: str) -> Fix:
    """Repair an invalid record without suggesting a weaker policy than the one it names."""
    published = dmarc.published_policy(text)
    raw_p = dmarc.read_tags(text)[0].get("p")
    if published is None and not raw_p:
        return _dmarc_fix(domain)
    keep = (
        f"Keep p={published}: correct only what is named above; a weaker policy is not "
        "the fix." if published else
        f"p={raw_p} is not a policy: write the one you meant (reject or quarantine to "
        "enforce; none only monitors)."
    )
    return Fix(
        f"Correct the DMARC record at _dmarc.{owner}",
        (f"Current record: {text}", keep),
    )


def _dmarc_fix(domain: str) -> Fix:
    value = f"v=DMARC1; p=none; rua=mailto:dmarc-reports@{domain}"
    return Fix(
        f"Publish a valid DMARC record at _dmarc.{domain}",
        (
            f'_dmarc.{domain}. TXT "{value}"',
            "Start with p=none, read the reports, then move to quarantine or reject.",
        ),
        action="copy_record",
        action_args={"name": f"_dmarc.{domain}", "type": "TXT", "value": value},
    )
