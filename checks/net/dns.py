"""DNS adapter: one async resolver per run, every lookup once, failures as a typed result.

Checks never see dnspython exceptions: `lookup()` returns a `DnsAnswer` whose
`status` says what happened (records, NXDOMAIN, NODATA, SERVFAIL, timeout, …).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from enum import StrEnum

import dns._asyncbackend
import dns.asyncquery
import dns.asyncresolver
import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.nameserver
import dns.rcode
import dns.rdatatype
import dns.resolver

from checks.context import Context
from checks.endpoints import Endpoints

__all__ = ["DnsAnswer", "DnsStatus", "addresses", "budget", "lookup", "lookup_direct",
           "make_resolver", "short_limit"]

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


#: the per-check limit when --timeout is not given
_DEFAULT_CHECK_TIMEOUT = float(Endpoints().timeout)


def short_limit(check_timeout: float) -> float:
    """The --timeout value when it is below the default, so that it made the lookups' time
    shorter than usual (0.0 otherwise): a timeout then names it."""
    return check_timeout if check_timeout < _DEFAULT_CHECK_TIMEOUT else 0.0


class DnsStatus(StrEnum):
    OK = "ok"
    NXDOMAIN = "nxdomain"  # the name does not exist
    NODATA = "nodata"  # the name exists, but has no record of this type
    SERVFAIL = "servfail"  # the server answered SERVFAIL
    REFUSED = "refused"  # the server answered REFUSED
    TRUNCATED = "truncated"  # the UDP answer was truncated and TCP gave none
    MALFORMED = "malformed"  # the reply did not parse as a DNS message
    BAD_NAME = "bad_name"  # the name cannot be asked (a label over 63 characters, ...)
    CNAME_LOOP = "cname_loop"  # the CNAME chain loops (or is longer than resolvers follow)
    TIMEOUT = "timeout"
    ERROR = "error"  # another DNS failure

    @property
    def is_negative(self) -> bool:
        """A definite "no such record" (as opposed to "could not find out")."""
        return self in (DnsStatus.NXDOMAIN, DnsStatus.NODATA)

    @property
    def is_failure(self) -> bool:
        """Neither records nor a definite "no such record": the lookup itself failed."""
        return self is not DnsStatus.OK and not self.is_negative


_PLAIN = {
    DnsStatus.NXDOMAIN: "the name does not exist (NXDOMAIN)",
    DnsStatus.NODATA: "the name exists but has no {rdtype} record (NODATA)",
    DnsStatus.SERVFAIL: "the DNS server {server} failed to answer (SERVFAIL)",
    DnsStatus.REFUSED: "the DNS server {server} refused to answer (REFUSED)",
    DnsStatus.TRUNCATED: "the DNS server {server} sent a truncated UDP answer and gave no "
    "answer over TCP",
    DnsStatus.MALFORMED: "the DNS server {server} sent a reply that is not a valid DNS message",
    DnsStatus.BAD_NAME: "{name} is not a valid DNS name ({detail})",
    DnsStatus.CNAME_LOOP: "the CNAME chain of {name} loops or is too long to follow",
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
    #: the server set AA: it serves the zone itself (direct queries only)
    authoritative: bool = False
    #: for a timeout: how long the lookup could take, and the --timeout that made it that
    #: short (0.0 when the limit was not shortened by --timeout)
    lifetime: float = 0.0
    timeout_from: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status is DnsStatus.OK

    def plain(self) -> str:
        """What happened, in words."""
        if self.ok:
            return f"{len(self.records)} {self.rdtype} record(s)"
        text = _PLAIN[self.status].format(
            rdtype=self.rdtype, server=self.server or "(system)", name=self.name, detail=self.detail
        )
        if self.status is DnsStatus.TIMEOUT and self.timeout_from:
            text += (f" in {self.lifetime:g} s, a limit set from --timeout "
                     f"{self.timeout_from:g}; a larger --timeout may help")
        return text

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
        res.nameservers = [_StrictDo53(h, port=p) for h, p in nameservers]
    if not nameservers:
        res.nameservers = [_strict(ns) for ns in res.nameservers]
    res.cache = None  # the per-run memo is the cache; nothing outlives the run
    res.timeout, res.lifetime = budget(check_timeout)
    return res


class _StrictDo53(dns.nameserver.Do53Nameserver):
    """Do53 that reports a reply it cannot parse (dnspython ignores it and waits, so a
    garbage reply would read as a timeout)."""

    async def async_query(
        self,
        request: dns.message.QueryMessage,
        timeout: float,
        source: str | None,
        source_port: int,
        max_size: bool,
        backend: dns._asyncbackend.Backend,
        one_rr_per_rrset: bool = False,
        ignore_trailing: bool = False,
    ) -> dns.message.Message:
        if max_size:
            return await super().async_query(
                request, timeout, source, source_port, max_size, backend,
                one_rr_per_rrset, ignore_trailing,
            )
        return await dns.asyncquery.udp(
            request, self.address, timeout=timeout, port=self.port, source=source,
            source_port=source_port, raise_on_truncation=True, backend=backend,
            one_rr_per_rrset=one_rr_per_rrset, ignore_trailing=ignore_trailing,
            ignore_errors=False, ignore_unexpected=True,
        )


def _strict(ns: str | dns.nameserver.Nameserver) -> str | dns.nameserver.Nameserver:
    """The system's plain-DNS servers as _StrictDo53 (others unchanged)."""
    if isinstance(ns, str):
        return _StrictDo53(ns, port=53)
    if type(ns) is dns.nameserver.Do53Nameserver:
        return _StrictDo53(ns.address, port=ns.port)
    return ns


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
    return await _ask(res, name, rdtype, endpoints.timeout)


