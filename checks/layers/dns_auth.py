"""Checks of the DNS layer: SPF, DKIM, DMARC and alignment, MAIL FROM, MTA-STS, TLS-RPT,
propagation and blocklists. SES facts are used when present (`deps.get`), so the layer
also runs alone with no AWS access.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from checks.context import Context
from checks.dnsauth import dkim, dmarc, dnsbl, mta_sts, spf
from checks.dnsauth.alignment import predict
from checks.dnsauth.orgdomain import org_domain
from checks.dnsauth.sending_ips import sending_ips
from checks.model import Evidence, Fix, Layer, Outcome, Status, failed, passed, skipped, warned
from checks.net import https
from checks.net.dns import DnsAnswer, lookup, lookup_direct
from checks.registry import CheckError, Deps, check

SES_SPF_INCLUDE = "amazonses.com"
SES_DEFAULT_MAIL_FROM = "amazonses.com"
MAIL_FROM = "ses.identity.mail_from"
DKIM = "ses.identity.dkim"
DOMAIN = "ses.identity.domain"


# -- shared helpers -------------------------------------------------------------


def _sender_domain(ctx: Context, deps: Deps) -> str:
    domain = deps.get(DOMAIN, "identity") or ctx.inputs.sender_domain
    if not domain or "@" in domain:
        domain = ctx.inputs.sender_domain
    if not domain:
        raise _NoInput("no sender address given (use --from ADDRESS)")
    return str(domain).lower().rstrip(".")


class _NoInput(CheckError):
    """An input the check needs is missing: ends as an error with the reason."""


def _ev(answer: DnsAnswer) -> Evidence:
    return Evidence(f"{answer.rdtype} {answer.name}", answer.evidence(), "dns")


def _unusable(answer: DnsAnswer) -> bool:
    return not answer.ok and not answer.status.is_negative


def _dns_error(answer: DnsAnswer, what: str) -> CheckError:
    return CheckError(
        f"Could not read {what}: {answer.plain()}",
        explanation="The DNS server did not give a usable answer, so this could not be checked. "
        "Try again, or ask another resolver (--nameserver).",
        evidence=(_ev(answer),),
    )


async def _spf_of(ctx: Context, domain: str) -> spf.SpfOutcome:
    """The SPF analysis of a domain, once per run."""
    return await ctx.memo(("spf", domain), lambda: spf.check_host(_lookup_fn(ctx), domain))


def _lookup_fn(ctx: Context) -> spf.Lookup:
    async def run(name: str, rdtype: str) -> DnsAnswer:
        return await lookup(ctx, name, rdtype)

    return run


def _mail_from(deps: Deps) -> tuple[str | None, bool]:
    """(custom MAIL FROM domain or None, whether SES facts are known at all)."""
    known = deps.result(MAIL_FROM) is not None and "mail_from_domain" in (
        deps.result(MAIL_FROM).facts  # type: ignore[union-attr]
    )
    return deps.get(MAIL_FROM, "mail_from_domain"), known


def _spf_domain(ctx: Context, deps: Deps) -> tuple[str, str]:
    """Where the SPF that matters lives, and a sentence saying why."""
    custom, known = _mail_from(deps)
    sender = _sender_domain(ctx, deps)
    if custom:
        return custom, f"SES uses the custom MAIL FROM domain {custom} as the envelope sender."
    if known:
        return sender, (
            f"SES has no custom MAIL FROM: the envelope sender is a subdomain of "
            f"{SES_DEFAULT_MAIL_FROM}, whose SPF SES maintains; {sender}'s SPF is shown for mail "
            "sent other ways."
        )
    return sender, (
        "The MAIL FROM domain is unknown (no SES data in this run), so the From domain "
        f"{sender} is evaluated; receivers check the MAIL FROM domain's SPF."
    )


# -- SPF --------------------------------------------------------------------------


@check("dns.spf.record", Layer.DNS, "SPF record of the MAIL FROM domain", needs=(MAIL_FROM,))
async def spf_record(ctx: Context, deps: Deps) -> Outcome:
    domain, where = _spf_domain(ctx, deps)
    out = await _spf_of(ctx, domain)
    txt = await lookup(ctx, domain, "TXT")
    evidence = (_ev(txt), Evidence(f"SPF lookup tree of {domain}", out.tree_text(), "dns"))
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
            fix=_publish_spf(domain, None),
            facts=facts,
        )
    if out.result is spf.SpfResult.PERMERROR:
        return failed(
            f"SPF of {domain} is broken: {out.reason}",
            _permerror_text(out, where),
            evidence=evidence,
            fix=_spf_permerror_fix(domain, out),
            facts=facts,
        )
    return passed(
        f"One valid SPF record on {domain} ({out.lookups}/10 DNS lookups)",
        f"{where} The record parses and stays within RFC 7208's limits "
        f"({out.lookups} of 10 lookups, {out.voids} of 2 void lookups).",
        evidence=evidence,
        facts=facts,
    )


def _permerror_text(out: spf.SpfOutcome, where: str) -> str:
    return (
        f"{where} RFC 7208 makes this a permanent error: receivers treat SPF as failed for "
        f"every sender, SES included. Cause: {out.reason}. The tree shows what each term "
        "costs in DNS lookups."
    )


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


def _publish_spf(domain: str, current: str | None) -> Fix:
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
    ips = sending_ips(ctx.inputs.bounce)
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
    """Add check_host() for the bounce's sending IPs; a non-passing IP makes a pass a warning."""
    lines = [f"check_host({ip}, {domain}) = {o.result.value}: {o.reason}" for ip, o in checked]
    evidence = Evidence("SPF for the sending IP(s) in the bounce", "\n".join(lines), "dns")
    facts = {**outcome.facts, "ip_results": {ip: o.result.value for ip, o in checked}}
    bad = [(ip, o) for ip, o in checked if o.result in _NOT_PASSING]
    note = "\n".join(["Sending IP(s) named in the bounce, as receivers judged them:", *lines])
    if outcome.status is Status.PASS and bad:
        ip, worst = bad[0]
        return warned(
            f"SPF of {domain} authorises SES, but the bounce's sending IP {ip} gets "
            f"SPF {worst.result.value}",
            "The IP the receiver names is outside what the record authorises: that message "
            "left through another server or service using the same envelope domain, or the "
            f"record changed since.\n{note}",
            evidence=(*outcome.evidence, evidence),
            facts=facts,
        )
    summary = outcome.summary + "; " + ", ".join(f"{ip}: {o.result.value}" for ip, o in checked)
    return Outcome(
        outcome.status, summary, f"{outcome.explanation}\n{note}".strip(),
        (*outcome.evidence, evidence), outcome.fix, facts, outcome.explains,
    )


