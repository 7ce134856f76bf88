"""Propagation: the zone's authoritative nameservers agree with the resolver."""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

from checks.context import Context
from checks.layers.dns.common import (
    DKIM,
    DNS_ERROR_TEXT,
    DOMAIN,
    MAIL_FROM,
    dns_error,
    evidence_of,
    sender_domain,
    unusable,
)
from checks.model import Evidence, Fix, Layer, Outcome, Status, failed, passed, warned
from checks.net.dns import DnsAnswer, DnsStatus, lookup, lookup_direct
from checks.registry import CheckError, Deps, check

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
    zone: str = ""


@dataclass(frozen=True)
class _Servers:
    """The zone's nameservers by what they did when asked for the zone's SOA."""

    answering: list[_Authority]
    silent: list[_Authority]
    #: (server, why it does not serve the zone): REFUSED, or an answer without AA
    lame: list[tuple[_Authority, str]]
    evidence: tuple[Evidence, ...]


async def _prefetch(ctx: Context) -> None:
    """With the run's start: the zone's nameservers and the records SES facts do not name."""
    domain = ctx.inputs.sender_domain
    if domain:
        found = await _zone_servers(ctx, domain)
        names = _fixed_names(domain)
        await asyncio.gather(*(_compare(ctx, found.answering, n, t) for n, t, _ in names))


@check(
    "dns.propagation",
    Layer.DNS,
    "Authoritative servers agree with the resolver",
    needs=(MAIL_FROM, DKIM, DOMAIN, *_READERS),
    prefetch=_prefetch,
)
async def propagation(ctx: Context, deps: Deps) -> Outcome:
    domain = sender_domain(ctx, deps)
    found_servers = await _zone_servers(ctx, domain)
    if not found_servers.answering:
        return _all_lame(domain, found_servers)
    outcome = await _propagation(ctx, deps, domain, found_servers)
    return _with_lame(outcome, found_servers) if found_servers.lame else outcome


async def _propagation(ctx: Context, deps: Deps, domain: str, servers: _Servers) -> Outcome:
    answering, silent, ns_evidence = servers.answering, servers.silent, servers.evidence
    names = _propagation_names(deps, domain)
    diffs = await asyncio.gather(*(_compare(ctx, answering, n, t) for n, t, _ in names))
    found = [d.differ for d in diffs if d.differ]
    unread = [d.unread for d in diffs if d.unread]
    evidence = ns_evidence + tuple(e for d in diffs for e in d.evidence)
    if not found and unread:
        raise CheckError(
            f"Could not compare {len(unread)} of {len(names)} records of {domain}: {unread[0]}",
            explanation=DNS_ERROR_TEXT + "\n" + "\n".join(unread),
            evidence=evidence,
        )
    if not found:
        return _propagation_agrees(domain, answering, silent, len(names), evidence)
    readers = {c for (_, _, cs), d in zip(names, diffs, strict=True) if d.differ for c in cs}
    stale = tuple(c for c in _READERS if c in readers and deps.status(c) is Status.FAIL)
    make = failed if stale else warned
    return make(
        f"{len(found)} record(s) differ between {domain}'s nameservers and the "
        f"resolver: {found[0]}",
        _stale_text(stale)
        + _PROPAGATION_TEXT
        + "\n"
        + "\n".join([*found, *(f"not compared: {u}" for u in unread)]),
        evidence=evidence,
        fix=_propagation_fix(domain) if stale else None,
        facts={"differ": found, "silent": [s.label for s in silent]},
        explains=stale,
    )


def _lame_lines(servers: _Servers) -> list[str]:
    return [
        f"lame delegation: NS {s.label} does not serve the zone {s.zone} ({why})"
        for s, why in servers.lame
    ]


_LAME_TEXT = (
    "The parent zone's NS records name this server, but it does not serve the zone: a "
    "resolver that asks it gets no answer it can use and must try another nameserver (slower, "
    "and a failure when every listed server is lame). Usually the zone was moved to another "
    "DNS provider and the NS records still name the old one, or a secondary was never set up."
)


