"""A small authoritative DNS server for the lab, built on dnspython and asyncio.

It serves BIND zone texts on one loopback port over UDP and TCP, answers
authoritatively (AA), tells NXDOMAIN from NODATA, chases CNAMEs inside the
served zones, refuses names outside them and truncates large UDP answers (TC)
so that clients retry over TCP. Per-name fault knobs and a global per-query
delay let scenarios stand for a broken or slow DNS.

Faults (``faults={"name.example.": kind}``):

- ``servfail``: answer SERVFAIL.
- ``refused``: answer REFUSED.
- ``timeout``: never answer (UDP and TCP).
- ``garbage``: answer bytes that do not parse as a DNS message.
- ``truncate_no_tcp``: UDP answers carry TC with no records; TCP closes at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import struct
from collections.abc import Coroutine, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import dns.exception
import dns.flags
import dns.message
import dns.name
import dns.node
import dns.opcode
import dns.rcode
import dns.rdataclass
import dns.rdataset
import dns.rdatatype
import dns.rrset
import dns.zone

from checks.lab.zone_text import ZoneTextError, parse_zone

__all__ = ["FAULTS", "LabDnsServer", "parse_zones"]

FAULTS = frozenset({"servfail", "refused", "timeout", "garbage", "truncate_no_tcp"})
_MAX_CNAME_CHAIN = 8
_UDP_PLAIN_LIMIT = 512
_BIND_ATTEMPTS = 20
_TCP_READ_TIMEOUT = 10.0
_GARBAGE_TAIL = b"\x00\x01\x00\x05\x00\x00\x00\x00\xff\xfe\xfd"

_HANG = b""  # marker: the "timeout" fault; TCP keeps the connection open and silent


def parse_zones(zones: Mapping[str, str]) -> dict[dns.name.Name, dns.zone.Zone]:
    """Parse origin → BIND zone text into dnspython zones (absolute names).

    SOA and NS records are optional; without ``$TTL`` records default to 300 s.
    """
    parsed: dict[dns.name.Name, dns.zone.Zone] = {}
    for origin, text in zones.items():
        name = dns.name.from_text(origin)
        try:
            zone = parse_zone(text, name)
        except ZoneTextError as exc:
            raise ValueError(f"zone {name}: cannot parse zone text: {exc}") from None
        parsed[name] = zone
    return parsed


def _parse_faults(faults: Mapping[str, str] | None) -> dict[dns.name.Name, str]:
    """Validate the fault table; names are compared case-insensitively."""
    table: dict[dns.name.Name, str] = {}
    for name, kind in (faults or {}).items():
        if kind not in FAULTS:
            raise ValueError(f"unknown DNS fault {kind!r} for {name}; use one of {sorted(FAULTS)}")
        table[dns.name.from_text(name)] = kind
    return table


@dataclass
class _Answer:
    """What a lookup found: records for the answer and authority sections."""

    rcode: dns.rcode.Rcode = dns.rcode.NOERROR
    answer: list[dns.rrset.RRset] = field(default_factory=list)
    authority: list[dns.rrset.RRset] = field(default_factory=list)


class _ZoneSet:
    """The served zones and the lookup logic (pure, no I/O)."""

    def __init__(self, zones: Mapping[dns.name.Name, dns.zone.Zone]) -> None:
        self._zones = dict(zones)

    def zone_for(self, qname: dns.name.Name) -> dns.zone.Zone | None:
        """The zone with the longest origin that contains qname."""
        best: dns.zone.Zone | None = None
        for origin, zone in self._zones.items():
            if qname.is_subdomain(origin) and (
                best is None or len(origin) > len(best.origin or dns.name.root)
            ):
                best = zone
        return best

    def resolve(self, qname: dns.name.Name, rdtype: dns.rdatatype.RdataType) -> _Answer | None:
        """Answer qname/rdtype, following CNAMEs within served zones; None = refused."""
        zone = self.zone_for(qname)
        if zone is None:
            return None
        result = _Answer()
        seen: set[dns.name.Name] = set()
        name: dns.name.Name | None = qname
        while name is not None and zone is not None and name not in seen:
            seen.add(name)
            name = self._step(zone, name, rdtype, result)
            if name is not None and len(seen) >= _MAX_CNAME_CHAIN:
                break
            zone = self.zone_for(name) if name is not None else None
        return result

    def _step(
        self,
        zone: dns.zone.Zone,
        name: dns.name.Name,
        rdtype: dns.rdatatype.RdataType,
        out: _Answer,
    ) -> dns.name.Name | None:
        """One lookup in one zone; returns a CNAME target to chase, else None."""
        node = self._find_node(zone, name)
        if node is None:
            out.rcode = dns.rcode.NXDOMAIN  # RFC 6604: the rcode of the last name
            self._add_soa(zone, out)
            return None
        if rdtype == dns.rdatatype.ANY:
            out.answer.extend(_rrsets_of(name, node.rdatasets))
            return None
        found = node.get_rdataset(dns.rdataclass.IN, rdtype)
        if found is not None:
            out.answer.append(_rrset(name, found))
            return None
        cname = node.get_rdataset(dns.rdataclass.IN, dns.rdatatype.CNAME)
        if cname is not None:
            out.answer.append(_rrset(name, cname))
            target: dns.name.Name = cname[0].target
            return target
        self._add_soa(zone, out)
        return None

    def _find_node(self, zone: dns.zone.Zone, name: dns.name.Name) -> dns.node.Node | None:
        """The node for name, a wildcard standing for it, or None (NXDOMAIN).

        An empty non-terminal (a name with no records but with descendants)
        returns an empty node so that the answer is NODATA, not NXDOMAIN.
        """
        node = zone.get_node(name)
        if node is not None:
            return node
        if _exists(zone, name):
            return dns.node.Node()  # type: ignore[no-untyped-call]
        return self._wildcard(zone, name)

    @staticmethod
    def _wildcard(zone: dns.zone.Zone, name: dns.name.Name) -> dns.node.Node | None:
        """RFC 4592 in short: ``*.<closest encloser>`` stands for a missing name."""
        origin = zone.origin or dns.name.root
        parent = name.parent()
        while parent.is_subdomain(origin):
            if _exists(zone, parent):
                return zone.get_node(dns.name.Name((b"*",) + parent.labels))
            if parent == origin:
                break
            parent = parent.parent()
        return None

    @staticmethod
    def _add_soa(zone: dns.zone.Zone, out: _Answer) -> None:
        """Negative answers carry the zone's SOA (if it has one) for caching."""
        origin = zone.origin or dns.name.root
        soa = zone.get_rdataset(origin, dns.rdatatype.SOA)
        if soa is not None and not out.authority:
            out.authority.append(_rrset(origin, soa))