async def _ses_authorisation(ctx: Context, deps: Deps) -> Outcome:
    """Whether the SPF that SES's mail is judged by includes SES (without a client IP)."""
    custom, known = _mail_from(deps)
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
        return failed(
            f"SPF of {domain} is broken, so it authorises nobody ({out.reason})",
            _permerror_text(out, where),
            evidence=evidence,
            fix=_spf_permerror_fix(domain, out),
            explains=("dns.spf.record",),
            facts={"domain": domain},
        )
    if SES_SPF_INCLUDE not in out.includes:
        return failed(
            f"SPF of {domain} does not authorise Amazon SES",
            f"{where} Its SPF "
            f"never reaches include:{SES_SPF_INCLUDE}, so receivers get SPF "
            f"{_tail_result(out)} for mail SES sends.",
            evidence=evidence,
            fix=_publish_spf(domain, out.record),
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


# -- DKIM ---------------------------------------------------------------------------


@check("dns.dkim.cnames", Layer.DNS, "Easy DKIM CNAMEs point to SES", needs=(DKIM, DOMAIN))
async def dkim_cnames(ctx: Context, deps: Deps) -> Outcome:
    tokens = list(deps.get(DKIM, "tokens") or [])
    if not tokens:
        return skipped(
            "No SES DKIM tokens to check",
            "The DKIM tokens come from SES (ses.identity.dkim); without SES access "
            "mailpath does not guess selectors.",
        )
    domain = _sender_domain(ctx, deps)
    region = deps.get(DOMAIN, "region") or ctx.endpoints.aws_region
    results = await asyncio.gather(*(_one_token(ctx, t, domain, region) for t in tokens))
    problems = [p for p, _ in results if p]
    evidence = tuple(e for _, evs in results for e in evs)
    if problems:
        return failed(
            f"{len(problems)} of {len(tokens)} DKIM CNAMEs wrong: {problems[0]}",
            "SES signs with the key behind each token's CNAME; a missing or wrong "
            "CNAME makes DKIM fail for mail signed with that token.\n" + "\n".join(problems),
            evidence=evidence,
            fix=_dkim_fix(tokens, domain),
            facts={"domain": domain},
        )
    return passed(
        f"All {len(tokens)} DKIM CNAMEs of {domain} point to SES",
        "Each <token>._domainkey CNAME resolves to <token>.dkim.amazonses.com.",
        evidence=evidence,
        facts={"domain": domain},
    )


def _dkim_targets(token: str, region: str) -> set[str]:
    return {f"{token}.dkim.amazonses.com", f"{token}.dkim.{region}.amazonses.com"}


async def _one_token(
    ctx: Context, token: str, domain: str, region: str
) -> tuple[str, tuple[Evidence, ...]]:
    """('' or the problem, evidence) for one token."""
    name = f"{token}._domainkey.{domain}"
    answer = await lookup(ctx, name, "CNAME")
    if answer.ok:
        target = answer.records[0].rstrip(".").lower()
        if target in _dkim_targets(token, region):
            return "", (_ev(answer),)
        return f"{name} points to {target}, not {token}.dkim.amazonses.com", (_ev(answer),)
    if _unusable(answer):
        return f"{name}: {answer.plain()}", (_ev(answer),)
    return await _diagnose_missing(ctx, name, domain, answer)


async def _diagnose_missing(
    ctx: Context, name: str, domain: str, answer: DnsAnswer
) -> tuple[str, tuple[Evidence, ...]]:
    doubled = await lookup(ctx, f"{name}.{domain}", "CNAME")
    if doubled.ok:
        return (
            f"the CNAME exists as {name}.{domain}: the DNS provider appended the domain "
            "twice (enter only the part before your domain)",
            (_ev(answer), _ev(doubled)),
        )
    txt = await lookup(ctx, name, "TXT")
    if txt.ok:
        return f"{name} has a TXT record where the CNAME belongs", (_ev(answer), _ev(txt))
    return f"{name} has no CNAME ({answer.plain()})", (_ev(answer),)


def _dkim_fix(tokens: Sequence[str], domain: str) -> Fix:
    lines = tuple(f"{t}._domainkey.{domain}. CNAME {t}.dkim.amazonses.com." for t in tokens)
    return Fix(
        f"Publish the {len(tokens)} Easy DKIM CNAME records of {domain}",
        (
            *lines,
            "Some DNS providers add the domain themselves: then enter only "
            "'<token>._domainkey' as the name.",
        ),
        action="copy_record",
        action_args={"records": "\n".join(lines)},
    )


@dataclass(frozen=True)
class _KeyFinding:
    """What one user-given selector's key record says: a level, a line, its evidence."""

    level: str  # fail | warn | error | pass
    line: str
    evidence: tuple[Evidence, ...] = ()
    key: str = ""


_LEVELS = ("fail", "warn", "error", "pass")


@check("dns.dkim.selectors", Layer.DNS, "DKIM key records of the selectors given", needs=(DOMAIN,))
async def dkim_selectors(ctx: Context, deps: Deps) -> Outcome:
    selectors = list(dict.fromkeys(s.lower().strip(".") for s in ctx.inputs.dkim_selectors))
    if not selectors:
        return skipped(
            "No DKIM selector given",
            "Name a selector of your own key (SES BYODKIM, or another signer) with "
            "--dkim-selector SEL; SES Easy DKIM tokens are checked by dns.dkim.cnames.",
        )
    domain = _sender_domain(ctx, deps)
    found = await asyncio.gather(*(_selector_key(ctx, s, domain) for s in selectors))
    worst = min(found, key=lambda f: _LEVELS.index(f.level))
    evidence = tuple(e for f in found for e in f.evidence)
    if worst.level == "error":
        raise CheckError(f"Could not read a DKIM key: {worst.line}", evidence=evidence)
    make = {"fail": failed, "warn": warned, "pass": passed}[worst.level]
    return make(
        worst.line if len(found) == 1 else f"{len(found)} selectors; {worst.line}",
        _SELECTOR_TEXT + "\n" + "\n".join(f.line for f in found),
        evidence=evidence,
        fix=_selector_fix(domain, selectors) if worst.level == "fail" else None,
        facts={"domain": domain, "keys": {s: f.key for s, f in zip(selectors, found, strict=True)}},
    )


_SELECTOR_TEXT = (
    "A DKIM signature names its selector (s=) and domain (d=); receivers fetch the key "
    "from <selector>._domainkey.<domain>, published as TXT (SES BYODKIM, your own key) or "
    "as a CNAME to the signer's own record (Easy DKIM, Microsoft 365 and others)."
)


async def _selector_key(ctx: Context, selector: str, domain: str) -> _KeyFinding:
    name = f"{selector}._domainkey.{domain}"
    if not dkim.valid_selector(selector):
        return _KeyFinding("fail", f"{selector!r} is not a selector (DNS labels only)")
    answer = await lookup(ctx, name, "TXT")
    evidence = (_ev(answer),)
    if _unusable(answer):
        return _KeyFinding("error", f"{name}: {answer.plain()}", evidence)
    via = f"CNAME to {answer.chain[-1].split(' -> ')[-1].rstrip('.')}" if answer.chain else "TXT"
    keys = [r for r in answer.records if dkim.is_key_record(r)]
    if not keys:
        what = "only TXT text that is not a DKIM key" if answer.ok else answer.plain()
        return _KeyFinding("fail", f"{name}: no DKIM key record ({what})", evidence)
    try:
        key = dkim.parse_key(keys[0])
    except dkim.DkimKeyError as exc:
        return _KeyFinding("fail", f"{name} ({via}): invalid key record: {exc}", evidence)
    faults, warnings = dkim.problems(key)
    if len(keys) > 1:
        warnings.append(f"{len(keys)} key records: receivers may pick either one")
    level = "fail" if faults else "warn" if warnings else "pass"
    notes = "; ".join([*faults, *warnings])
    line = f"{name} ({via}): {key.describe()}" + (f": {notes}" if notes else "")
    return _KeyFinding(level, line, evidence, key.describe())


def _selector_fix(domain: str, selectors: Sequence[str]) -> Fix:
    return Fix(
        "Publish the key record your DKIM signer gives you for each selector",
        (
            *(f'{s}._domainkey.{domain}. TXT "v=DKIM1; k=rsa; p=<public key>"' for s in selectors),
            "Or the CNAME your signer names, if it hosts the key; never both on one name.",
            "Use an RSA key of 2048 bits (or ed25519 beside it); an empty p= revokes the key.",
        ),
    )


# -- DMARC --------------------------------------------------------------------------


async def _dmarc_lookup(ctx: Context, domain: str) -> tuple[str, DnsAnswer, list[DnsAnswer]]:
    """(domain whose record applies, its answer, all answers asked) with org fallback."""
    answer = await lookup(ctx, f"_dmarc.{domain}", "TXT")
    org = org_domain(domain)
    if answer.status.is_negative and org != domain:
        fallback = await lookup(ctx, f"_dmarc.{org}", "TXT")
        return org, fallback, [answer, fallback]
    return domain, answer, [answer]


@check("dns.dmarc.record", Layer.DNS, "DMARC record of the From domain", needs=(DOMAIN,))
async def dmarc_record(ctx: Context, deps: Deps) -> Outcome:
    domain = ctx.inputs.sender_domain or _sender_domain(ctx, deps)
    owner, answer, asked = await _dmarc_lookup(ctx, domain)
    evidence = tuple(_ev(a) for a in asked)
    if _unusable(answer):
        raise _dns_error(answer, f"the DMARC record of {domain}")
    text, why = dmarc.select(answer.records)
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
            "Receivers ignore a DMARC record they cannot parse, as if there were none.",
            evidence=evidence,
            fix=_dmarc_fix(domain),
            facts={"domain": domain, "record": None},
        )
    return await _dmarc_ok(ctx, domain, owner, record, evidence)