def _lame_fix(servers: _Servers) -> Fix:
    zone = servers.lame[0][0].zone
    return Fix(
        f"Make every NS record of {zone} name a server that serves the zone",
        (
            "Remove the lame servers from the NS records (at the registrar and in the zone), "
            "or add the zone to them.",
        ),
    )


def _all_lame(domain: str, servers: _Servers) -> Outcome:
    """No nameserver serves the zone: resolvers cannot resolve its names at all."""
    lines = _lame_lines(servers)
    if not lines:
        raise CheckError(
            f"None of {domain}'s authoritative nameservers answered",
            explanation="\n".join(f"{s.label} did not answer" for s in servers.silent),
            evidence=servers.evidence,
        )
    return failed(
        f"{lines[0]}" + (f" (and {len(lines) - 1} more)" if len(lines) > 1 else ""),
        _LAME_TEXT + "\n" + "\n".join(lines),
        evidence=servers.evidence,
        fix=_lame_fix(servers),
        facts={"lame": [s.label for s, _ in servers.lame]},
    )


def _with_lame(outcome: Outcome, servers: _Servers) -> Outcome:
    """Some nameservers are lame: a warning at least, named as such."""
    lines = _lame_lines(servers)
    facts = {**outcome.facts, "lame": [s.label for s, _ in servers.lame]}
    text = _LAME_TEXT + "\n" + "\n".join(lines)
    if outcome.status in (Status.FAIL, Status.WARN):
        return dataclasses.replace(
            outcome, explanation=f"{outcome.explanation}\n{text}", facts=facts
        )
    return warned(lines[0], text, evidence=outcome.evidence, fix=_lame_fix(servers), facts=facts)


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
) -> _Servers:
    """Ask each server for the SOA: answering (authoritatively), lame, or silent."""
    probe = await asyncio.gather(*(lookup_direct(ctx, s.address, domain, "SOA") for s in servers))
    found = _Servers([], [], [], ns_evidence + tuple(evidence_of(p) for p in probe))
    for server, answer in zip(servers, probe, strict=True):
        why = _lame_reason(answer)
        if why:
            found.lame.append((server, why))
        elif answer.ok or answer.status.is_negative:
            found.answering.append(server)
        else:
            found.silent.append(server)
    return found


def _lame_reason(answer: DnsAnswer) -> str:
    """Why a nameserver's answer shows it does not serve the zone ('' when it does)."""
    if answer.status is DnsStatus.REFUSED:
        return "it answers REFUSED"
    if (answer.ok or answer.status.is_negative) and not answer.authoritative:
        return "it answers without the authoritative (AA) flag"
    return ""


_Names = list[tuple[str, str, tuple[str, ...]]]
_SPF_READERS = ("dns.spf.record", "dns.spf.authorises_ses")


def _fixed_names(domain: str, custom: str | None = None) -> _Names:
    """The records compared whatever SES says (and which checks read them)."""
    return [
        (domain, "TXT", () if custom else _SPF_READERS),
        (f"_dmarc.{domain}", "TXT", ("dns.dmarc.record",)),
        (domain, "MX", ()),
    ]


def _propagation_names(deps: Deps, domain: str) -> _Names:
    """(name, type, the checks that read it) for every record compared."""
    spf_readers = _SPF_READERS
    custom = deps.get(MAIL_FROM, "mail_from_domain")
    names = _fixed_names(domain, custom)
    byodkim = str(deps.get(DKIM, "origin") or "").upper() == "EXTERNAL"  # a TXT key
    names += [
        (f"{t}._domainkey.{domain}", "TXT" if byodkim else "CNAME", ("dns.dkim.cnames",))
        for t in deps.get(DKIM, "tokens") or []
    ]
    if custom:
        names += [(custom, "MX", ("dns.mail_from.mx",)), (custom, "TXT", spf_readers)]
    return names


async def _zone_servers(ctx: Context, domain: str) -> _Servers:
    """The nameservers of domain's zone by how they answer, once per run."""
    return await ctx.memo(("dns.propagation", domain), lambda: _find_zone_servers(ctx, domain))


