"""The AWS stand-in: moto's server (SES, SES v2, IAM) behind the lab middleware, seeded in-process.

Isolation: each running lab gets its own moto account id (sent to moto as the
`x-moto-account-id` header by the middleware), so two labs in one process never share state.
The id is derived from the scenario name, so it is the same run after run.

Deterministic keys: IAM access keys are created through moto's own backend, then given an id
(`AKIA` + 16 characters) and a secret computed from SHA-256 of the scenario name (with the
scenario's first-choice account id) and the key label, so they are the same in every run, even
with two labs of one scenario running at once (each in its own account). Nothing is patched
globally; keys created later through the API (rotation) get moto's usual random ids. Key ids
are generated at runtime and never written in source files.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import threading
import uuid
from dataclasses import dataclass, replace
from typing import Any

from moto.iam.models import AccessKey, AccessKeyLastUsed, IAMBackend, iam_backends
from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from moto.ses.models import ses_backends
from moto.sesv2.models import sesv2_backends
from werkzeug.serving import BaseWSGIServer, make_server

from checks.lab.aws_extras import LabAwsMiddleware, SesLabState, synthetic_suppressed
from checks.lab.scenario import IamKey, Scenario

#: SES SMTP replies at the end of DATA (texts as SES gives them).
SENDING_PAUSED = ("554 Message rejected: Sending paused for this account. For more information, "
                  "please check the inbox of the email address associated with your AWS account.")
DAILY_QUOTA_EXCEEDED = "454 Throttling failure: Daily message quota exceeded."
NOT_VERIFIED = ("554 Message rejected: Email address is not verified. The following identities "
                "failed the check in region")
#: The static credentials clients use against the stand-in (moto accepts any).
LAB_CREDENTIALS = ("testing", "testing")
_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_BACKENDS = (iam_backends, ses_backends, sesv2_backends)
_accounts_in_use: set[str] = set()
_accounts_lock = threading.Lock()


def deterministic_key(seed: str) -> tuple[str, str]:
    """(access key id, secret) that look real and depend only on `seed`."""
    digest = hashlib.sha256(seed.encode()).digest()
    key_id = "AKIA" + "".join(_KEY_ALPHABET[b % 32] for b in digest[:16])
    secret = base64.b64encode(hashlib.sha256(digest).digest()).decode()[:40]
    return key_id, secret


def _account_id(name: str, n: int) -> str:
    """The n-th candidate 12-digit moto account id for scenario `name`."""
    base = int(hashlib.sha256(name.encode()).hexdigest()[:10], 16) % 10**11
    return f"{2 * 10**11 + base + n:012d}"


def _claim_account(name: str) -> str:
    """A moto account id for this scenario, not used by another running lab."""
    with _accounts_lock:
        n = 0
        while _account_id(name, n) in _accounts_in_use:
            n += 1
        _accounts_in_use.add(_account_id(name, n))
        return _account_id(name, n)


def _release_account(account: str) -> None:
    for backends in _BACKENDS:
        backends.pop(account, None)
    with _accounts_lock:
        _accounts_in_use.discard(account)


class _QuietHandler(MotoRequestHandler):
    """moto's request handler without the per-request log line on stderr."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


@dataclass(frozen=True)
class KeyInfo:
    user: str
    access_key_id: str
    status: str
    secret: str


