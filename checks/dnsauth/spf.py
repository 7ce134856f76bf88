"""SPF (RFC 7208): record selection, parsing and a full check_host() evaluator.

The evaluator takes an async `lookup(name, rdtype) -> DnsAnswer` so it runs the
same against the lab, the real DNS or a table in a unit test. Besides the
result it builds a cost tree: every term, the DNS lookups it spent and, for
`include`/`redirect`, the subtree of the record it pulled in.

Without a client IP (`ip=None`) it runs as an *analysis* for an address that no
mechanism names: ip4/ip6/a/mx/ptr/exists never match, an include matches only when the
record it pulls in passes anyway, and `all` matches (it matches every address). So, as
for a receiver, evaluation ends at `all` (RFC 7208 5.1: terms after it are never tested)
and the lookup total is the most a receiver may spend on this record. A limit or error
found on the way is reported (once) rather than cutting the walk short.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from checks.dnsauth import macros
from checks.dnsauth.records import select_one
from checks.net.dns import DnsAnswer

Lookup = Callable[[str, str], Awaitable[DnsAnswer]]
IP = ipaddress.IPv4Address | ipaddress.IPv6Address

LOOKUP_LIMIT = 10  # RFC 7208 4.6.4
VOID_LIMIT = 2  # RFC 7208 4.6.4
MX_PTR_NAME_LIMIT = 10  # RFC 7208 4.6.4: names per mx / ptr term
_MAX_DEPTH = 20  # recursion guard beyond the lookup limit (analysis mode)

MECHANISMS = frozenset({"all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists"})
_COSTS_LOOKUP = frozenset({"include", "a", "mx", "ptr", "exists", "redirect"})
_NEEDS_DOMAIN = frozenset({"include", "exists"})
_NAME = re.compile(r"^[a-z][a-z0-9_.\-]*$", re.IGNORECASE)
_CIDR = re.compile(r"^(?P<spec>.*?)(?:/(?P<v4>\d{1,2}))?(?://(?P<v6>\d{1,3}))?$")


class SpfResult(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    SOFTFAIL = "softfail"
    NEUTRAL = "neutral"
    NONE = "none"
    PERMERROR = "permerror"
    TEMPERROR = "temperror"


QUALIFIERS = {
    "+": SpfResult.PASS,
    "-": SpfResult.FAIL,
    "~": SpfResult.SOFTFAIL,
    "?": SpfResult.NEUTRAL,
}


class SpfSyntaxError(ValueError):
    """The record does not parse (a permerror)."""


# -- parsing -------------------------------------------------------------------


@dataclass(frozen=True)
class Term:
    """One mechanism: qualifier, name, domain-spec or network, and CIDR lengths."""

    raw: str
    qualifier: str
    name: str
    value: str | None = None
    cidr4: int | None = None
    cidr6: int | None = None

    @property
    def result(self) -> SpfResult:
        return QUALIFIERS[self.qualifier]


@dataclass(frozen=True)
class SpfRecord:
    raw: str
    terms: tuple[Term, ...]
    redirect: str | None = None
    exp: str | None = None


def is_spf(text: str) -> bool:
    """RFC 7208 4.5: 'v=spf1' followed by a space or the end of the record."""
    low = text.lower()
    return low == "v=spf1" or low.startswith("v=spf1 ")


def select(txts: Sequence[str]) -> tuple[str | None, str | None]:
    """Pick the SPF record among TXT strings: (record, None) or (None, why not)."""
    return select_one(
        txts,
        is_spf,
        "no SPF record (no TXT string starting with v=spf1)",
        "{n} SPF records: RFC 7208 4.5 makes more than one a permerror",
    )


def parse(text: str) -> SpfRecord:
    """Parse an SPF record; raises SpfSyntaxError with a plain reason."""
    if not is_spf(text):
        raise SpfSyntaxError("record does not start with v=spf1")
    terms: list[Term] = []
    modifiers: dict[str, str] = {}
    for raw in text.split()[1:]:
        if _is_modifier(raw):
            _add_modifier(raw, modifiers)
        else:
            terms.append(_parse_mechanism(raw))
    return SpfRecord(text, tuple(terms), modifiers.get("redirect"), modifiers.get("exp"))


def is_modifier(raw: str) -> bool:
    """name=value (redirect=, exp=, unknown modifiers), as opposed to a mechanism."""
    name, eq, _ = raw.partition("=")
    return bool(eq) and bool(_NAME.match(name))


_is_modifier = is_modifier


def _add_modifier(raw: str, modifiers: dict[str, str]) -> None:
    name, _, value = raw.partition("=")
    name = name.lower()
    if name in ("redirect", "exp"):
        if name in modifiers:
            raise SpfSyntaxError(f"{name}= appears more than once")
        if not value:
            raise SpfSyntaxError(f"{name}= needs a domain")
        _check_domain_spec(value)
        modifiers[name] = value
    else:
        macros.validate(value)  # unknown modifiers are ignored, but must parse


def _parse_mechanism(raw: str) -> Term:
    qualifier = raw[0] if raw[0] in QUALIFIERS else "+"
    body = raw[1:] if raw[0] in QUALIFIERS else raw
    name, sep, arg = _split_mechanism(body)
    name = name.lower()
    if name not in MECHANISMS:
        raise SpfSyntaxError(f"unknown mechanism {raw!r}")
    if name in ("ip4", "ip6"):
        return _parse_ip_term(raw, qualifier, name, arg)
    spec, cidr4, cidr6 = _split_cidr(arg if sep else arg, raw)
    _check_args(raw, name, sep, spec, cidr4, cidr6)
    return Term(raw, qualifier, name, spec or None, cidr4, cidr6)


def _split_mechanism(body: str) -> tuple[str, str, str]:
    """'a:example.com/24' -> ('a', ':', 'example.com/24'); 'mx/30' -> ('mx', '', '/30')."""
    match = re.match(r"^([a-zA-Z0-9_.\-]*)(:?)(.*)$", body)
    assert match is not None  # the pattern matches any string
    return match.group(1), match.group(2), match.group(3)


def _split_cidr(arg: str, raw: str) -> tuple[str, int | None, int | None]:
    match = _CIDR.match(arg)
    if match is None:
        raise SpfSyntaxError(f"bad CIDR length in {raw!r}")
    v4 = int(match.group("v4")) if match.group("v4") else None
    v6 = int(match.group("v6")) if match.group("v6") else None
    if (v4 is not None and v4 > 32) or (v6 is not None and v6 > 128):
        raise SpfSyntaxError(f"CIDR length out of range in {raw!r}")
    return match.group("spec"), v4, v6


def _check_args(
    raw: str, name: str, sep: str, spec: str, cidr4: int | None, cidr6: int | None
) -> None:
    if name == "all" and (sep or spec or cidr4 is not None or cidr6 is not None):
        raise SpfSyntaxError(f"'all' takes no argument: {raw!r}")
    if sep and not spec:
        raise SpfSyntaxError(f"empty domain after ':' in {raw!r}")
    if name in _NEEDS_DOMAIN and not spec:
        raise SpfSyntaxError(f"{name} needs a domain: {raw!r}")
    if name in ("include", "exists", "ptr") and (cidr4 is not None or cidr6 is not None):
        raise SpfSyntaxError(f"{name} takes no CIDR length: {raw!r}")
    if spec and not sep:
        raise SpfSyntaxError(f"unexpected text in {raw!r}")
    if spec:
        _check_domain_spec(spec)


def _check_domain_spec(spec: str) -> None:
    try:
        macros.validate(spec)
    except macros.MacroError as exc:
        raise SpfSyntaxError(str(exc)) from None
    problem = "" if "%" in spec else name_problem(spec)
    if problem:
        raise SpfSyntaxError(problem)


def passes_everyone(record: str | None) -> bool:
    """True when the record ends in +all (or a bare all): every host on the internet passes."""
    try:
        parsed = parse(record) if record else None
    except (SpfSyntaxError, macros.MacroError):
        return False
    return parsed is not None and any(t.name == "all" and t.qualifier == "+" for t in parsed.terms)


def dead_terms(record: SpfRecord) -> tuple[Term, ...]:
    """Mechanisms after the first `all`: RFC 7208 5.1 says they are never tested."""
    for n, term in enumerate(record.terms):
        if term.name == "all":
            return record.terms[n + 1 :]
    return ()


def name_problem(name: str) -> str:
    """Why name is not a usable domain name ('' when it is): RFC 1035 2.3.4 allows labels
    of 1 to 63 octets and names of up to 253 characters (RFC 7208 4.3, 4.8)."""
    labels = name.rstrip(".").split(".")
    long = next((label for label in labels if len(label) > 63), None)
    if long is not None:
        return f"the label {long!r} has {len(long)} characters (at most 63)"
    if "" in labels:
        return "it has an empty label (two dots in a row)"
    if len(name.rstrip(".")) > 253:
        return f"the name has {len(name.rstrip('.'))} characters (at most 253)"
    return ""


def _parse_ip_term(raw: str, qualifier: str, name: str, arg: str) -> Term:
    version = 4 if name == "ip4" else 6
    try:
        network = ipaddress.ip_network(arg, strict=False)
    except ValueError:
        raise SpfSyntaxError(f"bad network in {raw!r}") from None
    if network.version != version:
        raise SpfSyntaxError(f"{name} with an IPv{network.version} network: {raw!r}")
    return Term(raw, qualifier, name, str(network))


# -- the cost tree -------------------------------------------------------------


@dataclass
class Node:
    """One term (or a record's root): its own lookups and the records it pulled in."""

    label: str
    domain: str
    cost: int = 0
    note: str = ""
    children: list[Node] = field(default_factory=list)

    @property
    def total(self) -> int:
        return self.cost + sum(c.total for c in self.children)

    def render(self, depth: int = 0) -> list[str]:
        """Indented lines: 'include:x  (1 lookup, 4 in total)  note'."""
        own = f"{self.cost} lookup{'s' if self.cost != 1 else ''}"
        total = f", {self.total} in total" if self.children else ""
        note = f"  — {self.note}" if self.note else ""
        lines = [f"{'  ' * depth}{self.label}  ({own}{total}){note}"]
        for child in self.children:
            lines += child.render(depth + 1)
        return lines


@dataclass
class SpfOutcome:
    """check_host()'s answer, with everything needed to explain it."""

    result: SpfResult
    reason: str
    domain: str
    record: str | None
    tree: Node
    lookups: int
    voids: int
    includes: tuple[str, ...]
    matched: str | None = None

    def tree_text(self) -> str:
        return "\n".join(self.tree.render())


# -- the networks a record authorises -----------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


async def authorised_networks(lookup: Lookup, domain: str) -> tuple[list[Network], str]:
    """The ip4:/ip6: networks a record passes, following macro-free includes before its
    `all` (at most LOOKUP_LIMIT records): how a provider such as SES publishes its sending
    ranges. ([], why) when the record cannot be read or names no network."""
    found: list[Network] = []
    todo = [domain.rstrip(".").lower()]
    seen: set[str] = set()
    while todo and len(seen) < LOOKUP_LIMIT:
        name = todo.pop(0)
        if name in seen:
            continue
        seen.add(name)
        answer = await lookup(name, "TXT")
        text, why = select(answer.records) if answer.ok else (None, f"TXT {name}: {answer.plain()}")
        if text is None:
            return [], why or f"no SPF record on {name}"
        try:
            record = parse(text)
        except (SpfSyntaxError, macros.MacroError) as exc:
            return [], f"{name}: {exc}"
        live = record.terms[: len(record.terms) - len(dead_terms(record))]
        for term in live:
            if term.qualifier != "+" or not term.value:
                continue
            if term.name in ("ip4", "ip6"):
                found.append(ipaddress.ip_network(term.value))
            elif term.name == "include" and "%" not in term.value:
                todo.append(term.value.rstrip(".").lower())
    return (found, "") if found else ([], f"the SPF of {domain} names no ip4:/ip6: network")


def sample_addresses(network: Network) -> list[IP]:
    """The first and the last host address of a network (one address for a /32 or /128)."""
    if network.num_addresses <= 2:
        return [network.network_address]
    return [network.network_address + 1, network.broadcast_address - 1]


# -- evaluation ----------------------------------------------------------------


class _Stop(Exception):
    def __init__(self, result: SpfResult, reason: str) -> None:
        super().__init__(reason)
        self.result, self.reason = result, reason


@dataclass
class _State:
    lookup: Lookup
    ip: IP | None
    sender: str
    helo: str
    lookups: int = 0
    voids: int = 0
    temp_errors: list[str] = field(default_factory=list)
    perm_errors: list[str] = field(default_factory=list)
    includes: list[str] = field(default_factory=list)

    @property
    def analysing(self) -> bool:
        return self.ip is None

    def problem(self, result: SpfResult, reason: str) -> None:
        """Stop at once when checking an IP; in an analysis, note it and go on."""
        if not self.analysing:
            raise _Stop(result, reason)
        errors = self.perm_errors if result is SpfResult.PERMERROR else self.temp_errors
        errors.append(reason)

    def spend(self, term: str) -> None:
        """Count a DNS-querying term; the first one past the limit is the permerror (an
        analysis goes on counting, but states the limit once)."""
        self.lookups += 1
        if self.lookups == LOOKUP_LIMIT + 1:
            self.problem(
                SpfResult.PERMERROR,
                f"more than {LOOKUP_LIMIT} DNS lookups "
                f"(the {ordinal(self.lookups)} is {term})",
            )

    def void(self, name: str) -> None:
        self.voids += 1
        if self.voids == VOID_LIMIT + 1:
            self.problem(
                SpfResult.PERMERROR,
                f"more than {VOID_LIMIT} void lookups (the {ordinal(self.voids)} is {name})",
            )


def ordinal(n: int) -> str:
    """1st, 2nd, 3rd, 4th, 11th, 12th, 13th, 21st, 22nd, 101st."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


async def check_host(
    lookup: Lookup,
    domain: str,
    *,
    ip: str | IP | None = None,
    sender: str | None = None,
    helo: str = "unknown",
) -> SpfOutcome:
    """RFC 7208 check_host(ip, domain, sender); ip=None runs the analysis described above."""
    domain = domain.rstrip(".").lower()
    address = ipaddress.ip_address(ip) if isinstance(ip, str) else ip
    state = _State(lookup, address, sender or f"postmaster@{domain}", helo)
    root = Node(f"SPF of {domain}", domain)
    try:
        result, reason, matched, record = await _evaluate(state, domain, root, ())
    except _Stop as stop:
        result, reason, matched, record = stop.result, stop.reason, None, None
    result, reason = _final(state, result, reason)
    record = record or _record_of(root)
    includes = tuple(state.includes)
    return SpfOutcome(
        result, reason, domain, record, root, state.lookups, state.voids, includes, matched
    )


def _record_of(root: Node) -> str | None:
    return root.note.removeprefix("record: ") if root.note.startswith("record: ") else None


#: an analysis names at most this many distinct problems in its reason
_MAX_REASONS = 3


def _final(state: _State, result: SpfResult, reason: str) -> tuple[SpfResult, str]:
    """In an analysis, limits and DNS errors found on the way decide the result."""
    if state.perm_errors:
        return SpfResult.PERMERROR, _joined(state.perm_errors)
    if state.temp_errors:
        return SpfResult.TEMPERROR, _joined(state.temp_errors)
    return result, reason


def _joined(reasons: list[str]) -> str:
    """Distinct reasons in the order found, the first few only ('; and 4 more')."""
    distinct = list(dict.fromkeys(reasons))
    more = len(distinct) - _MAX_REASONS
    shown = "; ".join(distinct[:_MAX_REASONS])
    return f"{shown}; and {more} more" if more > 0 else shown


async def _fetch_record(state: _State, domain: str) -> tuple[SpfRecord | None, str]:
    """The domain's parsed SPF record, or None with the reason (result none)."""
    answer = await state.lookup(domain, "TXT")
    if answer.status.is_failure:
        raise _Stop(SpfResult.TEMPERROR, f"TXT {domain}: {answer.plain()}")
    if answer.status.is_negative:
        state.void(f"TXT {domain}")
    text, why = select(answer.records)
    if text is None:
        if why and why.startswith("no SPF"):
            return None, f"{domain}: {why}"
        raise _Stop(SpfResult.PERMERROR, f"{domain}: {why}")
    try:
        return parse(text), text
    except (SpfSyntaxError, macros.MacroError) as exc:
        raise _Stop(SpfResult.PERMERROR, f"{domain}: {exc} in {text!r}") from None


async def _evaluate(
    state: _State, domain: str, node: Node, stack: tuple[str, ...]
) -> tuple[SpfResult, str, str | None, str | None]:
    """Evaluate domain's record into node: (result, reason, matched term, record)."""
    record, text = await _fetch_record(state, domain)
    if record is None:
        node.note = text
        return SpfResult.NONE, text, None, None
    node.note = f"record: {text}"
    stack = (*stack, domain)
    for term in record.terms:
        matched = await _term(state, term, domain, node, stack)
        if matched:
            return term.result, f"{domain}: matched {term.raw}", term.raw, text
    if record.redirect and not any(t.name == "all" for t in record.terms):
        return await _redirect(state, record.redirect, domain, node, stack, text)
    return SpfResult.NEUTRAL, f"{domain}: no term matched (default neutral)", None, text


async def _redirect(
    state: _State, spec: str, domain: str, node: Node, stack: tuple[str, ...], text: str
) -> tuple[SpfResult, str, str | None, str | None]:
    child = Node(f"redirect={spec}", domain, cost=1)
    node.children.append(child)
    state.spend(child.label)
    target = _expand(state, spec, domain, child)
    if target is None or _loop(state, target, stack, child):
        return SpfResult.NEUTRAL, "redirect not followed", None, text
    result, reason = await _evaluate_nested(state, target, child, stack)
    if result is SpfResult.NONE:
        state.problem(SpfResult.PERMERROR, f"redirect={target}: {reason}")
    matched = f"redirect={target}" if result is SpfResult.PASS else None
    return result, reason, matched, text


async def _evaluate_nested(
    state: _State, target: str, node: Node, stack: tuple[str, ...]
) -> tuple[SpfResult, str]:
    """Evaluate an included or redirected record; its errors become results."""
    try:
        result, reason, _, _ = await _evaluate(state, target, node, stack)
    except _Stop as stop:
        node.note = node.note or stop.reason
        return stop.result, stop.reason
    return result, reason


def _expand(state: _State, spec: str, domain: str, node: Node) -> str | None:
    """Expand a domain-spec; None when it needs the (unknown) client IP."""
    env = macros.MacroVars(state.sender, domain, state.ip, state.helo)
    try:
        target = macros.expand(spec, env).rstrip(".").lower()
    except macros.NeedsClientIp:
        node.note = "depends on the client IP; not evaluated without one"
        return None
    except macros.MacroError as exc:
        raise _Stop(SpfResult.PERMERROR, str(exc)) from None
    while len(target) > 253 and "." in target:  # RFC 7208 7.3: drop labels from the left
        target = target.partition(".")[2]
    problem = name_problem(target)
    if problem:
        raise _Stop(SpfResult.PERMERROR, f"{node.label} expands to an invalid name: {problem}")
    return target


def _loop(state: _State, target: str, stack: tuple[str, ...], node: Node) -> bool:
    if target in stack or len(stack) >= _MAX_DEPTH:
        node.note = f"loop: {target} is already being evaluated ({' -> '.join(stack)})"
        state.problem(SpfResult.PERMERROR, f"include loop: {' -> '.join((*stack, target))}")
        return True
    return False


async def _term(
    state: _State, term: Term, domain: str, parent: Node, stack: tuple[str, ...]
) -> bool:
    """Evaluate one mechanism; True when it matches the client IP."""
    node = Node(term.raw, domain, cost=1 if term.name in _COSTS_LOOKUP else 0)
    parent.children.append(node)
    if node.cost:
        state.spend(term.raw)
    handler = _HANDLERS[term.name]
    return await handler(state, term, domain, node, stack)


async def _all(state: _State, term: Term, domain: str, node: Node, stack: tuple[str, ...]) -> bool:
    """RFC 7208 5.1: all matches every address, so nothing after it is ever tested."""
    return True


async def _ip(state: _State, term: Term, domain: str, node: Node, stack: tuple[str, ...]) -> bool:
    assert term.value is not None
    return state.ip is not None and state.ip in ipaddress.ip_network(term.value)


async def _include(
    state: _State, term: Term, domain: str, node: Node, stack: tuple[str, ...]
) -> bool:
    assert term.value is not None
    target = _expand(state, term.value, domain, node)
    if target is None or _loop(state, target, stack, node):
        return False
    state.includes.append(target)
    result, reason = await _evaluate_nested(state, target, node, stack)
    if result in (SpfResult.NONE, SpfResult.PERMERROR):
        state.problem(SpfResult.PERMERROR, f"include:{target}: {reason}")
    if result is SpfResult.TEMPERROR:
        state.problem(SpfResult.TEMPERROR, f"include:{target}: {reason}")
    return result is SpfResult.PASS


async def _addresses(state: _State, name: str, node: Node, *, counted: bool = True) -> list[IP]:
    """A or AAAA of name (by the client IP's family); void and errors accounted."""
    rdtype = "AAAA" if state.ip is not None and state.ip.version == 6 else "A"
    answer = await state.lookup(name, rdtype)
    if answer.status.is_negative:
        if counted:
            state.void(f"{rdtype} {name}")
        return []
    if not answer.ok:
        state.problem(SpfResult.TEMPERROR, f"{rdtype} {name}: {answer.plain()}")
        return []
    return [ipaddress.ip_address(r) for r in answer.records]


def _in_cidr(state: _State, addresses: list[IP], term: Term) -> bool:
    if state.ip is None:
        return False
    length = term.cidr6 if state.ip.version == 6 else term.cidr4
    prefix = length if length is not None else state.ip.max_prefixlen
    network = ipaddress.ip_network(f"{state.ip}/{prefix}", strict=False)
    return any(a in network for a in addresses)


async def _a(state: _State, term: Term, domain: str, node: Node, stack: tuple[str, ...]) -> bool:
    target = _expand(state, term.value, domain, node) if term.value else domain
    if target is None:
        return False
    return _in_cidr(state, await _addresses(state, target, node), term)


async def _mx(state: _State, term: Term, domain: str, node: Node, stack: tuple[str, ...]) -> bool:
    target = _expand(state, term.value, domain, node) if term.value else domain
    if target is None:
        return False
    answer = await state.lookup(target, "MX")
    hosts = _mx_hosts(state, answer, target)
    if len(hosts) > MX_PTR_NAME_LIMIT:
        state.problem(SpfResult.PERMERROR, f"mx:{target} has {len(hosts)} MX hosts (limit 10)")
        return False
    node.note = f"MX: {', '.join(hosts)}" if hosts else node.note
    for host in hosts:
        if _in_cidr(state, await _addresses(state, host, node, counted=False), term):
            return True
    return False


def _mx_hosts(state: _State, answer: DnsAnswer, target: str) -> list[str]:
    if answer.status.is_negative:
        state.void(f"MX {target}")
        return []
    if not answer.ok:
        state.problem(SpfResult.TEMPERROR, f"MX {target}: {answer.plain()}")
        return []
    return [r.split()[-1].rstrip(".").lower() for r in answer.records if r.split()[-1] != "."]


async def _exists(
    state: _State, term: Term, domain: str, node: Node, stack: tuple[str, ...]
) -> bool:
    assert term.value is not None
    target = _expand(state, term.value, domain, node)
    if target is None:
        return False
    answer = await state.lookup(target, "A")
    if answer.status.is_negative:
        state.void(f"A {target}")
    elif not answer.ok:
        state.problem(SpfResult.TEMPERROR, f"A {target}: {answer.plain()}")
    return answer.ok and not state.analysing


async def _ptr(state: _State, term: Term, domain: str, node: Node, stack: tuple[str, ...]) -> bool:
    """RFC 7208 5.5 (discouraged): a validated reverse name within the target domain."""
    target = _expand(state, term.value, domain, node) if term.value else domain
    if target is None or state.ip is None:
        node.note = node.note or "needs the client IP; not evaluated without one"
        return False
    answer = await state.lookup(_reverse_name(state.ip), "PTR")
    names = [r.rstrip(".").lower() for r in answer.records][:MX_PTR_NAME_LIMIT]
    for name in names:
        if (name == target or name.endswith("." + target)) and state.ip in await _addresses(
            state, name, node, counted=False
        ):
            return True
    return False


def _reverse_name(ip: IP) -> str:
    return ip.reverse_pointer


_Handler = Callable[[_State, Term, str, Node, tuple[str, ...]], Awaitable[bool]]
_HANDLERS: dict[str, _Handler] = {
    "all": _all,
    "ip4": _ip,
    "ip6": _ip,
    "include": _include,
    "a": _a,
    "mx": _mx,
    "exists": _exists,
    "ptr": _ptr,
}