async def addresses(
    nameservers: tuple[tuple[str, int], ...], check_timeout: float, name: str
) -> tuple[DnsAnswer, DnsAnswer]:
    """The A and AAAA answers for name on these servers (the system's when none), for an
    adapter that has no run context (the SMTP probe): asked at once, never cached."""
    res = make_resolver(nameservers, check_timeout)
    fqdn = name.lower().rstrip(".") + "."
    a, aaaa = await asyncio.gather(_ask(res, fqdn, "A", check_timeout),
                                   _ask(res, fqdn, "AAAA", check_timeout))
    return a, aaaa


def _failed(name: str, rdtype: str, exc: BaseException, label: str,
            check_timeout: float) -> DnsAnswer:
    """The answer for a lookup that raised; a timeout keeps the limit it ran out of."""
    status = _status_of(exc)
    timed_out = status is DnsStatus.TIMEOUT
    return DnsAnswer(name, rdtype, status, detail=_detail(exc), server=label,
                     lifetime=budget(check_timeout)[1] if timed_out else 0.0,
                     timeout_from=short_limit(check_timeout) if timed_out else 0.0)


async def _ask(res: dns.asyncresolver.Resolver, name: str, rdtype: str,
               check_timeout: float) -> DnsAnswer:
    label = _server_label(res)
    bad = _bad_name(name)
    if bad:
        return DnsAnswer(name, rdtype, DnsStatus.BAD_NAME, detail=bad, server=label)
    try:
        answer = await res.resolve(name, rdtype, search=False, raise_on_no_answer=False)
    except dns.exception.DNSException as exc:
        return _failed(name, rdtype, exc, label, check_timeout)
    records = tuple(_text(r) for r in answer) if answer.rrset is not None else ()
    chain = _chain(answer.response, name)
    status = DnsStatus.OK if records else DnsStatus.NODATA
    return DnsAnswer(name, rdtype, status, records, chain, server=label)


async def lookup_direct(
    ctx: Context, server: tuple[str, int], name: str, rdtype: str
) -> DnsAnswer:
    """Ask one server directly (no recursion wanted), e.g. an authoritative nameserver."""
    key = ("dns-direct", server, name.lower().rstrip(".") + ".", rdtype.upper())
    return await ctx.memo(key, lambda: _query_direct(server, key[2], key[3],
                                                     ctx.endpoints.timeout))


async def _query_direct(
    server: tuple[str, int], name: str, rdtype: str, check_timeout: float
) -> DnsAnswer:
    _, timeout = budget(check_timeout)
    host, port = server
    label = f"{host}:{port}"
    bad = _bad_name(name)
    if bad:
        return DnsAnswer(name, rdtype, DnsStatus.BAD_NAME, detail=bad, server=label)
    query = dns.message.make_query(name, rdtype)
    query.flags &= ~dns.flags.RD
    try:
        reply, _ = await dns.asyncquery.udp_with_fallback(query, host, port=port, timeout=timeout)
    except (dns.exception.DNSException, OSError, EOFError) as exc:
        return _failed(name, rdtype, exc, label, check_timeout)
    return _from_reply(reply, name, rdtype, label)


