"""The lab: every stand-in for one scenario, on 127.0.0.1 with random ports, as one context.

    with start_lab("seed") as lab:
        ctx = Context(endpoints=lab.endpoints, inputs=lab.inputs)

The asyncio servers (DNS, SES SMTP relays, recipient MTAs) run on one background thread with
its own event loop, moto and the HTTPS server on their own threads, so both sync tests and
async code (Textual included) can use a lab. `open_lab` is the async form.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import os
import re
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from checks.context import Inputs, RelaySettings
from checks.creds.smtp_password import derive_legacy_smtp_password, derive_smtp_password
from checks.endpoints import Endpoints
from checks.lab.aws import LAB_CREDENTIALS, AwsStandIn, KeyInfo
from checks.lab.certs import LabCerts, make_certs, make_extra_leaf
from checks.lab.https_server import HttpsStandIn
from checks.lab.scenario import (
    MAX_DELAY,
    KeyRef,
    PasswordSpec,
    Scenario,
    ScenarioError,
    load_scenario,
)
from checks.lab.smtp_servers import KeyView, mta_factory, ses_relay_factory
from checks.secrets import Secret

T = TypeVar("T")

#: SES SMTP ports: which are STARTTLS and which implicit TLS (as SES documents them).
STARTTLS_PORTS = (587, 2587, 25)
IMPLICIT_TLS_PORTS = (465, 2465)
LAB_TIMEOUT = 5.0
_START_TIMEOUT = 10.0
_SES_HOST = re.compile(r"^email-smtp\.([a-z0-9-]+)\.amazonaws\.com$")


class LabError(RuntimeError):
    """The lab could not start (a port, a thread, a missing part)."""


def ses_smtp_host(region: str) -> str:
    return f"email-smtp.{region}.amazonaws.com"


class _LoopThread:
    """An asyncio loop on a daemon thread; `run` executes a coroutine there and waits."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True, name="lab-loop")
        self._thread.start()

    def run(self, coro: Coroutine[Any, Any, T], timeout: float = _START_TIMEOUT) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(timeout=5)
        if not self.loop.is_running():
            self.loop.close()


@dataclass
class Lab:
    """A running lab. `endpoints`, `inputs` and `relay` are what a diagnosis needs."""

    scenario: Scenario
    directory: Path
    certs: LabCerts
    aws: AwsStandIn
    endpoints: Endpoints = field(default_factory=Endpoints)
    relay: RelaySettings | None = None
    inputs: Inputs = field(default_factory=Inputs)
    _cleanups: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def key(self, label: str) -> KeyInfo:
        """The IAM key the scenario calls `label` (id and secret as seeded)."""
        return self.aws.keys[label]

    def seed_suppressed(self, n: int, region: str | None = None) -> None:
        """Add `n` synthetic suppression entries in-process (100,000 in well under a second)."""
        self.aws.seed_suppressed(n, region)

    def boto3_client(self, service: str, region: str | None = None) -> Any:
        """A boto3 client pointed at the AWS stand-in (for tests and tools)."""
        import boto3

        key, secret = LAB_CREDENTIALS
        return boto3.client(service, endpoint_url=self.endpoints.aws_endpoint_url,
                            region_name=region or self.scenario.region,
                            aws_access_key_id=key, aws_secret_access_key=secret)

    def close(self) -> None:
        while self._cleanups:
            with contextlib.suppress(Exception):  # best effort: stop everything we can
                self._cleanups.pop()()


# --------------------------------------------------------------------------- relay settings


def _password(lab: Lab, spec: PasswordSpec) -> str:
    if spec.kind == "literal":
        return spec.literal
    secret = lab.key(spec.label).secret
    makers: dict[str, Callable[[], str]] = {
        "smtp_password_of": lambda: derive_smtp_password(secret, spec.region),
        "legacy_password_of": lambda: derive_legacy_smtp_password(secret),
        "iam_secret_of": lambda: secret,
    }
    return makers[spec.kind]()


def relay_settings(lab: Lab) -> RelaySettings | None:
    """Gmail's stored relay settings, with the key ids and passwords of this lab run."""
    relay = lab.scenario.relay
    if relay is None:
        return None
    user = relay.username
    username = lab.key(user.label).access_key_id if isinstance(user, KeyRef) else user
    return RelaySettings(relay.host, relay.port, relay.tls, username,
                         Secret(_password(lab, relay.password)))


