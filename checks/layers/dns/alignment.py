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
from checks.model import (
    Evidence,
    Fix,
    Layer,
    Outcome,
    Status,
    errored,
    failed,
    passed,
    skipped,
    warned,
)
from checks.registry import Deps, check

_RECORD, _MX, _CNAMES = "dns.dmarc.record", "dns.mail_from.mx", "dns.dkim.cnames"


@check(
    "dns.dmarc.alignment",
    Layer.DNS,
    "DMARC alignment for the SES path",
    needs=(MAIL_FROM, DKIM, DOMAIN, _RECORD, _MX, _CNAMES),
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
    unread = _record_unread(deps, from_domain)
    if unread is not None:
        return unread
    adkim = deps.get(_RECORD, "adkim", "r")
    aspf = deps.get(_RECORD, "aspf", "r")
    mail_froms, dkims = _mail_from_options(deps, custom), _dkim_options(deps, from_domain)
    preds = [
        (predict(from_domain, m, d, adkim=adkim, aspf=aspf), note)
        for m, note in mail_froms
        for d in dkims
    ]
    if len({p.passes for p, _ in preds}) > 1:
        return _depends_on_unknown(deps, from_domain)
    return _alignment_outcome(deps, *preds[0])


def _record_unread(deps: Deps, from_domain: str) -> Outcome | None:
    """An outcome when the DMARC record (or its absence) is not known; None when it is."""
    result = deps.result(_RECORD)
    if result is not None and "record" in result.facts:
        return None
    if result is None or result.status is not Status.ERROR:
        return skipped(f"Alignment needs the DMARC record of {from_domain}, which was not read")
    return errored(
        f"Could not predict DMARC alignment: the DMARC record of {from_domain} could not be read",
        "The policy and the alignment modes (adkim, aspf) come from that record; without it "
        f"mailpath does not guess them ({_RECORD}: {result.summary}).",
    )


def _depends_on_unknown(deps: Deps, from_domain: str) -> Outcome:
    unknown = [c for c in (_MX, _CNAMES) if deps.status(c) is Status.ERROR]
    return errored(
        f"Could not predict DMARC alignment for {from_domain}: it depends on "
        f"{' and '.join(unknown)}, which could not be checked",
        "Whether mail via SES aligns turns on what those checks would find (a failing MAIL "
        "FROM MX sends SES back to amazonses.com; broken DKIM CNAMEs stop signing with your "
        "domain). Check again when they can run.",
    )


def _mail_from_options(deps: Deps, custom: str | None) -> list[tuple[str, str]]:
    """The MAIL FROM SES uses (both candidates when the MX check could not run)."""
    if not custom:
        return [(SES_DEFAULT_MAIL_FROM, "SES uses its own MAIL FROM domain (amazonses.com).")]
    behaviour = deps.get(MAIL_FROM, "behavior_on_mx_failure", "USE_DEFAULT_VALUE")
    fallback = (
        SES_DEFAULT_MAIL_FROM,
        f"The MX of {custom} fails, so SES falls back to amazonses.com as MAIL FROM "
        "(USE_DEFAULT_VALUE).",
    )
    own = (custom, f"SES uses the custom MAIL FROM domain {custom}.")
    if behaviour != "USE_DEFAULT_VALUE":
        return [own]
    mx_status = deps.status(_MX)
    if mx_status is Status.FAIL:
        return [fallback]
    return [own, fallback] if mx_status is Status.ERROR else [own]


def _dkim_options(deps: Deps, from_domain: str) -> list[list[str]]:
    """The d= domains SES signs with: the identity's when Easy DKIM works, always
    amazonses.com (both candidates when the CNAMEs could not be read)."""
    status = str(deps.get(DKIM, "status") or "").upper()
    if status != "SUCCESS" or not deps.get(DKIM, "tokens"):
        return [["amazonses.com"]]
    signing = [str(deps.get(DOMAIN, "identity") or from_domain), "amazonses.com"]
    cnames = deps.status(_CNAMES)
    if cnames is Status.FAIL:
        return [["amazonses.com"]]
    return [signing, ["amazonses.com"]] if cnames is Status.ERROR else [signing]


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
    """The verdict once the prediction does not depend on anything unknown."""
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
