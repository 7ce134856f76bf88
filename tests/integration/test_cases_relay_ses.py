"""Every `ses` and `gmail_relay` case of the shared case file has a lab scenario, and the live
diagnosis of that scenario puts its root cause in the case's `expected_layer`.

The expected values come from the case file itself (`../shared/cases/cases.jsonl`); the only
table here says which scenario plays which case. A new ses/gmail_relay case without an entry
fails `test_every_case_has_a_scenario`.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from checks.context import Context
from checks.lab.scenario import load_scenario
from checks.session import run_diagnosis

CASES_FILE = Path("/work/shared/cases/cases.jsonl")
LAYERS = ("ses", "gmail_relay")

#: case id -> (scenario, the check whose failure is the case's root cause)
CASE_SCENARIOS: dict[str, tuple[str, str]] = {
    "ses-smtp-iam-user-keys": ("ses-smtp-iam-secret", "ses.smtp.credentials"),
    "ses-smtp-rotated-access-key": ("ses-smtp-rotated-key", "ses.smtp.credentials"),
    "ses-relay-no-smtp-auth": ("ses-smtp-no-auth", "ses.smtp.credentials"),
    "ses-sandbox-recipient-unverified": ("ses-sandbox-unverified",
                                         "ses.account.sandbox_recipients"),
    "ses-smtp-envelope-sender-unverified": ("ses-smtp-envelope-sender",
                                            "ses.identity.envelope_sender"),
    "ses-account-sending-paused": ("ses-sending-paused", "ses.account.sending"),
    "ses-account-suppression-list": ("ses-suppressed-bounce", "ses.suppression.recipient"),
    "gmail-send-as-tls-cert-mismatch": ("relay-cert-mismatch", "gmail_relay.smtp.tls"),
    "gmail-send-as-unable-to-read-banner": ("relay-no-banner", "gmail_relay.smtp.connect"),
    "gmail-send-as-ses-stale-credentials": ("relay-key-inactive", "gmail_relay.ses.key_state"),
}

#: words of the case's root cause that the failing check's finding must also say
CAUSE_WORDS: dict[str, tuple[str, ...]] = {
    "ses-smtp-iam-user-keys": ("secret access key", "not the SES SMTP password"),
    "ses-smtp-rotated-access-key": ("secret access key", "derived"),
    "ses-relay-no-smtp-auth": ("without logging in", "530"),
    "ses-sandbox-recipient-unverified": ("Sandbox", "not verified"),
    "ses-smtp-envelope-sender-unverified": ("Envelope sender", "not a verified identity"),
    "ses-account-sending-paused": ("Sending is paused",),
    "ses-account-suppression-list": ("suppression list", "BOUNCE"),
    "gmail-send-as-tls-cert-mismatch": ("certificate", "panel.hosting.example"),
    "gmail-send-as-unable-to-read-banner": ("never sent its greeting", "Authentication failed",
                                            "headline is wrong"),
    "gmail-send-as-ses-stale-credentials": ("Inactive",),
}


def _cases() -> list[dict[str, Any]]:
    if not CASES_FILE.exists():
        return []
    rows = [json.loads(line) for line in CASES_FILE.read_text().splitlines() if line.strip()]
    return [c for c in rows if c.get("expected_layer") in LAYERS]


CASES = _cases()
pytestmark = pytest.mark.skipif(not CASES, reason=f"{CASES_FILE} not present")


def test_every_case_has_a_scenario() -> None:
    assert sorted(c["id"] for c in CASES) == sorted(CASE_SCENARIOS)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_scenario_names_the_case_and_expects_its_layer(case: dict[str, Any]) -> None:
    name, check_id = CASE_SCENARIOS[case["id"]]
    scenario = load_scenario(name)
    assert case["id"] in scenario.expected.notes
    expected = {(c.layer, c.check) for c in scenario.expected.root_causes}
    assert (case["expected_layer"], check_id) in expected


@pytest.mark.parametrize("case", CASES, ids=lambda c: c["id"])
def test_live_diagnosis_has_the_case_layer(case: dict[str, Any], lab_factory: Any) -> None:
    name, check_id = CASE_SCENARIOS[case["id"]]
    lab = lab_factory(name)
    diagnosis = asyncio.run(run_diagnosis(Context(endpoints=lab.endpoints, inputs=lab.inputs)))
    roots = {r.check_id: r for r in diagnosis.root_causes}
    assert check_id in roots, diagnosis.headline()
    assert roots[check_id].layer.value == case["expected_layer"]
    finding = roots[check_id].summary + " " + roots[check_id].outcome.explanation
    for words in CAUSE_WORDS[case["id"]]:
        assert words in finding, f"{words!r} not in {finding!r}"
