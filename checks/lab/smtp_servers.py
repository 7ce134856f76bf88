"""SMTP stand-ins on aiosmtpd: the SES SMTP relay and the recipient MTAs. Nothing is delivered.

The relay answers as `email-smtp.<region>.amazonaws.com` does: STARTTLS (or implicit TLS),
AUTH PLAIN/LOGIN only after TLS and only for an access key id that is Active in the lab's IAM
right now with the SigV4 password derived for the relay's region; anything else gets exactly
`535 Authentication Credentials Invalid`; MAIL before AUTH gets `530 Authentication required`.
Recipient MTAs answer RCPT with the scenario's reply lines and can be made faulty.
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiosmtpd.smtp import SMTP, AuthResult, Envelope, LoginPassword, Session, TLSSetupException

from checks.creds.smtp_password import derive_smtp_password
from checks.lab.scenario import Mta, MtaAuth

SES_HOSTNAME = "email-smtp.amazonaws.com"
AUTH_INVALID = "535 Authentication Credentials Invalid"
AUTH_OK = "235 Authentication successful."
AUTH_REQUIRED = "530 Authentication required"
_TIMEOUT = 30.0


@dataclass(frozen=True)
class KeyView:
    """What the relay needs to know about an access key id, asked of IAM at AUTH time."""

    status: str
    secret: str


KeyLookup = Callable[[str], KeyView | None]
#: (region, MAIL FROM, recipients) -> the reply to the end of DATA, as SES would give it.
SendVerdict = Callable[[str, str, list[str]], str]


class _QuietSession(Session):
    """aiosmtpd logs a deprecation warning on every AUTH through `login_data`: keep it quiet."""

    @property
    def login_data(self) -> Any:
        return self._login_data

    @login_data.setter
    def login_data(self, value: Any) -> None:
        self._login_data = value


class LabSMTP(SMTP):
    """aiosmtpd's SMTP with a per-reply delay, our own 530 text and a quiet session."""

    def __init__(self, handler: Any, *, delay: float = 0.0, implicit_tls: bool = False,
                 auth_required_reply: str = AUTH_REQUIRED, **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        if implicit_tls:
            # The socket is TLS from the first byte, which aiosmtpd cannot see: allow AUTH
            # (set after __init__, which would otherwise warn about AUTH without TLS).
            self._auth_require_tls = False
        self._delay = delay
        self._auth_required_reply = auth_required_reply

    def _create_session(self) -> Session:
        return _QuietSession(self.loop)

    async def push(self, status: Any) -> None:
        # One delay per reply, not per line: a multi-line reply (EHLO) is one round trip.
        first_line = not getattr(self, "_mid_reply", False)
        self._mid_reply = str(status)[3:4] == "-"
        if self._delay and first_line:
            await asyncio.sleep(self._delay)
        await super().push(status)

    async def check_auth_needed(self, caller_method: str) -> bool:
        if self._auth_required and not (self.session and self.session.authenticated):
            await self.push(self._auth_required_reply)
            return True
        return False


# --------------------------------------------------------------------------- SES relay


def _ses_ident(region: str) -> str:
    """`ESMTP SimpleEmailService-d-XXXXXXXXX`: a stable server id per region."""
    tag = hashlib.sha256(region.encode()).hexdigest()[:20].upper()
    return f"ESMTP SimpleEmailService-d-{tag}"


class SesAuthenticator:
    """Accepts (access key id, SigV4 password for `region`) of a key Active in IAM now."""

    def __init__(self, region: str, lookup: KeyLookup,
                 on_success: Callable[[str, str], None] | None = None) -> None:
        self.region, self._lookup, self._on_success = region, lookup, on_success

    def __call__(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                 auth_data: Any) -> AuthResult:
        if not isinstance(auth_data, LoginPassword) or not self._valid(auth_data):
            return AuthResult(success=False, handled=False, message=AUTH_INVALID)
        return AuthResult(success=True, auth_data=None, message=AUTH_OK)

    def _valid(self, creds: LoginPassword) -> bool:
        key_id = creds.login.decode("utf-8", "replace")
        key = self._lookup(key_id)
        if key is None or key.status != "Active":
            return False
        expected = derive_smtp_password(key.secret, self.region)
        ok = creds.password.decode("utf-8", "replace") == expected
        if ok and self._on_success:
            self._on_success(key_id, self.region)
        return ok


def accept_all(region: str, sender: str, recipients: list[str]) -> str:
    return f"250 Ok 01000{uuid.uuid4().hex}-000000"


class SesRelayHandler:
    """Answers the end of DATA as SES would (accepted, or why not); never delivers anything."""

    def __init__(self, region: str, verdict: SendVerdict) -> None:
        self.region, self._verdict = region, verdict

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return self._verdict(self.region, envelope.mail_from or "", list(envelope.rcpt_tos))


def ses_relay_factory(region: str, lookup: KeyLookup, *, tls_context: ssl.SSLContext,
                      implicit_tls: bool, delay: float = 0.0,
                      on_success: Callable[[str, str], None] | None = None,
                      verdict: SendVerdict = accept_all) -> Callable[[], SMTP]:
    """A protocol factory for loop.create_server: one SES SMTP endpoint for `region`."""
    authenticator = SesAuthenticator(region, lookup, on_success)

    def make() -> SMTP:
        return LabSMTP(
            SesRelayHandler(region, verdict), delay=delay,
            hostname=SES_HOSTNAME, ident=_ses_ident(region),
            tls_context=None if implicit_tls else tls_context,
            require_starttls=not implicit_tls, auth_required=True, implicit_tls=implicit_tls,
            authenticator=authenticator, timeout=_TIMEOUT,
        )
    return make


# --------------------------------------------------------------------------- recipient MTAs


class MtaHandler:
    """Answers RCPT as the scenario says; accepts DATA and discards it."""

    def __init__(self, mta: Mta) -> None:
        self.mta = mta

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        reply = self.mta.rcpt_reply(address)
        if reply.startswith("2"):
            envelope.rcpt_tos.append(address)
        return reply

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        return "250 2.6.0 Queued mail for delivery"


class FaultyMtaSMTP(LabSMTP):
    """Recipient MTA with the scenario's fault knobs (see scenario.MTA_FAULTS)."""

    def __init__(self, handler: Any, *, faults: frozenset[str], **kwargs: Any) -> None:
        super().__init__(handler, **kwargs)
        self._faults = faults

    async def _handle_client(self) -> None:
        if "no_banner" in self._faults:
            await asyncio.sleep(_TIMEOUT)  # say nothing; the client's timeout fires first
            return
        if "close_after_banner" in self._faults:
            await self.push(f"220 {self.hostname} {self.__ident__}")
            assert self.transport is not None
            self.transport.close()
            return
        await super()._handle_client()

    async def smtp_EHLO(self, hostname: str) -> None:
        if "tempfail_ehlo" in self._faults:
            await self.push("421 4.3.2 Service not available, closing transmission channel")
            return
        await super().smtp_EHLO(hostname)

    async def smtp_STARTTLS(self, arg: str) -> None:
        if "reject_starttls" in self._faults:
            await self.push("454 4.7.0 TLS not available due to temporary reason")
            return
        try:
            await super().smtp_STARTTLS(arg)
        except TLSSetupException:  # the client refused our certificate: its business, not ours
            if self.transport is not None:
                self.transport.close()


MTA_AUTH_INVALID = "535 5.7.8 Error: authentication failed"
MTA_AUTH_OK = "235 2.7.0 Authentication successful"


class MtaAuthenticator:
    """Accepts exactly the scenario's `[[mta]] auth` pair (a submission server's login)."""

    def __init__(self, auth: MtaAuth) -> None:
        self.auth = auth

    def __call__(self, server: SMTP, session: Session, envelope: Envelope, mechanism: str,
                 auth_data: Any) -> AuthResult:
        ok = isinstance(auth_data, LoginPassword) and (
            auth_data.login.decode("utf-8", "replace") == self.auth.user
            and auth_data.password.decode("utf-8", "replace") == self.auth.password)
        if not ok:
            return AuthResult(success=False, handled=False, message=MTA_AUTH_INVALID)
        return AuthResult(success=True, auth_data=None, message=MTA_AUTH_OK)


def mta_factory(mta: Mta, *, tls_context: ssl.SSLContext, delay: float = 0.0) -> Callable[[], SMTP]:
    hostname, _, ident = mta.banner.partition(" ")
    auth: dict[str, Any] = {} if mta.auth is None else {
        "authenticator": MtaAuthenticator(mta.auth), "auth_required": True}

    def make() -> SMTP:
        return FaultyMtaSMTP(
            MtaHandler(mta), faults=mta.faults, delay=delay, hostname=hostname or mta.host,
            ident=ident or "ESMTP", tls_context=tls_context if mta.starttls else None,
            timeout=_TIMEOUT, **auth,
        )
    return make
