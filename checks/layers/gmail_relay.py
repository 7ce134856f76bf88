"""Checks of the gmail_relay layer: the relay as Gmail's "Send mail as" uses it (connect,
TLS, AUTH) and, for SES relays, the IAM key behind the username, the password's shape and
region consistency. A 535 ends as exactly one named cause (checks.creds.forensics)."""

from __future__ import annotations

import asyncio
import datetime as dt
import math
from collections.abc import Awaitable, Callable
from typing import Any

from checks.context import Context, RelaySettings
from checks.creds.forensics import (
    CAUSE_OWNER,
    CAUSE_TEXT,
    SHAPE_TEXT,
    Cause,
    Evidence535,
    Shape,
    cause_of_535,
    looks_like_access_key_id,
    password_shape,
    ses_region,
)
from checks.creds.smtp_password import password_version
from checks.layers.ses import OTHER_REGIONS
from checks.model import (
    Evidence,
    Fix,
    Layer,
    Outcome,
    errored,
    failed,
    passed,
    skipped,
    warned,
)
from checks.net.aws import AwsError, call
from checks.net.smtp import (
    CONNECT_FAILURES,
    SES_COMBINATIONS,
    Failure,
    Mode,
    ProbeResult,
    describe,
    probe,
    recheck_slow_connect,
)
from checks.registry import Deps, check
from checks.secrets import Secret, secret_shape

CONNECT, TLS, AUTH = "gmail_relay.smtp.connect", "gmail_relay.smtp.tls", "gmail_relay.smtp.auth"
KEY, SHAPE, REGION = "gmail_relay.ses.key_state", "gmail_relay.ses.password_shape", \
    "gmail_relay.ses.region"
CERT_FAILURES = frozenset({Failure.TLS_HOSTNAME, Failure.TLS_EXPIRED, Failure.TLS_UNTRUSTED})
GMAIL_MODE = {"starttls": "Secured connection using TLS", "tls": "Secured connection using SSL"}
GMAIL_EDIT = ("In Gmail: Settings → Accounts and Import → Send mail as → edit info next to the "
              "address → Next Step, then enter the SMTP server, port, username and password.")

ROTATE_FIX = Fix(
    "Rotate the SES SMTP credentials and re-enter them in Gmail",
    ("Create a new access key for the IAM user (or new SMTP credentials in the SES console).",
     "Derive the SMTP password for the relay host's region (mailpath does this).",
     GMAIL_EDIT,
     "Deactivate, then delete, the old key once Gmail sends with the new one."),
    action="rotate_credentials",
)


def _relay(ctx: Context) -> RelaySettings | None:
    return ctx.inputs.relay


def _no_relay() -> Outcome:
    return skipped("No relay settings given",
                   "Give --relay-host/--relay-port/--relay-tls/--relay-user, or --profile-name, "
                   "to check the SMTP relay Gmail sends through.")


#: the longest wait for one reply of the relay probe, in seconds
MAX_STEP = 5.0
#: the share of the per-check limit the relay's greeting may take: most of it, so a server
#: that is only slow greets within it (and is told apart from a silent one), while the other
#: ports tried after a silent server still fit in the rest
GREETING_SHARE = 0.75
#: seconds of the check's limit always left after the greeting wait, so the probe's own
#: finding ("never greeted", "greets late") arrives before the runner's limit ends the
#: check, on a busy machine too
GREETING_MARGIN = 1.0


def greeting_wait(limit: float, step: float, most: float) -> float:
    """Seconds a greeting may take under a per-check `limit`: GREETING_SHARE of it and
    GREETING_MARGIN short of it, at most `most`, at least one reply's `step`."""
    return max(step, min(most, limit * GREETING_SHARE, limit - GREETING_MARGIN))


def _step(ctx: Context) -> float:
    """Seconds each reply of the probe may take: a third of the per-check limit, 0.5 to 5."""
    return max(0.5, min(MAX_STEP, ctx.endpoints.timeout / 3))


def _patience(ctx: Context) -> float:
    """Seconds the relay's greeting may take (greeting_wait)."""
    return greeting_wait(ctx.endpoints.timeout, _step(ctx), MAX_STEP)


async def main_probe(ctx: Context, relay: RelaySettings) -> ProbeResult:
    """The probe with the user's settings, once per run; AUTHs when a password is known."""
    creds = (relay.username, relay.password) if relay.password else None
    no_login = relay.password is not None and not relay.password
    mail_from = (ctx.inputs.sender or "postmaster@example.invalid") if no_login else None
    key = ("relay-probe", relay.host, relay.port, relay.tls)
    return await ctx.memo(key, lambda: probe(
        relay.host, relay.port, relay.tls, ctx.endpoints, auth=creds, mail_from=mail_from,
        timeout=_step(ctx), patience=_patience(ctx)))


def transcript(res: ProbeResult) -> Evidence:
    return Evidence(f"SMTP transcript {res.host}:{res.port} ({res.mode})",
                    res.transcript_text() or "(nothing exchanged)", "smtp")


# --------------------------------------------------------------------------- connect


def routable(ctx: Context, host: str, port: int) -> bool:
    """With routes configured (the lab), only routed endpoints are tried: never the internet."""
    routes = ctx.endpoints.smtp_routes
    return not routes or f"{host}:{port}" in routes or f"*:{port}" in routes


