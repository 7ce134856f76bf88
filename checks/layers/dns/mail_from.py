"""SES custom MAIL FROM domain: its one MX to SES's feedback endpoint and its SPF."""

from __future__ import annotations

import asyncio

from checks.context import Context
from checks.dnsauth import spf
from checks.layers.dns.common import (
    DOMAIN,
    MAIL_FROM,
    dns_error,
    evidence_of,
    ses_mail_from,
    unusable,
)
from checks.layers.dns.spf import publish_spf
from checks.model import Fix, Layer, Outcome, failed, passed, skipped
from checks.net.dns import DnsAnswer, lookup
from checks.registry import Deps, check


@check("dns.mail_from.mx", Layer.DNS, "Custom MAIL FROM MX and SPF", needs=(MAIL_FROM, DOMAIN))
async def mail_from_mx(ctx: Context, deps: Deps) -> Outcome:
    deps.known(MAIL_FROM, "mail_from_domain")  # SES could not be read: skip, naming it
    custom, known = ses_mail_from(deps)
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
    evidence = (evidence_of(mx), evidence_of(txt))
    if unusable(mx):
        raise dns_error(mx, f"the MX of {custom}")
    problem = _mail_from_problem(mx, custom, expected)
    if not problem and unusable(txt):
        raise dns_error(txt, f"the SPF record of {custom}")
    if problem:
        return failed(
            problem,
            (NULL_MX_TEXT.format(custom=custom, expected=expected) if is_null_mx(mx) else "")
            + _mx_failure_text(deps),
            evidence=evidence,
            fix=_mail_from_fix(custom, expected),
            facts={"domain": custom},
        )
    if not any(spf.is_spf(r) for r in txt.records):  # its validity is dns.spf.record's job
        return failed(
            f"{custom} has its MX but no SPF record",
            f"SPF for SES-sent mail is checked on {custom}; without a record it gives SPF none.",
            evidence=evidence,
            fix=publish_spf(custom, None),
            facts={"domain": custom},
        )
    return passed(
        f"{custom} has one MX to {expected} and an SPF record",
        "SES can use the custom MAIL FROM domain.",
        evidence=evidence,
        facts={"domain": custom},
    )


NULL_MX_TEXT = (
    "'MX 0 .' is a null MX (RFC 7505): it says {custom} accepts no mail at all, so the "
    "bounces and complaints receivers send to the MAIL FROM address are lost. SES requires "
    "the MAIL FROM domain's one MX to be {expected}, where it receives that feedback.\n"
)


def is_null_mx(mx: DnsAnswer) -> bool:
    """The RFC 7505 null MX: one record, preference 0, exchange '.' (the root)."""
    return len(mx.records) == 1 and mx.records[0].split() == ["0", "."]


def _mail_from_problem(mx: DnsAnswer, custom: str, expected: str) -> str:
    hosts = [r.split()[-1].rstrip(".").lower() for r in mx.records]
    if not hosts:
        return f"{custom} has no MX record"
    if is_null_mx(mx):
        return (f"{custom} publishes a null MX ('MX 0 .', RFC 7505: it accepts no mail), "
                f"not an MX to {expected}")
    if len(hosts) > 1:
        return f"{custom} has {len(hosts)} MX records; SES needs exactly one"
    if hosts[0] != expected:
        where = hosts[0] or "the root ('.')"
        return f"The MX of {custom} points to {where}, not {expected}"
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
