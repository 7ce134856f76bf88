"""Tester's finding: a custom MAIL FROM domain publishing the RFC 7505 null MX ('MX 0 .')
read "The MX of mail.sender.example points to , not feedback-smtp...". It is named as a null
MX: the domain says it accepts no mail, so bounces and complaints sent to it are lost."""

from __future__ import annotations

from typing import Any

from checks.context import Context
from checks.lab.faults import timed_results
from checks.lab.scenario import SCENARIO_DIR, parse_scenario
from checks.model import Status

HEALTHY_MX = "mail        MX    10 feedback-smtp.us-east-1.amazonses.com."
FEEDBACK = "feedback-smtp.us-east-1.amazonses.com"


def with_mail_from_mx(record: str) -> Any:
    text = (SCENARIO_DIR / "healthy.toml").read_text()
    assert HEALTHY_MX in text
    return parse_scenario(text.replace(HEALTHY_MX, f"mail MX {record}"), default_name="null-mx")


async def mail_from_result(lab: Any) -> Any:
    results, _ = await timed_results(Context(endpoints=lab.endpoints, inputs=lab.inputs))
    return results["dns.mail_from.mx"]


async def test_null_mx_on_the_mail_from_domain_is_named(lab_factory: Any) -> None:
    result = await mail_from_result(lab_factory(with_mail_from_mx("0 .")))
    assert result.status is Status.FAIL
    assert result.summary == (
        "mail.sender.example publishes a null MX ('MX 0 .', RFC 7505: it accepts no mail), "
        f"not an MX to {FEEDBACK}")
    assert "points to ," not in result.summary
    explanation = result.outcome.explanation
    assert "bounces and complaints" in explanation and "are lost" in explanation
    assert f"MX to be {FEEDBACK}" in explanation
    assert result.outcome.fix is not None and FEEDBACK in result.outcome.fix.summary


async def test_another_mx_host_is_still_named(lab_factory: Any) -> None:
    result = await mail_from_result(lab_factory(with_mail_from_mx("10 mx.elsewhere.example.")))
    assert result.status is Status.FAIL
    assert result.summary == (f"The MX of mail.sender.example points to mx.elsewhere.example, "
                              f"not {FEEDBACK}")
    assert "RFC 7505" not in result.outcome.explanation
