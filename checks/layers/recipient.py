"""Checks of the recipient layer: who hosts the recipient domain, and can its MTA be reached."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from checks.context import Context
from checks.dnsauth.providers import identify
from checks.layers.dns.common import (
    DNS_ERROR_TEXT,
    first_unusable,
    mx_hosts,
    recipient_domains,
    worst_outcome,
)
from checks.layers.dns.common import evidence_of as _ev
from checks.layers.gmail_relay import greeting_wait, late_greeting_facts, late_greeting_text
from checks.model import Evidence, Fix, Layer, Outcome, errored, failed, passed, skipped, warned
from checks.net import smtp
from checks.net.dns import DnsAnswer, DnsStatus, lookup
from checks.registry import CheckError, Deps, check

PROBE_TIMEOUT = 8.0
_CAVEAT = (
    "This probe comes from your network, not from SES's sending IPs: the recipient may "
    "treat SES differently, and many networks block outbound port 25."
)
#: failures at the connection level: from here they say nothing about the recipient's server
#: (home, office and cloud networks often block outbound port 25)
UNREACHED = frozenset(
    {smtp.Failure.REFUSED, smtp.Failure.CONNECT_TIMEOUT, smtp.Failure.UNREACHABLE}
)
#: getaddrinfo texts of a local resolver failure (as opposed to "no such host")
_LOCAL_DNS = ("Temporary failure in name resolution", "System error")
#: a session that broke after connecting: from here, "could not check" with the cause named
#: (a filter on this network's port 25, or the server treating this IP unlike SES's)
BROKEN_SESSION: dict[smtp.Failure, str] = {
    smtp.Failure.NO_BANNER: "no greeting",
    smtp.Failure.DROPPED: "connection dropped",
    smtp.Failure.TIMEOUT: "no reply",
    smtp.Failure.GARBAGE: "garbage reply",
    smtp.Failure.REJECTED: "session refused",
    smtp.Failure.TLS_PROTOCOL: "TLS handshake failure",
}
_TLS_UP = "-- TLS established --"


def unreached_from_here(result: smtp.ProbeResult) -> bool:
    """The probe never reached a server, for reasons that may be this machine's network."""
    if result.failure is smtp.Failure.DNS:
        return any(text in result.detail for text in _LOCAL_DNS)
    return result.failure in UNREACHED


@check("recipient.mx.provider", Layer.RECIPIENT_MTA, "Recipient MX hosts and provider")
async def mx_provider(ctx: Context, deps: Deps) -> Outcome:
    domains = recipient_domains(ctx)
    if not domains:
        return skipped("No recipient address given", "Use --to ADDRESS.")
    outcomes = await asyncio.gather(*(_mx_of(ctx, d) for d in domains))
    worst = worst_outcome(outcomes)  # fail, warn, error (with facts) or pass
    hosts = [h for o in outcomes for h in o.facts.get("mx_hosts", [])]
    provider = next((o.facts.get("provider") for o in outcomes if o.facts.get("provider")), None)
    facts = {**worst.facts, "mx_hosts": hosts, "provider": provider}
    return Outcome(
        worst.status,
        worst.summary,
        worst.explanation,
        tuple(e for o in outcomes for e in o.evidence),
        worst.fix,
        facts,
    )


async def _mx_of(ctx: Context, domain: str) -> Outcome:
    answer, hosts = await mx_hosts(ctx, domain)
    if not answer.ok and not answer.status.is_negative:
        raise CheckError(
            f"Could not read the MX of {domain}: {answer.plain()}", evidence=(_ev(answer),)
        )
    if answer.status.value == "nxdomain":
        return failed(
            f"{domain} does not exist in DNS",
            "Mail to it bounces as host unknown (5.1.2 / 5.4.310). Check the address for a typo.",
            evidence=(_ev(answer),),
            facts={"mx_hosts": [], "provider": None, "domain": domain},
        )
    if answer.ok and not hosts:
        return failed(
            f"{domain} accepts no mail (null MX, RFC 7505)",
            "The domain publishes "
            "'MX 0 .', which says it never receives email; every message bounces.",
            evidence=(_ev(answer),),
            fix=Fix("Use another address for this recipient"),
            facts={"mx_hosts": [], "provider": None, "domain": domain},
        )
    if not hosts:
        return await _no_mx(ctx, domain, answer)
    return await _with_mx(ctx, domain, answer, hosts)


