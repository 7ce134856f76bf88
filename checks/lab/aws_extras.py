"""What moto lacks or cannot express, served honestly on moto's own port.

A WSGI middleware in front of moto answers, in the real wire shapes of botocore's models:
SES v2 `GetAccount`, the four suppression-list calls, `GetEmailIdentity` for identities the
scenario describes (verification, DKIM and MAIL FROM statuses moto always reports as success),
and the SES v1 query calls `GetAccountSendingEnabled`, `GetSendQuota`,
`GetIdentityVerificationAttributes`, `GetIdentityDkimAttributes` and
`GetIdentityMailFromDomainAttributes`. Everything else goes to moto unchanged.

State lives in `SesLabState`, per region as in AWS (account, identities, suppression list).
"""

from __future__ import annotations

import base64
import binascii
import bisect
import datetime as dt
import io
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, unquote
from xml.sax.saxutils import escape

from checks.lab.scenario import REASONS, SesAccount, SesIdentity, Suppressed

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_V2_STATUS = {"Success": "SUCCESS", "Pending": "PENDING", "Failed": "FAILED",
              "TemporaryFailure": "TEMPORARY_FAILURE", "NotStarted": "NOT_STARTED"}
_V1_MX_FAILURE = {"USE_DEFAULT_VALUE": "UseDefaultValue", "REJECT_MESSAGE": "RejectMessage"}
_SES_XMLNS = "http://ses.amazonaws.com/doc/2010-12-01/"
_SUPPRESSION_PATH = "/v2/email/suppression/addresses"
_IDENTITY_PATH = "/v2/email/identities/"
MAX_PAGE_SIZE = 1000
#: Account defaults for a region the scenario does not mention: a new account, in the sandbox.
SANDBOX = {"production": False, "max_24h": 200.0, "max_rate": 1.0}


class ApiError(Exception):
    """An AWS error reply: HTTP status, error type (x-amzn-ErrorType / Code) and message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


# --------------------------------------------------------------------------- state


@dataclass
class SuppressionList:
    """One region's account-level suppression list, kept sorted for stable paging."""

    entries: dict[str, Suppressed] = field(default_factory=dict)
    order: list[str] = field(default_factory=list)

    def put(self, entry: Suppressed) -> None:
        if entry.email not in self.entries:
            bisect.insort(self.order, entry.email)
        self.entries[entry.email] = entry

    def bulk(self, entries: Iterable[Suppressed]) -> None:
        """Add many at once (one sort): 100,000 entries take a fraction of a second."""
        self.entries.update((e.email, e) for e in entries)
        self.order = sorted(self.entries)

    def delete(self, email: str) -> bool:
        if self.entries.pop(email, None) is None:
            return False
        del self.order[bisect.bisect_left(self.order, email)]
        return True

    def after(self, email: str) -> Iterator[Suppressed]:
        """Entries whose address sorts after `email` ("" = from the start)."""
        index = bisect.bisect_right(self.order, email) if email else 0
        while index < len(self.order):
            entry = self.entries.get(self.order[index])
            index += 1
            if entry is not None:
                yield entry


@dataclass
class RegionState:
    account: SesAccount
    identities: dict[str, SesIdentity] = field(default_factory=dict)
    suppression: SuppressionList = field(default_factory=SuppressionList)


