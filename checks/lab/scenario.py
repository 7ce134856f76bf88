"""Scenario files: one TOML file per lab story (zones, AWS state, relay, MTAs, expected diagnosis).

`load_scenario` validates everything up front and raises `ScenarioError` with one clear line
naming the file, the field and the bad value. The format is documented in docs/SCENARIOS.md.
"""

from __future__ import annotations

import datetime as dt
import math
import tomllib
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

import dns.exception
import dns.grange
import dns.name
import dns.zone

from checks import validate
from checks.lab.zone_text import parse_zone
from checks.model import Layer

SCENARIO_DIR = Path(__file__).with_name("scenarios")

T = TypeVar("T")
KeyStatus = Literal["Active", "Inactive", "Deleted"]

KEY_STATUSES = ("Active", "Inactive", "Deleted")
PATHS = ("gmail_send_as", "ses_smtp", "ses_api")
TLS_MODES = ("starttls", "tls")
ENFORCEMENT = ("HEALTHY", "PROBATION", "SHUTDOWN")
VERIFICATION = ("Success", "Pending", "Failed", "TemporaryFailure", "NotStarted")
MAIL_FROM_STATUS = ("Success", "Pending", "Failed", "TemporaryFailure")
MX_FAILURE = ("USE_DEFAULT_VALUE", "REJECT_MESSAGE")
DKIM_ORIGINS = ("AWS_SES", "EXTERNAL")
REASONS = ("BOUNCE", "COMPLAINT")
VERIFICATION_ERRORS = (
    "SERVICE_ERROR", "DNS_SERVER_ERROR", "HOST_NOT_FOUND", "TYPE_NOT_FOUND", "INVALID_VALUE",
)
DNS_FAULTS = ("servfail", "refused", "timeout", "garbage", "truncate_no_tcp")
#: Recipient MTA fault knobs (booleans); see docs/SCENARIOS.md.
MTA_FAULTS = ("no_banner", "close_after_banner", "reject_starttls", "tempfail_ehlo")
#: largest `delay` (seconds per round trip) and `generate_suppressed` a lab accepts
MAX_DELAY = 10.0
MAX_GENERATED = 200_000
#: bounds on what one scenario may ask the lab to build (each is far above any real story,
#: and far below what would make loading or starting the lab hang or eat memory)
MAX_SCENARIO_BYTES = 8 * 1024 * 1024
#: records in all zones of a scenario ([zones] and [resolver_zones]), $GENERATE included
MAX_ZONE_RECORDS = 10_000
MAX_MTAS = 100
MAX_MTA_STS = 100
MAX_CERTIFICATE_NAMES = 20
MAX_IAM_USERS = 100
MAX_KEYS_PER_USER = 10
MAX_IDENTITIES = 1_000
MAX_SUPPRESSED_ENTRIES = 20_000
DEFAULT_RCPT_REPLY = "250 2.1.5 Recipient OK"
DEFAULT_BANNER = "mx.example ESMTP ready"


class ScenarioError(ValueError):
    """A scenario could not be loaded: one line that says which file, field and value."""


# --------------------------------------------------------------------------- the model


@dataclass(frozen=True)
class KeyRef:
    """The access key id of the IAM key with this label (known only once the lab runs)."""

    label: str


@dataclass(frozen=True)
class PasswordSpec:
    """How the relay password was made: derived, legacy, raw IAM secret, or literal."""

    kind: Literal["smtp_password_of", "legacy_password_of", "iam_secret_of", "literal"]
    label: str = ""
    region: str = ""
    literal: str = ""


@dataclass(frozen=True)
class Relay:
    host: str
    port: int
    tls: Literal["starttls", "tls"]
    username: KeyRef | str
    password: PasswordSpec


@dataclass(frozen=True)
class IamKey:
    label: str
    status: KeyStatus
    last_used: dt.datetime | None = None
    last_used_region: str | None = None
    last_used_service: str | None = None


@dataclass(frozen=True)
class IamUser:
    name: str
    keys: tuple[IamKey, ...] = ()


@dataclass(frozen=True)
class SesAccount:
    region: str
    production: bool = True
    sending_enabled: bool = True
    enforcement_status: str = "HEALTHY"
    max_24h: float = 50000.0
    sent_24h: float = 0.0
    max_rate: float = 14.0