def _alternatives(relay: RelaySettings) -> list[tuple[int, Mode]]:
    if ses_region(relay.host):
        combos = list(SES_COMBINATIONS)
    else:
        other: Mode = "tls" if relay.tls == "starttls" else "starttls"
        combos = [(relay.port, other), (587, "starttls"), (465, "tls")]
    return [c for c in dict.fromkeys(combos) if c != (relay.port, relay.tls)]


async def working_alternatives(ctx: Context, relay: RelaySettings) -> list[ProbeResult]:
    """Other port/mode pairs that reach a greeting and a verified TLS session."""
    results = await asyncio.gather(*(
        probe(relay.host, port, mode, ctx.endpoints, timeout=_step(ctx))
        for port, mode in _alternatives(relay) if routable(ctx, relay.host, port)))
    return [r for r in results if r.ok]


def _alternative_text(found: list[ProbeResult]) -> str:
    if not found:
        return "No other port/mode combination worked either."
    return f"{_use(found)[0].upper()}{_use(found)[1:]} works{_also(found)}."


def _use(found: list[ProbeResult]) -> str:
    """'port 465 with "Secured connection using SSL"' for the best working combination."""
    return f"port {found[0].port} with \"{GMAIL_MODE[found[0].mode]}\""


def _also(found: list[ProbeResult]) -> str:
    rest = ", ".join(f"{r.port}/{r.mode}" for r in found[1:])
    return f" (also: {rest})" if rest else ""


@check(CONNECT, Layer.GMAIL_RELAY, "Connect to the SMTP relay")
async def smtp_connect(ctx: Context, deps: Deps) -> Outcome:
    relay = _relay(ctx)
    if relay is None:
        return _no_relay()
    res, others = await _probe_with_alternatives(ctx, relay)
    if res.failure is Failure.SLOW:
        return _slower_than_the_limit(ctx, relay, res)
    if res.connected or res.failure in CERT_FAILURES:
        banner = res.banner.text if res.banner else "(greeting not read: TLS failed first)"
        return passed(f"{relay.host}:{relay.port} answers: {banner}", evidence=(transcript(res),),
                      facts={"reached": True, "banner": banner})
    found = await others()
    if res.failure is Failure.NO_BANNER and not found:
        res = await recheck_slow_connect(res, ctx.endpoints)
    return connect_outcome(ctx, relay, res, found)


async def _probe_with_alternatives(
    ctx: Context, relay: RelaySettings,
) -> tuple[ProbeResult, Callable[[], Awaitable[list[ProbeResult]]]]:
    """The main probe, and a way to get the working alternatives. A probe still running
    after one reply's time is waiting for a slow or silent server (its greeting may take
    most of the limit): the alternatives are tried meanwhile, so that after a silent server
    they still fit in the check's time. A fast probe never starts them."""
    probing = asyncio.ensure_future(main_probe(ctx, relay))
    done, _ = await asyncio.wait({probing}, timeout=_step(ctx))
    early = None if done else asyncio.ensure_future(working_alternatives(ctx, relay))
    try:
        res = await probing
    except BaseException:
        probing.cancel()
        if early is not None:
            early.cancel()
        raise
    if early is not None and (res.connected or res.failure in CERT_FAILURES
                              or res.failure is Failure.SLOW):
        early.cancel()  # not needed: the verdict comes from the main probe

    async def others() -> list[ProbeResult]:
        return await (early if early is not None else working_alternatives(ctx, relay))
    return res, others


def connect_outcome(ctx: Context, relay: RelaySettings, res: ProbeResult,
                    found: list[ProbeResult]) -> Outcome:
    """The verdict on a failed connection, given the port/mode alternatives that worked."""
    if not found and res.failure is Failure.NO_BANNER and res.slow_network:
        return _greeting_late(relay, res)
    if not found and unreached_from_here(res):
        return _not_reached(relay, res, ctx)
    return _connect_failed(relay, res, found, ctx)


#: connection-level failures: from this machine they prove nothing about the relay
UNREACHED = frozenset({Failure.REFUSED, Failure.CONNECT_TIMEOUT, Failure.UNREACHABLE})
#: getaddrinfo texts of a local resolver failure (as opposed to "no such host")
LOCAL_DNS = ("Temporary failure in name resolution", "System error")


def unreached_from_here(res: ProbeResult) -> bool:
    """The probe never reached a server, for reasons that may be this machine's network."""
    if res.failure is Failure.DNS:
        return any(text in res.detail for text in LOCAL_DNS)
    return res.failure in UNREACHED


def _not_reached(relay: RelaySettings, res: ProbeResult, ctx: Context) -> Outcome:
    """Refused or unanswered from this machine, and no other port answered either: this
    network may block it; Gmail connects from Google's network, so nothing is proven."""
    return errored(
        f"Could not reach {relay.host}:{relay.port} from here ({describe(res, ctx.redactor)}); "
        "many networks block outbound mail ports",
        "The probe runs from this machine, but Gmail connects to the relay from Google's "
        "network, not from yours: a refused or unanswered connection here (a firewall, an "
        "ISP or office network that blocks outbound SMTP ports, or a slow link) says nothing "
        "about what Gmail sees, and no other port or mode answered here either. Run mailpath "
        "from another network, or use Gmail's own test (Send mail as → edit info): its "
        "message says what Google's servers met.",
        evidence=(transcript(res),),
        facts={"failure": res.failure.value if res.failure else "", "working": []})


