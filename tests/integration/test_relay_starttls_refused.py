"""A Gmail relay that offers STARTTLS and refuses it (454, temporary) on the lab's real SMTP
server: the TLS check fails with its own explanation (offered but refused, temporary for
4xx, what to do), never 'not offered'; the login is never tried."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from checks.context import Context
from checks.lab.scenario import SCENARIO_DIR
from checks.model import Status
from checks.net.smtp import Failure, probe
from checks.session import run_diagnosis

RELAY = "mail.sender.example"


def _refusing_relay(tmp_path: Path) -> Path:
    """relay-cert-mismatch.toml with a good certificate and a relay that answers STARTTLS
    with 454."""
    text = (SCENARIO_DIR / "relay-cert-mismatch.toml").read_text()
    edits = (('certificate_names = ["panel.hosting.example"]\n', "reject_starttls = true\n"),
             ('name = "relay-cert-mismatch"', 'name = "relay-starttls-refused"'))
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / "relay-starttls-refused.toml"
    path.write_text(text)
    return path


def test_the_lab_relay_refuses_starttls_with_454(lab_factory: Any, tmp_path: Path) -> None:
    lab = lab_factory(str(_refusing_relay(tmp_path)))
    res = asyncio.run(probe(RELAY, 587, "starttls", lab.endpoints, timeout=5))
    assert res.failure is Failure.STARTTLS_REFUSED
    assert res.detail.startswith("454 ")
    assert "STARTTLS" in res.capabilities


def test_starttls_refused_is_explained(lab_factory: Any, tmp_path: Path) -> None:
    lab = lab_factory(str(_refusing_relay(tmp_path)))
    diagnosis = asyncio.run(run_diagnosis(Context(endpoints=lab.endpoints, inputs=lab.inputs)))
    results = {r.check_id: r for r in diagnosis.results}
    assert results["gmail_relay.smtp.connect"].status is Status.PASS
    tls = results["gmail_relay.smtp.tls"]
    assert tls.status is Status.FAIL
    assert tls.summary.startswith("TLS failed: STARTTLS is offered, but the server refused it "
                                  "for now (454 "), tls.summary
    text = tls.outcome.explanation
    assert "offers STARTTLS on this port" in text and "refused it when asked" in text
    assert "a 4xx reply is a temporary refusal" in text
    assert "Gmail will not send the password without TLS" in text
    assert "not offer" not in text
    fix = tls.outcome.fix
    assert fix is not None and fix.summary == f"Make STARTTLS work on {RELAY}:587"
    assert any("log" in step for step in fix.steps)
    assert any("again in a few minutes" in step for step in fix.steps)
    assert not any("certificate covering" in step for step in fix.steps)
    assert tls.facts["failure"] == Failure.STARTTLS_REFUSED.value
    assert results["gmail_relay.smtp.auth"].status is Status.SKIP
    assert {r.check_id for r in diagnosis.root_causes} == {"gmail_relay.smtp.tls"}


def test_a_5xx_refusal_is_permanent() -> None:
    from checks.layers.gmail_relay import _starttls_refused_fix, _tls_summary, _tls_text
    from checks.net.smtp import ProbeResult

    res = ProbeResult(RELAY, 587, "starttls", failure=Failure.STARTTLS_REFUSED,
                      detail="554 5.7.3 TLS not supported")
    text = _tls_text(res, Failure.STARTTLS_REFUSED)
    assert "a 5xx reply is a permanent refusal" in text and "temporary" not in text
    assert "for now" not in _tls_summary(res, Failure.STARTTLS_REFUSED)
    assert not any("few minutes" in step for step in _starttls_refused_fix(res).steps)