@dataclass(frozen=True)
class SesIdentity:
    identity: str
    region: str
    verification: str = "Success"
    verification_error: str | None = None
    dkim_status: str = "Success"
    dkim_tokens: tuple[str, ...] = ()
    mail_from: str | None = None
    mail_from_status: str = "Success"
    behavior_on_mx_failure: str = "USE_DEFAULT_VALUE"
    #: SigningAttributesOrigin: AWS_SES (Easy DKIM: 3 tokens) or EXTERNAL (BYODKIM: the
    #: selector is the one token)
    dkim_origin: str = "AWS_SES"


@dataclass(frozen=True)
class Suppressed:
    email: str
    reason: str
    last_update: dt.datetime
    region: str
    message_id: str | None = None
    feedback_id: str | None = None


@dataclass(frozen=True)
class Ses:
    accounts: tuple[SesAccount, ...] = ()
    identities: tuple[SesIdentity, ...] = ()
    suppressed: tuple[Suppressed, ...] = ()
    #: extra synthetic suppression entries in the scenario region (for the explorer)
    generate_suppressed: int = 0


@dataclass(frozen=True)
class MtaAuth:
    """SMTP AUTH an `[[mta]]` requires (after STARTTLS): the one pair it accepts."""

    user: str
    password: str


@dataclass(frozen=True)
class Mta:
    host: str
    port: int = 25
    banner: str = DEFAULT_BANNER
    starttls: bool = True
    rcpt: Mapping[str, str] = field(default_factory=dict)
    default_rcpt: str = DEFAULT_RCPT_REPLY
    faults: frozenset[str] = frozenset()
    #: names of its own leaf certificate (same lab CA); empty = the lab's shared certificate
    certificate_names: tuple[str, ...] = ()
    #: AUTH PLAIN/LOGIN offered and required, as on a submission server
    auth: MtaAuth | None = None

    def rcpt_reply(self, address: str) -> str:
        return self.rcpt.get(address.lower(), self.default_rcpt)


@dataclass(frozen=True)
class MtaStsPolicy:
    host: str
    body: str
    content_type: str = "text/plain"


@dataclass(frozen=True)
class CheckRef:
    layer: str
    check: str


@dataclass(frozen=True)
class Expected:
    exit_code: int
    root_causes: frozenset[CheckRef] = frozenset()
    consequences: frozenset[CheckRef] | None = None
    notes: str = ""


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    region: str
    date: dt.datetime
    sender: str
    recipients: tuple[str, ...]
    path: Literal["gmail_send_as", "ses_smtp", "ses_api"]
    expected: Expected
    relay: Relay | None = None
    iam_users: tuple[IamUser, ...] = ()
    ses: Ses = field(default_factory=Ses)
    zones: Mapping[str, str] = field(default_factory=dict)
    dns_faults: Mapping[str, str] = field(default_factory=dict)
    mtas: tuple[Mta, ...] = ()
    #: origin -> zone text the resolver serves instead of [zones] (a stale cache); the
    #: zones' own nameservers (dns_routes) still serve [zones]
    resolver_zones: Mapping[str, str] = field(default_factory=dict)
    mta_sts: tuple[MtaStsPolicy, ...] = ()
    #: per-round-trip latency of every lab server, in seconds
    delay: float = 0.0
    source: str = ""
    #: [input] envelope_from: the MAIL FROM a relay writes when it differs from `from`
    envelope_sender: str | None = None

    @property
    def regions(self) -> tuple[str, ...]:
        """Every SES region the scenario mentions, the scenario region first."""
        found = [self.region, *(a.region for a in self.ses.accounts)]
        found += [i.region for i in self.ses.identities] + [s.region for s in self.ses.suppressed]
        if self.relay and self.relay.password.region:
            found.append(self.relay.password.region)
        return tuple(dict.fromkeys(found))

    def key(self, label: str) -> IamKey:
        for user in self.iam_users:
            for key in user.keys:
                if key.label == label:
                    return key
        raise KeyError(label)


# --------------------------------------------------------------------------- reading fields

_MISSING: Any = object()