def relay_regions(scenario: Scenario) -> tuple[str, ...]:
    """Regions that get an SES SMTP stand-in: the scenario's, plus the relay host's own."""
    regions = list(scenario.regions)
    match = _SES_HOST.match(scenario.relay.host) if scenario.relay else None
    if match:
        regions.append(match.group(1))
    return tuple(dict.fromkeys(regions))


def _cert_hosts(scenario: Scenario) -> list[str]:
    hosts = [ses_smtp_host(r) for r in relay_regions(scenario)]
    hosts += [m.host for m in scenario.mtas] + [p.host for p in scenario.mta_sts]
    return [*hosts, "localhost"]


# --------------------------------------------------------------------------- servers


async def _serve(factory: Callable[[], Any], **kwargs: Any) -> tuple[asyncio.Server, int]:
    loop = asyncio.get_running_loop()
    server = await loop.create_server(factory, "127.0.0.1", 0, **kwargs)
    return server, int(server.sockets[0].getsockname()[1])


async def _close_servers(servers: list[asyncio.Server]) -> None:
    for server in servers:
        server.close()
    for server in servers:
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(server.wait_closed(), 2)


def _overlay(zones: Mapping[str, str], over: Mapping[str, str]) -> dict[str, str]:
    """zones with each origin in `over` replaced ('a.example' and 'a.example.' are one)."""
    merged = {origin.lower().rstrip("."): text for origin, text in zones.items()}
    merged.update({origin.lower().rstrip("."): text for origin, text in over.items()})
    return merged


class _AsyncServers:
    """The loop-thread part of the lab: DNS, SES SMTP relays, recipient MTAs."""

    def __init__(self, lab: Lab, delay: float) -> None:
        self.lab, self.delay = lab, delay
        self.servers: list[asyncio.Server] = []
        self.routes: dict[str, tuple[str, int]] = {}
        self.dns: Any = None
        self.auth_dns: Any = None  # the zones' own nameservers, when the resolver differs
        self.auth_address: tuple[str, int] | None = None

    async def start(self) -> tuple[str, int] | None:
        await self._start_relays()
        await self._start_mtas()
        return await self._start_dns()

    async def _start_dns(self) -> tuple[str, int] | None:
        if not self.lab.scenario.zones:
            return None
        from checks.lab.dns_server import LabDnsServer  # written by the DNS engineer

        scenario = self.lab.scenario
        self.dns = LabDnsServer(_overlay(scenario.zones, scenario.resolver_zones), delay=self.delay,
                                faults=dict(scenario.dns_faults) or None)
        host, port = await self.dns.start()
        if scenario.resolver_zones:  # [resolver_zones]: the resolver serves stale records
            self.auth_dns = LabDnsServer(scenario.zones, delay=self.delay,
                                         faults=dict(scenario.dns_faults) or None)
            auth_host, auth_port = await self.auth_dns.start()
            self.auth_address = str(auth_host), int(auth_port)
        return str(host), int(port)

    async def _start_relays(self) -> None:
        ctx = self.lab.certs.server_context()
        for region in relay_regions(self.lab.scenario):
            for implicit, ports in ((False, STARTTLS_PORTS), (True, IMPLICIT_TLS_PORTS)):
                factory = ses_relay_factory(region, self._key_view, tls_context=ctx,
                                            implicit_tls=implicit, delay=self.delay,
                                            on_success=self.lab.aws.mark_used,
                                            verdict=self.lab.aws.send_verdict)
                server, port = await _serve(factory, ssl=ctx if implicit else None)
                self.servers.append(server)
                self.routes.update({f"{ses_smtp_host(region)}:{p}": ("127.0.0.1", port)
                                    for p in ports})

    async def _start_mtas(self) -> None:
        for i, mta in enumerate(self.lab.scenario.mtas):
            ctx = self._mta_context(i, mta.certificate_names)
            server, port = await _serve(mta_factory(mta, tls_context=ctx, delay=self.delay))
            self.servers.append(server)
            self.routes[f"{mta.host}:{mta.port}"] = ("127.0.0.1", port)

    def _mta_context(self, index: int, names: tuple[str, ...]) -> Any:
        """The shared lab certificate, or the `[[mta]] certificate_names` leaf of its own."""
        if not names:
            return self.lab.certs.server_context()
        return make_extra_leaf(self.lab.certs, names, f"mta{index}").server_context()

    def _key_view(self, access_key_id: str) -> KeyView | None:
        key = self.lab.aws.key_by_id(access_key_id)
        return KeyView(key.status, key.secret) if key else None

    async def stop(self) -> None:
        await _close_servers(self.servers)
        for dns in (self.dns, self.auth_dns):
            if dns is not None:
                await dns.stop()
        await _cancel_sessions()


