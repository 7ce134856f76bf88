"""The HTTPS fetch says when it cut a body at its read limit (`truncated`), and the MTA-STS
check uses that instead of guessing from the length: a policy of exactly 64 KB is whole and
judged; one byte more is cut and said to be over the limit. The lab's HTTPS server."""

from __future__ import annotations

import dataclasses
from typing import Any

from checks.lab import load_scenario
from checks.lab.scenario import MtaStsPolicy
from checks.model import Status
from checks.net import https
from checks.net.https import MAX_BYTES
from tests.integration.test_dns_policy_faults import STS_HOST, _diagnose, _result, _text

HEAD = "version: STSv1\nmode: enforce\nmx: *.mail.protection.outlook.com\nmax_age: 604800\n"


def _policy_of(size: int) -> str:
    """A valid policy padded to exactly `size` bytes with an unknown key (RFC 8461 3.2)."""
    pad = size - len(HEAD) - len("x-padding: \n")
    body = f"{HEAD}x-padding: {'a' * pad}\n"
    assert len(body.encode()) == size
    return body


def _lab(lab_factory: Any, body: str) -> Any:
    base = load_scenario("healthy")
    return lab_factory(dataclasses.replace(base, mta_sts=(MtaStsPolicy(STS_HOST, body),)))


async def test_fetch_reports_the_cut(lab_factory: Any) -> None:
    whole_body, long_body = _policy_of(MAX_BYTES), _policy_of(MAX_BYTES + 1)
    path = "/.well-known/mta-sts.txt"
    whole = await https.fetch(_lab(lab_factory, whole_body).endpoints, STS_HOST, path)
    cut = await https.fetch(_lab(lab_factory, long_body).endpoints, STS_HOST, path)
    assert whole.ok and not whole.truncated and whole.text == whole_body
    assert "[cut:" not in whole.evidence()
    assert cut.ok and cut.truncated and cut.text == long_body[:MAX_BYTES]
    assert f"longer than the {MAX_BYTES} bytes read" in cut.evidence()


async def test_a_policy_of_exactly_64_kb_is_judged(lab_factory: Any) -> None:
    diagnosis = await _diagnose(lab_factory, policy=MtaStsPolicy(STS_HOST,
                                                                 _policy_of(MAX_BYTES)))
    sts = _result(diagnosis, "dns.mta_sts.policy")
    assert sts.status is Status.PASS, _text(sts)
    assert "covers all its MX hosts" in sts.summary
    assert "over the limit" not in _text(sts)


async def test_one_byte_more_is_over_the_limit(lab_factory: Any) -> None:
    diagnosis = await _diagnose(lab_factory, policy=MtaStsPolicy(STS_HOST,
                                                                 _policy_of(MAX_BYTES + 1)))
    sts = _result(diagnosis, "dns.mta_sts.policy")
    text = _text(sts)
    assert sts.status is Status.WARN, text
    assert "over the limit" in sts.summary
    assert "is longer than the 64 KB mailpath reads" in text
    assert "not covered" not in text