class _Table:
    """One TOML table plus its location, with typed getters that raise ScenarioError."""

    def __init__(self, data: Any, where: str, source: str) -> None:
        self.where, self.source = where, source
        if not isinstance(data, dict):
            self.fail(f"expected a table, got {_show(data)}")
        self.data: dict[str, Any] = data
        self.used: set[str] = set()

    def fail(self, message: str, key: str | None = None) -> Any:
        place = f"{self.where}.{key}" if key and self.where else (key or self.where)
        raise ScenarioError(f"{self.source}: {place or 'top level'}: {message}")

    def raw(self, key: str, default: Any = _MISSING) -> Any:
        self.used.add(key)
        if key in self.data:
            return self.data[key]
        if default is _MISSING:
            self.fail("missing (required)", key)
        return default

    def typed(self, key: str, kind: type[T], default: Any = _MISSING) -> T:
        value = self.raw(key, default)
        if value is default and default is not _MISSING:
            return cast(T, value)
        if kind is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            self.fail(f"expected {_KIND_NAMES.get(kind, kind.__name__)}, got {_show(value)}", key)
        return cast(T, value)

    def text(self, key: str, default: Any = _MISSING) -> str:
        return self.typed(key, str, default)

    def choice(self, key: str, choices: tuple[str, ...], default: Any = _MISSING) -> str:
        value = self.text(key, default)
        if value is not None and value not in choices:
            self.fail(f"{_quote(value)} is not one of {', '.join(choices)}", key)
        return value

    def region(self, key: str, default: Any = _MISSING) -> str:
        """An AWS region name the lab serves (as `check --region` validates it)."""
        value = self.text(key, default)
        return value if value is None else self.region_name(value, key)

    def region_name(self, value: str, key: str) -> str:
        try:
            name = validate.region(value, "")
        except validate.InvalidValue as exc:
            return cast(str, self.fail(str(exc).strip(), key))
        if name not in validate.KNOWN_REGIONS:
            self.fail(f"{_quote(value)} is not a region the lab serves (e.g. us-east-1, "
                      "eu-west-1)", key)
        return name

    def number(self, key: str, kind: type[T], default: T, high: float) -> T:
        """A finite number from 0 to `high`."""
        value = self.typed(key, kind, default)
        if not (math.isfinite(cast(float, value)) and 0 <= cast(float, value) <= high):
            self.fail(f"must be a number from 0 to {high:,g}, not {value}", key)
        return value

    def when(self, key: str, default: Any = _MISSING) -> dt.datetime:
        value = self.raw(key, default)
        if value is None:
            return cast(dt.datetime, None)  # only when the caller's default is None
        try:
            when = _to_datetime(value)
        except (TypeError, ValueError):
            message = f"expected an ISO date or date-time, got {_show(value)}"
            return cast(dt.datetime, self.fail(message, key))
        if not _YEARS[0] <= when.year <= _YEARS[1]:
            message = f"expected a date from {_YEARS[0]} to {_YEARS[1]}, got {_show(value)}"
            return cast(dt.datetime, self.fail(message, key))
        return when

    def sub(self, key: str, *, required: bool = False) -> _Table | None:
        value = self.raw(key, _MISSING if required else None)
        return None if value is None else _Table(value, self._child(key), self.source)

    def tables(self, key: str, most: int | None = None) -> list[_Table]:
        value = self.raw(key, [])
        if not isinstance(value, list):
            self.fail(f"expected an array of tables [[{self._child(key)}]], got {_show(value)}",
                      key)
        if most is not None and len(value) > most:
            self.fail(f"{len(value):,} entries; a scenario may have at most {most:,}", key)
        return [_Table(v, f"{self._child(key)}[{i}]", self.source) for i, v in enumerate(value)]

    def strings(self, key: str, default: Any = _MISSING) -> tuple[str, ...]:
        if key not in self.data and default is not _MISSING:
            self.used.add(key)
            return tuple(default)
        value = self.raw(key)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            self.fail(f"expected a list of strings, got {_show(value)}", key)
        return tuple(value)

    def string_map(self, key: str) -> dict[str, str]:
        value = self.raw(key, {})
        if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
            self.fail(f"expected a table of strings, got {_show(value)}", key)
        return dict(value)

    def done(self) -> None:
        """Refuse keys nobody read: a typo must not be silently ignored."""
        extra = sorted(set(self.data) - self.used)
        if extra:
            self.fail(f"unknown field {_quote(extra[0])}")

    def _child(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key


_KIND_NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false"}


def _quote(text: str, most: int = 60) -> str:
    """A string as a TOML literal ('...') when it can be one, else as a TOML basic string
    with escapes; long ones cut with '...'."""
    cut = text if len(text) <= most else text[:most - 3] + "..."
    if "'" not in cut and all(c.isprintable() for c in cut):
        return f"'{cut}'"
    escaped = "".join(_ESCAPES.get(c) or (c if c.isprintable() else f"\\u{ord(c):04x}"
                                           if ord(c) <= 0xFFFF else f"\\U{ord(c):08x}")
                      for c in cut)
    return f'"{escaped}"'


_ESCAPES = {"\\": "\\\\", '"': '\\"', "\b": "\\b", "\t": "\\t", "\n": "\\n",
            "\f": "\\f", "\r": "\\r"}


def _show(value: Any) -> str:
    """A TOML value as the user wrote it, with its TOML type in words: 'a date, 1979-05-27',
    "a string, 'x'", 'an array of 3 items' (never a Python repr)."""
    if isinstance(value, bool):
        return f"a boolean, {str(value).lower()}"
    if isinstance(value, str):
        return f"a string, {_quote(value)}"
    if isinstance(value, int):
        text = str(value)
        return f"an integer, {text if len(text) <= 30 else text[:27] + '...'}"
    if isinstance(value, float):
        return f"a number, {_toml_float(value)}"
    if isinstance(value, dt.datetime):
        kind = "a date-time" if value.tzinfo else "a local date-time"
        return f"{kind}, {_toml_datetime(value)}"
    if isinstance(value, dt.date):
        return f"a date, {value.isoformat()}"
    if isinstance(value, dt.time):
        return f"a time, {value.isoformat()}"
    if isinstance(value, list):
        return "an empty array" if not value else (
            f"an array of {len(value):,} item{'s' if len(value) != 1 else ''}")
    if isinstance(value, dict):
        keys = ", ".join(_quote(str(k), 20) for k in list(value)[:3])
        more = ", ..." if len(value) > 3 else ""
        return f"a table ({keys}{more})" if value else "an empty table"
    return "a value of another kind"


def _toml_float(value: float) -> str:
    if math.isnan(value):
        return "nan"
    if math.isinf(value):
        return "inf" if value > 0 else "-inf"
    return repr(value)  # a finite float's repr is valid TOML (1.5, 1e+100)


def _toml_datetime(value: dt.datetime) -> str:
    text = value.isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


#: the years a scenario's dates may fall in (the lab dates keys and entries before them)
_YEARS = (1990, 2200)


def _to_datetime(value: Any) -> dt.datetime:
    if isinstance(value, str):
        value = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, dt.date):
        return dt.datetime(value.year, value.month, value.day, tzinfo=dt.UTC)
    raise TypeError(value)


