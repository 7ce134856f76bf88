"""DMARC alignment predicted for the actual path: SPF via the MAIL FROM SES uses (and whether
that SPF passes), DKIM via d=; the policy that applies (p=, sp=, pct=) and what Gmail and
Exchange Online then do."""

from __future__ import annotations

from typing import Any

from checks.context import Context
from checks.dnsauth.alignment import AlignmentPrediction, predict
from checks.layers.dns.common import (
    DKIM,
    DOMAIN,
    MAIL_FROM,
    SES_DEFAULT_MAIL_FROM,
    sender_domain,
    ses_mail_from,
)
from checks.layers.dns.receivers import applied_policy, receiver_lines
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
_SPF = "dns.spf.authorises_ses"
#: (MAIL FROM domain, why SES uses it, whether its SPF passes for SES's mail)
MailFrom = tuple[str, str, bool]
GMAIL = "gmail.com"


@check(
    "dns.dmarc.alignment",
    Layer.DNS,
    "DMARC alignment for the SES path",
    needs=(MAIL_FROM, DKIM, DOMAIN, _RECORD, _MX, _CNAMES, _SPF),
)
async def dmarc_alignment(ctx: Context, deps: Deps) -> Outcome:
    from_domain = (ctx.inputs.sender_domain or sender_domain(ctx, deps)).rstrip(".")
    unread = _record_unread(deps, from_domain)
    if _gmail_sends_itself(ctx):
        return unread or _gmail_alias(deps, from_domain)
    deps.known(MAIL_FROM, "mail_from_domain")  # SES could not be read: skip, naming it
    custom, known = ses_mail_from(deps)
    if not known:
        return skipped(
            "Alignment needs SES's MAIL FROM and DKIM settings",
            "Run with the SES layer so mailpath knows the MAIL FROM domain and the "
            "DKIM signing domain SES uses.",
        )
    if unread is not None:
        return unread
    mail_froms = _mail_from_options(deps, custom)
    if not mail_froms:
        return _ses_rejects(deps, str(custom))
    adkim, aspf = deps.get(_RECORD, "adkim", "r"), deps.get(_RECORD, "aspf", "r")
    preds = [
        (predict(from_domain, m, d, adkim=adkim, aspf=aspf, spf_passes=ok), note)
        for m, note, ok in mail_froms
        for d in _dkim_options(deps, from_domain)
    ]
    if len({p.passes for p, _ in preds}) > 1:
        return _depends_on_unknown(deps, from_domain)
    return _alignment_outcome(deps, *preds[0])


def _gmail_sends_itself(ctx: Context) -> bool:
    """Gmail "Send mail as" with no SMTP server given: Gmail's own servers send the mail."""
    return ctx.inputs.path == "gmail_send_as" and ctx.inputs.relay is None


def _gmail_alias(deps: Deps, from_domain: str) -> Outcome:
    """The alias sent through Gmail: MAIL FROM and DKIM d= are Gmail's, not the From domain."""
    adkim, aspf = deps.get(_RECORD, "adkim", "r"), deps.get(_RECORD, "aspf", "r")
    pred = predict(from_domain, GMAIL, [GMAIL], adkim=adkim, aspf=aspf)
    note = (
        "No SMTP server was given for the Gmail alias, so Gmail sends it through its own "
        f"servers ('Send through Gmail'): the envelope sender is the Gmail account ({GMAIL}) "
        f"and Gmail signs with d={GMAIL}. If the alias relays through SES, give its SMTP "
        "settings (--relay-host …) to predict that path instead."
    )
    fix = Fix(
        f"Send the alias through {from_domain}'s own authenticated SMTP (for example SES with "
        f"Easy DKIM for {from_domain} and a custom MAIL FROM), then publish its SPF and DKIM",
        (
            "Gmail → Settings → Accounts → Send mail as → edit info → Send through SMTP servers.",
            "Relax the policy to p=none only while fixing, never as the fix.",
        ),
    )
    return _alignment_outcome(deps, pred, note, fix=fix, path="via Gmail's own servers")


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
    unknown = [c for c in (_MX, _CNAMES, _SPF) if deps.status(c) is Status.ERROR]
    return errored(
        f"Could not predict DMARC alignment for {from_domain}: it depends on "
        f"{' and '.join(unknown) or 'checks that did not run'}, which could not be checked",
        "Whether mail via SES aligns turns on what those checks would find (a failing MAIL "
        "FROM MX sends SES back to amazonses.com; broken DKIM CNAMEs stop signing with your "
        "domain; an SPF that does not authorise SES fails). Check again when they can run.",
    )


def _ses_rejects(deps: Deps, custom: str) -> Outcome:
    status = deps.get(MAIL_FROM, "status") or "not verified"
    return skipped(
        f"SES does not send this mail: MAIL FROM {custom} is {status} and the behaviour on "
        "MX failure is REJECT_MESSAGE",
        "SES rejects the message (MailFromDomainNotVerified) before any receiver sees it, "
        "so DMARC never applies; see ses.identity.mail_from.",
    )


def _spf_passes(deps: Deps) -> list[bool]:
    """Whether the custom MAIL FROM's SPF passes for SES (both when it could not be told)."""
    status = deps.status(_SPF)
    if status in (Status.PASS, Status.WARN):
        return [True]
    return [False] if status is Status.FAIL else [True, False]


