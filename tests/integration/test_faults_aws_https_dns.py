"""AWS, HTTPS, DNS and keyring faults: the affected checks end as error with the cause named,
within their timeout; every other check still finishes; nothing stored is lost."""

from __future__ import annotations

import dataclasses
from typing import Any

import keyring
import pytest

from checks.context import Context
from checks.creds import store
from checks.lab.certs import make_certs
from checks.lab.faults import FaultServer, lame_dns, timed_results
from checks.model import Status
from checks.secrets import Secret
from tests.canary import LockedKeyring

TIMEOUT = 2.0
BOUND = 4 * TIMEOUT
SES_CHECKS = ("ses.identity.domain", "ses.account.sending", "ses.suppression.recipient")

#: AWS fault -> words the error must use (the IAM permission for AccessDenied)
AWS_CAUSES = {
    "throttling": "throttled (TooManyRequestsException) after 3 retries",
    "access_denied": "ses:",
    "expired_token": "expired",
    "500": "InternalFailure",
}


def _ctx(lab: Any, **changes: Any) -> Context:
    endpoints = dataclasses.replace(lab.endpoints, timeout=TIMEOUT, **changes)
    return Context(endpoints=endpoints, inputs=lab.inputs)


def _text(result: Any) -> str:
    return f"{result.summary} {result.outcome.explanation}"


@pytest.mark.parametrize("fault", list(AWS_CAUSES))
async def test_aws_fault(fault: str, seed_lab: Any) -> None:
    async with FaultServer.aws(fault) as srv:
        results, seconds = await timed_results(_ctx(seed_lab, aws_endpoint_url=srv.url))
    assert seconds < BOUND
    for cid in SES_CHECKS:
        assert results[cid].status in (Status.ERROR, Status.SKIP), (cid, _text(results[cid]))
    errors = [_text(r) for r in results.values() if r.status is Status.ERROR]
    assert any(AWS_CAUSES[fault] in t for t in errors), errors
    assert results["dns.mta_sts.policy"].status is Status.PASS
    assert results["gmail_relay.smtp.auth"].status is Status.FAIL


async def test_throttling_is_named_with_its_retries_not_a_bare_timeout(seed_lab: Any) -> None:
    """Retries pause on the event loop and fit the check's time limit, so every throttled
    check says so (and how often it retried) instead of "no answer within 2 s"."""
    async with FaultServer.aws("throttling") as srv:
        results, _ = await timed_results(_ctx(seed_lab, aws_endpoint_url=srv.url))
    for cid in (*SES_CHECKS, "gmail_relay.ses.key_state"):
        summary = results[cid].summary
        assert results[cid].status is Status.ERROR, (cid, summary)
        assert "throttled (" in summary and "after 3 retries" in summary, (cid, summary)


async def test_access_denied_names_the_iam_permission(seed_lab: Any) -> None:
    async with FaultServer.aws("access_denied") as srv:
        results, _ = await timed_results(_ctx(seed_lab, aws_endpoint_url=srv.url))
    text = _text(results["ses.account.sending"])
    assert "ses:GetAccount" in text and "permission" in text, text


async def test_aws_endpoint_down(seed_lab: Any) -> None:
    results, seconds = await timed_results(_ctx(seed_lab, aws_endpoint_url="http://127.0.0.1:9"))
    assert seconds < BOUND
    text = _text(results["ses.account.sending"])
    assert results["ses.account.sending"].status is Status.ERROR
    assert "reach the AWS endpoint" in text, text
    assert results["dns.spf.record"].status in (Status.PASS, Status.SKIP, Status.ERROR)
    assert results["recipient.mx.provider"].status is Status.PASS


# --------------------------------------------------------------------------- HTTPS

STS_HOST = "mta-sts.recipient.example"
POLICY = "version: STSv1\nmode: enforce\nmx: *.mail.protection.outlook.com\nmax_age: 604800\n"


#: HTTPS fault -> (status, cause named in the summary). A bad certificate and a wrong
#: content type are faults of the policy itself (RFC 8461 3.3: a valid certificate, and
#: text/plain), so warn: senders that cannot fetch a valid policy deliver as if there were
#: none (RFC 8461 5); only the timeout is "could not check" from here.
HTTPS_CAUSES = {
    "timeout": (Status.ERROR, "no answer within"),
    "wrong_type": (Status.WARN, "Content-Type is 'text/html; charset=utf-8', not text/plain"),
    "bad_cert": (Status.WARN, "the certificate is not trusted or does not match the host"),
}