#: the replies a login takes: greeting, EHLO, STARTTLS, TLS handshake, EHLO again, AUTH
LOGIN_REPLIES = 6


def _slower_than_the_limit(ctx: Context, relay: RelaySettings, res: ProbeResult) -> Outcome:
    """The relay greeted, but later than a reply may take: the time that ran out is the one
    --timeout set, not the server's patience, so nothing after the greeting was checked."""
    limit, late = ctx.endpoints.timeout, res.greeting_seconds
    return errored(
        f"Could not check: {relay.host}:{relay.port} greets only after {late:.1f} s, longer "
        f"than the {res.reply_timeout:.2g} s a reply may take with --timeout {limit:g}",
        late_greeting_text(
            res, limit, MAX_STEP, LOGIN_REPLIES, ("The relay", "the relay"),
            f", and a login takes {LOGIN_REPLIES} replies (greeting, EHLO, STARTTLS, TLS "
            "handshake, EHLO, AUTH), so the limit runs out before TLS and the login can be "
            "checked"),
        evidence=(transcript(res),), facts=late_greeting_facts(res, limit))


def late_greeting_text(res: ProbeResult, limit: float, most: float, replies: int,
                       who: tuple[str, str], unchecked: str) -> str:
    """Why a greeting later than a reply may take is "could not check" (relay and recipient
    probes alike): `who` names the server (sentence start, and mid-sentence), `unchecked`
    says what the limit left unchecked, `replies` how many replies the whole probe takes."""
    late, needed = res.greeting_seconds, math.ceil(replies * res.greeting_seconds) + 1
    return (f"{who[0]} is not silent: it sent its greeting after {late:.1f} s. mailpath gives "
            "each reply of the probe a third of the per-check limit (now "
            f"{res.reply_timeout:.2g} s, set from --timeout {limit:g}; from 0.5 to {most:g} "
            f"s){unchecked}. A limit that runs out is no sign that {who[1]} is at fault: run "
            f"again with a larger --timeout (about {needed} s for replies this slow).")


def late_greeting_facts(res: ProbeResult, limit: float) -> dict[str, Any]:
    return {"failure": Failure.SLOW.value, "greeting_seconds": round(res.greeting_seconds, 2),
            "reply_timeout": res.reply_timeout, "timeout": limit}


def _greeting_late(relay: RelaySettings, res: ProbeResult) -> Outcome:
    """On a slow network a missing greeting proves nothing about the server."""
    return errored(
        f"Could not check: no greeting from {relay.host}:{relay.port} within "
        f"{res.greeting_wait or res.reply_timeout:.1f} s, and connecting alone took "
        f"{res.connect_seconds:.1f} s",
        "The network is slow enough that the greeting may simply be late. Run again with a "
        "longer --timeout before concluding that the server never greets.",
        evidence=(transcript(res),))


def _connect_failed(relay: RelaySettings, res: ProbeResult, found: list[ProbeResult],
                    ctx: Context) -> Outcome:
    mismatch = any(r.port == relay.port for r in found)
    summary = describe(res, ctx.redactor)
    if mismatch:
        right = next(r for r in found if r.port == relay.port)
        speaks = "implicit TLS" if right.mode == "tls" else "STARTTLS"
        summary = (f"Port {relay.port} speaks {speaks}, but the relay is set to "
                   f"\"{GMAIL_MODE[relay.tls]}\"")
    fix = Fix(f"Use {_use(found)}{_also(found)}" if found else NO_SERVER_FIX.summary,
              (GMAIL_EDIT,) if found else NO_SERVER_FIX.steps)
    return failed(summary, f"{describe(res, ctx.redactor)}.{_waited(res)} "
                  f"{_alternative_text(found)} "
                  "Gmail's 'TLS' means STARTTLS (ports 587, 2587, 25); 'SSL' means implicit TLS "
                  "(ports 465, 2465)." + _headline_note(res, found),
                  evidence=(transcript(res), *(transcript(r) for r in found)), fix=fix,
                  facts={"failure": res.failure.value if res.failure else "",
                         "working": [f"{r.port}/{r.mode}" for r in found]})


def _waited(res: ProbeResult) -> str:
    """How long a greeting that never came was waited for."""
    if res.failure is not Failure.NO_BANNER or not res.greeting_wait or res.detail:
        return ""
    return f" Nothing came in the {res.greeting_wait:.1f} s mailpath waited after connecting."


NO_SERVER_FIX = Fix(
    "Give the alias a real authenticated submission server",
    ("Use your mail provider's SMTP (submission) host, or email-smtp.<region>.amazonaws.com "
     "port 587 with SES SMTP credentials.", GMAIL_EDIT))

#: Gmail's dialog headline for a relay it could not talk to, which blames the password.
GMAIL_HEADLINE = (
    " Gmail shows this as 'Authentication failed. Please check your username/password' "
    "(with '{detail}' further down): that headline is wrong. It never got as far as the "
    "login; the connection failed, so changing the password will not help.")