class SesLabState:
    """The SES facts the lab serves itself, per region. Thread-safe for single calls."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now
        self.regions: dict[str, RegionState] = {}
        self.lock = threading.RLock()
        #: identities moto holds in a region (made through the API while the lab runs)
        self.moto_identities: Callable[[str], Iterable[str]] = lambda region: ()

    def region(self, name: str) -> RegionState:
        with self.lock:
            if name not in self.regions:
                account = replace(SesAccount(name), **SANDBOX)  # type: ignore[arg-type]
                self.regions[name] = RegionState(account)
            return self.regions[name]

    def set_account(self, account: SesAccount) -> None:
        self.region(account.region).account = account

    def add_identity(self, identity: SesIdentity) -> None:
        self.region(identity.region).identities[identity.identity] = identity

    def suppress(self, entries: Iterable[Suppressed]) -> None:
        by_region: dict[str, list[Suppressed]] = {}
        for entry in entries:
            by_region.setdefault(entry.region, []).append(entry)
        with self.lock:
            for region, items in by_region.items():
                self.region(region).suppression.bulk(items)


def synthetic_suppressed(n: int, region: str, now: dt.datetime) -> Iterator[Suppressed]:
    """`n` made-up suppression entries on example domains, spread over the past year."""
    for i in range(n):
        yield Suppressed(
            email=f"user{i:06d}@bulk{i % 97:02d}.example",
            reason="COMPLAINT" if i % 7 == 0 else "BOUNCE",
            last_update=now - dt.timedelta(minutes=(i * 5261) % 525600),
            region=region,
            message_id=f"0100019{i:09d}-lab-000000",
        )


# --------------------------------------------------------------------------- request parsing


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, list[str]]
    region: str
    body: bytes

    def form(self) -> dict[str, list[str]]:
        return parse_qs(self.body.decode("utf-8", "replace"), keep_blank_values=True)


def _region_of(environ: dict[str, Any], default: str) -> str:
    """The region in the SigV4 credential scope: Credential=KEY/DATE/REGION/SERVICE/aws4_request."""
    auth = environ.get("HTTP_AUTHORIZATION", "")
    _, found, rest = auth.partition("Credential=")
    parts = rest.split(",")[0].split("/") if found else []
    return parts[2] if len(parts) >= 5 else default


def _read_body(environ: dict[str, Any]) -> bytes:
    """Read the request body and put it back, so moto can read it again."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        length = 0
    body = environ["wsgi.input"].read(length) if length > 0 else b""
    environ["wsgi.input"] = io.BytesIO(body)
    return body


def parse_request(environ: dict[str, Any], default_region: str) -> Request:
    return Request(
        method=environ.get("REQUEST_METHOD", "GET"),
        path=unquote(environ.get("PATH_INFO", "/")),
        query=parse_qs(environ.get("QUERY_STRING", ""), keep_blank_values=True),
        region=_region_of(environ, default_region),
        body=_read_body(environ),
    )


# --------------------------------------------------------------------------- replies


@dataclass
class Reply:
    status: int
    body: bytes
    headers: list[tuple[str, str]]


def json_reply(payload: dict[str, Any], status: int = 200) -> Reply:
    headers = [("Content-Type", "application/json"), ("x-amzn-RequestId", str(uuid.uuid4()))]
    return Reply(status, json.dumps(payload).encode(), headers)


def json_error(err: ApiError) -> Reply:
    reply = json_reply({"message": err.message}, err.status)
    reply.headers.append(("x-amzn-ErrorType", err.code))
    return reply


def xml_reply(action: str, inner: str) -> Reply:
    body = (
        f'<{action}Response xmlns="{_SES_XMLNS}"><{action}Result>{inner}</{action}Result>'
        f"<ResponseMetadata><RequestId>{uuid.uuid4()}</RequestId></ResponseMetadata>"
        f"</{action}Response>"
    )
    return Reply(200, body.encode(), [("Content-Type", "text/xml")])


def xml_error(err: ApiError) -> Reply:
    body = (
        f'<ErrorResponse xmlns="{_SES_XMLNS}"><Error><Type>Sender</Type>'
        f"<Code>{escape(err.code)}</Code><Message>{escape(err.message)}</Message></Error>"
        f"<RequestId>{uuid.uuid4()}</RequestId></ErrorResponse>"
    )
    return Reply(err.status, body.encode(), [("Content-Type", "text/xml")])


def _epoch(when: dt.datetime) -> float:
    return when.timestamp()


def _xml_bool(value: bool) -> str:
    return "true" if value else "false"


# --------------------------------------------------------------------------- SES v2 (REST JSON)


def get_account(state: SesLabState, req: Request) -> Reply:
    a = state.region(req.region).account
    return json_reply({
        "DedicatedIpAutoWarmupEnabled": False,
        "EnforcementStatus": a.enforcement_status,
        "ProductionAccessEnabled": a.production,
        "SendingEnabled": a.sending_enabled,
        "SendQuota": {"Max24HourSend": a.max_24h, "MaxSendRate": a.max_rate,
                      "SentLast24Hours": a.sent_24h},
        "SuppressionAttributes": {"SuppressedReasons": list(REASONS)},
    })


