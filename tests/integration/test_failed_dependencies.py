"""A dependency that ended as error is not a fact: the checks that need its facts skip
naming it, never "not in the sandbox", "no DKIM tokens" or "no custom MAIL FROM" (the
defaults a missing fact would read as). Against the seed lab with AWS unreachable or failing."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from checks.context import Context
from checks.lab.faults import FaultServer, timed_results
from checks.model import Status

#: check -> a claim its default would make when the SES facts are missing
FALSE_CLAIMS = {
    "ses.account.sandbox_recipients": "not in the SES sandbox",
    "dns.dkim.cnames": "No SES DKIM tokens",
    "dns.mail_from.mx": "No custom MAIL FROM",
    "ses.identity.dkim": "No SES domain identity",
    "ses.identity.mail_from": "No SES domain identity",
    "dns.dmarc.alignment": "Alignment needs SES",
    "gmail_relay.ses.region": "all in us-east-1",
}
#: skips that come from the user's inputs, whatever AWS does
INPUT_SKIPS = ("No DKIM selector given", "No sending IP known", "No envelope sender given",
               "Only for an application sending through SES SMTP")


def _ctx(lab: Any, url: str) -> Context:
    endpoints = dataclasses.replace(lab.endpoints, timeout=2.0, aws_endpoint_url=url)
    return Context(endpoints=endpoints, inputs=lab.inputs)


async def _results(lab: Any, how: str) -> dict[str, Any]:
    if how == "unreachable":
        results, _ = await timed_results(_ctx(lab, "http://127.0.0.1:9"))
        return results
    async with FaultServer.aws("500") as srv:
        results, _ = await timed_results(_ctx(lab, srv.url))
    return results


@pytest.mark.parametrize("how", ["unreachable", "500"])
async def test_checks_needing_a_failed_ses_read_skip_naming_it(how: str, seed_lab: Any) -> None:
    results = await _results(seed_lab, how)
    for cid in ("ses.account.sending", "ses.identity.domain"):
        assert results[cid].status is Status.ERROR, (cid, results[cid].summary)
    for cid, claim in FALSE_CLAIMS.items():
        summary = results[cid].summary
        assert results[cid].status is Status.SKIP, (cid, summary)
        assert claim not in summary, (cid, summary)
        assert summary.startswith("Skipped: needs "), (cid, summary)
        assert "ended as error" in summary, (cid, summary)
    sandbox = results["ses.account.sandbox_recipients"].summary
    assert sandbox == ("Skipped: needs 'production' from ses.account.sending, but it ended "
                       "as error"), sandbox
    assert "ses.identity.domain ended as error" in results["dns.dkim.cnames"].summary


@pytest.mark.parametrize("how", ["unreachable"])
async def test_every_other_skip_is_about_the_inputs(how: str, seed_lab: Any) -> None:
    """The audit, run whole: with SES unreadable, a skip either names the failed check or
    is about what the user did not give."""
    results = await _results(seed_lab, how)
    for cid, result in results.items():
        if result.status is not Status.SKIP:
            continue
        summary = result.summary
        assert "ended as error" in summary or summary.startswith(INPUT_SKIPS), (cid, summary)


async def test_spf_says_which_check_left_the_mail_from_unknown(seed_lab: Any) -> None:
    results = await _results(seed_lab, "unreachable")
    text = results["dns.spf.record"].outcome.explanation
    assert "ses.identity.domain ended as error" in text, text


async def test_a_healthy_run_still_reads_the_facts(seed_lab: Any) -> None:
    results, _ = await timed_results(Context(endpoints=seed_lab.endpoints,
                                             inputs=seed_lab.inputs))
    assert results["dns.dkim.cnames"].status is Status.PASS, results["dns.dkim.cnames"].summary
    assert results["dns.mail_from.mx"].status is Status.PASS
    assert results["ses.account.sandbox_recipients"].summary.startswith(
        "The account is not in the SES sandbox")