def _headline_note(res: ProbeResult, found: list[ProbeResult]) -> str:
    """Say that Gmail's 'Authentication failed' is a connection failure, and what a host
    that never greets usually is."""
    if res.failure is Failure.NO_BANNER and not found:
        return GMAIL_HEADLINE.format(detail=f"{res.host}: unable to read banner") + (
            " A host that accepts the connection and never greets on a submission port is "
            "usually an inbound MX host: it receives mail for a domain and offers no "
            "authenticated sending.")
    if res.failure in CONNECT_FAILURES and not found:
        return GMAIL_HEADLINE.format(detail=res.failure.value if res.failure else "")
    return ""


# --------------------------------------------------------------------------- tls


TLS_TEXT = {
    Failure.TLS_HOSTNAME: "The server's certificate is for another name. Gmail checks the "
    "name strictly ('TLS Negotiation failed, the certificate doesn't match the host'). For SES "
    "the host must be exactly email-smtp.<region>.amazonaws.com.",
    Failure.TLS_EXPIRED: "The server's certificate is outside its validity dates; Gmail "
    "refuses it.",
    Failure.TLS_UNTRUSTED: "The certificate is not signed by a public authority (self-signed "
    "or a private CA); Gmail refuses it.",
    Failure.TLS_PROTOCOL: "The TLS handshake failed: the port probably does not speak the mode "
    "chosen.",
    Failure.NO_STARTTLS: "The server does not offer STARTTLS on this port; Gmail will not send "
    "the password without TLS.",
    Failure.STARTTLS_REFUSED: "The server offers STARTTLS on this port (its EHLO reply lists "
    "it), but refused it when asked, so no TLS session starts; Gmail will not send the "
    "password without TLS, and mail sent as this address bounces back to the Gmail account.",
}


@check(TLS, Layer.GMAIL_RELAY, "TLS as Gmail uses it (STARTTLS or SSL)", needs=(CONNECT,))
async def smtp_tls(ctx: Context, deps: Deps) -> Outcome:
    deps.fact(CONNECT, "reached")
    relay = _relay(ctx)
    assert relay is not None
    res = await main_probe(ctx, relay)
    if res.tls_version and res.failure not in TLS_TEXT:
        return passed(f"{res.tls_version} with a valid certificate for {relay.host}",
                      evidence=(transcript(res),), facts={"tls_version": res.tls_version})
    failure = res.failure or Failure.TLS_PROTOCOL
    return failed(_tls_summary(res, failure), _tls_text(res, failure),
                  evidence=(transcript(res), *_cert_evidence(res)), fix=_tls_fix(res),
                  facts={"failure": failure.value,
                         "certificate_names": list(res.certificate_names)})


def _tls_summary(res: ProbeResult, failure: Failure) -> str:
    if failure is Failure.TLS_HOSTNAME and res.certificate_names:
        return (f"The certificate on {res.host}:{res.port} is for "
                f"{', '.join(res.certificate_names)}, not {res.host}")
    detail = f" ({res.detail})" if res.detail else ""
    if failure is Failure.STARTTLS_REFUSED:
        when = " for now" if _temporary(res) else ""
        return f"TLS failed: {failure.value}{when}{detail}"
    if failure in TLS_TEXT or res.step == "TLS handshake":
        return f"TLS failed: {res.stopped_at or failure.value}{detail}"
    return f"TLS not reached: {res.stopped_at}{detail}"


def _temporary(res: ProbeResult) -> bool:
    """A refusal with a 4xx reply: temporary by RFC 5321 4.2.1 (detail is the reply)."""
    return res.detail[:1] == "4"


def _starttls_refused_text(res: ProbeResult) -> str:
    reply = res.detail or "a reply other than 220"
    if _temporary(res):
        return (f" It answered {reply}: a 4xx reply is a temporary refusal (RFC 5321 4.2.1, "
                "RFC 3207 4), so a later try may work, but Gmail's tries fail until it does. "
                "A server that offers STARTTLS and cannot start it usually cannot read its "
                "certificate or key (a missing file, wrong permissions, an expired renewal "
                "hook) or has run out of resources for TLS.")
    return (f" It answered {reply}: a 5xx reply is a permanent refusal; the server will "
            "not start TLS on this port until its configuration changes.")


def _tls_text(res: ProbeResult, failure: Failure) -> str:
    text = TLS_TEXT.get(failure, "")
    if failure is Failure.STARTTLS_REFUSED:
        return text + _starttls_refused_text(res)
    if failure is Failure.TLS_HOSTNAME and not ses_region(res.host):
        text = text.split(" For SES")[0] + (
            " A mail server that shows another name's certificate usually still has the "
            "hosting panel's default (or self-signed) certificate on its SMTP service.")
    return text


def _cert_evidence(res: ProbeResult) -> tuple[Evidence, ...]:
    if not res.certificate_names:
        return ()
    return (Evidence(f"certificate presented by {res.host}:{res.port}",
                     "names: " + ", ".join(res.certificate_names), "smtp"),)


def _tls_fix(res: ProbeResult) -> Fix:
    if res.failure is Failure.STARTTLS_REFUSED:
        return _starttls_refused_fix(res)
    steps = [f"Install a publicly trusted certificate covering {res.host} on the SMTP service "
             "(e.g. Let's Encrypt), and restart it."]
    if res.certificate_names:
        steps.append(f"Or set Gmail's SMTP server to a name the certificate covers "
                     f"({res.certificate_names[0]}).")
    return Fix(f"Serve a valid certificate for {res.host} on port {res.port}",
               (*steps, GMAIL_EDIT))


