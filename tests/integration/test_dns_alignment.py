"""dns.dmarc.alignment against the lab (real DNS server, SES stand-in): DMARC passes only when
an aligned SPF *pass* or an aligned DKIM pass exists (RFC 7489 4.2); SES's own MAIL FROM status
decides which MAIL FROM it uses (SES falls back to amazonses.com when the custom MAIL FROM is not
usable and the behaviour is USE_DEFAULT_VALUE)."""

from __future__ import annotations

import dataclasses
from typing import Any

from checks.context import Context
from checks.lab import load_scenario
from checks.lab.faults import timed_results
from checks.model import Status

TIMEOUT = 3.0
ALIGN = "dns.dmarc.alignment"


def _ctx(lab: Any, **inputs: Any) -> Context:
    endpoints = dataclasses.replace(lab.endpoints, timeout=TIMEOUT)
    return Context(endpoints=endpoints, inputs=dataclasses.replace(lab.inputs, **inputs))


def _variant(*, zone_sub: tuple[str, str] | None = None, **identity: Any) -> Any:
    """The healthy scenario with its SES identity (and optionally its zone) changed."""
    base = load_scenario("healthy")
    ident = dataclasses.replace(base.ses.identities[0], **identity)
    ses = dataclasses.replace(base.ses, identities=(ident, *base.ses.identities[1:]))
    zones = dict(base.zones)
    if zone_sub:
        assert zone_sub[0] in zones["sender.example"]
        zones["sender.example"] = zones["sender.example"].replace(*zone_sub)
    return dataclasses.replace(base, ses=ses, zones=zones)


def _text(result: Any) -> str:
    return f"{result.status.value}: {result.summary}\n{result.outcome.explanation}"


SPF_FAILS = ('mail        TXT   "v=spf1 include:amazonses.com ~all"',
             'mail        TXT   "v=spf1 -all"')


async def test_spf_that_does_not_pass_and_failed_dkim_fail_dmarc(lab_factory: Any) -> None:
    lab = lab_factory(_variant(zone_sub=SPF_FAILS, dkim_status="Failed"))
    results, _ = await timed_results(_ctx(lab))
    assert results["dns.spf.authorises_ses"].status is Status.FAIL
    align = results[ALIGN]
    assert align.status is Status.FAIL, _text(align)  # p=quarantine in the healthy zone
    assert "will fail DMARC" in align.summary and "p=quarantine" in align.summary
    assert "does not pass" in align.outcome.explanation, _text(align)
    assert align.outcome.facts["spf_aligned"] is False


async def test_spf_aligned_but_failing_with_working_dkim_still_passes(lab_factory: Any) -> None:
    lab = lab_factory(_variant(zone_sub=SPF_FAILS))
    results, _ = await timed_results(_ctx(lab))
    align = results[ALIGN]
    assert align.status is Status.PASS, _text(align)
    assert align.outcome.facts["dkim_aligned"] is True


async def test_failed_ses_mail_from_falls_back_to_amazonses(lab_factory: Any) -> None:
    lab = lab_factory(_variant(mail_from_status="Failed", dkim_status="Failed"))
    results, _ = await timed_results(_ctx(lab))
    align = results[ALIGN]
    assert align.status is Status.FAIL, _text(align)
    assert align.outcome.facts["mail_from"] == "amazonses.com"
    assert "falls back to amazonses.com" in align.outcome.explanation
    assert "uses the custom MAIL FROM" not in align.outcome.explanation
    spf = results["dns.spf.record"]
    assert "as FAILED" in spf.outcome.explanation, spf.outcome.explanation


async def test_failed_ses_mail_from_with_reject_message_is_not_sent(lab_factory: Any) -> None:
    lab = lab_factory(_variant(mail_from_status="Failed", behavior_on_mx_failure="REJECT_MESSAGE"))
    results, _ = await timed_results(_ctx(lab))
    align = results[ALIGN]
    assert align.status is Status.SKIP, _text(align)
    assert "REJECT_MESSAGE" in align.summary


async def test_gmail_alias_without_relay_is_sent_by_gmail(lab_factory: Any) -> None:
    """Case gmail-dmarc-reject-send-as-alias: Gmail's own servers send the alias, so neither
    the envelope (gmail.com) nor d=gmail.com aligns with the From domain."""
    lab = lab_factory("healthy")
    results, _ = await timed_results(_ctx(lab, path="gmail_send_as", relay=None))
    align = results[ALIGN]
    assert align.status is Status.FAIL, _text(align)
    assert "via Gmail's own servers" in align.summary
    assert align.outcome.facts["mail_from"] == "gmail.com"
