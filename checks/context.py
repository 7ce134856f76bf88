"""What a check gets: the endpoints, the user's inputs, a redactor and a per-run cache."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

from checks.endpoints import Endpoints
from checks.secrets import Redactor, Secret, secret_shape

T = TypeVar("T")

TlsMode = Literal["starttls", "tls"]
#: How the failed message was sent: Gmail "Send mail as", the SES API, or an app over SES SMTP.
SendPath = Literal["gmail_send_as", "ses_api", "ses_smtp"]


@dataclass(frozen=True)
class RelaySettings:
    """An SMTP relay as Gmail's "Send mail as" dialog holds it."""

    host: str
    port: int
    tls: TlsMode
    username: str
    password: Secret | None = None


@dataclass(frozen=True)
class Inputs:
    """What the user told mailpath (or what a bounce told it)."""

    sender: str | None = None
    recipients: tuple[str, ...] = ()
    relay: RelaySettings | None = None
    path: SendPath | None = None
    #: a parsed bounce (checks.bounce), shown as evidence and used to pick the entry layer
    bounce: Any = None
    #: DKIM selectors the user named (BYODKIM or other signers), checked by dns.dkim.selectors
    dkim_selectors: tuple[str, ...] = ()
    #: the envelope sender (MAIL FROM / Return-Path) when it differs from `sender`, e.g. a
    #: VERP bounce address a relay or list manager writes; SES checks it as well
    envelope_sender: str | None = None
    #: sending IPs the user named (--sending-ip): SPF check_host() and blocklists for each
    sending_ips: tuple[str, ...] = ()

    @property
    def sender_domain(self) -> str | None:
        if not self.sender or "@" not in self.sender:
            return None
        return self.sender.rpartition("@")[2].lower().rstrip(".") or None


@dataclass
class Context:
    """One diagnosis run. The cache lives here, never in module globals."""

    endpoints: Endpoints = field(default_factory=Endpoints)
    inputs: Inputs = field(default_factory=Inputs)
    redactor: Redactor = field(default_factory=Redactor)
    _shared: dict[str, Any] = field(default_factory=dict, repr=False)
    _memo: dict[Any, asyncio.Future[Any]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        relay = self.inputs.relay
        if relay and secret_shape(relay.username):  # a password pasted as the username
            self.redactor.add(relay.username)
        if relay and relay.password:
            self.redactor.add(relay.password)
            self.redactor.add_auth_plain(relay.username, relay.password)

    def shared(self, key: str, factory: Callable[[], T]) -> T:
        """One object per run (a DNS client, boto3 clients), made on first use."""
        if key not in self._shared:
            self._shared[key] = factory()
        return self._shared[key]  # type: ignore[no-any-return]

    async def memo(self, key: Any, make: Callable[[], Awaitable[T]]) -> T:
        """Run `make()` once per key for this run; concurrent callers share the result."""
        fut = self._memo.get(key)
        if fut is None:
            fut = asyncio.ensure_future(make())
            fut.add_done_callback(_retrieve)
            self._memo[key] = fut
        return await asyncio.shield(fut)


def _retrieve(fut: asyncio.Future[Any]) -> None:
    """Mark a shared lookup's failure as seen: its waiters may have timed out already, and
    asyncio would otherwise print "exception was never retrieved" at exit."""
    if not fut.cancelled():
        fut.exception()