def _summary(entry: Suppressed) -> dict[str, Any]:
    return {"EmailAddress": entry.email, "Reason": entry.reason,
            "LastUpdateTime": _epoch(entry.last_update)}


def _detail(entry: Suppressed) -> dict[str, Any]:
    attributes = {k: v for k, v in (("MessageId", entry.message_id),
                                     ("FeedbackId", entry.feedback_id)) if v}
    return {**_summary(entry), "Attributes": attributes}


def _not_suppressed(email: str) -> ApiError:
    return ApiError(404, "NotFoundException",
                    f"Email address {email} does not exist on your suppression list.")


def get_suppressed(state: SesLabState, req: Request, email: str) -> Reply:
    entry = state.region(req.region).suppression.entries.get(email.lower())
    if entry is None:
        raise _not_suppressed(email)
    return json_reply({"SuppressedDestination": _detail(entry)})


def delete_suppressed(state: SesLabState, req: Request, email: str) -> Reply:
    if not state.region(req.region).suppression.delete(email.lower()):
        raise _not_suppressed(email)
    return json_reply({})


def put_suppressed(state: SesLabState, req: Request) -> Reply:
    try:
        data = json.loads(req.body or b"{}")
    except ValueError:
        raise ApiError(400, "BadRequestException", "Request body is not valid JSON.") from None
    email, reason = str(data.get("EmailAddress") or ""), data.get("Reason")
    if "@" not in email:
        raise ApiError(400, "BadRequestException", f"Invalid email address <{email}>.")
    if reason not in REASONS:
        raise ApiError(400, "BadRequestException",
                       f"Invalid reason {reason!r}: use BOUNCE or COMPLAINT.")
    entry = Suppressed(email.lower(), reason, dt.datetime.now(dt.UTC), req.region)
    state.region(req.region).suppression.put(entry)
    return json_reply({})


def _page_size(req: Request) -> int:
    text = (req.query.get("PageSize") or [str(MAX_PAGE_SIZE)])[0]
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE_SIZE:
        raise ApiError(400, "BadRequestException",
                       f"PageSize must be between 1 and {MAX_PAGE_SIZE}.")
    return int(text)


def _date_param(req: Request, name: str) -> dt.datetime | None:
    text = (req.query.get(name) or [""])[0]
    if not text:
        return None
    try:
        when = (dt.datetime.fromtimestamp(float(text), dt.UTC) if text.replace(".", "").isdigit()
                else dt.datetime.fromisoformat(text.replace("Z", "+00:00")))
    except ValueError:
        raise ApiError(400, "BadRequestException", f"Invalid {name} {text!r}.") from None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def _token(req: Request) -> str:
    text = (req.query.get("NextToken") or [""])[0]
    if not text:
        return ""
    try:
        return base64.urlsafe_b64decode(text.encode()).decode()
    except (binascii.Error, UnicodeDecodeError):
        raise ApiError(400, "InvalidNextTokenException", "The NextToken is not valid.") from None


def _matches(req: Request) -> Callable[[Suppressed], bool]:
    reasons = set(req.query.get("Reason", [])) or set(REASONS)
    start, end = _date_param(req, "StartDate"), _date_param(req, "EndDate")

    def match(e: Suppressed) -> bool:
        return (e.reason in reasons and (start is None or e.last_update >= start)
                and (end is None or e.last_update <= end))
    return match


def list_suppressed(state: SesLabState, req: Request) -> Reply:
    size, match, after = _page_size(req), _matches(req), _token(req)
    page: list[Suppressed] = []
    more = False
    for entry in state.region(req.region).suppression.after(after):
        if not match(entry):
            continue
        if len(page) == size:
            more = True
            break
        page.append(entry)
    payload: dict[str, Any] = {"SuppressedDestinationSummaries": [_summary(e) for e in page]}
    if more:
        payload["NextToken"] = base64.urlsafe_b64encode(page[-1].email.encode()).decode()
    return json_reply(payload)


def _dkim_v2(ident: SesIdentity, now: dt.datetime) -> dict[str, Any]:
    return {
        "SigningEnabled": ident.dkim_status == "Success", "Status": _V2_STATUS[ident.dkim_status],
        "Tokens": list(ident.dkim_tokens), "SigningAttributesOrigin": ident.dkim_origin,
        "NextSigningKeyLength": "RSA_2048_BIT", "CurrentSigningKeyLength": "RSA_2048_BIT",
        "LastKeyGenerationTimestamp": _epoch(now - dt.timedelta(days=90)),
    }