def _exists(zone: dns.zone.Zone, name: dns.name.Name) -> bool:
    """A name exists if it has records or descendants (empty non-terminal)."""
    return any(other.is_subdomain(name) for other in zone.nodes)


def _rrset(name: dns.name.Name, rdataset: dns.rdataset.Rdataset) -> dns.rrset.RRset:
    return dns.rrset.from_rdata_list(name, rdataset.ttl, list(rdataset))


def _rrsets_of(
    name: dns.name.Name, rdatasets: Iterable[dns.rdataset.Rdataset]
) -> list[dns.rrset.RRset]:
    return [_rrset(name, rds) for rds in rdatasets]


def _garbage(wire: bytes) -> bytes:
    """A reply with the query's id and QR set, then bytes that do not parse."""
    query_id = wire[:2] if len(wire) >= 2 else b"\x00\x00"
    return query_id + b"\x84\x00" + _GARBAGE_TAIL


class LabDnsServer:
    """Authoritative DNS over UDP and TCP on one loopback port (see module doc)."""

    def __init__(
        self,
        zones: Mapping[str, str],
        *,
        host: str = "127.0.0.1",
        delay: float = 0.0,
        faults: Mapping[str, str] | None = None,
    ) -> None:
        self._zoneset = _ZoneSet(parse_zones(zones))
        self._faults = _parse_faults(faults)
        self.host = host
        self.delay = delay
        self.port = 0
        self.queries = 0  # how many queries arrived (UDP + TCP); handy in tests
        self._udp: asyncio.DatagramTransport | None = None
        self._tcp: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- lifecycle -----------------------------------------------------------

    async def start(self) -> tuple[str, int]:
        """Bind UDP and TCP on the same free port; returns (host, port)."""
        last: OSError | None = None
        for _ in range(_BIND_ATTEMPTS):
            try:
                await self._bind_pair()
                return self.host, self.port
            except OSError as exc:  # TCP side of the port was taken: try another
                last = exc
                await self._close_transports()
        raise OSError(f"lab DNS: no free UDP+TCP port on {self.host}: {last}")

    async def _bind_pair(self) -> None:
        loop = asyncio.get_running_loop()
        transport, _ = await loop.create_datagram_endpoint(
            lambda: _UdpProtocol(self), local_addr=(self.host, 0)
        )
        self._udp = transport
        self.port = transport.get_extra_info("sockname")[1]
        self._tcp = await asyncio.start_server(self._serve_tcp, self.host, self.port)

    async def stop(self) -> None:
        """Close both sockets and cancel queries still being answered."""
        await self._close_transports()
        for task in list(self._tasks):
            task.cancel()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _close_transports(self) -> None:
        if self._udp is not None:
            self._udp.close()
            self._udp = None
        if self._tcp is not None:
            self._tcp.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._tcp.wait_closed(), 1.0)
            self._tcp = None

    async def __aenter__(self) -> LabDnsServer:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    # -- answering -------------------------------------------------------------

    def answer(self, wire: bytes, *, tcp: bool) -> bytes | None:
        """The reply to one query in wire form; None drops it, ``_HANG`` stays silent."""
        self.queries += 1
        try:
            query = dns.message.from_wire(wire)
        except dns.exception.DNSException:
            return _formerr(wire)
        if query.flags & dns.flags.QR:
            return None  # a response, not a query: ignore it
        fault = self._fault_for(query)
        if fault is not None:
            return self._faulty(fault, query, wire, tcp=tcp)
        return self._render(self._respond(query), query, tcp=tcp)

    def _fault_for(self, query: dns.message.Message) -> str | None:
        if not query.question:
            return None
        return self._faults.get(query.question[0].name)

    def _faulty(
        self, fault: str, query: dns.message.Message, wire: bytes, *, tcp: bool
    ) -> bytes | None:
        if fault == "timeout":
            return _HANG
        if fault == "truncate_no_tcp" and tcp:
            return None
        if fault == "garbage":
            return _garbage(wire)
        response = dns.message.make_response(query)
        if fault == "truncate_no_tcp":
            response.flags |= dns.flags.TC | dns.flags.AA
            return response.to_wire()
        rcode = dns.rcode.SERVFAIL if fault == "servfail" else dns.rcode.REFUSED
        response.set_rcode(rcode)
        return response.to_wire()

    def _respond(self, query: dns.message.Message) -> dns.message.Message:
        response = dns.message.make_response(query)
        if query.opcode() != dns.opcode.QUERY:
            response.set_rcode(dns.rcode.NOTIMP)
            return response
        if len(query.question) != 1:
            response.set_rcode(dns.rcode.FORMERR)
            return response
        question = query.question[0]
        found = self._zoneset.resolve(question.name, question.rdtype)
        if found is None or question.rdclass != dns.rdataclass.IN:
            response.set_rcode(dns.rcode.REFUSED)
            return response
        response.flags |= dns.flags.AA
        response.set_rcode(found.rcode)
        response.answer.extend(found.answer)
        response.authority.extend(found.authority)
        return response

    @staticmethod
    def _render(response: dns.message.Message, query: dns.message.Message, *, tcp: bool) -> bytes:
        """Wire form; over UDP, answers larger than the client allows become TC."""
        wire = response.to_wire(max_size=65535)
        if tcp:
            return wire
        limit = max(_UDP_PLAIN_LIMIT, query.payload) if query.edns >= 0 else _UDP_PLAIN_LIMIT
        if len(wire) <= limit:
            return wire
        for section in (response.answer, response.authority, response.additional):
            section.clear()
        response.flags |= dns.flags.TC
        return response.to_wire(max_size=65535)

    async def _answer_later(self, wire: bytes, *, tcp: bool) -> bytes | None:
        if self.delay > 0:
            await asyncio.sleep(self.delay)
        return self.answer(wire, tcp=tcp)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # -- transports ------------------------------------------------------------

    def handle_datagram(self, data: bytes, addr: tuple[str, int]) -> None:
        self._spawn(self._reply_udp(data, addr))

    async def _reply_udp(self, data: bytes, addr: tuple[str, int]) -> None:
        reply = await self._answer_later(data, tcp=False)
        if reply and self._udp is not None:
            self._udp.sendto(reply, addr)

    async def _serve_tcp(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await self._tcp_loop(reader, writer)
        except (OSError, asyncio.IncompleteReadError, TimeoutError):
            pass
        finally:
            if task is not None:
                self._tasks.discard(task)
            writer.close()

    async def _tcp_loop(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve length-prefixed queries until the client closes or goes quiet."""
        while True:
            header = await asyncio.wait_for(reader.readexactly(2), _TCP_READ_TIMEOUT)
            (length,) = struct.unpack("!H", header)
            wire = await asyncio.wait_for(reader.readexactly(length), _TCP_READ_TIMEOUT)
            reply = await self._answer_later(wire, tcp=True)
            if reply == _HANG:
                await reader.read()  # stay silent until the client gives up
                return
            if reply is None:
                return  # a fault that says "no answer": drop the connection
            writer.write(struct.pack("!H", len(reply)) + reply)
            await writer.drain()


def _formerr(wire: bytes) -> bytes | None:
    """FORMERR for a query whose header we can read; None if not even that."""
    if len(wire) < 12:
        return None
    flags = struct.unpack("!H", wire[2:4])[0]
    if flags & 0x8000:
        return None
    reply_flags = 0x8000 | (flags & 0x7900) | dns.rcode.FORMERR
    return wire[:2] + struct.pack("!HHHHH", reply_flags, 0, 0, 0, 0)


class _UdpProtocol(asyncio.DatagramProtocol):
    def __init__(self, server: LabDnsServer) -> None:
        self._server = server

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self._server.handle_datagram(data, addr)