def _mail_from_options(deps: Deps, custom: str | None) -> list[MailFrom]:
    """The MAIL FROM SES uses (every candidate when a check it depends on could not run);
    empty when SES rejects the mail instead."""
    if not custom:
        return [(SES_DEFAULT_MAIL_FROM, "SES uses its own MAIL FROM domain (amazonses.com).", True)]
    rejects = deps.get(MAIL_FROM, "behavior_on_mx_failure", "USE_DEFAULT_VALUE") != (
        "USE_DEFAULT_VALUE")
    status = str(deps.get(MAIL_FROM, "status") or "SUCCESS").upper()
    own = [(custom, f"SES uses the custom MAIL FROM domain {custom}.", ok)
           for ok in _spf_passes(deps)]  # fmt: skip
    if status != "SUCCESS":  # SES itself no longer uses the custom domain
        why = f"SES reports the custom MAIL FROM {custom} as {status}"
        return [] if rejects else [_fallback(custom, why)]
    if rejects:  # SES keeps the custom domain (or rejects once it notices a broken MX)
        return own
    if deps.status(_MX) is Status.FAIL:
        return [_fallback(custom, f"The MX of {custom} fails")]
    unsure = deps.status(_MX) is Status.ERROR
    return own + ([_fallback(custom, "Its MX could not be checked")] if unsure else [])


def _fallback(custom: str, why: str) -> MailFrom:
    return (
        SES_DEFAULT_MAIL_FROM,
        f"{why}, so SES falls back to amazonses.com as MAIL FROM (USE_DEFAULT_VALUE) "
        f"instead of {custom}.",
        True,
    )


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


def _alignment_evidence(deps: Deps, pred: AlignmentPrediction) -> Evidence:
    """The inputs of the prediction, side by side, as a reviewer would check them."""
    record = deps.get(_RECORD, "record") or "(no DMARC record)"
    rows = [
        f"DMARC record: {record} (at _dmarc.{deps.get(_RECORD, 'owner') or pred.from_domain})",
        f"adkim={deps.get(_RECORD, 'adkim', 'r')} aspf={deps.get(_RECORD, 'aspf', 'r')}",
        f"From domain: {pred.from_domain}",
        f"MAIL FROM domain (SPF): {pred.mail_from_domain} -> "
        f"{'aligned' if pred.spf_domain_aligned else 'not aligned'}, SPF "
        f"{'passes' if pred.spf_passes else 'does not pass'}",
        f"DKIM d= domains: {', '.join(pred.dkim_domains)} -> "
        f"{'aligned' if pred.dkim_aligned else 'not aligned'}",
    ]
    return Evidence("alignment inputs", "\n".join(rows))


def _detail(pred: AlignmentPrediction, note: str) -> str:
    spf = (
        "SPF passes and aligns" if pred.spf_aligned
        else "SPF aligns but does not pass" if pred.spf_domain_aligned
        else "SPF not aligned"
    )  # fmt: skip
    return (
        f"{note}\nFrom: {pred.from_domain}; MAIL FROM: {pred.mail_from_domain} ({spf}); "
        f"DKIM d=: {', '.join(pred.dkim_domains)} "
        f"({'aligned' if pred.dkim_aligned else 'not aligned'})."
    )


def _alignment_outcome(
    deps: Deps,
    pred: AlignmentPrediction,
    note: str,
    *,
    fix: Fix | None = None,
    path: str = "via SES",
) -> Outcome:
    """The verdict once the prediction does not depend on anything unknown."""
    facts: dict[str, Any] = {
        "spf_aligned": pred.spf_aligned,
        "dkim_aligned": pred.dkim_aligned,
        "mail_from": pred.mail_from_domain,
        "dkim_domains": list(pred.dkim_domains),
    }
    detail, evidence = _detail(pred, note), (_alignment_evidence(deps, pred),)
    if pred.passes and not deps.get(_RECORD, "record"):
        return passed(
            f"Mail from {pred.from_domain} {path} aligns, but no DMARC record applies",
            detail + "\nSPF or DKIM passes aligned, so DMARC would pass once a record is "
            "published (see dns.dmarc.record).",
            facts=facts,
            evidence=evidence,
        )
    if pred.passes:
        return passed(
            f"Mail from {pred.from_domain} {path} will pass DMARC at Gmail and Exchange Online",
            detail + "\nDMARC passes: an aligned SPF or DKIM pass exists (RFC 7489 4.2).",
            facts=facts,
            evidence=evidence,
        )
    policy, why_policy = applied_policy(deps.result(_RECORD).facts)  # type: ignore[union-attr]
    facts["policy"] = f"{policy.tag}={policy.name}" if policy.tag else "none"
    lines = receiver_lines(policy)
    facts["receivers"] = lines
    why = (
        "DMARC needs SPF or DKIM to pass *and* align with the From domain (RFC 7489 4.2); "
        f"neither does.\n{why_policy}\n" + "\n".join(f"{k}: {v}" for k, v in lines.items())
    )
    fix = fix or Fix(
        "Make DKIM align: enable Easy DKIM for the From domain and publish its CNAMEs; "
        "or set a custom MAIL FROM subdomain of the From domain with its MX and SPF."
    )
    make = failed if policy.enforced else warned
    return make(
        f"Mail from {pred.from_domain} {path} will fail DMARC: {policy.summary}",
        f"{why}\n{detail}",
        fix=fix,
        facts=facts,
        evidence=evidence,
    )