def _from_reply(reply: dns.message.Message, name: str, rdtype: str, label: str) -> DnsAnswer:
    """A direct reply as an answer; a CNAME whose target the server does not serve is NODATA
    with the chain set (the records live in another zone)."""
    rcode = reply.rcode()
    aa = bool(reply.flags & dns.flags.AA)
    chain = _chain(reply, name)
    if rcode == dns.rcode.NXDOMAIN:
        nx = DnsStatus.NXDOMAIN
        return DnsAnswer(name, rdtype, nx, (), chain, server=label, authoritative=aa)
    if rcode != dns.rcode.NOERROR:
        detail = f"rcode {dns.rcode.to_text(rcode)}"
        return DnsAnswer(name, rdtype, _status_of_rcode(rcode), detail=detail, server=label)
    wanted = dns.rdatatype.from_text(rdtype)
    records = tuple(_text(r) for rrset in reply.answer if rrset.rdtype == wanted for r in rrset)
    status = DnsStatus.OK if records else DnsStatus.NODATA
    return DnsAnswer(name, rdtype, status, records, chain, server=label, authoritative=aa)


_STATUS_BY_EXCEPTION: tuple[tuple[type[BaseException], DnsStatus], ...] = (
    (dns.resolver.NXDOMAIN, DnsStatus.NXDOMAIN),
    (dns.resolver.NoAnswer, DnsStatus.NODATA),
    (dns.resolver.LifetimeTimeout, DnsStatus.TIMEOUT),
    (dns.exception.Timeout, DnsStatus.TIMEOUT),
    (dns.message.Truncated, DnsStatus.TRUNCATED),
    (dns.message.ChainTooLong, DnsStatus.CNAME_LOOP),
    (dns.exception.FormError, DnsStatus.MALFORMED),
)

_STATUS_BY_RCODE = {
    dns.rcode.SERVFAIL: DnsStatus.SERVFAIL,
    dns.rcode.REFUSED: DnsStatus.REFUSED,
}


def _status_of_rcode(rcode: int) -> DnsStatus:
    return _STATUS_BY_RCODE.get(dns.rcode.Rcode(rcode), DnsStatus.ERROR)


def _status_of(exc: BaseException) -> DnsStatus:
    if isinstance(exc, dns.resolver.NoNameservers):
        return _status_of_servers(exc)
    for kind, status in _STATUS_BY_EXCEPTION:
        if isinstance(exc, kind):
            return status
    return DnsStatus.ERROR


def _status_of_servers(exc: dns.resolver.NoNameservers) -> DnsStatus:
    """Why every server failed, from the resolver's list of (server, tcp, port, error, reply);
    the last server's reason names the failure."""
    errors = exc.kwargs.get("errors") or []
    if not errors:
        return DnsStatus.ERROR
    statuses = [_status_of_error(e[3]) for e in errors]
    if any(s is DnsStatus.TRUNCATED for s in statuses[:-1]) and errors[-1][1]:
        return DnsStatus.TRUNCATED  # UDP said TC; the TCP retry then failed
    return statuses[-1]


def _status_of_error(error: object) -> DnsStatus:
    if isinstance(error, str):  # an rcode the resolver did not accept
        return _status_of_rcode(dns.rcode.from_text(error))
    if isinstance(error, BaseException) and not isinstance(error, dns.resolver.NoNameservers):
        return _status_of(error)
    return DnsStatus.ERROR


def _bad_name(name: str) -> str:
    """Why name cannot be asked at all ('' when it can): RFC 1035 2.3.4 limits."""
    try:
        dns.name.from_text(name)
    except dns.name.LabelTooLong:
        label = max(name.rstrip(".").split("."), key=len)
        return f"the label {label[:20]}... has {len(label)} characters; at most 63 are allowed"
    except dns.name.NameTooLong:
        return "the name is longer than 255 octets"
    except dns.exception.DNSException as exc:
        return str(exc) or type(exc).__name__
    return ""


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