def _mail_from_v2(ident: SesIdentity) -> dict[str, Any]:
    attrs: dict[str, Any] = {"BehaviorOnMxFailure": ident.behavior_on_mx_failure}
    if ident.mail_from:
        attrs["MailFromDomain"] = ident.mail_from
        attrs["MailFromDomainStatus"] = _V2_STATUS[ident.mail_from_status]
    return attrs


def _verification_info(ident: SesIdentity, now: dt.datetime) -> dict[str, Any]:
    info: dict[str, Any] = {"LastCheckedTimestamp": _epoch(now - dt.timedelta(hours=1))}
    if ident.verification == "Success":
        info["LastSuccessTimestamp"] = info["LastCheckedTimestamp"]
    if ident.verification_error:
        info["ErrorType"] = ident.verification_error
    return info


def get_email_identity(state: SesLabState, req: Request, ident: SesIdentity) -> Reply:
    ok = ident.verification == "Success"
    return json_reply({
        "IdentityType": "EMAIL_ADDRESS" if "@" in ident.identity else "DOMAIN",
        "FeedbackForwardingStatus": True, "VerifiedForSendingStatus": ok,
        "DkimAttributes": _dkim_v2(ident, state.now), "MailFromAttributes": _mail_from_v2(ident),
        "Policies": {}, "Tags": [], "VerificationStatus": _V2_STATUS[ident.verification],
        "VerificationInfo": _verification_info(ident, state.now),
    })


def _identity_summary(ident: SesIdentity) -> dict[str, Any]:
    return {"IdentityType": "EMAIL_ADDRESS" if "@" in ident.identity else "DOMAIN",
            "IdentityName": ident.identity, "SendingEnabled": True,
            "VerificationStatus": _V2_STATUS[ident.verification]}


def list_email_identities(state: SesLabState, req: Request) -> Reply:
    """The scenario's identities with their statuses, then any moto holds besides (all verified)."""
    known = state.region(req.region).identities
    extra = [SesIdentity(name, req.region) for name in state.moto_identities(req.region)
             if name not in known]
    return json_reply({"EmailIdentities": [_identity_summary(i)
                                           for i in [*known.values(), *extra]]})


# --------------------------------------------------------------------------- SES v1 (query XML)


def v1_sending_enabled(state: SesLabState, req: Request) -> Reply:
    enabled = state.region(req.region).account.sending_enabled
    return xml_reply("GetAccountSendingEnabled", f"<Enabled>{_xml_bool(enabled)}</Enabled>")


def v1_send_quota(state: SesLabState, req: Request) -> Reply:
    a = state.region(req.region).account
    return xml_reply("GetSendQuota", f"<Max24HourSend>{a.max_24h}</Max24HourSend>"
                     f"<MaxSendRate>{a.max_rate}</MaxSendRate>"
                     f"<SentLast24Hours>{a.sent_24h}</SentLast24Hours>")


def _v1_entries(items: Iterable[tuple[str, str]]) -> str:
    return "".join(f"<entry><key>{escape(k)}</key><value>{v}</value></entry>" for k, v in items)


def _v1_verification(ident: SesIdentity) -> str:
    token = uuid.uuid5(uuid.NAMESPACE_DNS, ident.identity).hex
    token = f"<VerificationToken>{token}</VerificationToken>"
    return f"<VerificationStatus>{ident.verification}</VerificationStatus>" + (
        token if "@" not in ident.identity else "")


def _v1_dkim(ident: SesIdentity) -> str:
    tokens = "".join(f"<member>{escape(t)}</member>" for t in ident.dkim_tokens)
    return (f"<DkimEnabled>{_xml_bool(ident.dkim_status == 'Success')}</DkimEnabled>"
            f"<DkimVerificationStatus>{ident.dkim_status}</DkimVerificationStatus>"
            f"<DkimTokens>{tokens}</DkimTokens>")