async def host_addresses(ctx: Context, host: str) -> tuple[DnsAnswer, ...]:
    """The A answer of host, and its AAAA answer when A gave no records: a host with either
    has an address (an IPv6-only MX host is fine)."""
    a = await lookup(ctx, host, "A")
    if a.ok:
        return (a,)
    return a, await lookup(ctx, host, "AAAA")


def has_address(answers: Sequence[DnsAnswer]) -> bool:
    return any(a.ok for a in answers)


def no_address_text(answers: Sequence[DnsAnswer]) -> str:
    """Why a host has no address: NXDOMAIN, or neither an A nor an AAAA record."""
    nxdomain = next((a for a in answers if a.status is DnsStatus.NXDOMAIN), None)
    if nxdomain is not None:
        return nxdomain.plain()
    return "the name exists but has neither an A nor an AAAA record (NODATA)"


async def _no_mx(ctx: Context, domain: str, answer: DnsAnswer) -> Outcome:
    answers = await host_addresses(ctx, domain)
    evidence = (_ev(answer), *(_ev(a) for a in answers))
    unread = None if has_address(answers) else first_unusable(answers)
    if unread is not None:
        raise CheckError(
            f"{domain} has no MX, and its address record could not be read: {unread.plain()}",
            explanation=DNS_ERROR_TEXT,
            evidence=evidence,
        )
    found = has_address(answers)
    facts = {"mx_hosts": [domain] if found else [], "provider": None, "domain": domain}
    if found:
        return warned(
            f"{domain} has no MX; mail goes to its address record",
            "RFC 5321 5.1: without MX, senders use the A/AAAA record. This works, "
            "but is usually a sign the domain is not meant to receive mail.",
            evidence=evidence,
            facts=facts,
        )
    return failed(
        f"{domain} has neither MX nor address records",
        "Nothing can receive mail for it.",
        evidence=evidence,
        facts=facts,
    )


async def _with_mx(ctx: Context, domain: str, answer: DnsAnswer, hosts: list[str]) -> Outcome:
    per_host = await asyncio.gather(*(host_addresses(ctx, h) for h in hosts))
    evidence = (_ev(answer), *(_ev(a) for answers in per_host for a in answers))
    provider = identify(hosts)
    name = provider.name if provider else None
    facts = {"mx_hosts": hosts, "provider": name, "domain": domain}
    problems = _mx_host_problems(hosts, per_host)
    who = f"is hosted by {name}" if name else "is hosted by a provider mailpath does not recognise"
    note = provider.note if provider else ""
    if problems:
        return warned(
            f"{domain}: {problems[0]}", "\n".join(problems), evidence=evidence, facts=facts
        )
    unread = first_unusable([a for answers in per_host if not has_address(answers)
                             for a in answers])
    if unread is not None:  # facts kept: the port-25 probe can still try the host
        return errored(
            f"{domain} {who}, but the address of MX host {unread.name.rstrip('.')} could "
            f"not be read: {unread.plain()}",
            DNS_ERROR_TEXT,
            evidence=evidence,
            facts=facts,
        )
    return passed(
        f"{domain} {who} (MX {', '.join(hosts)})", note, evidence=evidence, facts=facts
    )