async def _find_zone_servers(ctx: Context, domain: str) -> _Servers:
    servers, ns_evidence = await _authoritative_servers(ctx, domain)
    if not servers:
        raise CheckError(
            f"Could not find the authoritative nameservers of {domain}",
            explanation="The NS records of the zone, or the addresses of its nameservers, "
            "were not found (see the evidence for what the DNS server answered).",
            evidence=ns_evidence,
        )
    return await _answering(ctx, domain, servers, ns_evidence)


async def _zone_ns(ctx: Context, domain: str) -> DnsAnswer:
    """The NS answer of the zone holding domain: the nearest NS up to the apex.

    All the names up the tree are asked at once; the first that has NS wins, as in a walk.
    """
    labels = domain.split(".")
    names = [".".join(labels[i:]) for i in range(len(labels))]
    answers = await asyncio.gather(*(lookup(ctx, n, "NS") for n in names))
    return next((a for a in answers if a.ok or unusable(a)), answers[-1])


async def _authoritative_servers(
    ctx: Context, domain: str
) -> tuple[list[_Authority], tuple[Evidence, ...]]:
    """Every address of every NS host of the zone (routed for the lab), once each."""
    ns = await _zone_ns(ctx, domain)
    if unusable(ns):
        raise dns_error(ns, f"the NS records of {ns.name.rstrip('.')}")
    hosts = [r.rstrip(".").lower() for r in ns.records]
    zone = ns.name.rstrip(".")
    addresses = await asyncio.gather(*(lookup(ctx, h, "A") for h in hosts))
    found: dict[tuple[str, int], _Authority] = {}
    for host, answer in zip(hosts, addresses, strict=True):
        for ip in answer.records:
            routed = ctx.endpoints.dns_address(ip)
            found.setdefault(routed, _Authority(f"{host} ({ip})", routed, zone))
    return list(found.values()), (evidence_of(ns), *(evidence_of(a) for a in addresses))


def _shown(answer: DnsAnswer) -> str:
    if answer.ok:
        return str(sorted(answer.records))
    if answer.chain:  # an alias to a name in another zone
        return f"CNAME to {answer.chain[-1].split(' -> ')[-1]}"
    return answer.status.value.upper()


def _same(direct: DnsAnswer, resolver: DnsAnswer) -> bool:
    """The nameserver serves what the resolver got. A CNAME whose target lives in another
    zone is all the zone's own server can give: it agrees when the resolver's chain starts
    with the same alias."""
    if _shown(direct) == _shown(resolver):
        return True
    hops = len(direct.chain)
    return bool(hops) and not direct.ok and resolver.chain[:hops] == direct.chain


@dataclass(frozen=True)
class _Comparison:
    """One record compared: a line when copies differ, a line when it could not be compared."""

    differ: str = ""
    unread: str = ""
    evidence: tuple[Evidence, ...] = ()


async def _compare(
    ctx: Context, servers: Sequence[_Authority], name: str, rdtype: str
) -> _Comparison:
    """Whether each nameserver serves what the resolver serves for name/rdtype."""
    resolver, *direct = await asyncio.gather(
        lookup(ctx, name, rdtype),
        *(lookup_direct(ctx, s.address, name, rdtype) for s in servers),
    )
    pairs = [(s, d) for s, d in zip(servers, direct, strict=True) if not unusable(d)]
    if unusable(resolver):
        return _Comparison(
            unread=f"{rdtype} {name}: {resolver.plain()}", evidence=(evidence_of(resolver),)
        )
    if not pairs:
        why = direct[0].plain() if direct else "no nameserver to ask"
        return _Comparison(
            unread=f"{rdtype} {name}: {why}", evidence=tuple(evidence_of(d) for d in direct)
        )
    differ = [f"{s.label} serves {_shown(d)}" for s, d in pairs if not _same(d, resolver)]
    if not differ:
        return _Comparison()
    agree = [s.label for s, d in pairs if _same(d, resolver)]
    text = f"{rdtype} {name}: the resolver serves {_shown(resolver)}; " + "; ".join(differ)
    if agree:
        text += f"; {', '.join(agree)} agree(s) with the resolver"
    return _Comparison(text, "", (evidence_of(resolver), *(evidence_of(d) for _, d in pairs)))