async def _cancel_sessions() -> None:
    """End SMTP sessions still open (a client that never quit, a silent fault MTA)."""
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.wait(tasks, timeout=2)


# --------------------------------------------------------------------------- start / stop


def _start(scenario: Scenario, delay: float) -> Lab:
    directory = Path(tempfile.mkdtemp(prefix="mailpath-lab-"))
    aws = AwsStandIn(scenario, delay=delay)
    lab = Lab(scenario, directory, make_certs(directory, _cert_hosts(scenario)), aws)
    lab._cleanups.append(lambda: shutil.rmtree(directory, ignore_errors=True))
    try:
        _start_servers(lab, delay)
    except BaseException:
        lab.close()
        raise
    return lab


def _start_servers(lab: Lab, delay: float) -> None:
    aws_url = lab.aws.start()
    lab._cleanups.append(lab.aws.stop)
    loop = _LoopThread()
    lab._cleanups.append(loop.close)
    servers = _AsyncServers(lab, delay)
    lab._cleanups.append(lambda: loop.run(servers.stop()))
    dns = loop.run(servers.start())
    https = HttpsStandIn({p.host: p for p in lab.scenario.mta_sts},
                         lab.certs.server_context(), delay=delay)
    https.start()
    lab._cleanups.append(https.stop)
    lab.endpoints = Endpoints(
        aws_endpoint_url=aws_url, aws_region=lab.scenario.region,
        aws_static_credentials=LAB_CREDENTIALS, nameservers=(dns,) if dns else (),
        smtp_routes=servers.routes, ca_file=str(lab.certs.ca_file), timeout=LAB_TIMEOUT,
        # zones' NS addresses -> the lab DNS server (its authoritative twin, if any)
        dns_routes={"*": servers.auth_address or dns} if dns else {},
        https_routes={p.host: f"https://127.0.0.1:{https.port}" for p in lab.scenario.mta_sts},
    )
    lab.relay = relay_settings(lab)
    lab.inputs = Inputs(sender=lab.scenario.sender, recipients=lab.scenario.recipients,
                        relay=lab.relay, path=lab.scenario.path,
                        envelope_sender=lab.scenario.envelope_sender)


def _resolve(scenario: Scenario | str) -> Scenario:
    return load_scenario(scenario) if isinstance(scenario, str) else scenario


def checked_delay(delay: float) -> float:
    """A per-round-trip delay the servers can sleep: finite, 0 to MAX_DELAY seconds."""
    if not (math.isfinite(delay) and 0 <= delay <= MAX_DELAY):
        raise ScenarioError(f"delay must be a number of seconds from 0 to {MAX_DELAY:g}, "
                            f"not {delay}")
    return delay


def forget_aws_profile() -> None:
    """The lab is local and touches no real account: an AWS_PROFILE the user has set (for
    their real account) must not reach the stand-ins, where botocore would look it up."""
    for name in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        os.environ.pop(name, None)


@contextlib.contextmanager
def start_lab(scenario: Scenario | str, *, delay: float | None = None) -> Iterator[Lab]:
    """Start every stand-in for `scenario` (a Scenario, a name or a path); stop them after.

    `delay` (seconds per round trip on every server) overrides the scenario's own.
    Raises ScenarioError for a bad scenario, before anything starts.
    """
    resolved = _resolve(scenario)
    forget_aws_profile()
    lab = _start(resolved, checked_delay(resolved.delay if delay is None else delay))
    try:
        yield lab
    finally:
        lab.close()


@contextlib.asynccontextmanager
async def open_lab(scenario: Scenario | str, *, delay: float | None = None) -> AsyncIterator[Lab]:
    """The async form of start_lab: starting and stopping run off the caller's loop."""
    resolved = _resolve(scenario)
    wait = checked_delay(resolved.delay if delay is None else delay)
    forget_aws_profile()
    lab = await asyncio.to_thread(_start, resolved, wait)
    try:
        yield lab
    finally:
        await asyncio.to_thread(lab.close)