def _email(t: _Table, key: str, value: str) -> str:
    local, at, domain = value.rpartition("@")
    if not at or not local or "." not in domain:
        t.fail(f"{_quote(value)} is not an email address", key)
    return value


# --------------------------------------------------------------------------- sections


def _relay(t: _Table, region: str) -> Relay:
    relay = Relay(
        host=t.text("host").lower(),
        port=_port(t, "port"),
        tls=t.choice("tls", TLS_MODES),  # type: ignore[arg-type]
        username=_username(t),
        password=_password(t, region),
    )
    t.done()
    return relay


def _username(t: _Table) -> KeyRef | str:
    value = t.raw("username")
    if isinstance(value, str):
        return value
    sub = _Table(value, f"{t.where}.username", t.source)
    ref = KeyRef(sub.text("key"))
    sub.done()
    return ref


_PASSWORD_KINDS = ("smtp_password_of", "legacy_password_of", "iam_secret_of", "literal")


def _password(t: _Table, region: str) -> PasswordSpec:
    sub = _Table(t.raw("password"), f"{t.where}.password", t.source)
    kinds = [k for k in _PASSWORD_KINDS if k in sub.data]
    if len(kinds) != 1:
        sub.fail(f"give exactly one of {', '.join(_PASSWORD_KINDS)}")
    kind = kinds[0]
    if kind == "literal":
        spec = PasswordSpec("literal", literal=sub.text("literal"))
    else:
        pw_region = sub.region("region", region) if kind == "smtp_password_of" else ""
        label = sub.text(kind)
        if not label.strip():
            sub.fail("needs the label of an IAM key", kind)
        spec = PasswordSpec(kind, label=label, region=pw_region)  # type: ignore[arg-type]
    sub.done()
    return spec


