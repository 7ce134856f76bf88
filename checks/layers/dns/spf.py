"""SPF of the MAIL FROM domain: the record, and whether it authorises Amazon SES."""

from __future__ import annotations

import asyncio
import ipaddress
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
    parsed = spf.parse(out.record) if out.record else None
    if parsed is not None and spf.dead_terms(parsed):
        return _dead_terms(domain, parsed, out, where, evidence, facts)
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


def _dead_terms(
    domain: str,
    record: spf.SpfRecord,
    out: spf.SpfOutcome,
    where: str,
    evidence: tuple[Evidence, ...],
    facts: dict[str, Any],
) -> Outcome:
    """Mechanisms after all: valid, but receivers never test them (RFC 7208 5.1)."""
    dead = spf.dead_terms(record)
    at_all = next(t for t in record.terms if t.name == "all")
    names = " ".join(t.raw for t in dead)
    cleaned = _without_dead_terms(record.raw)
    return warned(
        f"SPF of {domain} has terms after {at_all.raw} that receivers never evaluate: {names}",
        f"{where} Evaluation stops at the first match and {at_all.raw} matches every address, "
        f"so RFC 7208 5.1 never tests what follows it: whatever {names} was meant to "
        f"authorise is not authorised. The rest of the record is valid ({out.lookups} of 10 "
        f"DNS lookups, {out.voids} of 2 void lookups, counted up to {at_all.raw} as "
        "receivers count them).",
        evidence=evidence,
        fix=Fix(
            f"Move the terms you need before {at_all.raw}; delete the others",
            (f'{domain}. TXT "{cleaned}"  (the same result for every sender, without them)',
             f"If one of them names a sender you use, move it before {at_all.raw} instead "
             "(an include's target must then have an SPF record, or the whole record is a "
             "permerror)."),
            action="copy_record",
            action_args={"name": domain, "type": "TXT", "value": cleaned},
        ),
        facts={**facts, "dead_terms": [t.raw for t in dead]},
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
    whom = "every sender, SES included" if not out.tree.children else (
        "every sender no earlier term matches (dns.spf.authorises_ses says whether SES's "
        "addresses reach it)")
    text = (
        f"{where} RFC 7208 makes this a permanent error: receivers treat SPF as failed for "
        f"{whom}. Cause: {out.reason}. The tree shows what each term costs in DNS lookups."
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


def _with_ses_include(current: str | None, blocker: str | None = None) -> str:
    """The record with one plain include:amazonses.com where evaluation reaches it first:
    before `blocker` (the term that stopped SES's addresses), else before all (or
    redirect=); other include:amazonses.com terms and the never-tested terms after all
    are left out."""
    if not current:
        return f"v=spf1 include:{SES_SPF_INCLUDE} ~all"
    terms = _without_dead_terms(current).split()[1:]
    ses = f"include:{SES_SPF_INCLUDE}"
    kept = [t for t in terms if t.lstrip("+-~?").lower() != ses or t == blocker]
    stop = next((n for n, t in enumerate(kept) if t == blocker), None)
    if stop is not None and kept[stop].lstrip("+-~?").lower() == ses:
        kept[stop] = ses
        return " ".join(["v=spf1", *kept])
    if stop is None:
        stop = next((n for n, t in enumerate(kept)
                     if _mechanism(t) == "all" or t.lower().startswith("redirect=")), len(kept))
    return " ".join(["v=spf1", *kept[:stop], ses, *kept[stop:]])


def _without_dead_terms(record: str) -> str:
    """The record without the mechanisms after its first all (RFC 7208 5.1: never tested);
    modifiers stay where they are."""
    terms = record.split()
    at_all = next((n for n, t in enumerate(terms) if n and _mechanism(t) == "all"), None)
    if at_all is None:
        return record
    return " ".join(terms[: at_all + 1] + [t for t in terms[at_all + 1 :] if spf.is_modifier(t)])


def _mechanism(term: str) -> str:
    return term.lstrip("+-~?").split(":", 1)[0].split("/", 1)[0].lower()


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
    """Whether the SPF that SES's mail is judged by passes SES's sending addresses: RFC 7208
    check_host() for addresses of each SES range, left to right as a receiver evaluates."""
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
    tree = Evidence(f"SPF lookup tree of {domain}", out.tree_text(), "dns")
    if out.result is spf.SpfResult.TEMPERROR:
        raise CheckError(f"SPF of {domain} could not be evaluated: {out.reason}", evidence=(tree,))
    facts: dict[str, Any] = {"domain": domain}
    if out.result is spf.SpfResult.PERMERROR and not out.tree.children:
        summary = f"SPF of {domain} is broken, so it authorises nobody ({out.reason})"
        return _broken(summary, domain, out, where, (tree,), facts, ("dns.spf.record",))
    ranges, source = await _ses_ranges(ctx)
    samples = [(net, ip) for net in ranges for ip in spf.sample_addresses(net)]
    judged = await asyncio.gather(*(_spf_for_ip(ctx, domain, str(ip)) for _, ip in samples))
    checked = [(net, str(ip), o) for (net, ip), o in zip(samples, judged, strict=True)]
    lines = [f"check_host({ip}, {domain}) = {o.result.value}: {o.reason}"
             for _, ip, o in checked]
    evidence = (tree, Evidence(f"SPF of {domain} for SES's sending ranges ({source})",
                               "\n".join(lines), "dns"))
    temp = next((o for _, _, o in checked if o.result is spf.SpfResult.TEMPERROR), None)
    if temp is not None:
        raise CheckError(f"SPF of {domain} could not be evaluated for SES's addresses: "
                         f"{temp.reason}", explanation=where, evidence=evidence)
    perm = next((o for _, _, o in checked if o.result is spf.SpfResult.PERMERROR), None)
    if perm is not None:
        return _broken_for_ses(domain, perm, where, evidence, facts)
    bad = [(net, ip, o) for net, ip, o in checked if o.result is not spf.SpfResult.PASS]
    if bad:
        return _not_authorised(domain, out, where, evidence, facts, checked, bad)
    matched = ", ".join(dict.fromkeys(o.matched or "?" for _, _, o in checked))
    later = ""
    if out.result is spf.SpfResult.PERMERROR:
        later = (f" For other senders the record is broken ({out.reason}; see dns.spf.record), "
                 f"but receivers stop at {matched} for SES's addresses and never reach it.")
    return passed(
        f"SPF of {domain} authorises Amazon SES ({matched})",
        f"{where} Evaluated left to right as receivers do, addresses of each of SES's "
        f"{len(ranges)} sending ranges match {matched} and get SPF pass.{later}",
        evidence=evidence,
        facts=facts,
    )


#: SES's sending ranges as amazonses.com's SPF record publishes them; used only when that
#: record cannot be read in this run
SES_SENDING_RANGES = (
    "199.255.192.0/22", "199.127.232.0/22", "54.240.0.0/18", "69.169.224.0/20",
    "23.249.208.0/20", "23.251.224.0/19", "76.223.176.0/20", "54.240.64.0/19",
    "54.240.96.0/19", "52.82.172.0/22",
)


async def _ses_ranges(ctx: Context) -> tuple[list[spf.Network], str]:
    """SES's sending networks from the SPF of amazonses.com, once per run; the built-in list
    (and why) when that record cannot be read."""
    async def read() -> tuple[list[spf.Network], str]:
        found, why = await spf.authorised_networks(_lookup_fn(ctx), SES_SPF_INCLUDE)
        if found:
            return found, f"from the SPF of {SES_SPF_INCLUDE}"
        builtin: list[spf.Network] = [ipaddress.ip_network(n) for n in SES_SENDING_RANGES]
        return builtin, f"SES's published ranges built into mailpath: {why}"

    return await ctx.memo(("spf", "ses-ranges"), read)


def _broken_for_ses(domain: str, perm: spf.SpfOutcome, where: str,
                    evidence: tuple[Evidence, ...], facts: dict[str, Any]) -> Outcome:
    """Receivers reach a permanent error before anything authorises SES's addresses."""
    text = (
        f"{where} Evaluating the record left to right for SES's addresses, receivers reach an "
        f"error before any term matches: {perm.reason}. RFC 7208 makes that a permerror, "
        "which DMARC counts as an SPF failure, for SES's mail (and for any sender not "
        "matched before it)."
    )
    return failed(
        f"SPF of {domain} is broken before it authorises SES: SES's mail gets permerror "
        f"({perm.reason})",
        text,
        evidence=evidence,
        fix=_spf_permerror_fix(domain, perm),
        facts=facts,
        explains=("dns.spf.record",),
    )


def _not_authorised(
    domain: str,
    out: spf.SpfOutcome,
    where: str,
    evidence: tuple[Evidence, ...],
    facts: dict[str, Any],
    checked: list[tuple[spf.Network, str, spf.SpfOutcome]],
    bad: list[tuple[spf.Network, str, spf.SpfOutcome]],
) -> Outcome:
    """Some or all of SES's addresses do not get pass: say what they get, and why."""
    record = spf.parse(out.record) if out.record else None
    worst = bad[0][2]
    why, blocker = _why_not(record, worst)
    gets = f"SPF {worst.result.value}"
    if len(bad) < len(checked):
        nets = ", ".join(dict.fromkeys(str(net) for net, _, _ in bad))
        summary = (f"SPF of {domain} authorises only part of Amazon SES: addresses in {nets} "
                   f"get {gets}")
    else:
        summary = f"SPF of {domain} does not authorise Amazon SES: its mail gets {gets}"
    whom = "mail SES sends from those addresses" if len(bad) < len(checked) else (
        "mail SES sends")
    return failed(
        summary,
        f"{where} {why} Receivers give {whom} {gets}"
        + (f" (from {blocker})." if blocker and _mechanism(blocker) == "all" else "."),
        evidence=evidence,
        fix=_authorise_ses_fix(domain, out.record, blocker),
        explains=("dns.spf.record",),
        facts={**facts, "ses_result": worst.result.value},
    )


def _why_not(record: spf.SpfRecord | None, worst: spf.SpfOutcome) -> tuple[str, str | None]:
    """Why SES's address gets worst.result, and the term that stopped the evaluation."""
    include = f"include:{SES_SPF_INCLUDE}"
    terms = record.terms if record is not None else ()
    ses_at = next((n for n, t in enumerate(terms)
                   if t.name == "include" and (t.value or "").lower() == SES_SPF_INCLUDE), None)
    hit = next((n for n, t in enumerate(terms) if t.raw == worst.matched), None)
    if hit is not None and hit == ses_at:
        term = terms[hit]
        return (f"{term.raw} matches SES's addresses, but its '{term.qualifier}' qualifier "
                f"turns the match into {term.result.value} (RFC 7208 4.6.2): only {include} "
                "(or +include:…) authorises them.", term.raw)
    if hit is not None:
        term = terms[hit]
        if term.name == "all":
            after = (f" {include} comes after it, and RFC 7208 5.1 says terms after all are "
                     "never tested." if ses_at is not None and ses_at > hit else
                     f" The record has no {include} before it.")
            return (f"Evaluation stops at the first match, and {term.raw} matches every "
                    f"address.{after}", term.raw)
        return (f"{term.raw} matches SES's addresses first (evaluation stops at the first "
                f"match) and gives {term.result.value}"
                + (f", so {include} after it is never reached." if ses_at is not None
                   and ses_at > hit else "."), term.raw)
    if record is not None and record.redirect and not any(t.name == "all" for t in terms):
        return (f"No term matches SES's addresses, so receivers follow "
                f"redirect={record.redirect}, whose record does not authorise them "
                f"({worst.reason}).", None)
    return ("No term matches SES's addresses and the record has neither all nor redirect=, "
            "so RFC 7208 4.7 gives the default, neutral.", None)


def _authorise_ses_fix(domain: str, current: str | None, blocker: str | None) -> Fix:
    record = _with_ses_include(current, blocker)
    return Fix(
        f"Publish this TXT record on {domain}: {record}",
        (f'{domain}. TXT "{record}"',
         f"include:{SES_SPF_INCLUDE} must come before all and before any term that matches "
         "SES's addresses, without a - ~ or ? qualifier.",
         "Keep exactly one v=spf1 record on the name."),
        action="copy_record",
        action_args={"name": domain, "type": "TXT", "value": record},
    )
