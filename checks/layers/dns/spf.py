"""SPF of the MAIL FROM domain: the record, and whether it authorises Amazon SES."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

from checks.context import Context
from checks.dnsauth import spf
from checks.layers.dns.common import (
    MAIL_FROM,
    SES_DEFAULT_MAIL_FROM,
    SES_SPF_INCLUDE,
    evidence_of,
    known_sending_ips,
    sender_domain,
    ses_mail_from,
)
from checks.model import Evidence, Fix, Layer, Outcome, Status, failed, passed, warned
from checks.net.dns import DnsAnswer, lookup
from checks.registry import CheckError, Deps, check


async def _spf_of(ctx: Context, domain: str) -> spf.SpfOutcome:
    """The SPF analysis of a domain, once per run."""
    return await ctx.memo(("spf", domain), lambda: spf.check_host(_lookup_fn(ctx), domain))


def _lookup_fn(ctx: Context) -> spf.Lookup:
    async def run(name: str, rdtype: str) -> DnsAnswer:
        answer = await lookup(ctx, name, rdtype)
        if rdtype == "TXT":
            _prefetch_includes(ctx, answer, run)
        return answer

    return run


#: at most this many include/redirect targets are fetched ahead per run (RFC 7208 allows 10)
_AHEAD_LIMIT = 20


def _prefetch_includes(ctx: Context, answer: DnsAnswer, run: spf.Lookup) -> None:
    """Start the TXT lookups of an SPF record's include:/redirect= targets at once.

    check_host() still evaluates and counts them one by one in RFC 7208 order; it then
    finds the answers in the run's cache instead of waiting a round trip for each.
    """
    seen: set[str] = ctx.shared("dns.spf.ahead", set)
    pending: set[asyncio.Task[DnsAnswer]] = ctx.shared("dns.spf.ahead_tasks", set)
    for target in _targets(answer):
        if target not in seen and len(seen) < _AHEAD_LIMIT:
            seen.add(target)
            task = asyncio.ensure_future(run(target, "TXT"))
            pending.add(task)
            task.add_done_callback(pending.discard)


def _targets(answer: DnsAnswer) -> list[str]:
    """Macro-free include:/redirect= domains of the SPF record in a TXT answer."""
    text, _ = spf.select(answer.records)
    try:
        record = spf.parse(text) if text else None
    except ValueError:  # the evaluation reports it
        return []
    if record is None:
        return []
    specs = [t.value for t in record.terms if t.name == "include" and t.value]
    specs += [record.redirect] if record.redirect else []
    return [s.rstrip(".").lower() for s in specs if "%" not in s]


async def _prefetch(ctx: Context) -> None:
    """With the run's start: the From domain's SPF (its includes are often the MAIL FROM's)."""
    if ctx.inputs.sender_domain:
        await _spf_of(ctx, ctx.inputs.sender_domain.rstrip("."))


def _spf_domain(ctx: Context, deps: Deps) -> tuple[str, str]:
    """Where the SPF that matters lives, and a sentence saying why."""
    custom, known = ses_mail_from(deps)
    sender = sender_domain(ctx, deps)
    status = str(deps.get(MAIL_FROM, "status") or "SUCCESS").upper()
    if custom and status != "SUCCESS":
        return custom, (
            f"SES reports the custom MAIL FROM domain {custom} as {status}: until it is "
            f"verified SES sends with {SES_DEFAULT_MAIL_FROM} (or rejects the mail, with "
            f"REJECT_MESSAGE); {custom}'s SPF is what counts once it is."
        )
    if custom:
        return custom, f"SES uses the custom MAIL FROM domain {custom} as the envelope sender."
    if known:
        return sender, (
            f"SES has no custom MAIL FROM: the envelope sender is a subdomain of "
            f"{SES_DEFAULT_MAIL_FROM}, whose SPF SES maintains; {sender}'s SPF is shown for mail "
            "sent other ways."
        )
    failed_read = deps.unsettled(MAIL_FROM)
    why = f"{failed_read} ended as error" if failed_read else "no SES data in this run"
    return sender, (
        f"The MAIL FROM domain is unknown ({why}), so the From domain "
        f"{sender} is evaluated; receivers check the MAIL FROM domain's SPF."
    )


@check(
    "dns.spf.record",
    Layer.DNS,
    "SPF record of the MAIL FROM domain",
    needs=(MAIL_FROM,),
    prefetch=_prefetch,
)
async def spf_record(ctx: Context, deps: Deps) -> Outcome:
    domain, where = _spf_domain(ctx, deps)
    out = await _spf_of(ctx, domain)
    txt = await lookup(ctx, domain, "TXT")
    evidence = (evidence_of(txt), Evidence(f"SPF lookup tree of {domain}", out.tree_text(), "dns"))
    facts = {"domain": domain, "record": out.record, "lookups": out.lookups, "voids": out.voids}
    if out.result is spf.SpfResult.TEMPERROR:
        raise CheckError(
            f"SPF of {domain} could not be evaluated: {out.reason}",
            explanation=where,
            evidence=evidence,
        )
    if out.result is spf.SpfResult.NONE:
        return failed(
            f"{domain} has no SPF record",
            f"{where} Without SPF, receivers cannot tell that SES may send for it.",
            evidence=evidence,
            fix=publish_spf(domain, None),
            facts=facts,
        )
    if out.result is spf.SpfResult.PERMERROR:
        summary = f"SPF of {domain} is broken: {out.reason}"
        return _broken(summary, domain, out, where, evidence, facts)
    if spf.passes_everyone(out.record):
        return _plus_all(domain, out, where, evidence, facts)
    return passed(
        f"One valid SPF record on {domain} ({out.lookups}/10 DNS lookups)",
        f"{where} The record parses and stays within RFC 7208's limits "
        f"({out.lookups} of 10 lookups, {out.voids} of 2 void lookups).",
        evidence=evidence,
        facts=facts,
    )


def _plus_all(
    domain: str,
    out: spf.SpfOutcome,
    where: str,
    evidence: tuple[Evidence, ...],
    facts: dict[str, Any],
) -> Outcome:
    """+all (RFC 7208 5.1): SPF passes for any host at all, so it proves nothing."""
    record = (out.record or "").replace("+all", "~all")
    record = " ".join("~all" if t.lower() == "all" else t for t in record.split())
    return warned(
        f"SPF of {domain} ends in +all: it authorises every host on the internet",
        f"{where} With +all any server may send as {domain} and still pass SPF, so SPF "
        "tells receivers nothing; RFC 7208 5.1 warns against it, and receivers may distrust "
        "the domain. Authorise your senders and end with ~all or -all.",
        evidence=evidence,
        fix=Fix(
            f"End the SPF record of {domain} with ~all (or -all) instead of +all",
            (f'{domain}. TXT "{record}"',),
            action="copy_record",
            action_args={"name": domain, "type": "TXT", "value": record},
        ),
        facts=facts,
    )


def _broken(
    summary: str,
    domain: str,
    out: spf.SpfOutcome,
    where: str,
    evidence: tuple[Evidence, ...],
    facts: dict[str, Any],
    explains: tuple[str, ...] = (),
) -> Outcome:
    """The failure for an SPF permerror (both SPF checks word it the same way)."""
    text = (
        f"{where} RFC 7208 makes this a permanent error: receivers treat SPF as failed for "
        f"every sender, SES included. Cause: {out.reason}. The tree shows what each term "
        "costs in DNS lookups."
    )
    fix = _spf_permerror_fix(domain, out)
    return failed(summary, text, evidence=evidence, fix=fix, facts=facts, explains=explains)


def _spf_permerror_fix(domain: str, out: spf.SpfOutcome) -> Fix:
    reason = out.reason
    steps: tuple[str, ...]
    if "SPF records" in reason:
        steps = ("Delete all but one TXT record starting with v=spf1, merging their terms.",)
    elif "lookups" in reason and "void" not in reason:
        steps = (
            "Remove includes of services you no longer use.",
            "Replace stable vendor includes by their ip4:/ip6: ranges (flattening).",
            "Move SES to its own custom MAIL FROM subdomain with its own SPF record.",
        )
    elif "loop" in reason:
        steps = ("Break the include loop: a record must not include itself, directly or not.",)
    else:
        steps = ("Correct or remove the term named above; check each include target exists.",)
    return Fix(f"Make the SPF record of {domain} valid again", steps)


def publish_spf(domain: str, current: str | None) -> Fix:
    record = _with_ses_include(current)
    return Fix(
        f"Publish this TXT record on {domain}: {record}",
        (f'{domain}. TXT "{record}"', "Keep exactly one v=spf1 record on the name."),
        action="copy_record",
        action_args={"name": domain, "type": "TXT", "value": record},
    )


def _with_ses_include(current: str | None) -> str:
    if not current:
        return f"v=spf1 include:{SES_SPF_INCLUDE} ~all"
    terms = current.split()
    tail = [t for t in terms[1:] if t.lstrip("+-~?").lower() == "all" or t.startswith("redirect=")]
    body = [t for t in terms[1:] if t not in tail]
    return " ".join(["v=spf1", *body, f"include:{SES_SPF_INCLUDE}", *tail])


@check("dns.spf.authorises_ses", Layer.DNS, "SPF authorises Amazon SES", needs=(MAIL_FROM,))
async def spf_authorises_ses(ctx: Context, deps: Deps) -> Outcome:
    outcome = await _ses_authorisation(ctx, deps)
    domain = outcome.facts.get("domain")
    ips = known_sending_ips(ctx)
    if not ips or not domain:
        return outcome
    checked = await asyncio.gather(*(_spf_for_ip(ctx, str(domain), ip) for ip in ips))
    return _with_ip_results(outcome, str(domain), list(zip(ips, checked, strict=True)))


async def _spf_for_ip(ctx: Context, domain: str, ip: str) -> spf.SpfOutcome:
    """RFC 7208 check_host() for one client IP, once per run."""
    return await ctx.memo(
        ("spf", domain, ip),
        lambda: spf.check_host(_lookup_fn(ctx), domain, ip=ip, sender=f"postmaster@{domain}"),
    )


_NOT_PASSING = frozenset(
    {spf.SpfResult.FAIL, spf.SpfResult.SOFTFAIL, spf.SpfResult.PERMERROR, spf.SpfResult.NONE}
)


def _with_ip_results(
    outcome: Outcome, domain: str, checked: list[tuple[str, spf.SpfOutcome]]
) -> Outcome:
    """Add check_host() for the known sending IPs; a non-passing IP makes a pass a warning."""
    lines = [f"check_host({ip}, {domain}) = {o.result.value}: {o.reason}" for ip, o in checked]
    evidence = Evidence("SPF for the sending IP(s) known", "\n".join(lines), "dns")
    facts = {**outcome.facts, "ip_results": {ip: o.result.value for ip, o in checked}}
    bad = [(ip, o) for ip, o in checked if o.result in _NOT_PASSING]
    note = "\n".join(["Sending IP(s) given or named in the bounce, as receivers judge them:",
                      *lines])
    if outcome.status is Status.PASS and bad:
        ip, worst = bad[0]
        return warned(
            f"SPF of {domain} authorises SES, but the sending IP {ip} gets "
            f"SPF {worst.result.value}",
            "The IP the receiver names is outside what the record authorises: that message "
            "left through another server or service using the same envelope domain, or the "
            f"record changed since.\n{note}",
            evidence=(*outcome.evidence, evidence),
            facts=facts,
        )
    summary = outcome.summary + "; " + ", ".join(f"{ip}: {o.result.value}" for ip, o in checked)
    explanation = f"{outcome.explanation}\n{note}".strip()
    evidence_all = (*outcome.evidence, evidence)
    return replace(
        outcome, summary=summary, explanation=explanation, evidence=evidence_all, facts=facts
    )


async def _ses_authorisation(ctx: Context, deps: Deps) -> Outcome:
    """Whether the SPF that SES's mail is judged by includes SES (without a client IP)."""
    custom, known = ses_mail_from(deps)
    if known and not custom:
        return passed(
            "SES's own MAIL FROM domain is authorised by SES",
            f"Without a custom MAIL FROM, SES sends with an envelope sender under "
            f"{SES_DEFAULT_MAIL_FROM}, whose SPF includes SES's addresses. SPF passes, "
            "but it cannot align with your From domain (see dns.dmarc.alignment).",
            facts={"domain": SES_DEFAULT_MAIL_FROM},
        )
    domain, where = _spf_domain(ctx, deps)
    out = await _spf_of(ctx, domain)
    evidence = (Evidence(f"SPF lookup tree of {domain}", out.tree_text(), "dns"),)
    if out.result is spf.SpfResult.TEMPERROR:
        raise CheckError(f"SPF of {domain} could not be evaluated: {out.reason}", evidence=evidence)
    if out.result is spf.SpfResult.PERMERROR:
        summary = f"SPF of {domain} is broken, so it authorises nobody ({out.reason})"
        facts = {"domain": domain}
        return _broken(summary, domain, out, where, evidence, facts, ("dns.spf.record",))
    if SES_SPF_INCLUDE not in out.includes:
        return failed(
            f"SPF of {domain} does not authorise Amazon SES",
            f"{where} Its SPF "
            f"never reaches include:{SES_SPF_INCLUDE}, so receivers get SPF "
            f"{_tail_result(out)} for mail SES sends.",
            evidence=evidence,
            fix=publish_spf(domain, out.record),
            explains=("dns.spf.record",),
            facts={"domain": domain},
        )
    return passed(
        f"SPF of {domain} authorises Amazon SES (include:{SES_SPF_INCLUDE})",
        where,
        evidence=evidence,
        facts={"domain": domain},
    )


def _tail_result(out: spf.SpfOutcome) -> str:
    return out.result.value if out.result is not spf.SpfResult.NEUTRAL else "neutral"
