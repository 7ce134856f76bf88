"""Every relay-*/ses-* scenario end to end on the lab: the expected root causes and
consequences, and canary secrets (relay password, IAM secrets) nowhere in the output."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import pytest

from checks.context import Context
from checks.lab.scenario import SCENARIO_DIR, load_scenario
from checks.session import run_diagnosis

NAMES = sorted(p.stem for p in SCENARIO_DIR.glob("*.toml")
               if p.stem.startswith(("relay-", "ses-")) or p.stem == "seed")


def _secrets(lab: Any, ctx: Context) -> list[str]:
    found = [k.secret for u in lab.scenario.iam_users for k in u.keys
             if k.status != "Deleted" for k in [lab.key(k.label)]]
    relay = ctx.inputs.relay
    if relay and relay.password:
        found.append(relay.password.reveal())
    return [s for s in found if len(s) >= 8]


@pytest.mark.parametrize("name", NAMES)
def test_scenario(name: str, lab_factory: Any, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    expected = load_scenario(name).expected
    lab = lab_factory(name)
    ctx = Context(endpoints=lab.endpoints, inputs=lab.inputs)
    diagnosis = asyncio.run(run_diagnosis(ctx))
    roots = {r.check_id for r in diagnosis.root_causes}
    assert roots == {c.check for c in expected.root_causes}, diagnosis.headline()
    if expected.consequences is not None:
        assert {c.check for c in expected.consequences} <= {
            r.check_id for r in diagnosis.consequences}
    assert diagnosis.exit_code == expected.exit_code
    dumped = json.dumps(diagnosis.to_json()) + caplog.text + repr(diagnosis)
    for secret in _secrets(lab, ctx):
        assert secret not in dumped


def test_seed_relay_fix_is_rotation(seed_lab: Any) -> None:
    ctx = Context(endpoints=seed_lab.endpoints, inputs=seed_lab.inputs)
    diagnosis = asyncio.run(run_diagnosis(ctx))
    key_state = next(r for r in diagnosis.root_causes if r.check_id == "gmail_relay.ses.key_state")
    assert key_state.outcome.explains == ("gmail_relay.smtp.auth",)
    assert key_state.outcome.fix is not None
    assert key_state.outcome.fix.action == "rotate_credentials"
    assert any("Send mail as" in step for step in key_state.outcome.fix.steps)
    auth = next(r for r in diagnosis.results if r.check_id == "gmail_relay.smtp.auth")
    assert auth.facts["reply_code"] == 535


def test_465_starttls_names_the_working_mode(lab_factory: Any) -> None:
    lab = lab_factory("relay-465-starttls")
    ctx = Context(endpoints=lab.endpoints, inputs=lab.inputs)
    diagnosis = asyncio.run(run_diagnosis(ctx))
    connect = next(r for r in diagnosis.results if r.check_id == "gmail_relay.smtp.connect")
    assert "465/tls" in connect.facts["working"]
    assert "SSL" in connect.outcome.explanation


def _diagnose(lab: Any) -> Any:
    return asyncio.run(run_diagnosis(Context(endpoints=lab.endpoints, inputs=lab.inputs)))


def test_unknown_535_cause_is_named_on_the_gmail_path(lab_factory: Any) -> None:
    diagnosis = _diagnose(lab_factory("relay-password-other-key"))
    (auth,) = diagnosis.root_causes
    assert auth.check_id == "gmail_relay.smtp.auth"
    text = auth.outcome.explanation
    assert "none of the known causes fits" in text and "below name which" not in text
    assert "Active" in text and "SigV4" in text


def test_a_username_that_is_no_key_id_explains_the_535(lab_factory: Any) -> None:
    diagnosis = _diagnose(lab_factory("relay-username-address"))
    assert [r.check_id for r in diagnosis.root_causes] == ["gmail_relay.ses.key_state"]
    assert "gmail_relay.smtp.auth" in {r.check_id for r in diagnosis.consequences}


def test_a_key_id_the_account_never_had_is_not_called_deleted(lab_factory: Any) -> None:
    diagnosis = _diagnose(lab_factory("relay-key-other-account"))
    (key,) = diagnosis.root_causes
    assert key.summary.endswith("is not a key of this AWS account (deleted, or another "
                                "account's)")
    assert "is deleted" not in key.summary