def _starttls_refused_fix(res: ProbeResult) -> Fix:
    where = f"{res.host}:{res.port}"
    steps = [f"The relay's administrator reads the mail server's log at the time of the "
             f"refusal: it says why TLS could not start on {where} (for Postfix, lines with "
             "'TLS' or 'cannot load certificate'), and fixes that (certificate and key files "
             "readable by the SMTP service, then a restart)."]
    if _temporary(res):
        steps.append("The refusal is temporary (4xx): run mailpath check again in a few "
                     "minutes to see whether it has cleared.")
    if ses_region(res.host):
        steps.append("SES: try port 465 with \"Secured connection using SSL\", or port 2587; "
                     "if SES keeps refusing, check the AWS Health Dashboard for the region.")
    return Fix(f"Make STARTTLS work on {where}", (*steps, GMAIL_EDIT))


# --------------------------------------------------------------------------- auth


@check(AUTH, Layer.GMAIL_RELAY, "Log in with the stored credentials", needs=(TLS, KEY))
async def smtp_auth(ctx: Context, deps: Deps) -> Outcome:
    deps.fact(TLS, "tls_version")
    relay = _relay(ctx)
    assert relay is not None
    if relay.password is None:
        return skipped("No relay password given",
                       "Store one with `mailpath creds set`, or pass --relay-password-stdin.")
    res = await main_probe(ctx, relay)
    if not relay.password:
        return _no_auth_outcome(res)
    if res.auth is None:
        return failed(f"Could not log in: {res.stopped_at or 'no reply'}",
                      evidence=(transcript(res),), facts={"reply_code": 0, "reply": ""})
    facts = {"reply_code": res.auth.code, "reply": res.auth.text}
    if res.auth_ok:
        return passed(f"Login accepted: {res.auth.text}", evidence=(transcript(res),), facts=facts)
    return _auth_failed(res, facts, _ses_535_text(ctx, relay, deps))


_ANY_BAD_PAIR = ("SES answers 535 for any bad pair: a deactivated or deleted key, the IAM "
                 "secret instead of the SMTP password, SigV2-era or other-region passwords. ")


def _ses_535_text(ctx: Context, relay: RelaySettings, deps: Deps) -> str:
    """Which cause the key and shape already name, or that none of them fits."""
    if app_path(ctx):
        return _ANY_BAD_PAIR + f"{APP_CREDS} looks for which."
    if not looks_like_access_key_id(relay.username):
        return _ANY_BAD_PAIR + f"Here the username is not an access key id ({KEY})."
    if deps.get(KEY, "key_status") is None:
        return _ANY_BAD_PAIR + ("The IAM key behind the username could not be looked up, so "
                                "mailpath cannot tell which (see " + KEY + ").")
    cause = _cause(relay, deps)
    if cause is not Cause.UNKNOWN:
        return _ANY_BAD_PAIR + f"Here {CAUSE_TEXT[cause]} ({CAUSE_OWNER[cause]})."
    return _ANY_BAD_PAIR + (
        f"Here the key is Active and the password has the SigV4 shape: {CAUSE_TEXT[cause]} "
        f"(unless {REGION} finds it was derived for another region). Most likely it was "
        "mistyped or derived from another key's secret: make a new pair.")


def _auth_failed(res: ProbeResult, facts: dict[str, Any], ses_text: str) -> Outcome:
    assert res.auth is not None
    make = warned if res.auth.code // 100 == 4 else failed
    if not ses_region(res.host):
        return make(f"Login refused: {res.auth.text}",
                    f"{res.host} refused the username and password Gmail holds.",
                    evidence=(transcript(res),), facts=facts, fix=OTHER_LOGIN_FIX)
    if res.auth.code != 535:
        ses_text = f"SES refused the login with {res.auth.code}, not the 535 of bad credentials."
    return make(f"Login refused: {res.auth.text}", ses_text, evidence=(transcript(res),),
                facts=facts, fix=ROTATE_FIX)


OTHER_LOGIN_FIX = Fix("Re-enter the mail account's username and password for that server",
                      ("Check the password by logging in to the provider's webmail.", GMAIL_EDIT))


def _no_auth_outcome(res: ProbeResult) -> Outcome:
    reply = res.mail_from
    facts = {"reply_code": reply.code if reply else 0, "reply": reply.text if reply else ""}
    summary = f"No login configured: the relay answers MAIL FROM with {reply.text}" if reply \
        else "No login configured"
    return failed(summary, "SES SMTP accepts mail only after AUTH; without credentials it "
                  "answers '530 Authentication required'.", evidence=(transcript(res),),
                  facts=facts, fix=Fix("Turn on SMTP AUTH for the relay with SES SMTP "
                                       "credentials (e.g. Postfix smtp_sasl_auth_enable=yes "
                                       "and a password map entry), TLS required"))


# --------------------------------------------------------------------------- SES key state


def _ses_relay(ctx: Context) -> tuple[RelaySettings, str] | None:
    relay = _relay(ctx)
    if relay is None or not ses_region(relay.host):
        return None
    return relay, ses_region(relay.host) or ""