def _mx_host_problems(hosts: Sequence[str],
                      per_host: Sequence[Sequence[DnsAnswer]]) -> list[str]:
    problems = []
    for host, answers in zip(hosts, per_host, strict=True):
        if any(a.chain for a in answers):
            problems.append(f"MX host {host} is a CNAME (RFC 5321 5.1 forbids it)")
        elif all(a.status.is_negative for a in answers):
            problems.append(f"MX host {host} has no address ({no_address_text(answers)})")
    return problems


def probe_step(ctx: Context) -> float:
    """Seconds the probe waits per step: a third of the check's time, at most PROBE_TIMEOUT,
    so a stalled step is named before the check's own time limit ends it."""
    return max(0.5, min(PROBE_TIMEOUT, ctx.endpoints.timeout / 3))


def greeting_patience(ctx: Context) -> float:
    """Seconds the greeting may take: GREETING_SHARE of the check's time (as for the relay),
    at least a step and at most PROBE_TIMEOUT, so a server that is only slow greets within
    it and is told apart from a silent one."""
    return greeting_wait(ctx.endpoints.timeout, probe_step(ctx), PROBE_TIMEOUT)


async def _probe(ctx: Context, host: str) -> smtp.ProbeResult:
    """The port-25 STARTTLS probe of one MX host, once per run."""
    return await ctx.memo(
        ("recipient.probe", host),
        lambda: smtp.probe(host, 25, "starttls", ctx.endpoints, timeout=probe_step(ctx),
                           patience=greeting_patience(ctx)),
    )


async def _prefetch_probe(ctx: Context) -> None:
    """With the run's start: probe the first recipient domain's first MX host, which the
    check will name (it still waits for recipient.mx.provider and probes what that found)."""
    domains = recipient_domains(ctx)
    if domains:
        _, hosts = await mx_hosts(ctx, domains[0])
        if hosts:
            await _probe(ctx, hosts[0])


MTA_STS = "dns.mta_sts.policy"
#: the probe stopped at STARTTLS: the server does not offer it, or refused it when asked
NO_TLS = frozenset({smtp.Failure.NO_STARTTLS, smtp.Failure.STARTTLS_REFUSED})


@check(
    "recipient.mta.reachable",
    Layer.RECIPIENT_MTA,
    "Recipient MTA answers on port 25",
    needs=("recipient.mx.provider", MTA_STS),
    prefetch=_prefetch_probe,
)
async def mta_reachable(ctx: Context, deps: Deps) -> Outcome:
    hosts = list(deps.fact("recipient.mx.provider", "mx_hosts"))
    if not hosts:
        return skipped("No MX host to probe", "recipient.mx.provider found none.")
    result = await _probe(ctx, hosts[0])
    evidence = (Evidence(f"SMTP {hosts[0]}:25", smtp.describe(result, ctx.redactor), "smtp"),)
    facts = {"host": hosts[0], "tls_version": result.tls_version}
    if result.failure is None:
        return passed(
            f"{hosts[0]} answers on port 25 with STARTTLS ({result.tls_version})",
            _CAVEAT,
            evidence=evidence,
            facts=facts,
        )
    if unreached_from_here(result):
        return _not_reached(hosts[0], result, evidence, facts)
    if result.failure is smtp.Failure.SLOW:
        return _slower_than_the_limit(ctx, hosts[0], result, evidence, facts)
    if result.failure in BROKEN_SESSION:
        return _broken_session(hosts[0], result, evidence, facts)
    if result.failure in NO_TLS:
        return await _no_tls(ctx, deps, hosts[0], result, evidence, facts)
    detail = f" ({result.detail})" if result.detail else ""
    what = (
        "The MX host name does not resolve"
        if result.failure is smtp.Failure.DNS
        else "The recipient's mail server answered, then"
    )
    return failed(
        f"{hosts[0]}:25 — {result.failure.value}",
        f"{what}: {result.failure.value}{detail}.\n{_CAVEAT}",
        evidence=evidence,
        facts=facts,
        fix=Fix("Tell the recipient's mail administrator; the fault is on their side"),
    )