async def _dmarc_ok(
    ctx: Context, domain: str, owner: str, record: dmarc.DmarcRecord, evidence: tuple[Evidence, ...]
) -> Outcome:
    unauthorised, more = await _external_reports(ctx, owner, record)
    facts = {
        "domain": domain,
        "record": record.raw,
        "p": record.p,
        "sp": record.sp,
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
    if [w for w in warnings if not w.startswith("p=none") and not w.startswith("no rua")]:
        return warned(
            f"DMARC record of {domain}{where}: {warnings[0]}",
            text + "\n" + "\n".join(warnings),
            evidence=evidence + more,
            facts=facts,
        )
    return passed(
        f"DMARC record of {domain}{where}: p={record.p}",
        text + ("\n" + "\n".join(warnings) if warnings else ""),
        evidence=evidence + more,
        facts=facts,
    )


async def _external_reports(
    ctx: Context, owner: str, record: dmarc.DmarcRecord
) -> tuple[list[str], tuple[Evidence, ...]]:
    """RFC 7489 7.1: report domains outside the org must publish an authorisation."""
    hosts = {u.domain for u in (*record.rua, *record.ruf) if u.domain}
    outside = sorted(h for h in hosts if org_domain(h) != org_domain(owner))
    answers = await asyncio.gather(
        *(lookup(ctx, dmarc.report_auth_name(owner, h), "TXT") for h in outside)
    )
    missing = [
        h
        for h, a in zip(outside, answers, strict=True)
        if not any(dmarc.is_dmarc(r) for r in a.records)
    ]
    return missing, tuple(_ev(a) for a in answers)


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


@check(
    "dns.dmarc.alignment",
    Layer.DNS,
    "DMARC alignment for the SES path",
    needs=(MAIL_FROM, DKIM, DOMAIN, "dns.dmarc.record", "dns.mail_from.mx"),
)
async def dmarc_alignment(ctx: Context, deps: Deps) -> Outcome:
    from_domain = ctx.inputs.sender_domain or _sender_domain(ctx, deps)
    custom, known = _mail_from(deps)
    if not known:
        return skipped(
            "Alignment needs SES's MAIL FROM and DKIM settings",
            "Run with the SES layer so mailpath knows the MAIL FROM domain and the "
            "DKIM signing domain SES uses.",
        )
    mail_from, fallback_note = _effective_mail_from(deps, custom)
    dkim_domains = _dkim_domains(deps, from_domain)
    adkim = deps.get("dns.dmarc.record", "adkim", "r")
    aspf = deps.get("dns.dmarc.record", "aspf", "r")
    pred = predict(from_domain, mail_from, dkim_domains, adkim=adkim, aspf=aspf)
    return _alignment_outcome(deps, pred, fallback_note)


def _effective_mail_from(deps: Deps, custom: str | None) -> tuple[str, str]:
    """The MAIL FROM SES really uses; a failing MX may send it back to amazonses.com."""
    if not custom:
        return SES_DEFAULT_MAIL_FROM, "SES uses its own MAIL FROM domain (amazonses.com)."
    mx_status = deps.status("dns.mail_from.mx")
    behaviour = deps.get(MAIL_FROM, "behavior_on_mx_failure", "USE_DEFAULT_VALUE")
    if mx_status is not None and mx_status.value == "fail" and behaviour == "USE_DEFAULT_VALUE":
        return SES_DEFAULT_MAIL_FROM, (
            f"The MX of {custom} fails, so SES falls back to "
            "amazonses.com as MAIL FROM (USE_DEFAULT_VALUE)."
        )
    return custom, f"SES uses the custom MAIL FROM domain {custom}."


def _dkim_domains(deps: Deps, from_domain: str) -> list[str]:
    """SES signs with the identity's domain when Easy DKIM works, always with amazonses.com."""
    domains = ["amazonses.com"]
    status = str(deps.get(DKIM, "status") or "").upper()
    dkim_ok = status == "SUCCESS" and deps.status("dns.dkim.cnames") != "fail"
    if dkim_ok and deps.get(DKIM, "tokens"):
        domains.insert(0, str(deps.get(DOMAIN, "identity") or from_domain))
    return domains


def _alignment_evidence(deps: Deps, pred: Any) -> Evidence:
    """The inputs of the prediction, side by side, as a reviewer would check them."""
    record = deps.get("dns.dmarc.record", "record") or "(no DMARC record)"
    rows = [
        f"DMARC record: {record}",
        f"adkim={deps.get('dns.dmarc.record', 'adkim', 'r')} "
        f"aspf={deps.get('dns.dmarc.record', 'aspf', 'r')}",
        f"From domain: {pred.from_domain}",
        f"MAIL FROM domain (SPF): {pred.mail_from_domain} -> "
        f"{'aligned' if pred.spf_aligned else 'not aligned'}",
        f"DKIM d= domains: {', '.join(pred.dkim_domains)} -> "
        f"{'aligned' if pred.dkim_aligned else 'not aligned'}",
    ]
    return Evidence("alignment inputs", "\n".join(rows))


def _alignment_outcome(deps: Deps, pred: Any, note: str) -> Outcome:
    policy = deps.get("dns.dmarc.record", "p")
    facts = {
        "spf_aligned": pred.spf_aligned,
        "dkim_aligned": pred.dkim_aligned,
        "mail_from": pred.mail_from_domain,
        "dkim_domains": list(pred.dkim_domains),
    }
    detail = (
        f"{note}\nFrom: {pred.from_domain}; MAIL FROM: {pred.mail_from_domain} "
        f"(SPF {'aligned' if pred.spf_aligned else 'not aligned'}); DKIM d=: "
        f"{', '.join(pred.dkim_domains)} ({'aligned' if pred.dkim_aligned else 'not aligned'})."
    )
    evidence = (_alignment_evidence(deps, pred),)
    if pred.passes:
        return passed(
            f"Mail from {pred.from_domain} via SES will pass DMARC at Gmail and Exchange Online",
            detail,
            facts=facts,
            evidence=evidence,
        )
    why = (
        "DMARC needs SPF or DKIM to pass *and* align with the From domain; neither does. "
        "Gmail answers 5.7.26 and Exchange Online 5.7.509."
    )
    fix = Fix(
        "Make DKIM align: enable Easy DKIM for the From domain and publish its CNAMEs; "
        "or set a custom MAIL FROM subdomain of the From domain with its MX and SPF."
    )
    if policy in ("quarantine", "reject"):
        return failed(
            f"DMARC p={policy} and mail via SES will not align with {pred.from_domain}",
            f"{why}\n{detail}",
            fix=fix,
            facts=facts,
            evidence=evidence,
        )
    return warned(
        f"Mail via SES will not align with {pred.from_domain} (policy "
        f"{policy or 'absent'}, so not rejected yet)",
        f"{why}\n{detail}",
        fix=fix,
        facts=facts,
        evidence=evidence,
    )


# -- MAIL FROM ------------------------------------------------------------------------


@check("dns.mail_from.mx", Layer.DNS, "Custom MAIL FROM MX and SPF", needs=(MAIL_FROM, DOMAIN))
async def mail_from_mx(ctx: Context, deps: Deps) -> Outcome:
    custom, known = _mail_from(deps)
    if not custom:
        why = (
            "SES has no custom MAIL FROM for this identity."
            if known
            else ("The MAIL FROM domain is unknown without SES data.")
        )
        return skipped("No custom MAIL FROM domain to check", why)
    region = deps.get(DOMAIN, "region") or ctx.endpoints.aws_region
    expected = f"feedback-smtp.{region}.amazonses.com"
    mx, txt = await asyncio.gather(lookup(ctx, custom, "MX"), lookup(ctx, custom, "TXT"))
    evidence = (_ev(mx), _ev(txt))
    if _unusable(mx):
        raise _dns_error(mx, f"the MX of {custom}")
    problem = _mail_from_problem(mx, custom, expected)
    if problem:
        return failed(
            problem,
            _mx_failure_text(deps),
            evidence=evidence,
            fix=_mail_from_fix(custom, expected),
            facts={"domain": custom},
        )
    if not any(spf.is_spf(r) for r in txt.records):  # its validity is dns.spf.record's job
        return failed(
            f"{custom} has its MX but no SPF record",
            f"SPF for SES-sent mail is checked on {custom}; without a record it gives SPF none.",
            evidence=evidence,
            fix=_publish_spf(custom, None),
            facts={"domain": custom},
        )
    return passed(
        f"{custom} has one MX to {expected} and an SPF record",
        "SES can use the custom MAIL FROM domain.",
        evidence=evidence,
        facts={"domain": custom},
    )


def _mail_from_problem(mx: DnsAnswer, custom: str, expected: str) -> str:
    hosts = [r.split()[-1].rstrip(".").lower() for r in mx.records]
    if not hosts:
        return f"{custom} has no MX record"
    if len(hosts) > 1:
        return f"{custom} has {len(hosts)} MX records; SES needs exactly one"
    if hosts[0] != expected:
        return f"The MX of {custom} points to {hosts[0]}, not {expected}"
    return ""


def _mx_failure_text(deps: Deps) -> str:
    behaviour = deps.get(MAIL_FROM, "behavior_on_mx_failure", "USE_DEFAULT_VALUE")
    if behaviour == "REJECT_MESSAGE":
        return (
            "SES checks this MX before sending; with REJECT_MESSAGE it refuses to send "
            "(MailFromDomainNotVerified) until the MX is right."
        )
    return (
        "SES checks this MX before sending; with USE_DEFAULT_VALUE it falls back to "
        "amazonses.com as MAIL FROM, so SPF no longer aligns with your From domain."
    )


def _mail_from_fix(custom: str, expected: str) -> Fix:
    return Fix(
        f"Publish exactly one MX on {custom}: 10 {expected}",
        (
            f"{custom}. MX 10 {expected}.",
            "Delete any other MX record on that name.",
            f'{custom}. TXT "v=spf1 include:amazonses.com ~all"',
        ),
        action="copy_record",
        action_args={"name": custom, "type": "MX", "value": f"10 {expected}."},
    )


# -- recipient-side records: MTA-STS and TLS-RPT ------------------------------------------


def _recipient_domains(ctx: Context) -> list[str]:
    domains = [r.rpartition("@")[2].lower().rstrip(".") for r in ctx.inputs.recipients if "@" in r]
    return list(dict.fromkeys(domains))


async def mx_hosts(ctx: Context, domain: str) -> tuple[DnsAnswer, list[str]]:
    """The domain's MX answer and its hosts by preference (null MX gives [])."""
    answer = await lookup(ctx, domain, "MX")
    pairs = sorted(
        (int(r.split()[0]), r.split()[-1].rstrip(".").lower())
        for r in answer.records
        if len(r.split()) == 2
    )
    return answer, [h for _, h in pairs if h]


@check("dns.mta_sts.policy", Layer.DNS, "Recipient MTA-STS policy covers its MX hosts")
async def mta_sts_policy(ctx: Context, deps: Deps) -> Outcome:
    domains = _recipient_domains(ctx)
    if not domains:
        return skipped("No recipient domain given", "Use --to ADDRESS to check its MTA-STS.")
    outcomes = await asyncio.gather(*(_sts_for(ctx, d) for d in domains))
    return _worst(outcomes)


async def _sts_for(ctx: Context, domain: str) -> Outcome:
    txt = await lookup(ctx, f"_mta-sts.{domain}", "TXT")
    if _unusable(txt):
        raise _dns_error(txt, f"the MTA-STS record of {domain}")
    text, _why = mta_sts.select(txt.records)
    if text is None:
        return passed(
            f"{domain} publishes no MTA-STS policy",
            "MTA-STS is optional; senders then use opportunistic TLS.",
            evidence=(_ev(txt),),
        )
    fetched = await https.fetch(ctx.endpoints, f"mta-sts.{domain}", "/.well-known/mta-sts.txt")
    evidence = (_ev(txt), Evidence(f"MTA-STS policy of {domain}", fetched.evidence(), "http"))
    if not fetched.ok:
        return failed(
            f"The MTA-STS policy of {domain} cannot be fetched",
            f"{domain} announces MTA-STS but {fetched.error or f'HTTP {fetched.status}'}.",
            evidence=evidence,
            fix=_sts_fix(domain, []),
        )
    return await _sts_policy_outcome(ctx, domain, text, fetched, evidence)


async def _sts_policy_outcome(
    ctx: Context,
    domain: str,
    record: str,
    fetched: https.HttpsResult,
    evidence: tuple[Evidence, ...],
) -> Outcome:
    try:
        mta_sts.parse_record(record)
        policy = mta_sts.parse_policy(fetched.text)
    except mta_sts.MtaStsError as exc:
        return failed(
            f"MTA-STS of {domain} is invalid: {exc}",
            "Senders ignore an invalid policy.",
            evidence=evidence,
            fix=_sts_fix(domain, []),
        )
    answer, hosts = await mx_hosts(ctx, domain)
    missing = mta_sts.uncovered(policy, hosts)
    problems = [*(f"MX {h} is not covered by any mx: line" for h in missing), *policy.warnings]
    if not fetched.content_type.startswith("text/plain"):
        problems.append(f"Content-Type is {fetched.content_type!r}, not text/plain")
    facts = {"mode": policy.mode, "mx": list(policy.mx), "uncovered": missing}
    if not problems:
        return passed(
            f"MTA-STS ({policy.mode}) of {domain} covers all its MX hosts",
            f"Patterns: {', '.join(policy.mx)}.",
            evidence=(*evidence, _ev(answer)),
            facts=facts,
        )
    make = failed if policy.mode == "enforce" and (missing or policy.warnings) else warned
    return make(
        f"MTA-STS of {domain}: {problems[0]}",
        _sts_text(policy) + "\n" + "\n".join(problems),
        evidence=(*evidence, _ev(answer)),
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


def _worst(outcomes: Sequence[Outcome]) -> Outcome:
    order = {"fail": 0, "warn": 1, "pass": 2, "skip": 3, "error": 4}
    return min(outcomes, key=lambda o: order.get(o.status.value, 5))


@check("dns.tls_rpt.record", Layer.DNS, "Recipient TLS-RPT record")
async def tls_rpt_record(ctx: Context, deps: Deps) -> Outcome:
    domains = _recipient_domains(ctx)
    if not domains:
        return skipped("No recipient domain given", "Use --to ADDRESS to check its TLS-RPT.")
    return _worst(await asyncio.gather(*(_tls_rpt_for(ctx, d) for d in domains)))


async def _tls_rpt_for(ctx: Context, domain: str) -> Outcome:
    answer = await lookup(ctx, f"_smtp._tls.{domain}", "TXT")
    if _unusable(answer):
        raise _dns_error(answer, f"the TLS-RPT record of {domain}")
    found = [r for r in answer.records if r.startswith("v=TLSRPTv1")]
    if not found:
        return passed(
            f"{domain} publishes no TLS-RPT record",
            "TLS-RPT is optional: it only asks senders for TLS failure reports.",
            evidence=(_ev(answer),),
        )
    if len(found) > 1 or not re.search(r"rua=(mailto:|https:)", found[0]):
        return warned(
            f"TLS-RPT record of {domain} is not usable",
            "RFC 8460 needs exactly one v=TLSRPTv1 record with rua=mailto: or https:.",
            evidence=(_ev(answer),),
        )
    return passed(f"{domain} publishes a TLS-RPT record", found[0], evidence=(_ev(answer),))


# -- propagation ------------------------------------------------------------------------


#: checks that read the records compared here: a stale record may explain their failure
_READERS = (
    "dns.spf.record",
    "dns.spf.authorises_ses",
    "dns.dkim.cnames",
    "dns.dmarc.record",
    "dns.mail_from.mx",
)


@dataclass(frozen=True)
class _Authority:
    """One authoritative nameserver: how to name it, and where to send its queries."""

    label: str  # "ns1.sender.example (192.0.2.53)"
    address: tuple[str, int]


@check(
    "dns.propagation",
    Layer.DNS,
    "Authoritative servers agree with the resolver",
    needs=(MAIL_FROM, DKIM, DOMAIN, *_READERS),
)
async def propagation(ctx: Context, deps: Deps) -> Outcome:
    domain = _sender_domain(ctx, deps)
    servers, ns_evidence = await _authoritative_servers(ctx, domain)
    if not servers:
        raise CheckError(
            f"Could not find the authoritative nameservers of {domain}", evidence=ns_evidence
        )
    answering, silent = await _answering(ctx, domain, servers, ns_evidence)
    names = _propagation_names(deps, domain)
    diffs = await asyncio.gather(*(_compare(ctx, answering, n, t) for n, t, _ in names))
    found = [d[0] for d in diffs if d[0]]
    evidence = ns_evidence + tuple(e for d in diffs for e in d[1])
    if not found:
        return _propagation_agrees(domain, answering, silent, len(names), evidence)
    readers = {c for (_, _, cs), d in zip(names, diffs, strict=True) if d[0] for c in cs}
    stale = tuple(c for c in _READERS if c in readers and deps.status(c) is Status.FAIL)
    make = failed if stale else warned
    return make(
        f"{len(found)} record(s) differ between {domain}'s nameservers and the "
        f"resolver: {found[0]}",
        _stale_text(stale) + _PROPAGATION_TEXT + "\n" + "\n".join(found),
        evidence=evidence,
        fix=_propagation_fix(domain) if stale else None,
        facts={"differ": found, "silent": [s.label for s in silent]},
        explains=stale,
    )


def _stale_text(stale: Sequence[str]) -> str:
    if not stale:
        return ""
    return (
        f"{', '.join(stale)} failed on the resolver's copy of a record that the zone's "
        "nameservers already publish differently: resolvers (receivers' too) keep the old "
        "copy until its TTL runs out, so mail keeps failing until then.\n"
    )


def _propagation_fix(domain: str) -> Fix:
    return Fix(
        "Wait for the old records to expire, then check again",
        (
            f"Look up the TTL of the changed records of {domain} (evidence): resolvers may "
            "keep the old answer that long after the change.",
            "If the difference lasts longer than the TTL, the change was made at a DNS "
            "provider the NS records do not point to: edit the zone where NS points.",
        ),
    )


_PROPAGATION_TEXT = (
    "When every nameserver has the new value and only the resolver differs, a record "
    "changed recently and the resolver still serves the old one from its cache: it goes away "
    "when the record's TTL runs out. When the nameservers differ among themselves, one of "
    "them has not got the new zone (a secondary not updated, or the record was edited at a "
    "DNS provider the NS records do not delegate to)."
)


def _propagation_agrees(
    domain: str,
    answering: Sequence[_Authority],
    silent: Sequence[_Authority],
    count: int,
    evidence: tuple[Evidence, ...],
) -> Outcome:
    agree = f"{len(answering)} nameserver(s) and the resolver agree on {count} records"
    if silent:
        return warned(
            f"{len(silent)} of {len(answering) + len(silent)} nameservers of {domain} did "
            f"not answer; the other {agree}",
            "Resolvers that ask a silent nameserver retry another one, slower; a nameserver "
            "that never answers should be fixed or removed from the NS records.\n"
            + "\n".join(f"{s.label} did not answer" for s in silent),
            evidence=evidence,
            facts={"silent": [s.label for s in silent]},
        )
    return passed(
        f"{domain}: {agree}",
        "What receivers' resolvers get is what every nameserver of the zone publishes.",
        evidence=evidence,
    )


async def _answering(
    ctx: Context, domain: str, servers: Sequence[_Authority], ns_evidence: tuple[Evidence, ...]
) -> tuple[list[_Authority], list[_Authority]]:
    """(servers that answer for the zone, servers that do not); an error when none does."""
    probe = await asyncio.gather(*(lookup_direct(ctx, s.address, domain, "SOA") for s in servers))
    usable = [p.ok or p.status.is_negative for p in probe]
    if not any(usable):
        raise CheckError(
            f"None of {domain}'s authoritative nameservers answered",
            explanation=probe[0].plain(),
            evidence=ns_evidence + tuple(_ev(p) for p in probe),
        )
    answering = [s for s, ok in zip(servers, usable, strict=True) if ok]
    return answering, [s for s, ok in zip(servers, usable, strict=True) if not ok]


def _propagation_names(deps: Deps, domain: str) -> list[tuple[str, str, tuple[str, ...]]]:
    """(name, type, the checks that read it) for every record compared."""
    spf_readers = ("dns.spf.record", "dns.spf.authorises_ses")
    custom = deps.get(MAIL_FROM, "mail_from_domain")
    names: list[tuple[str, str, tuple[str, ...]]] = [
        (domain, "TXT", () if custom else spf_readers),
        (f"_dmarc.{domain}", "TXT", ("dns.dmarc.record",)),
        (domain, "MX", ()),
    ]
    names += [
        (f"{t}._domainkey.{domain}", "CNAME", ("dns.dkim.cnames",))
        for t in deps.get(DKIM, "tokens") or []
    ]
    if custom:
        names += [(custom, "MX", ("dns.mail_from.mx",)), (custom, "TXT", spf_readers)]
    return names


async def _zone_ns(ctx: Context, domain: str) -> DnsAnswer:
    """The NS answer of the zone holding domain, walking up to the zone apex."""
    name = domain
    while True:
        ns = await lookup(ctx, name, "NS")
        if ns.ok or "." not in name:
            return ns
        name = name.partition(".")[2]


async def _authoritative_servers(
    ctx: Context, domain: str
) -> tuple[list[_Authority], tuple[Evidence, ...]]:
    """Every address of every NS host of the zone (routed for the lab), once each."""
    ns = await _zone_ns(ctx, domain)
    hosts = [r.rstrip(".").lower() for r in ns.records]
    addresses = await asyncio.gather(*(lookup(ctx, h, "A") for h in hosts))
    found: dict[tuple[str, int], _Authority] = {}
    for host, answer in zip(hosts, addresses, strict=True):
        for ip in answer.records:
            routed = ctx.endpoints.dns_address(ip)
            found.setdefault(routed, _Authority(f"{host} ({ip})", routed))
    return list(found.values()), (_ev(ns), *(_ev(a) for a in addresses))


def _shown(answer: DnsAnswer) -> str:
    return str(sorted(answer.records)) if answer.ok else answer.status.value.upper()


async def _compare(
    ctx: Context, servers: Sequence[_Authority], name: str, rdtype: str
) -> tuple[str, tuple[Evidence, ...]]:
    """('' or one line naming each nameserver that differs from the resolver, evidence)."""
    resolver = await lookup(ctx, name, rdtype)
    direct = await asyncio.gather(*(lookup_direct(ctx, s.address, name, rdtype) for s in servers))
    pairs = [(s, d) for s, d in zip(servers, direct, strict=True) if d.ok or d.status.is_negative]
    if _unusable(resolver) or not pairs:
        return "", ()
    differ = [f"{s.label} serves {_shown(d)}" for s, d in pairs if _shown(d) != _shown(resolver)]
    if not differ:
        return "", ()
    agree = [s.label for s, d in pairs if _shown(d) == _shown(resolver)]
    text = f"{rdtype} {name}: the resolver serves {_shown(resolver)}; " + "; ".join(differ)
    if agree:
        text += f"; {', '.join(agree)} agree(s) with the resolver"
    return text, (_ev(resolver), *(_ev(d) for _, d in pairs))


# -- blocklists ------------------------------------------------------------------------

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
    return _blocklist_outcome(verdicts, len(ips), len(zones), tuple(_ev(a) for a in answers))


def _blocklist_outcome(
    verdicts: Sequence[dnsbl.Verdict], n_ips: int, n_zones: int, evidence: tuple[Evidence, ...]
) -> Outcome:
    def of(state: str) -> list[dnsbl.Verdict]:
        return [v for v in verdicts if v.state == state]

    listed, refused, unknown = of("listed"), of("refused"), of("unknown")
    lines = [f"{v.ip} on {v.zone}: {v.state}{f' ({v.detail})' if v.detail else ''}"
             for v in verdicts]
    text = _DNSBL_CAVEAT + "\n" + "\n".join(lines)
    facts = {"listed": [f"{v.ip} on {v.zone}" for v in listed],
             "refused": [v.zone for v in refused]}
    if listed:
        return warned(f"Listed: {', '.join(facts['listed'])}", text, evidence=evidence,
                      facts=facts)
    asked = n_zones * n_ips - len(refused) - len(unknown)
    summary = f"{n_ips} IP(s) not listed ({asked} of {n_zones * n_ips} list queries answered)"
    if refused:
        summary += f"; refused by {', '.join(dict.fromkeys(v.zone for v in refused))}"
        return warned(summary, text, evidence=evidence, facts=facts)
    return passed(summary, text, evidence=evidence, facts=facts)