async def key_info(ctx: Context, key_id: str) -> dict[str, Any]:
    """Status, user, age and last use of an access key; status 'deleted' when IAM has none."""

    async def fetch() -> dict[str, Any]:
        try:
            used = await call(ctx, "iam", "get_access_key_last_used", AccessKeyId=key_id)
        except AwsError as exc:
            if exc.code == "NoSuchEntity":
                return {"key_status": "deleted", "access_key_id": key_id}
            raise
        return await _key_details(ctx, key_id, used)

    return await ctx.memo(("iam-key", key_id), fetch)


async def _key_details(ctx: Context, key_id: str, used: dict[str, Any]) -> dict[str, Any]:
    user = str(used.get("UserName", ""))
    listed = await call(ctx, "iam", "list_access_keys", UserName=user)
    keys: list[dict[str, Any]] = listed.get("AccessKeyMetadata", [])
    meta = next((k for k in keys if k["AccessKeyId"] == key_id), {})
    last = used.get("AccessKeyLastUsed") or {}
    created = meta.get("CreateDate")
    age = (dt.datetime.now(dt.UTC) - created).days if isinstance(created, dt.datetime) else None
    return {"key_status": str(meta.get("Status", "deleted")), "user": user, "access_key_id": key_id,
            "created": str(created or ""), "age_days": age,
            "last_used": str(last.get("LastUsedDate") or "never"),
            "last_used_region": str(last.get("Region") or ""),
            "last_used_service": str(last.get("ServiceName") or "")}


#: what a username shaped like a secret (checks.secrets.secret_shape) probably is
_SWAPPED = {"smtp_password": "an SMTP password", "iam_secret": "an IAM secret access key"}


def _not_a_key_id(username: str) -> str:
    """The summary for a username that is no access key id; a pasted secret is masked."""
    shape = secret_shape(username)
    if shape is None:
        return f"SMTP username {username!r} is not an access key id"
    return (f"SMTP username {Secret(username).masked()} looks like {_SWAPPED[shape]}, not an "
            "access key id: the username and password fields may be swapped")


def _username_evidence(relay: RelaySettings) -> Evidence:
    """The username as stored (masked when it looks like a secret) beside the expected form."""
    name = relay.username
    shown = Secret(name).masked() if secret_shape(name) else repr(name)
    return Evidence("SMTP username", f"stored: {shown} ({len(name)} characters)\n"
                    "expected: an access key id, AKIA or ASIA + 16 capital letters or digits")


def _is_535(deps: Deps) -> bool:
    return bool(deps.get(AUTH, "reply_code") == 535)


@check(KEY, Layer.GMAIL_RELAY, "IAM key behind the SMTP username")
async def ses_key_state(ctx: Context, deps: Deps) -> Outcome:
    """Runs beside the SMTP probe, not after it (IAM does not need the login's reply):
    an unusable key accounts for whatever the login then says."""
    found = _ses_relay(ctx)
    if found is None:
        return skipped("The relay is not an SES SMTP endpoint")
    if app_path(ctx):
        return _app_skip()
    relay, _ = found
    if not relay.username:
        return skipped("No SMTP username known",
                       "A bounce names the relay but not the credentials: give --relay-user "
                       "(or a stored profile with --profile-name) to look up the IAM key.")
    if not looks_like_access_key_id(relay.username):
        return failed(_not_a_key_id(relay.username),
                      "The SES SMTP username is the IAM access key id (AKIA…), not an address.",
                      fix=ROTATE_FIX, explains=(AUTH,), evidence=(_username_evidence(relay),))
    info = await key_info(ctx, relay.username)
    evidence = (Evidence("IAM access key", _info_text(info), "api"),)
    status = info["key_status"]
    if status == "Active":
        return passed(f"Key {relay.username} of IAM user {info['user']} is Active "
                      f"(last used {info['last_used']})", evidence=evidence, facts=info)
    cause = Cause.KEY_DELETED if status == "deleted" else Cause.KEY_INACTIVE
    state = NOT_OURS if status == "deleted" else status
    return failed(f"The IAM access key {relay.username} is {state}"
                  + (f" (user {info['user']})" if info.get("user") else ""),
                  f"SES refuses the login because {CAUSE_TEXT[cause]}. Gmail keeps the old "
                  "password and bounces every message sent as this address.",
                  evidence=evidence, facts=info, fix=ROTATE_FIX, explains=(AUTH,))


#: what IAM's NoSuchEntity for a key id means: it cannot tell these apart
NOT_OURS = "not a key of this AWS account (deleted, or another account's)"


def _info_text(info: dict[str, Any]) -> str:
    return "\n".join(f"{k}: {v}" for k, v in info.items() if v not in (None, ""))


# --------------------------------------------------------------------------- password shape


def _cause(relay: RelaySettings, deps: Deps, pw_region: str | None = None) -> Cause:
    shape = password_shape(relay.password.reveal()) if relay.password else Shape.EMPTY
    return cause_of_535(Evidence535(deps.get(KEY, "key_status"), shape,
                                    ses_region(relay.host), pw_region))


SHAPE_FIX = Fix("Use the SES SMTP password derived from the secret key for the host's region",
                ("mailpath creds rotate derives it; or SES console → SMTP settings → Create SMTP "
                 "credentials.", GMAIL_EDIT), action="rotate_credentials")