def _starttls_words(result: smtp.ProbeResult) -> str:
    """What happened at STARTTLS, in words: not offered, or offered and refused (for now)."""
    if result.failure is smtp.Failure.NO_STARTTLS:
        return "does not offer STARTTLS"
    reply = result.detail
    when = "temporarily " if reply[:1] == "4" else ""
    return f"offers STARTTLS but refused it {when}when asked ({reply})"


async def _tls_required(ctx: Context, deps: Deps, host: str) -> tuple[str, Evidence | None]:
    """Why senders must use TLS with host ('' when nothing requires it): an MTA-STS policy
    in enforce mode, or TLSA records (DANE) on _25._tcp.host."""
    if deps.get(MTA_STS, "mode") == "enforce":
        return (f"the recipient's MTA-STS policy is in enforce mode ({MTA_STS}): senders "
                "that honour it, SES included, deliver only over TLS with a valid "
                "certificate"), None
    tlsa = await lookup(ctx, f"_25._tcp.{host}", "TLSA")
    if tlsa.ok:
        return (f"{host} publishes TLSA records (DANE, RFC 7672): senders that validate "
                "DANE deliver only over TLS"), _ev(tlsa)
    return "", _ev(tlsa)


async def _no_tls(ctx: Context, deps: Deps, host: str, result: smtp.ProbeResult,
                  evidence: tuple[Evidence, ...], facts: dict[str, Any]) -> Outcome:
    """No TLS on port 25: a root cause only where the recipient requires TLS (MTA-STS
    enforce, DANE); otherwise SES delivers in cleartext, which is a warning."""
    words = _starttls_words(result)
    required, tlsa = await _tls_required(ctx, deps, host)
    evidence = (*evidence, *((tlsa,) if tlsa else ()))
    facts = {**facts, "starttls": result.failure.value if result.failure else ""}
    if required:
        return failed(
            f"{host}:25 {words}; the recipient requires TLS",
            f"{host} {words}, and {required}. Mail to it is deferred and then bounces.\n"
            f"{_CAVEAT}",
            evidence=evidence,
            facts=facts,
            fix=Fix("Tell the recipient's mail administrator: their server must offer "
                    "STARTTLS on port 25 with a valid certificate",
                    ("Or, if TLS cannot be offered, they must change the MTA-STS policy to "
                     "mode: testing (or remove the TLSA records) first.",)),
        )
    return warned(
        f"{host}:25 {words}: SES delivers to it without TLS",
        f"{host} {words}. SES uses TLS when the receiving server offers it and otherwise "
        "delivers in cleartext, so mail still arrives, unencrypted on the way. SES holds it "
        "back only if the configuration set you send with requires TLS (TlsPolicy Require) "
        "or the recipient requires it (MTA-STS in enforce mode, or DANE): "
        f"{_sts_unknown(deps)}\n{_CAVEAT}",
        evidence=evidence,
        facts=facts,
        fix=Fix("Ask the recipient's mail administrator to offer STARTTLS on port 25",
                ("If you send with a configuration set whose TLS policy is Require, SES "
                 "will not deliver to this server until it offers TLS: use a configuration "
                 "set with TlsPolicy Optional for this recipient, or wait for the fix.",)),
    )


def _sts_unknown(deps: Deps) -> str:
    """What the recipient publishes of MTA-STS and DANE, when neither requires TLS."""
    unsettled = deps.unsettled(MTA_STS)
    if unsettled is None and deps.get(MTA_STS, "mode") == "testing":
        return ("its MTA-STS policy is in testing mode (senders report TLS failures but "
                "still deliver), and it publishes no TLSA records.")
    if unsettled is None:
        return "the recipient publishes neither."
    return (f"no TLSA records are published, but the MTA-STS policy could not be read "
            f"({unsettled} ended as error): if it is in enforce mode, SES will not deliver.")