def _iam_user(t: _Table) -> IamUser:
    user = IamUser(name=t.text("name"),
                   keys=tuple(_iam_key(k) for k in t.tables("keys", MAX_KEYS_PER_USER)))
    if len([k for k in user.keys if k.status != "Deleted"]) > 2:
        t.fail("IAM allows at most two access keys per user", "keys")
    t.done()
    return user


def _iam_key(t: _Table) -> IamKey:
    key = IamKey(
        label=t.text("label"),
        status=t.choice("status", KEY_STATUSES),  # type: ignore[arg-type]
        last_used=t.when("last_used", None),
        last_used_region=t.region("last_used_region", None),
        last_used_service=t.text("last_used_service", None),
    )
    t.done()
    return key


_ACCOUNT_FIELDS = ("production", "sending_enabled", "enforcement_status", "max_24h",
                   "sent_24h", "max_rate")


def _account(t: _Table, region: str) -> SesAccount:
    base = SesAccount(region)
    account = SesAccount(
        region=region,
        production=t.typed("production", bool, base.production),
        sending_enabled=t.typed("sending_enabled", bool, base.sending_enabled),
        enforcement_status=t.choice("enforcement_status", ENFORCEMENT, base.enforcement_status),
        max_24h=t.typed("max_24h", float, base.max_24h),
        sent_24h=t.typed("sent_24h", float, base.sent_24h),
        max_rate=t.typed("max_rate", float, base.max_rate),
    )
    return account


def _identity(t: _Table, region: str) -> SesIdentity:
    tokens = t.strings("dkim_tokens", ())
    origin = t.choice("dkim_origin", DKIM_ORIGINS, "AWS_SES")
    wanted = 3 if origin == "AWS_SES" else 1
    if tokens and len(tokens) != wanted:
        kind = "SES Easy DKIM has exactly 3 tokens" if wanted == 3 else (
            "BYODKIM (dkim_origin EXTERNAL) has one token, the selector")
        t.fail(f"{kind}, got {len(tokens)}", "dkim_tokens")
    identity = _identity_name(t)
    ident = SesIdentity(
        identity=identity,
        region=t.region("region", region),
        verification=t.choice("verification", VERIFICATION, "Success"),
        verification_error=t.choice("verification_error", VERIFICATION_ERRORS, None),
        dkim_status=t.choice("dkim_status", VERIFICATION, "Success"),
        dkim_tokens=tokens,
        mail_from=_mail_from(t, identity),
        mail_from_status=t.choice("mail_from_status", MAIL_FROM_STATUS, "Success"),
        behavior_on_mx_failure=t.choice("behavior_on_mx_failure", MX_FAILURE, "USE_DEFAULT_VALUE"),
        dkim_origin=origin,
    )
    t.done()
    return ident


def _identity_name(t: _Table) -> str:
    """An SES identity: an email address or a domain name, lower-cased."""
    value = t.text("identity").strip().lower()
    try:
        if "@" in value:
            return validate.address(value, "")
        return validate.hostname(value, "")
    except validate.InvalidValue:
        return cast(str, t.fail(f"{_quote(value)} is neither an email address nor a domain",
                                "identity"))


def _mail_from(t: _Table, identity: str) -> str | None:
    """A custom MAIL FROM domain: as SES requires, a subdomain of the identity's domain."""
    value = t.text("mail_from", None)
    if value is None:
        return None
    name = value.strip().lower().rstrip(".")
    domain = identity.rpartition("@")[2]
    try:
        validate.hostname(name, "")
    except validate.InvalidValue:
        return cast(str, t.fail(f"{_quote(value)} is not a domain name", "mail_from"))
    if not name.endswith("." + domain):
        t.fail(f"{_quote(value)} is not a subdomain of {_quote(domain)} (SES requires one)",
               "mail_from")
    return name


def _suppressed(t: _Table, region: str, date: dt.datetime) -> Suppressed:
    entry = Suppressed(
        email=_email(t, "email", t.text("email")).lower(),
        reason=t.choice("reason", REASONS),
        last_update=t.when("last_update", date),
        region=t.region("region", region),
        message_id=t.text("message_id", None),
        feedback_id=t.text("feedback_id", None),
    )
    t.done()
    return entry