@check(SHAPE, Layer.GMAIL_RELAY, "Shape of the SMTP password", needs=(AUTH, KEY))
async def ses_password_shape(ctx: Context, deps: Deps) -> Outcome:
    found = _ses_relay(ctx)
    if found is None or not found[0].password:
        return skipped("Not an SES relay, or no password given")
    if app_path(ctx):
        return _app_skip()
    relay = found[0]
    assert relay.password is not None
    shape = password_shape(relay.password.reveal())
    facts = {"shape": shape.value}
    evidence = (transcript(await main_probe(ctx, relay)),
                _shape_evidence(relay.password.reveal(), shape),)
    if shape is Shape.SIGV4:
        return passed(f"The password is {SHAPE_TEXT[shape]}", facts=facts, evidence=evidence)
    owns = _is_535(deps) and CAUSE_OWNER[_cause(relay, deps)] == SHAPE
    make = failed if owns or deps.get(KEY, "key_status") == "Active" else warned
    return make(f"The password is {SHAPE_TEXT[shape]}",
                "SES SMTP passwords are derived from the IAM secret key for one region "
                "(SigV4, 44 characters starting with 'B'). The secret key itself and SigV2-era "
                "passwords are always refused with 535.", facts=facts, fix=SHAPE_FIX,
                evidence=evidence, explains=(AUTH,) if owns else ())


def _shape_evidence(password: str, shape: Shape) -> Evidence:
    """What the password looks like, without a single character of it."""
    version = password_version(password)
    byte = f"yes, version byte 0x{version:02x}" if version is not None else "no"
    return Evidence("SMTP password (never shown)",
                    f"length: {len(password)} characters\n"
                    f"base64 with an SES version byte: {byte}\n"
                    f"classified as: {SHAPE_TEXT[shape]}")


def _region_evidence(facts: dict[str, Any]) -> Evidence:
    labels = {"host_region": "relay host", "password_region": "password accepted at",
              "identity_region": "identity verified in", "suppression_region":
              "suppression list checked in"}
    return Evidence("regions", "\n".join(f"{label}: {facts.get(key) or 'unknown'}"
                                         for key, label in labels.items()))


# --------------------------------------------------------------------------- region


async def password_region(ctx: Context, relay: RelaySettings) -> str | None:
    """Find the region the password works in by logging in to other SES endpoints.

    Only endpoints with an explicit route are tried when routes are configured (the lab),
    so tests never reach the internet."""
    candidates = [r for r in OTHER_REGIONS if r != ses_region(relay.host) and
                  routable(ctx, f"email-smtp.{r}.amazonaws.com", relay.port)]
    creds = (relay.username, relay.password) if relay.password else None
    results = await asyncio.gather(*(
        probe(f"email-smtp.{r}.amazonaws.com", relay.port, relay.tls, ctx.endpoints,
              auth=creds, timeout=_step(ctx)) for r in candidates))
    return next((r for r, res in zip(candidates, results, strict=True) if res.auth_ok), None)


@check(REGION, Layer.GMAIL_RELAY, "One region for relay host, password, identity and "
       "suppression list", needs=(AUTH, KEY, SHAPE, "ses.identity.domain",
                                  "ses.suppression.recipient"))
async def ses_region_consistency(ctx: Context, deps: Deps) -> Outcome:
    found = _ses_relay(ctx)
    if found is None:
        return skipped("The relay is not an SES SMTP endpoint")
    relay, host_region = found
    pw_region = None
    if _is_535(deps) and not app_path(ctx) and _cause(relay, deps) is Cause.UNKNOWN:
        pw_region = await password_region(ctx, relay)
    facts = {"host_region": host_region, "password_region": pw_region or "",
             "identity_region": deps.get("ses.identity.domain", "region") or "",
             "suppression_region": deps.get("ses.suppression.recipient", "region") or ""}
    if pw_region and _cause(relay, deps, pw_region) is Cause.OTHER_REGION:
        return _other_region(relay, host_region, pw_region, facts)
    return _identity_region(host_region, deps, facts)


def _other_region(relay: RelaySettings, host_region: str, pw_region: str,
                  facts: dict[str, Any]) -> Outcome:
    return failed(
        f"The SMTP password was derived for {pw_region}, but the relay host is in {host_region}",
        f"It logs in at email-smtp.{pw_region}.amazonaws.com; SES SMTP passwords work only in "
        "the region they were derived for.", facts=facts, explains=(AUTH,),
        evidence=(_region_evidence(facts),),
        fix=Fix(f"Derive the password for {host_region}, or set the host to "
                f"email-smtp.{pw_region}.amazonaws.com (if the identity is verified there)",
                (GMAIL_EDIT,), action="rotate_credentials"))


def _identity_region(host_region: str, deps: Deps, facts: dict[str, Any]) -> Outcome:
    # "verified in no other region" only when the identity lookup settled
    elsewhere = deps.known("ses.identity.domain", "verified_regions") or []
    if elsewhere and host_region not in elsewhere:
        return failed(
            f"The relay host is in {host_region}, but the sender is verified only in "
            f"{', '.join(elsewhere)}",
            "SES identities, credentials and suppression lists are per region; mail through "
            f"{host_region} is rejected as 'not verified'.", facts=facts,
            explains=("ses.identity.domain",), evidence=(_region_evidence(facts),),
            fix=Fix(f"Send through email-smtp.{elsewhere[0]}.amazonaws.com with credentials "
                    f"for {elsewhere[0]}, or verify the identity in {host_region}",
                    (GMAIL_EDIT,)))
    return passed(f"Relay host, identity and suppression list all in {host_region}", facts=facts,
                  evidence=(_region_evidence(facts),))


