"""The relay layer against relays that are not SES, on the lab's real servers: an `[[mta]]`
with its own certificate and AUTH stands in for the sender's own submission server; the
SES-only relay checks skip with their reason. Also: 465 set as STARTTLS is told quickly,
while a slow server that really greets on 465 is not mistaken for it."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

from checks.context import Context
from checks.lab.scenario import SCENARIO_DIR
from checks.model import Status
from checks.net.smtp import IMPLICIT_TLS_DETAIL, Failure, probe
from checks.session import run_diagnosis

CANARY = "CANARY-non-ses-relay-4d1e"
SES_ONLY = ("gmail_relay.ses.key_state", "gmail_relay.ses.password_shape",
            "gmail_relay.ses.region", "ses.smtp.credentials")


def _variant(tmp_path: Path, name: str, *edits: tuple[str, str]) -> Path:
    """relay-cert-mismatch.toml with text replaced (each edit must apply)."""
    text = (SCENARIO_DIR / "relay-cert-mismatch.toml").read_text()
    for old, new in edits:
        assert old in text, old
        text = text.replace(old, new)
    path = tmp_path / f"{name}.toml"
    path.write_text(text.replace('name = "relay-cert-mismatch"', f'name = "{name}"'))
    return path


GOOD_CERT = ('certificate_names = ["panel.hosting.example"]\n', "")


def _diagnose(lab: Any) -> Any:
    return asyncio.run(run_diagnosis(Context(endpoints=lab.endpoints, inputs=lab.inputs)))


def _result(diagnosis: Any, check_id: str) -> Any:
    return next(r for r in diagnosis.results if r.check_id == check_id)


def test_cert_mismatch_names_the_certificate_and_skips_ses_checks(lab_factory: Any) -> None:
    diagnosis = _diagnose(lab_factory("relay-cert-mismatch"))
    tls = _result(diagnosis, "gmail_relay.smtp.tls")
    assert tls.status is Status.FAIL
    assert "panel.hosting.example" in tls.summary and "mail.sender.example" in tls.summary
    assert tls.facts["certificate_names"] == ["panel.hosting.example"]
    assert "SES" not in tls.outcome.explanation
    for check_id in SES_ONLY:
        assert _result(diagnosis, check_id).status is Status.SKIP
    assert "not an SES" in _result(diagnosis, "gmail_relay.ses.key_state").summary


def test_non_ses_relay_with_right_password_is_healthy(lab_factory: Any, tmp_path: Path) -> None:
    lab = lab_factory(str(_variant(tmp_path, "own-relay-ok", GOOD_CERT)))
    diagnosis = _diagnose(lab)
    auth = _result(diagnosis, "gmail_relay.smtp.auth")
    assert auth.status is Status.PASS and auth.facts["reply_code"] == 235
    assert diagnosis.exit_code == 0, diagnosis.headline()


def test_non_ses_relay_refusing_the_password(lab_factory: Any, tmp_path: Path) -> None:
    path = _variant(tmp_path, "own-relay-bad", GOOD_CERT,
                    ('password = { literal = "relay-lab-password-not-secret" }',
                     f'password = {{ literal = "{CANARY}" }}'))
    diagnosis = _diagnose(lab_factory(str(path)))
    roots = {r.check_id: r for r in diagnosis.root_causes}
    assert set(roots) == {"gmail_relay.smtp.auth"}
    auth = roots["gmail_relay.smtp.auth"]
    assert auth.facts["reply_code"] == 535
    assert "SES" not in auth.outcome.explanation and auth.outcome.fix is not None
    assert CANARY not in json.dumps(diagnosis.to_json()) + repr(diagnosis)


def test_no_banner_relay_says_gmail_headline_is_wrong(lab_factory: Any) -> None:
    diagnosis = _diagnose(lab_factory("relay-no-banner"))
    connect = _result(diagnosis, "gmail_relay.smtp.connect")
    assert connect.facts["failure"] == Failure.NO_BANNER.value
    assert "Authentication failed" in connect.outcome.explanation
    assert "inbound MX" in connect.outcome.explanation
    assert connect.outcome.fix is not None and "submission" in connect.outcome.fix.summary


def test_465_as_starttls_is_told_by_the_tls_handshake(lab_factory: Any) -> None:
    """A generous timeout: the answer must come from the parallel handshake, not a timer."""
    lab = lab_factory("relay-465-starttls")
    res = asyncio.run(probe("email-smtp.us-east-1.amazonaws.com", 465, "starttls",
                            lab.endpoints, timeout=20))
    assert res.failure is Failure.NO_BANNER and res.detail == IMPLICIT_TLS_DETAIL


def test_slow_plain_greeting_on_465_is_not_taken_for_tls(lab_factory: Any,
                                                          tmp_path: Path) -> None:
    """A server on 465 that really speaks STARTTLS, greeting late: the probe waits for it."""
    path = _variant(tmp_path, "slow-465", GOOD_CERT, ("port = 587\nbanner", "port = 465\nbanner"),
                    ('port = 587\ntls = "starttls"', 'port = 465\ntls = "starttls"'),
                    ('date = 2026-09-14T12:00:00Z', 'date = 2026-09-14T12:00:00Z\ndelay = 0.3'))
    lab = lab_factory(str(path))
    res = asyncio.run(probe("mail.sender.example", 465, "starttls", lab.endpoints, timeout=5))
    assert res.failure is None and res.banner is not None and res.tls_version