def _ses(t: _Table | None, region: str, date: dt.datetime) -> Ses:
    if t is None:
        return Ses(accounts=(SesAccount(region),))
    accounts = [_account(t, region)]
    regions = t.sub("regions")
    for other in sorted(regions.data) if regions else ():
        sub = regions.sub(other, required=True)  # type: ignore[union-attr]
        regions.region_name(other, other)  # type: ignore[union-attr]
        accounts.append(_account(sub, other))  # type: ignore[arg-type]
        sub.done()  # type: ignore[union-attr]
    ses = Ses(
        accounts=tuple(accounts),
        identities=tuple(_identity(i, region) for i in t.tables("identities", MAX_IDENTITIES)),
        suppressed=tuple(_suppressed(s, region, date)
                         for s in t.tables("suppressed", MAX_SUPPRESSED_ENTRIES)),
        generate_suppressed=t.number("generate_suppressed", int, 0, MAX_GENERATED),
    )
    if regions:
        regions.done()
    t.done()
    return ses


def _zones(t: _Table | None, budget: list[int]) -> dict[str, str]:
    """Zone texts by origin, each parsed once here; `budget` holds the records all zones of
    the scenario may still have (shared by [zones] and [resolver_zones])."""
    if t is None:
        return {}
    zones: dict[str, str] = {}
    for origin in t.data:
        text = t.text(origin)
        if not origin.strip(". "):
            t.fail("a zone needs a name (its origin, e.g. \"sender.example\")", f'"{origin}"')
        budget[0] -= _zone_records(t, origin, text, budget[0])
        try:
            name = dns.name.from_text(origin)
            parse_zone(text, name)  # (as the lab DNS server reads it)
        except (dns.exception.DNSException, ValueError) as exc:
            t.fail(f"zone text does not parse: {exc}", origin)
        zones[origin] = text
    return zones


def _zone_records(t: _Table, origin: str, text: str, left: int) -> int:
    """How many records the zone text makes ($GENERATE ranges counted out, lines otherwise),
    refused past `left`, naming the line: before dnspython expands a $GENERATE of millions
    of names in memory."""
    count = 0
    for number, line in enumerate(text.splitlines(), 1):
        words = line.split(";", 1)[0].split()
        if not words:
            continue
        made = _generated(words) if words[0].upper() == "$GENERATE" else 1
        count += made
        if count > left:
            what = (f"$GENERATE {words[1]} makes {made:,} records" if made > 1
                    else "the zones have too many records")
            t.fail(f"line {number}: {what}; a scenario's zones hold at most "
                   f"{MAX_ZONE_RECORDS:,} records in all", origin)
    return count