def _not_reached(
    host: str, result: smtp.ProbeResult, evidence: tuple[Evidence, ...], facts: dict[str, Any]
) -> Outcome:
    """A connection that failed from here: "could not check", never the recipient's fault."""
    assert result.failure is not None
    at = f" ({result.address})" if result.address else ""
    return errored(
        f"Could not reach {host}:25{at} from here ({result.failure.value}); many networks "
        "block outbound port 25",
        "The probe runs from this machine, not from SES's sending network, and home, office "
        "and cloud networks often block outbound port 25: a refused or unanswered connection "
        "here says nothing about whether SES can deliver. To test the recipient's server, "
        "run mailpath from a network that allows outbound port 25."
        + (f"\n{result.detail}" if result.detail else ""),
        evidence=evidence,
        facts=facts,
    )


#: the replies the probe reads: greeting, EHLO, STARTTLS, TLS handshake, EHLO again
PROBE_REPLIES = 5


def _slower_than_the_limit(
    ctx: Context, host: str, result: smtp.ProbeResult, evidence: tuple[Evidence, ...],
    facts: dict[str, Any],
) -> Outcome:
    """The server greeted, but later than a reply may take: the time that ran out is the one
    --timeout set, so STARTTLS was not checked. "Could not check", never the server's fault."""
    limit, late, step = ctx.endpoints.timeout, result.greeting_seconds, result.reply_timeout
    why = late_greeting_text(result, limit, PROBE_TIMEOUT, PROBE_REPLIES,
                             ("The server", "the recipient's server"),
                             ", so STARTTLS and the TLS handshake could not be checked")
    return errored(
        f"Could not check {host}:25 from here: it greets only after {late:.1f} s, longer "
        f"than the {step:.2g} s a reply may take with --timeout {limit:g}",
        f"{why}\n{_CAVEAT}",
        evidence=evidence,
        facts={**facts, **late_greeting_facts(result, limit)},
    )


def stage(result: smtp.ProbeResult) -> str:
    """Where the session stopped, read from the probe's transcript (the QUIT sent after a
    refusal does not count)."""
    log = result.transcript
    sent = [line[3:].split(" ")[0].upper() for line in log if line.startswith("C: ")]
    while sent and sent[-1] == "QUIT":
        sent.pop()
    if not sent:
        heard = any(line.startswith("S: ") for line in log)
        return "instead of the greeting" if heard else "before the greeting"
    return f"after {sent[-1]}" + (" (in TLS)" if _TLS_UP in log else "")


def session_cause(result: smtp.ProbeResult) -> str:
    """The broken session named: what broke, when, and the server's words (if any)."""
    assert result.failure is not None
    where = stage(result)
    label = BROKEN_SESSION[result.failure]
    in_handshake = where == "after STARTTLS" and result.tls_version is None
    if in_handshake and result.failure is not smtp.Failure.REJECTED:
        label = "TLS handshake failure"
    elif result.failure is smtp.Failure.REJECTED and where.startswith("after"):
        code = result.detail[:3]
        label = f"{code} mid-session" if code.isdigit() else label
    detail = f" ({result.detail})" if result.detail else ""
    when = "" if result.failure is smtp.Failure.NO_BANNER else f" {where}"
    return f"{label}{when}: {result.failure.value}{detail}"


def _broken_session(
    host: str, result: smtp.ProbeResult, evidence: tuple[Evidence, ...], facts: dict[str, Any]
) -> Outcome:
    """The server was reached but the session broke: named, yet "could not check"."""
    return errored(
        f"Could not check {host}:25 from here: {session_cause(result)}",
        "The probe runs from this machine, not from SES's sending network. A session that "
        "breaks here may be a filter on this network's port 25, or the server treating this "
        "address unlike SES's; it does not show what SES meets. If mail to this recipient "
        "bounces, the bounce's own reply says what the server told SES.",
        evidence=evidence,
        facts={**facts, "cause": session_cause(result)},
    )
