"""What the DNS checks share: the SES fact names, the sender and recipient domains,
DNS evidence and errors."""

from __future__ import annotations

from collections.abc import Sequence

from checks.context import Context
from checks.dnsauth.sending_ips import sending_ips
from checks.model import Evidence, Outcome, skipped
from checks.net.dns import DnsAnswer, lookup
from checks.registry import CheckError, Deps

SES_SPF_INCLUDE = "amazonses.com"
SES_DEFAULT_MAIL_FROM = "amazonses.com"
MAIL_FROM = "ses.identity.mail_from"
DKIM = "ses.identity.dkim"
DOMAIN = "ses.identity.domain"


def sender_domain(ctx: Context, deps: Deps) -> str:
    domain = deps.get(DOMAIN, "identity") or ctx.inputs.sender_domain
    if not domain or "@" in domain:
        domain = ctx.inputs.sender_domain
    if not domain:
        raise NoInput("no sender address given (use --from ADDRESS)")
    return str(domain).lower().rstrip(".")


class NoInput(CheckError):
    """An input the check needs is missing: ends as an error with the reason."""


def evidence_of(answer: DnsAnswer) -> Evidence:
    return Evidence(f"{answer.rdtype} {answer.name}", answer.evidence(), "dns")


def unusable(answer: DnsAnswer) -> bool:
    return not answer.ok and not answer.status.is_negative


DNS_ERROR_TEXT = (
    "The DNS server did not give a usable answer (not the records, and not a definite "
    '"no such record"), so this could not be checked: nothing is known to be wrong with '
    "the record itself. Try again, or ask another resolver (--nameserver)."
)


def dns_error(answer: DnsAnswer, what: str) -> CheckError:
    return CheckError(
        f"Could not read {what}: {answer.plain()}",
        explanation=DNS_ERROR_TEXT,
        evidence=(evidence_of(answer),),
    )


def first_unusable(answers: Sequence[DnsAnswer]) -> DnsAnswer | None:
    """The first answer that is neither records nor a definite NXDOMAIN/NODATA."""
    return next((a for a in answers if unusable(a)), None)


def ses_mail_from(deps: Deps) -> tuple[str | None, bool]:
    """(custom MAIL FROM domain or None, whether SES facts are known at all)."""
    known = deps.result(MAIL_FROM) is not None and "mail_from_domain" in (
        deps.result(MAIL_FROM).facts  # type: ignore[union-attr]
    )
    return deps.get(MAIL_FROM, "mail_from_domain"), known


def is_address_literal(domain: str) -> bool:
    """RFC 5321 4.1.3: user@[192.0.2.1] or user@[IPv6:2001:db8::1] names a host, not a domain."""
    return domain.startswith("[") and domain.endswith("]")


def recipient_name_domains(ctx: Context) -> tuple[list[str], list[str]]:
    """(recipient domains, recipient address literals): domain records exist only for the first."""
    every = recipient_domains(ctx)
    literals = [d for d in every if is_address_literal(d)]
    return [d for d in every if d not in literals], literals


def literal_skip(literals: list[str], what: str) -> Outcome:
    return skipped(
        f"No recipient domain to check {what} for: {', '.join(literals)} is an address literal",
        f"Mail to user@{literals[0]} goes straight to that IP address: there is no domain, so "
        f"no {what} record (and no MX) applies.",
    )


def known_sending_ips(ctx: Context) -> list[str]:
    """The sending IPs the user named (--sending-ip), then those a bounce names."""
    return list(dict.fromkeys([*ctx.inputs.sending_ips, *sending_ips(ctx.inputs.bounce)]))


def recipient_domains(ctx: Context) -> list[str]:
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


def worst_outcome(outcomes: Sequence[Outcome]) -> Outcome:
    """The outcome that matters most: a finding, then "could not check", then pass, skip."""
    order = {"fail": 0, "warn": 1, "error": 2, "pass": 3, "skip": 4}
    return min(outcomes, key=lambda o: order.get(o.status.value, 5))