@pytest.mark.parametrize("fault", list(HTTPS_CAUSES))
async def test_https_fault(fault: str, seed_lab: Any,
                           tmp_path_factory: pytest.TempPathFactory) -> None:
    certs = seed_lab.certs
    if fault == "bad_cert":  # signed by a CA the client does not trust
        certs = make_certs(tmp_path_factory.mktemp("untrusted"), [STS_HOST])
    async with FaultServer.https(fault, certs.server_context(), POLICY) as srv:
        ctx = _ctx(seed_lab, https_routes={STS_HOST: srv.url})
        results, seconds = await timed_results(ctx)
    assert seconds < BOUND
    sts = results["dns.mta_sts.policy"]
    status, cause = HTTPS_CAUSES[fault]
    assert sts.status is status, _text(sts)
    assert cause in sts.summary, sts.summary
    evidence = " ".join(e.content for e in sts.outcome.evidence)
    assert "GET https://mta-sts.recipient.example/.well-known/mta-sts.txt" in evidence
    assert results["ses.suppression.recipient"].status is Status.FAIL


# --------------------------------------------------------------------------- DNS

#: DNS fault -> the cause the error must name (and words it must not use)
DNS_CAUSES = {
    "timeout": ("did not answer (timeout)", ("SERVFAIL", "REFUSED")),
    "servfail": ("(SERVFAIL)", ("REFUSED", "timeout")),
    "refused": ("refused to answer (REFUSED)", ("SERVFAIL", "timeout")),
    "truncate_no_tcp": ("truncated UDP answer and gave no answer over TCP",
                        ("SERVFAIL", "REFUSED", "timeout")),
    "garbage": ("not a valid DNS message", ("SERVFAIL", "REFUSED", "timeout")),
}
DNS_FAULTS = tuple(DNS_CAUSES)


@pytest.mark.parametrize("fault", DNS_FAULTS)
async def test_dns_fault(fault: str, lab_factory: Any) -> None:
    from checks.lab import load_scenario

    scenario = dataclasses.replace(load_scenario("seed"),
                                   dns_faults={"_dmarc.sender.example.": fault})
    lab = lab_factory(scenario)
    results, seconds = await timed_results(_ctx(lab))
    assert seconds < BOUND
    dmarc = results["dns.dmarc.record"]
    assert dmarc.status in (Status.ERROR, Status.FAIL), _text(dmarc)
    assert _text(dmarc).strip(), dmarc
    cause, wrong = DNS_CAUSES[fault]
    assert cause in dmarc.summary, dmarc.summary
    assert not [w for w in wrong if w in dmarc.summary], dmarc.summary
    assert results["dns.spf.record"].status is Status.PASS
    assert results["ses.suppression.recipient"].status is Status.FAIL


async def test_lame_delegation(seed_lab: Any) -> None:
    async with lame_dns() as lame:
        results, seconds = await timed_results(_ctx(seed_lab, dns_routes={"*": lame}))
    assert seconds < BOUND
    prop = results["dns.propagation"]
    assert prop.status is Status.FAIL, _text(prop)  # every NS is lame: the zone is unresolvable
    assert "lame delegation: NS" in prop.summary and "does not serve the zone" in prop.summary
    assert "differ" not in prop.summary
    assert results["dns.spf.record"].status is Status.PASS


# --------------------------------------------------------------------------- keyring


def test_keyring_without_backend_says_what_to_do() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        with pytest.raises(store.StoreError, match="No usable OS keyring"):
            store.set_secret("p", Secret("x" * 12))
    finally:
        keyring.set_keyring(previous)


def test_locked_keyring_loses_nothing(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.canary import CanaryFileKeyring

    monkeypatch.setenv("MAILPATH_TEST_KEYRING", str(tmp_path / "k.json"))
    previous = keyring.get_keyring()
    try:
        keyring.set_keyring(CanaryFileKeyring())
        store.set_secret("p", Secret("stored-before-lock"))
        keyring.set_keyring(LockedKeyring())
        for attempt in (lambda: store.get_secret("p"), lambda: store.delete_secret("p"),
                        lambda: store.set_secret("p", Secret("new-value-123"))):
            with pytest.raises(store.StoreError, match="locked"):
                attempt()
        keyring.set_keyring(CanaryFileKeyring())
        assert store.get_secret("p") == Secret("stored-before-lock")
    finally:
        keyring.set_keyring(previous)