def _v1_mail_from(ident: SesIdentity) -> str:
    behavior = _V1_MX_FAILURE[ident.behavior_on_mx_failure]
    behavior = f"<BehaviorOnMXFailure>{behavior}</BehaviorOnMXFailure>"
    if not ident.mail_from:
        return behavior
    return (f"<MailFromDomain>{escape(ident.mail_from)}</MailFromDomain>"
            f"<MailFromDomainStatus>{ident.mail_from_status}</MailFromDomainStatus>" + behavior)


#: v1 identity attribute calls: action -> (result element, how one identity is written)
V1_IDENTITY_CALLS: dict[str, tuple[str, Callable[[SesIdentity], str]]] = {
    "GetIdentityVerificationAttributes": ("VerificationAttributes", _v1_verification),
    "GetIdentityDkimAttributes": ("DkimAttributes", _v1_dkim),
    "GetIdentityMailFromDomainAttributes": ("MailFromDomainAttributes", _v1_mail_from),
}


def v1_identity_attributes(state: SesLabState, req: Request, action: str) -> Reply | None:
    """Answer for identities the scenario knows; None lets moto answer for the others."""
    form = req.form()
    names = [v[0].lower() for k, v in sorted(form.items()) if k.startswith("Identities.member.")]
    known = state.region(req.region).identities
    if not names or not all(n in known for n in names):
        return None
    element, write = V1_IDENTITY_CALLS[action]
    entries = _v1_entries((n, write(known[n])) for n in names)
    return xml_reply(action, f"<{element}>{entries}</{element}>")


V1_CALLS: dict[str, Callable[[SesLabState, Request], Reply]] = {
    "GetAccountSendingEnabled": v1_sending_enabled,
    "GetSendQuota": v1_send_quota,
}


# --------------------------------------------------------------------------- routing


def route_v2(state: SesLabState, req: Request) -> Reply | None:
    """The REST JSON calls the lab serves itself; None means "not ours, ask moto"."""
    if req.path == "/v2/email/account" and req.method == "GET":
        return get_account(state, req)
    if req.path == _SUPPRESSION_PATH:
        handlers = {"GET": list_suppressed, "PUT": put_suppressed}
        handler = handlers.get(req.method)
        return handler(state, req) if handler else None
    if req.path.startswith(_SUPPRESSION_PATH + "/"):
        email = req.path[len(_SUPPRESSION_PATH) + 1:]
        handler2 = {"GET": get_suppressed, "DELETE": delete_suppressed}.get(req.method)
        return handler2(state, req, email) if handler2 else None
    if req.path == "/v2/email/list-identities" and req.method == "POST":
        return list_email_identities(state, req)
    if req.path.startswith(_IDENTITY_PATH) and req.method == "GET" and req.path.count("/") == 4:
        ident = state.region(req.region).identities.get(req.path[len(_IDENTITY_PATH):].lower())
        return get_email_identity(state, req, ident) if ident else None
    return None


def route_v1(state: SesLabState, req: Request) -> Reply | None:
    if req.method != "POST" or not req.body or b"Action=" not in req.body:
        return None
    action = (req.form().get("Action") or [""])[0]
    if action in V1_CALLS:
        return V1_CALLS[action](state, req)
    if action in V1_IDENTITY_CALLS:
        return v1_identity_attributes(state, req, action)
    return None


class LabAwsMiddleware:
    """WSGI app: the lab's own answers first, moto for the rest; one account per lab."""

    def __init__(self, moto_app: WsgiApp, state: SesLabState, *, account_id: str,
                 default_region: str, delay: float = 0.0) -> None:
        self.moto_app, self.state = moto_app, state
        self.account_id, self.default_region, self.delay = account_id, default_region, delay

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if self.delay:
            time.sleep(self.delay)
        environ["HTTP_X_MOTO_ACCOUNT_ID"] = self.account_id
        req = parse_request(environ, self.default_region)
        try:
            with self.state.lock:  # moto's server is threaded; the lab's state is one at a time
                reply = route_v2(self.state, req) or route_v1(self.state, req)
        except ApiError as err:
            reply = json_error(err) if req.path.startswith("/v2/") else xml_error(err)
        if reply is None:
            return self.moto_app(environ, start_response)
        start_response(f"{reply.status} {_REASONS.get(reply.status, 'Error')}", reply.headers)
        return [reply.body]


_REASONS = {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests"}