class AwsStandIn:
    """moto + lab middleware on 127.0.0.1:random, seeded from a scenario."""

    def __init__(self, scenario: Scenario, *, delay: float = 0.0) -> None:
        self.scenario = scenario
        self.account_id = _claim_account(scenario.name)
        self.state = SesLabState(scenario.date)
        self.state.moto_identities = self._moto_identities
        self.keys: dict[str, KeyInfo] = {}  # scenario label -> key (Deleted keys included)
        self._delay = delay
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------

    def start(self) -> str:
        """Seed the state, start serving; returns the endpoint URL."""
        self._seed()
        app = LabAwsMiddleware(
            DomainDispatcherApplication(create_backend_app), self.state,
            account_id=self.account_id, default_region=self.scenario.region, delay=self._delay,
        )
        self._server = make_server("127.0.0.1", 0, app, threaded=True,
                                   request_handler=_QuietHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,),
                                        daemon=True, name="lab-aws")
        self._thread.start()
        return self.url

    @property
    def url(self) -> str:
        assert self._server is not None, "start() first"
        return f"http://127.0.0.1:{self._server.server_port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None
        _release_account(self.account_id)

    # -- in-process views (used by the SMTP relay and tests) -------------------------

    @property
    def iam(self) -> IAMBackend:
        return iam_backends[self.account_id]["aws"]

    def key_by_id(self, access_key_id: str) -> KeyInfo | None:
        """The IAM key with this id as IAM has it right now (None if absent or deleted)."""
        key: AccessKey | None = self.iam.access_keys.get(access_key_id)
        if key is None or key.user_name is None:
            return None
        return KeyInfo(key.user_name, key.access_key_id, key.status, key.secret_access_key)

    def mark_used(self, access_key_id: str, region: str) -> None:
        """Record a successful use, as SES SMTP AUTH does (moves GetAccessKeyLastUsed)."""
        key = self.iam.access_keys.get(access_key_id)
        if key is not None:
            key.last_used = AccessKeyLastUsed(dt.datetime.now(dt.UTC), "ses", region)

    def _moto_identities(self, region: str) -> list[str]:
        backend: Any = ses_backends[self.account_id][region]
        return list(backend.email_identities)

    def is_verified(self, identity: str, region: str) -> bool:
        """Verified in `region`: the scenario's status, or moto's for identities made later."""
        known = self.state.region(region).identities.get(identity.lower())
        if known is not None:
            return known.verification == "Success"
        backend: Any = ses_backends[self.account_id][region]
        return identity.lower() in backend.email_identities

    def _unverified(self, addresses: list[str], region: str) -> list[str]:
        return [a for a in addresses if not (self.is_verified(a, region) or
                                             self.is_verified(a.rpartition("@")[2], region))]

    def send_verdict(self, region: str, sender: str, recipients: list[str]) -> str:
        """The SES SMTP reply to the end of DATA (the message itself is dropped)."""
        with self.state.lock:
            return self._verdict(region, sender, recipients)

    def _verdict(self, region: str, sender: str, recipients: list[str]) -> str:
        account = self.state.region(region).account
        if not account.sending_enabled or account.enforcement_status == "SHUTDOWN":
            return SENDING_PAUSED
        if account.sent_24h + len(recipients) > account.max_24h:
            return DAILY_QUOTA_EXCEEDED
        failed = self._unverified([sender] + ([] if account.production else recipients), region)
        if failed:
            return f"{NOT_VERIFIED} {region.upper()}: {', '.join(failed)}"
        self.state.set_account(replace(account, sent_24h=account.sent_24h + len(recipients)))
        return f"250 Ok 01000{uuid.uuid4().hex}-000000"

    def seed_suppressed(self, n: int, region: str | None = None) -> None:
        region = region or self.scenario.region
        self.state.suppress(synthetic_suppressed(n, region, self.scenario.date))

    # -- seeding -----------------------------------------------------------------------

    def _seed(self) -> None:
        s = self.scenario
        for account in s.ses.accounts:
            self.state.set_account(account)
        for ident in s.ses.identities:
            self.state.add_identity(ident)
            self._seed_moto_identity(ident.identity, ident.region, ident.mail_from,
                                     ident.behavior_on_mx_failure)
        self.state.suppress(s.ses.suppressed)
        if s.ses.generate_suppressed:
            self.seed_suppressed(s.ses.generate_suppressed)
        for user in s.iam_users:
            self.iam.create_user(s.region, user.name)
            for age, key in enumerate(reversed(user.keys)):
                self.keys[key.label] = self._seed_key(user.name, key, age)

    def _seed_moto_identity(self, identity: str, region: str, mail_from: str | None,
                            behavior: str) -> None:
        """Also register the identity in moto, so list and send calls know it."""
        backend: Any = ses_backends[self.account_id][region]
        if "@" in identity:
            backend.verify_email_identity(identity)
            return
        backend.verify_domain(identity)
        if mail_from:
            moto_behavior = {"REJECT_MESSAGE": "RejectMessage"}.get(behavior, "UseDefaultValue")
            backend.set_identity_mail_from_domain(identity, mail_from, moto_behavior)

    def _seed_key(self, user: str, spec: IamKey, age: int) -> KeyInfo:
        iam = self.iam
        status = "Inactive" if spec.status == "Inactive" else "Active"
        key = iam.create_access_key(user, status=status)
        del iam.access_keys[key.access_key_id]
        key.access_key_id, key.secret_access_key = deterministic_key(
            f"{_account_id(self.scenario.name, 0)}/{self.scenario.name}/{spec.label}")
        key.create_date = self.scenario.date - dt.timedelta(days=60 + 300 * age)
        iam.access_keys[key.access_key_id] = key
        if spec.last_used is not None:
            key.last_used = AccessKeyLastUsed(spec.last_used, spec.last_used_service or "ses",
                                              spec.last_used_region or self.scenario.region)
        if spec.status == "Deleted":
            iam.delete_access_key(key.access_key_id, user)
        return KeyInfo(user, key.access_key_id, spec.status, key.secret_access_key)
