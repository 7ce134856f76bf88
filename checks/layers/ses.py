"""Checks of the ses layer: account state, the identities covering the From address, DKIM,
custom MAIL FROM, and the recipients on the account suppression list. Region-aware: the
region is the relay host's when the relay is SES, else the configured AWS region."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any

from checks.context import Context
from checks.creds.forensics import ses_region
from checks.dnsauth.orgdomain import org_domain
from checks.model import Evidence, Fix, Layer, Outcome, failed, passed, skipped, warned
from checks.net.aws import AwsError, call
from checks.registry import Deps, check

#: Regions looked at when an identity is missing in the working region ("verified only in X").
OTHER_REGIONS = (
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "eu-west-1",
    "eu-west-2", "eu-central-1", "ap-southeast-1", "ap-southeast-2", "ap-northeast-1",
    "ap-south-1", "sa-east-1",
)

VERIFICATION_ERRORS = {
    "SERVICE_ERROR": "SES had an internal error while checking; it will try again.",
    "DNS_SERVER_ERROR": "The domain's DNS servers failed SES's lookup (SERVFAIL or timeout).",
    "HOST_NOT_FOUND": "SES found no record where it looked: the verification records are "
    "missing or under the wrong name.",
    "TYPE_NOT_FOUND": "The name exists but has no record of the expected type (CNAME/TXT).",
    "INVALID_VALUE": "A record exists but its value is not what SES expects (wrong token).",
}

ENFORCEMENT_TEXT = {
    "HEALTHY": "no enforcement action",
    "PROBATION": "on probation: bounce or complaint rate too high; sending may be paused next",
    "SHUTDOWN": "sending shut down by AWS after a review",
}


def working_region(ctx: Context) -> str:
    relay = ctx.inputs.relay
    return (ses_region(relay.host) if relay else None) or ctx.endpoints.aws_region


def norm(status: Any) -> str:
    """'TemporaryFailure' or 'TEMPORARY_FAILURE' -> 'TEMPORARY_FAILURE'."""
    text = str(status or "NOT_STARTED")
    return re.sub(r"(?<=[a-z])(?=[A-Z])", "_", text).upper()


def api_evidence(label: str, reply: dict[str, Any]) -> Evidence:
    return Evidence(label, json.dumps(reply, indent=2, default=str, sort_keys=True), "api")


async def identity(ctx: Context, name: str, region: str) -> dict[str, Any] | None:
    """sesv2 GetEmailIdentity once per run; None when SES has no such identity there."""

    async def fetch() -> dict[str, Any] | None:
        try:
            return await call(ctx, "sesv2", "get_email_identity", region=region,
                              EmailIdentity=name)
        except AwsError as exc:
            if exc.code in ("NotFoundException", "NotFound"):
                return None
            raise

    return await ctx.memo(("ses-identity", name.lower(), region), fetch)


def is_verified(ident: dict[str, Any] | None) -> bool:
    if not ident:
        return False
    return bool(ident.get("VerifiedForSendingStatus")) or norm(
        ident.get("VerificationStatus")) == "SUCCESS"


async def account(ctx: Context, region: str) -> dict[str, Any]:
    return await ctx.memo(("ses-account", region),
                          lambda: call(ctx, "sesv2", "get_account", region=region))


# --------------------------------------------------------------------------- account


def _quota(reply: dict[str, Any]) -> tuple[float, float]:
    quota = reply.get("SendQuota") or {}
    return float(quota.get("SentLast24Hours", 0)), float(quota.get("Max24HourSend", 0))


def _account_problem(reply: dict[str, Any]) -> tuple[str, str] | None:
    """(status, summary) of the worst account problem, if any."""
    enforcement = str(reply.get("EnforcementStatus") or "HEALTHY")
    sent, cap = _quota(reply)
    if not reply.get("SendingEnabled", True) or enforcement == "SHUTDOWN":
        why = ENFORCEMENT_TEXT.get(enforcement, enforcement)
        return "fail", f"Sending is paused for this account ({why})"
    if cap > 0 and sent >= cap:
        return "fail", f"Daily quota used up: {sent:g} of {cap:g} messages in 24 h"
    if enforcement == "PROBATION":
        return "warn", f"Account {ENFORCEMENT_TEXT['PROBATION']}"
    if not reply.get("ProductionAccessEnabled", True):
        return "warn", "Account is in the SES sandbox: it can send only to verified recipients"
    if cap > 0 and sent >= 0.8 * cap:
        return "warn", f"Daily quota nearly used: {sent:g} of {cap:g} messages in 24 h"
    return None


_PAUSED_FIX = Fix(
    "Find and fix the cause of the pause, then ask AWS to review the account",
    ("Read the notice AWS sent to the account's contact address.",
     "Fix the bounce or complaint cause: clean the list, honour bounces and suppressions.",
     "Ask for a review in the SES console (Reputation metrics) or open a support case."),
)
_SANDBOX_FIX = Fix(
    "Request production access, or verify each recipient while testing",
    ("SES console → Account dashboard → Request production access (per region).",),
)


@check("ses.account.sending", Layer.SES, "SES account: production, sending, quota")
async def account_sending(ctx: Context, deps: Deps) -> Outcome:
    region = working_region(ctx)
    reply = await account(ctx, region)
    sent, cap = _quota(reply)
    facts = {"region": region, "production": bool(reply.get("ProductionAccessEnabled", True)),
             "sending_enabled": bool(reply.get("SendingEnabled", True)),
             "enforcement_status": str(reply.get("EnforcementStatus") or "HEALTHY"),
             "sent_24h": sent, "max_24h": cap}
    evidence = (api_evidence(f"sesv2 GetAccount ({region})", reply),)
    problem = _account_problem(reply)
    if problem is None:
        mode = "production" if facts["production"] else "sandbox"
        return passed(f"{region}: {mode}, sending enabled, {sent:g}/{cap:g} sent in 24 h",
                      evidence=evidence, facts=facts)
    kind, summary = problem
    fix = _PAUSED_FIX if "paused" in summary else _SANDBOX_FIX if "sandbox" in summary else None
    make = failed if kind == "fail" else warned
    return make(f"{region}: {summary}", _ACCOUNT_EXPLANATION, evidence=evidence, fix=fix,
                facts=facts)


_ACCOUNT_EXPLANATION = (
    "SES settings are per region. A paused account rejects every send with 'Sending paused "
    "for this account'. In the sandbox, SES accepts mail only to verified addresses and "
    "domains, and at most 200 messages a day."
)


# --------------------------------------------------------------------------- identities


async def _verified_elsewhere(ctx: Context, names: tuple[str, ...], region: str) -> list[str]:
    """Other regions where one of these identities is verified (errors there are ignored)."""

    async def one(other: str) -> str | None:
        for name in names:
            try:
                if is_verified(await identity(ctx, name, other)):
                    return other
            except AwsError:
                return None
        return None

    found = await asyncio.gather(*(one(r) for r in OTHER_REGIONS if r != region))
    return [r for r in found if r]


def _covering(pairs: list[tuple[str, dict[str, Any] | None]]) -> tuple[str, dict[str, Any]] | None:
    """The verified identity that covers the sender: the most specific domain (a verified
    domain covers its subdomains), else the address; else the first domain found."""
    address, domains = pairs[0], pairs[1:]
    verified = [(n, i) for n, i in domains if i is not None and is_verified(i)]
    if address[1] is not None and is_verified(address[1]):
        verified.append((address[0], address[1]))
    found = [(n, i) for n, i in (*domains, address) if i is not None]
    best = verified or found
    return best[0] if best else None


def _covering_names(sender: str, domain: str) -> tuple[str, ...]:
    """The address, its domain and each parent domain up to the organisational domain: SES
    lets a verified domain identity send from any of its subdomains."""
    org, names, name = org_domain(domain), [sender.lower(), domain], domain
    while name != org and "." in name:
        name = name.partition(".")[2]
        names.append(name)
    return tuple(names)


@check("ses.identity.domain", Layer.SES, "SES identity covering the From address")
async def identity_domain(ctx: Context, deps: Deps) -> Outcome:
    sender, domain = ctx.inputs.sender, ctx.inputs.sender_domain
    if not sender or not domain:
        return skipped("No sender address given (use --from)")
    region = working_region(ctx)
    names = _covering_names(sender, domain)
    found = await asyncio.gather(*(identity(ctx, n, region) for n in names))
    pairs = list(zip(names, found, strict=True))
    evidence = tuple(api_evidence(f"sesv2 GetEmailIdentity {n} ({region})",
                                  i or {"error": "NotFoundException"}) for n, i in pairs)
    chosen = _covering(pairs)
    if chosen is None:
        return await _missing_identity(ctx, names, region, evidence)
    name, ident = chosen
    facts = {"identity": name, "region": region, "verified": is_verified(ident)}
    if facts["verified"]:
        return passed(f"{name} is verified in {region}", evidence=evidence, facts=facts)
    return _unverified(name, region, ident, evidence, facts)


def _unverified(name: str, region: str, ident: dict[str, Any], evidence: tuple[Evidence, ...],
                facts: dict[str, Any]) -> Outcome:
    status = norm(ident.get("VerificationStatus"))
    error = str((ident.get("VerificationInfo") or {}).get("ErrorType") or "")
    why = VERIFICATION_ERRORS.get(error, "")
    # a domain identity is verified through its DKIM records: its DKIM state follows
    explains = ("ses.identity.dkim",) if "@" not in name else ()
    return failed(
        f"{name} is not verified in {region} (status {status}{', ' + error if error else ''})",
        "SES sends only from verified identities: until this one is verified, every message "
        f"from it is rejected with 'Email address is not verified'. {why}".strip(),
        evidence=evidence, facts=facts, fix=_verification_fix(name, status), explains=explains,
    )


def _verification_fix(name: str, status: str) -> Fix:
    """Pending: wait for SES (records in place); Failed: SES stopped looking, start again."""
    where = "SES console → Identities → " + name
    if status == "PENDING":
        return Fix("Make sure the verification records are published, then wait: SES keeps "
                   "checking for up to 72 hours", (f"{where} → Authentication shows the records "
                                                   "SES looks for.",))
    if status == "FAILED":
        return Fix("Publish the verification records, then restart verification: after a "
                   "failure SES no longer checks on its own",
                   (f"{where} → Authentication: publish the records shown.",
                    f"{where}: restart (retry) verification; SES checks again for 72 hours."))
    return Fix("Publish the verification records SES shows for this identity, then wait for "
               "SES to re-check", (f"{where} → Authentication.",))


async def _missing_identity(ctx: Context, names: tuple[str, ...], region: str,
                            evidence: tuple[Evidence, ...]) -> Outcome:
    elsewhere = await _verified_elsewhere(ctx, names, region)
    facts = {"identity": names[1], "region": region, "verified": False,
             "verified_regions": elsewhere}
    if elsewhere:
        return failed(
            f"{names[1]} is verified only in {', '.join(elsewhere)}, not in {region}",
            "SES identities, SMTP credentials and suppression lists are per region. Mail sent "
            f"through {region} is rejected: 'not verified … in region {region.upper()}'.",
            evidence=evidence, facts=facts,
            fix=Fix(f"Verify {names[1]} in {region}, or send through {elsewhere[0]} "
                    f"(host email-smtp.{elsewhere[0]}.amazonaws.com, credentials for it)"),
        )
    return failed(f"No SES identity for {names[0]} or {names[1]} in {region}",
                  "SES sends only from verified identities.", evidence=evidence, facts=facts,
                  fix=Fix(f"Create and verify the domain identity {names[1]} in {region} "
                          "(SES console → Identities → Create identity, with Easy DKIM)"))


async def _domain_identity(ctx: Context, deps: Deps) -> tuple[str, dict[str, Any]] | None:
    # a parent domain may cover it; an identity lookup that failed is not "no identity"
    chosen = deps.known("ses.identity.domain", "identity")
    domain = chosen if chosen and "@" not in str(chosen) else ctx.inputs.sender_domain
    if not domain:
        return None
    ident = await identity(ctx, domain, working_region(ctx))
    return (domain, ident) if ident else None


@check("ses.identity.dkim", Layer.SES, "SES Easy DKIM status and tokens",
       needs=("ses.identity.domain",))
async def identity_dkim(ctx: Context, deps: Deps) -> Outcome:
    found = await _domain_identity(ctx, deps)
    if found is None:
        return skipped("No SES domain identity for the sender's domain in this region")
    domain, ident = found
    dkim = ident.get("DkimAttributes") or {}
    status, tokens = norm(dkim.get("Status")), list(dkim.get("Tokens") or [])
    origin = str(dkim.get("SigningAttributesOrigin") or "AWS_SES").upper()
    facts = {"tokens": tokens, "status": status, "signing": bool(dkim.get("SigningEnabled")),
             "origin": origin}
    evidence = (api_evidence(f"DkimAttributes of {domain}", dkim),)
    if status == "SUCCESS" and facts["signing"]:
        what = (f"BYODKIM selector {', '.join(tokens)}" if origin == "EXTERNAL"
                else f"{len(tokens)} tokens")
        return passed(f"DKIM signing on for {domain} ({what})", evidence=evidence, facts=facts)
    return _dkim_problem(domain, status, facts, evidence)


def _dkim_problem(domain: str, status: str, facts: dict[str, Any],
                  evidence: tuple[Evidence, ...]) -> Outcome:
    fix = Fix("Publish the three CNAMEs <token>._domainkey." + domain +
              " → <token>.dkim.amazonses.com", action="copy_record")
    text = ("Until SES sees the three DKIM CNAMEs, it does not sign mail with this domain, so "
            "DMARC can pass only through SPF alignment of the custom MAIL FROM.")
    if facts["origin"] == "EXTERNAL":  # BYODKIM: the one token is the selector
        selector = (facts["tokens"] or ["<selector>"])[0]
        fix = Fix(f"Publish your public key as TXT at {selector}._domainkey.{domain} "
                  '("v=DKIM1; k=rsa; p=<public key>")', action="copy_record")
        text = (f"Until SES finds the key of selector {selector} (BYODKIM), it does not sign "
                "mail with this domain, so DMARC can pass only through SPF alignment of the "
                "custom MAIL FROM.")
    if status in ("FAILED", "PENDING", "TEMPORARY_FAILURE"):
        return failed(f"DKIM for {domain} is {status}: SES does not sign its mail yet", text,
                      evidence=evidence, facts=facts, fix=fix)
    if status == "SUCCESS":
        return warned(f"DKIM verified for {domain} but signing is turned off", text,
                      evidence=evidence, facts=facts)
    return warned(f"DKIM for {domain} is {status}", text, evidence=evidence, facts=facts, fix=fix)


@check("ses.identity.mail_from", Layer.SES, "Custom MAIL FROM domain",
       needs=("ses.identity.domain",))
async def identity_mail_from(ctx: Context, deps: Deps) -> Outcome:
    found = await _domain_identity(ctx, deps)
    if found is None:
        return skipped("No SES domain identity for the sender's domain in this region")
    domain, ident = found
    attrs = ident.get("MailFromAttributes") or {}
    mail_from = attrs.get("MailFromDomain") or None
    behavior = str(attrs.get("BehaviorOnMxFailure") or "USE_DEFAULT_VALUE")
    facts = {"mail_from_domain": mail_from, "behavior_on_mx_failure": behavior,
             "status": norm(attrs.get("MailFromDomainStatus")) if mail_from else None}
    evidence = (api_evidence(f"MailFromAttributes of {domain}", attrs),)
    if not mail_from:
        return passed("No custom MAIL FROM: SES uses amazonses.com as the envelope sender",
                      "SPF then passes for amazonses.com, which does not align with "
                      f"{domain}: DMARC relies on DKIM.", evidence=evidence, facts=facts)
    return _mail_from_outcome(mail_from, behavior, facts, evidence)


def _mail_from_outcome(mail_from: str, behavior: str, facts: dict[str, Any],
                       evidence: tuple[Evidence, ...]) -> Outcome:
    status = facts["status"]
    if status == "SUCCESS":
        return passed(f"MAIL FROM {mail_from} verified ({behavior})", evidence=evidence,
                      facts=facts)
    fix = Fix(f"Publish one MX for {mail_from} → feedback-smtp.<region>.amazonses.com "
              f"(priority 10) and TXT \"v=spf1 include:amazonses.com ~all\"", action="copy_record")
    if behavior == "REJECT_MESSAGE":
        return failed(
            f"MAIL FROM {mail_from} is {status} and set to reject on MX failure",
            "With 'Reject message' SES refuses every send while the MAIL FROM MX record is "
            "missing or wrong (MailFromDomainNotVerified).", evidence=evidence, facts=facts,
            fix=fix)
    return warned(f"MAIL FROM {mail_from} is {status}; SES falls back to amazonses.com",
                  "The fallback keeps mail flowing but loses SPF alignment for DMARC.",
                  evidence=evidence, facts=facts, fix=fix)


# --------------------------------------------------------------------------- suppression


async def _suppressed(ctx: Context, email: str, region: str) -> dict[str, Any] | None:
    try:
        reply = await call(ctx, "sesv2", "get_suppressed_destination", region=region,
                           EmailAddress=email)
    except AwsError as exc:
        if exc.code in ("NotFoundException", "NotFound"):
            return None
        raise
    return dict(reply.get("SuppressedDestination") or {})


REASON_TEXT = {
    "COMPLAINT": "the recipient (or their provider's feedback loop) marked an earlier message "
    "as spam. Gmail sends SES no complaints, so this came from another provider.",
    "BOUNCE": "an earlier message to it hard-bounced (for example: mailbox does not exist).",
}


def _entry_line(entry: dict[str, Any]) -> str:
    attrs = entry.get("Attributes") or {}
    parts = [f"{entry.get('EmailAddress')}: {entry.get('Reason')}",
             f"since {entry.get('LastUpdateTime')}"]
    parts += [f"{k} {attrs[k]}" for k in ("MessageId", "FeedbackId") if attrs.get(k)]
    return ", ".join(str(p) for p in parts)


@check("ses.suppression.recipient", Layer.SES, "Recipients on the account suppression list")
async def suppression_recipient(ctx: Context, deps: Deps) -> Outcome:
    recipients = ctx.inputs.recipients
    if not recipients:
        return skipped("No recipient given (use --to)")
    region = working_region(ctx)
    found = await asyncio.gather(*(_suppressed(ctx, r, region) for r in recipients))
    entries = [e for e in found if e]
    facts = {"region": region, "suppressed": [e.get("EmailAddress") for e in entries]}
    if entries:
        return _suppressed_outcome(entries, region, facts)
    return passed(f"No recipient is on the {region} account suppression list", facts=facts,
                  explanation="The global suppression list cannot be queried; SES reports it "
                  "only in a bounce ('Suppressed').")


@check("ses.account.sandbox_recipients", Layer.SES, "In the sandbox: recipients verified",
       needs=("ses.account.sending",))
async def sandbox_recipients(ctx: Context, deps: Deps) -> Outcome:
    recipients = ctx.inputs.recipients
    if not recipients:
        return skipped("No recipient given (use --to)")
    if deps.known("ses.account.sending", "production", True) is not False:
        return skipped("The account is not in the SES sandbox: any recipient is allowed")
    region = working_region(ctx)
    verified = await asyncio.gather(*(_recipient_verified(ctx, r, region) for r in recipients))
    unverified = [r for r, ok in zip(recipients, verified, strict=True) if not ok]
    facts = {"region": region, "unverified": unverified}
    if unverified:
        return _sandbox_outcome(unverified, region, facts)
    return passed(f"Sandbox in {region}: every recipient is a verified identity", facts=facts)


async def _recipient_verified(ctx: Context, email: str, region: str) -> bool:
    names = (email.lower(), email.rpartition("@")[2].lower())
    found = await asyncio.gather(*(identity(ctx, n, region) for n in names))
    return any(is_verified(i) for i in found)


def _suppressed_outcome(entries: list[dict[str, Any]], region: str,
                        facts: dict[str, Any]) -> Outcome:
    first = entries[0]
    reasons = "; ".join(f"{e.get('Reason')}: {REASON_TEXT.get(str(e.get('Reason')), '')}"
                        for e in entries)
    emails = ",".join(str(e.get("EmailAddress")) for e in entries)
    return failed(
        f"{emails} on the {region} account suppression list ({first.get('Reason')})",
        f"SES drops every message to a suppressed address (bounce subtype "
        f"OnAccountSuppressionList) without trying to deliver it. Why it was added — {reasons}",
        evidence=tuple(api_evidence(f"GetSuppressedDestination {e.get('EmailAddress')}", e)
                       for e in entries)
        + (Evidence("entries", "\n".join(map(_entry_line, entries))),),
        facts=facts,
        fix=Fix("Leave the entry in place, or remove it deliberately once the address is "
                "known to work and the recipient wants the mail",
                ("Removing a COMPLAINT entry and mailing again risks another complaint and "
                 "the account's reputation: remove only deliberately.",),
                action="remove_suppression", action_args={"email": emails, "region": region}),
    )


def _sandbox_outcome(unverified: list[str], region: str, facts: dict[str, Any]) -> Outcome:
    lines = [f"GetAccount ({region}): ProductionAccessEnabled = false (sandbox)"]
    lines += [f"{r}: neither the address nor {r.rpartition('@')[2]} is a verified identity "
              f"in {region}" for r in unverified]
    return failed(
        f"Sandbox in {region}: {_recipients_phrase(unverified)} not verified",
        "In the SES sandbox every recipient must be a verified address or domain; SES rejects "
        "the rest with 'Email address is not verified' naming the recipient.",
        evidence=(Evidence("sandbox recipients", "\n".join(lines), "api"),),
        facts=facts, fix=_SANDBOX_FIX)


def _recipients_phrase(addresses: list[str]) -> str:
    """'recipient a is' / 'recipients a and b are' / 'recipients a, b and c are'."""
    if len(addresses) == 1:
        return f"recipient {addresses[0]} is"
    return f"recipients {', '.join(addresses[:-1])} and {addresses[-1]} are"


# --------------------------------------------------------------------------- envelope sender


@check("ses.identity.envelope_sender", Layer.SES, "SES identity covering the envelope sender",
       needs=("ses.identity.domain",))
async def identity_envelope_sender(ctx: Context, deps: Deps) -> Outcome:
    envelope = (ctx.inputs.envelope_sender or "").strip().lower()
    if not envelope or "@" not in envelope:
        return skipped("No envelope sender given (it is the From address)",
                       "SES checks the envelope sender (Return-Path) as well as From; give it "
                       "when a relay or list manager writes its own (VERP).")
    region = working_region(ctx)
    names = (envelope, envelope.rpartition("@")[2])
    found = await asyncio.gather(*(identity(ctx, n, region) for n in names))
    pairs = list(zip(names, found, strict=True))
    evidence = tuple(api_evidence(f"sesv2 GetEmailIdentity {n} ({region})",
                                  i or {"error": "NotFoundException"}) for n, i in pairs)
    verified = [n for n, i in pairs if is_verified(i)]
    facts = {"envelope_sender": envelope, "region": region, "verified_identity": next(
        iter(verified), None)}
    if verified:
        return passed(f"Envelope sender {envelope} is covered by {verified[0]} in {region}",
                      evidence=evidence, facts=facts)
    return _envelope_unverified(envelope, names[1], region, evidence, facts)


def _envelope_unverified(envelope: str, domain: str, region: str,
                         evidence: tuple[Evidence, ...], facts: dict[str, Any]) -> Outcome:
    return failed(
        f"Envelope sender {envelope} is not a verified identity in {region}, nor is {domain}",
        "SES checks the envelope sender (MAIL FROM / Return-Path) as well as the From address. "
        "A relay that rewrites it (a VERP bounce address, one per message) needs the whole "
        "domain verified: verified single addresses do not cover it. SES rejects the message "
        f"at the end of DATA: '554 Message rejected: Email address is not verified … {envelope}'.",
        evidence=evidence, facts=facts,
        fix=Fix(f"Verify {domain} as a domain identity (Easy DKIM) in {region}, so any address "
                "on it passes; or make the envelope sender a verified address",
                ("SES console → Identities → Create identity → Domain, with Easy DKIM; publish "
                 "the three CNAMEs.",)),
    )
