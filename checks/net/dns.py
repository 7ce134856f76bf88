"""DNS adapter: one async resolver per run, every lookup once, failures as a typed result.

Checks never see dnspython exceptions: `lookup()` returns a `DnsAnswer` whose
`status` says what happened (records, NXDOMAIN, NODATA, SERVFAIL, timeout, …).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import dns.asyncquery
import dns.asyncresolver
import dns.exception
import dns.flags
import dns.message
import dns.nameserver
import dns.rcode
import dns.rdatatype
import dns.resolver

from checks.context import Context

__all__ = ["DnsAnswer", "DnsStatus", "budget", "lookup", "lookup_direct", "make_resolver"]

#: per-query budget: short, so a dead server ends as a clear error, not the check's timeout
QUERY_TIMEOUT = 2.0
LIFETIME = 4.0
#: a lookup may use at most this share of the check timeout: a check makes a few lookups in
#: a row (SPF record, then its includes), and must still report the dead server itself.
_SHARE_OF_CHECK = 0.3


def budget(check_timeout: float) -> tuple[float, float]:
    """(per-try timeout, whole-lookup lifetime) in seconds for a check timeout."""
    lifetime = max(0.05, min(LIFETIME, check_timeout * _SHARE_OF_CHECK))
    return min(QUERY_TIMEOUT, lifetime), lifetime


class DnsStatus(StrEnum):
    OK = "ok"
    NXDOMAIN = "nxdomain"  # the name does not exist
    NODATA = "nodata"  # the name exists, but has no record of this type
    SERVFAIL = "servfail"  # the server(s) failed or refused to answer
    TIMEOUT = "timeout"
    ERROR = "error"  # a malformed answer or another DNS failure

    @property
    def is_negative(self) -> bool:
        """A definite "no such record" (as opposed to "could not find out")."""
        return self in (DnsStatus.NXDOMAIN, DnsStatus.NODATA)


_PLAIN = {
    DnsStatus.NXDOMAIN: "the name does not exist (NXDOMAIN)",
    DnsStatus.NODATA: "the name exists but has no {rdtype} record (NODATA)",
    DnsStatus.SERVFAIL: "the DNS server {server} failed to answer (SERVFAIL or REFUSED)",
    DnsStatus.TIMEOUT: "the DNS server {server} did not answer (timeout)",
    DnsStatus.ERROR: "the answer of the DNS server {server} could not be read",
}


@dataclass(frozen=True)
class DnsAnswer:
    """The result of one lookup: records as text, or why there are none."""

    name: str
    rdtype: str
    status: DnsStatus
    records: tuple[str, ...] = ()
    #: the CNAME chain followed, "alias -> target" (empty when there was none)
    chain: tuple[str, ...] = ()
    detail: str = ""
    server: str = ""

    @property
    def ok(self) -> bool:
        return self.status is DnsStatus.OK

    def plain(self) -> str:
        """What happened, in words."""
        if self.ok:
            return f"{len(self.records)} {self.rdtype} record(s)"
        return _PLAIN[self.status].format(rdtype=self.rdtype, server=self.server or "(system)")

    def evidence(self) -> str:
        """dig-like text of the answer, for Evidence.content."""
        head = f"; {self.name} {self.rdtype} @{self.server or 'system resolver'}"
        lines = [head, *(f"; CNAME {c}" for c in self.chain)]
        if self.ok:
            lines += [f"{self.name} IN {self.rdtype} {r}" for r in self.records]
        else:
            lines.append(f"; {self.status.value.upper()}: {self.plain()} {self.detail}".rstrip())
        return "\n".join(lines)


def make_resolver(
    nameservers: tuple[tuple[str, int], ...], check_timeout: float = 10.0
) -> dns.asyncresolver.Resolver:
    """A resolver on the given servers, or the system configuration when none are given;
    its timeouts are a share of the check timeout (see `budget`)."""
    if not nameservers:
        try:
            res = dns.asyncresolver.Resolver()
        except dns.resolver.NoResolverConfiguration:
            res = dns.asyncresolver.Resolver(configure=False)
            res.nameservers = ["127.0.0.1"]
    else:
        res = dns.asyncresolver.Resolver(configure=False)
        res.nameservers = [dns.nameserver.Do53Nameserver(h, port=p) for h, p in nameservers]
    res.cache = None  # the per-run memo is the cache; nothing outlives the run
    res.timeout, res.lifetime = budget(check_timeout)
    return res


def _server_label(res: dns.asyncresolver.Resolver) -> str:
    """'127.0.0.1:5353' for each server the resolver asks (the system's ones too)."""
    return ",".join(_one_label(ns) for ns in res.nameservers)


def _one_label(ns: object) -> str:
    if isinstance(ns, dns.nameserver.Do53Nameserver):
        return f"{ns.address}:{ns.port}"
    return f"{ns}:53" if isinstance(ns, str) else str(ns)


async def lookup(ctx: Context, name: str, rdtype: str) -> DnsAnswer:
    """Resolve name/rdtype once per run (concurrent callers share the answer)."""
    key = ("dns", name.lower().rstrip(".") + ".", rdtype.upper())
    return await ctx.memo(key, lambda: _resolve(ctx, key[1], key[2]))


async def _resolve(ctx: Context, name: str, rdtype: str) -> DnsAnswer:
    endpoints = ctx.endpoints
    res = ctx.shared(
        "dns.resolver", lambda: make_resolver(endpoints.nameservers, endpoints.timeout)
    )
    label = _server_label(res)
    try:
        answer = await res.resolve(name, rdtype, search=False, raise_on_no_answer=False)
    except dns.exception.DNSException as exc:
        return DnsAnswer(name, rdtype, _status_of(exc), detail=_detail(exc), server=label)
    records = tuple(_text(r) for r in answer) if answer.rrset is not None else ()
    chain = _chain(answer.response, name)
    status = DnsStatus.OK if records else DnsStatus.NODATA
    return DnsAnswer(name, rdtype, status, records, chain, server=label)


async def lookup_direct(
    ctx: Context, server: tuple[str, int], name: str, rdtype: str
) -> DnsAnswer:
    """Ask one server directly (no recursion wanted), e.g. an authoritative nameserver."""
    key = ("dns-direct", server, name.lower().rstrip(".") + ".", rdtype.upper())
    _, lifetime = budget(ctx.endpoints.timeout)
    return await ctx.memo(key, lambda: _query_direct(server, key[2], key[3], lifetime))


async def _query_direct(
    server: tuple[str, int], name: str, rdtype: str, timeout: float
) -> DnsAnswer:
    host, port = server
    label = f"{host}:{port}"
    query = dns.message.make_query(name, rdtype)
    query.flags &= ~dns.flags.RD
    try:
        reply, _ = await dns.asyncquery.udp_with_fallback(query, host, port=port, timeout=timeout)
    except (dns.exception.DNSException, OSError, EOFError) as exc:
        return DnsAnswer(name, rdtype, _status_of(exc), detail=_detail(exc), server=label)
    return _from_reply(reply, name, rdtype, label)


def _from_reply(reply: dns.message.Message, name: str, rdtype: str, label: str) -> DnsAnswer:
    rcode = reply.rcode()
    if rcode == dns.rcode.NXDOMAIN:
        return DnsAnswer(name, rdtype, DnsStatus.NXDOMAIN, server=label)
    if rcode != dns.rcode.NOERROR:
        detail = f"rcode {dns.rcode.to_text(rcode)}"
        return DnsAnswer(name, rdtype, DnsStatus.SERVFAIL, detail=detail, server=label)
    wanted = dns.rdatatype.from_text(rdtype)
    records = tuple(_text(r) for rrset in reply.answer if rrset.rdtype == wanted for r in rrset)
    status = DnsStatus.OK if records else DnsStatus.NODATA
    return DnsAnswer(name, rdtype, status, records, _chain(reply, name), server=label)


_STATUS_BY_EXCEPTION: tuple[tuple[type[BaseException], DnsStatus], ...] = (
    (dns.resolver.NXDOMAIN, DnsStatus.NXDOMAIN),
    (dns.resolver.NoAnswer, DnsStatus.NODATA),
    (dns.resolver.LifetimeTimeout, DnsStatus.TIMEOUT),
    (dns.exception.Timeout, DnsStatus.TIMEOUT),
    (dns.resolver.NoNameservers, DnsStatus.SERVFAIL),
)


def _status_of(exc: BaseException) -> DnsStatus:
    for kind, status in _STATUS_BY_EXCEPTION:
        if isinstance(exc, kind):
            return status
    return DnsStatus.ERROR


def _detail(exc: BaseException) -> str:
    """A one-line reason; dnspython's messages are plain enough, but can be long."""
    text = str(exc) or type(exc).__name__
    return text if len(text) <= 300 else text[:297] + "..."


def _text(rdata: object) -> str:
    """Record data as text; TXT strings are joined and decoded (RFC 7208 3.3)."""
    strings = getattr(rdata, "strings", None)
    if strings is not None:
        return b"".join(strings).decode("utf-8", errors="replace")
    return str(rdata)


def _chain(response: dns.message.Message | None, name: str) -> tuple[str, ...]:
    """CNAME hops in the answer section, in order."""
    if response is None:
        return ()
    hops: list[str] = []
    for rrset in response.answer:
        if rrset.rdtype == dns.rdatatype.CNAME:
            hops += [f"{rrset.name} -> {r}" for r in rrset]
    return tuple(hops)