def _generated(words: list[str]) -> int:
    """The number of names a $GENERATE line makes (1 when its range does not parse: the
    zone parser then names the error)."""
    if len(words) < 2:
        return 1
    try:
        start, stop, step = dns.grange.from_text(words[1])
    except (dns.exception.DNSException, ValueError, AssertionError):  # grange asserts step >= 1
        return 1
    return max(1, (stop - start) // step + 1)


def _dns(t: _Table | None) -> dict[str, str]:
    if t is None:
        return {}
    faults = t.string_map("faults")
    for name, kind in faults.items():
        if kind not in DNS_FAULTS:
            t.fail(f"{_quote(kind)} for {name} is not one of {', '.join(DNS_FAULTS)}", "faults")
    t.done()
    return faults


def _mta(t: _Table) -> Mta:
    flags = frozenset(k for k in MTA_FAULTS if t.typed(k, bool, False))
    mta = Mta(
        host=_host_name(t, "host"),
        port=_port(t, "port", 25),
        banner=t.text("banner", DEFAULT_BANNER),
        starttls=t.typed("starttls", bool, True),
        rcpt={k.lower(): _reply(t, v) for k, v in t.string_map("rcpt").items()},
        default_rcpt=_reply(t, t.text("default_rcpt", DEFAULT_RCPT_REPLY)),
        faults=flags,
        certificate_names=_certificate_names(t),
        auth=_mta_auth(t.sub("auth")),
    )
    t.done()
    return mta


def _certificate_names(t: _Table) -> tuple[str, ...]:
    """Names for the MTA's certificate: host names (a leading '*.' allowed), each at most 64
    characters (the most a certificate's common name holds)."""
    names = tuple(n.strip().lower().rstrip(".") for n in t.strings("certificate_names", ()))
    if len(names) > MAX_CERTIFICATE_NAMES:
        t.fail(f"{len(names)} names; a certificate here has at most {MAX_CERTIFICATE_NAMES}",
               "certificate_names")
    for name in names:
        try:
            validate.hostname(name.removeprefix("*."), "")
        except validate.InvalidValue:
            t.fail(f"{_quote(name)} is not a host name", "certificate_names")
        if len(name) > 64:
            t.fail(f"{_quote(name)} is longer than 64 characters", "certificate_names")
    return names


def _host_name(t: _Table, key: str) -> str:
    """A DNS host name or IP address (as `check --relay-host` validates one)."""
    value = t.text(key)
    try:
        return validate.hostname(value, "")
    except validate.InvalidValue:
        return cast(str, t.fail(f"{_quote(value)} is not a host name", key))


def _port(t: _Table, key: str, default: Any = _MISSING) -> int:
    port = t.typed(key, int, default)
    if not 0 < port < 65536:
        t.fail(f"{port} is not a TCP port (1-65535)", key)
    return port


def _mta_auth(t: _Table | None) -> MtaAuth | None:
    if t is None:
        return None
    auth = MtaAuth(t.text("user"), t.text("password_literal"))
    t.done()
    return auth


def _reply(t: _Table, line: str) -> str:
    code = line[:3]
    if not (code.isdigit() and 200 <= int(code) < 600 and line[3:4] in ("", " ")):
        t.fail(f"{_quote(line)} is not an SMTP reply line like '550 5.1.1 User unknown'", "rcpt")
    return line


def _mta_sts(t: _Table | None) -> tuple[MtaStsPolicy, ...]:
    if t is None:
        return ()
    policies = []
    if len(t.data) > MAX_MTA_STS:
        t.fail(f"{len(t.data):,} policies; a scenario may have at most {MAX_MTA_STS}")
    for host in t.data:
        sub = t.sub(host, required=True)
        assert sub is not None
        policies.append(MtaStsPolicy(host.lower(), sub.text("body"),
                                     sub.text("content_type", "text/plain")))
        sub.done()
    return tuple(policies)


def _check_refs(t: _Table, key: str, default: Any = _MISSING) -> frozenset[CheckRef] | None:
    layers = tuple(layer.value for layer in Layer)
    refs = []
    for item in t.tables(key) if key in t.data or default is _MISSING else []:
        ref = CheckRef(item.choice("layer", layers), item.text("check"))
        item.done()
        refs.append(ref)
    if key not in t.data and default is not _MISSING:
        return default  # type: ignore[no-any-return]
    return frozenset(refs)


def _expected(t: _Table) -> Expected:
    exp = Expected(
        exit_code=t.typed("exit_code", int),
        root_causes=_check_refs(t, "root_causes", frozenset()) or frozenset(),
        consequences=_check_refs(t, "consequences", None),
        notes=t.text("notes", ""),
    )
    t.done()
    return exp


# --------------------------------------------------------------------------- the whole file


def _inputs(t: _Table) -> tuple[str, tuple[str, ...], str, str | None]:
    sender = _email(t, "from", t.text("from"))
    envelope = t.text("envelope_from", None)
    if envelope is not None:
        _email(t, "envelope_from", envelope)
    recipients = tuple(_email(t, "to", r) for r in t.strings("to"))
    if not recipients:
        t.fail("give at least one recipient", "to")
    path = t.choice("path", PATHS)
    t.done()
    return sender, recipients, path, envelope


def _scenario(top: _Table, default_name: str) -> Scenario:
    region = top.region("region")
    date = top.when("date", dt.datetime(2026, 9, 14, 12, 0, tzinfo=dt.UTC))
    inputs = top.sub("input", required=True)
    assert inputs is not None
    sender, recipients, path, envelope_sender = _inputs(inputs)
    relay_t, ses_t = top.sub("relay"), top.sub("ses")
    zone_budget = [MAX_ZONE_RECORDS]
    scenario = Scenario(
        name=top.text("name", default_name), description=top.text("description", ""),
        region=region, date=date, sender=sender, recipients=recipients,
        envelope_sender=envelope_sender,
        path=path,  # type: ignore[arg-type]
        expected=_expected(top.sub("expected", required=True)),  # type: ignore[arg-type]
        relay=_relay(relay_t, region) if relay_t else None,
        iam_users=tuple(_iam_user(u) for u in _iam_tables(top)),
        ses=_ses(ses_t, region, date), zones=_zones(top.sub("zones"), zone_budget),
        dns_faults=_dns(top.sub("dns")),
        mtas=tuple(_mta(m) for m in top.tables("mta", MAX_MTAS)),
        mta_sts=_mta_sts(top.sub("mta_sts")), delay=top.number("delay", float, 0.0, MAX_DELAY),
        resolver_zones=_zones(top.sub("resolver_zones"), zone_budget),
        source=top.source,
    )
    top.done()
    _cross_check(scenario, top)
    return scenario


def _iam_tables(top: _Table) -> list[_Table]:
    iam = top.sub("iam")
    if iam is None:
        return []
    users = iam.tables("users", MAX_IAM_USERS)
    iam.done()
    return users


def _cross_check(s: Scenario, top: _Table) -> None:
    """References between sections: relay key labels must name a key that exists."""
    labels = [k.label for u in s.iam_users for k in u.keys]
    dupes = {label for label, n in Counter(labels).items() if n > 1}
    if dupes:
        top.fail(f"IAM key label {_quote(sorted(dupes)[0])} is used twice", "iam.users")
    wanted = []
    if s.relay and isinstance(s.relay.username, KeyRef):
        wanted.append(("relay.username.key", s.relay.username.label))
    if s.relay and s.relay.password.label:
        wanted.append((f"relay.password.{s.relay.password.kind}", s.relay.password.label))
    for where, label in wanted:
        if label not in labels:
            top.fail(f"no IAM key with label {_quote(label)} "
                     f"(known: {', '.join(labels) or 'none'})", where)


def list_scenarios() -> list[str]:
    """Names of the scenarios shipped with mailpath."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.toml"))


def scenario_path(name_or_path: str) -> Path:
    """A name means checks/lab/scenarios/NAME.toml; a `/` or `.toml` suffix means a path."""
    if "/" in name_or_path or name_or_path.endswith(".toml"):
        return Path(name_or_path).expanduser()
    path = SCENARIO_DIR / f"{name_or_path}.toml"
    if not path.is_file():
        known = ", ".join(list_scenarios()) or "none"
        raise ScenarioError(f"unknown scenario {_quote(name_or_path)} (known: {known})")
    return path


def load_scenario(name_or_path: str) -> Scenario:
    """Read and validate a scenario; raises ScenarioError with one clear line."""
    path = scenario_path(name_or_path)
    where = f"cannot read scenario {_quote(str(path), most=4096)}"  # the whole path, uncut
    try:
        with path.open("rb") as fh:  # read at most one byte past the bound (a FIFO, /dev/zero)
            data = fh.read(MAX_SCENARIO_BYTES + 1)
        if len(data) > MAX_SCENARIO_BYTES:
            raise ScenarioError(f"{where}: larger than {MAX_SCENARIO_BYTES:,} bytes, the most "
                                "a scenario file may be")
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{where}: not UTF-8 text at byte {exc.start}") from None
    except OSError as exc:
        raise ScenarioError(f"{where}: {_reason(exc)}") from None
    return parse_scenario(text, source=path.name, default_name=path.stem)


def parse_scenario(text: str, *, source: str = "<scenario>", default_name: str = "") -> Scenario:
    """Validate scenario TOML text (the body of load_scenario, usable on strings in tests)."""
    if len(text) > MAX_SCENARIO_BYTES:
        raise ScenarioError(f"{source}: {len(text):,} characters; a scenario file may have at "
                            f"most {MAX_SCENARIO_BYTES:,}")
    try:
        data = tomllib.loads(text)
        return _scenario(_Table(data, "", source), default_name or "scenario")
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{source}: TOML syntax error: {exc}") from None
    except RecursionError:  # tomllib (or a value's repr) recurses once per level of nesting
        raise ScenarioError(f"{source}: arrays or tables nested too deeply (no scenario field "
                            "nests more than a few levels)") from None


def _reason(exc: BaseException) -> str:
    return getattr(exc, "strerror", None) or type(exc).__name__