# --------------------------------------------------------------------------- app over SES SMTP
# When an application or MTA (not Gmail) sends through SES SMTP (path `ses_smtp`), its SMTP
# credentials are SES configuration: the named cause is an SES-layer finding.

APP_CREDS = "ses.smtp.credentials"


def app_path(ctx: Context) -> bool:
    return ctx.inputs.path == "ses_smtp"


def _app_skip() -> Outcome:
    return skipped("An application sends through SES SMTP, not Gmail",
                   f"Its SMTP credentials are checked in the SES layer ({APP_CREDS}).")


APP_FIXES: dict[Cause, Fix] = {
    Cause.KEY_DELETED: Fix("Create new SES SMTP credentials and put them in the application",
                           ("SES console → SMTP settings → Create SMTP credentials, or a new "
                            "access key and its derived SMTP password (mailpath creds rotate).",
                            "Update every client that sends with the old pair.")),
    Cause.IAM_SECRET: Fix("Use the SES SMTP password derived from the secret key, not the "
                          "secret key itself",
                          ("Derive the SigV4 SMTP password for the endpoint's region (mailpath "
                           "creds rotate does), or create SMTP credentials in the SES console.",
                           "Update every client, then deactivate the old key.")),
}
APP_FIXES[Cause.KEY_INACTIVE] = APP_FIXES[Cause.KEY_DELETED]
APP_FIXES[Cause.SIGV2] = APP_FIXES[Cause.IAM_SECRET]
APP_FIXES[Cause.OTHER_REGION] = APP_FIXES[Cause.IAM_SECRET]

NO_AUTH_FIX = Fix("Turn on SMTP AUTH for the relay with SES SMTP credentials, TLS required",
                  ("Postfix: smtp_sasl_auth_enable = yes, smtp_sasl_password_maps with an "
                   "entry for [email-smtp.<region>.amazonaws.com]:587, smtp_tls_security_level "
                   "= encrypt, smtp_sasl_security_options = noanonymous.",
                   "Reload the MTA and flush its queue (postqueue -f)."))


@check(APP_CREDS, Layer.SES, "SES SMTP credentials of the sending application", needs=(AUTH,))
async def ses_smtp_credentials(ctx: Context, deps: Deps) -> Outcome:
    found = _ses_relay(ctx)
    if found is None or not app_path(ctx):
        return skipped("Only for an application sending through SES SMTP (path ses_smtp)",
                       "Gmail's relay credentials are checked in the gmail_relay layer.")
    relay, host_region = found
    code = deps.known(AUTH, "reply_code")  # a login that could not be tried is no 535
    if relay.password is not None and not relay.password:
        return _app_no_auth(deps, transcript(await main_probe(ctx, relay)))
    if code == 235:
        return passed("SES SMTP accepted the application's credentials")
    if code != 535:
        return skipped("SES did not refuse the login with 535",
                       "Only a 535 points at the credentials.")
    return await _app_535(ctx, relay, host_region)


def _app_no_auth(deps: Deps, smtp: Evidence) -> Outcome:
    reply = deps.get(AUTH, "reply") or "530 Authentication required"
    return failed(f"The application relays to SES SMTP without logging in ({reply})",
                  "SES SMTP accepts mail only after AUTH with SES SMTP credentials; a relay "
                  "host set without SASL client authentication (or with no password entry "
                  "for that host) gets '530 Authentication required' at MAIL FROM.",
                  fix=NO_AUTH_FIX, explains=(AUTH,), facts={"cause": "no_auth"},
                  evidence=(smtp,))


async def _app_535(ctx: Context, relay: RelaySettings, host_region: str) -> Outcome:
    assert relay.password is not None
    info: dict[str, Any] = {}
    if looks_like_access_key_id(relay.username):
        info = await key_info(ctx, relay.username)
    shape = password_shape(relay.password.reveal())
    cause = cause_of_535(Evidence535(info.get("key_status"), shape, host_region))
    pw_region = await password_region(ctx, relay) if cause is Cause.UNKNOWN else None
    if pw_region:
        cause = cause_of_535(Evidence535(info.get("key_status"), shape, host_region, pw_region))
    evidence = (_shape_evidence(relay.password.reveal(), shape),
                *((Evidence("IAM access key", _info_text(info), "api"),) if info else ()))
    facts = {"cause": cause.value, "shape": shape.value, "key_status": info.get("key_status"),
             "password_region": pw_region or ""}
    if cause is Cause.UNKNOWN:
        return warned("SES refused the login, for none of the known reasons",
                      CAUSE_TEXT[cause], evidence=evidence, facts=facts)
    return failed(f"SES refuses the application's SMTP login: {CAUSE_TEXT[cause]}",
                  _APP_WHY, evidence=evidence, facts=facts, fix=APP_FIXES[cause],
                  explains=(AUTH,))


_APP_WHY = ("The SES SMTP username is the IAM access key id; the password is derived from the "
            "key's secret for one region (SigV4). SES answers '535 Authentication Credentials "
            "Invalid' to any other pair: a deactivated or deleted key, the raw secret key, a "
            "SigV2-era password, or a password for another region.")
