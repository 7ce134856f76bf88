"""DMARC alignment predicted for mail SES sends: SPF via MAIL FROM, DKIM via d=."""

from __future__ import annotations

from typing import Any

from checks.context import Context
from checks.dnsauth.alignment import predict
from checks.layers.dns.common import (
    DKIM,
    DOMAIN,
    MAIL_FROM,
    SES_DEFAULT_MAIL_FROM,
    sender_domain,
    ses_mail_from,
)
from checks.model import Evidence, Fix, Layer, Outcome, failed, passed, skipped, warned
from checks.registry import Deps, check


@check(
    "dns.dmarc.alignment",
    Layer.DNS,
    "DMARC alignment for the SES path",
    needs=(MAIL_FROM, DKIM, DOMAIN, "dns.dmarc.record", "dns.mail_from.mx"),
)
async def dmarc_alignment(ctx: Context, deps: Deps) -> Outcome:
    from_domain = ctx.inputs.sender_domain or sender_domain(ctx, deps)
    custom, known = ses_mail_from(deps)
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
