"""Each scenario file is an end-to-end test: the lab plays it, the engine diagnoses it, and
the diagnosis must be the scenario's expected one (root causes by layer and check, exit code).

Layer-specific tests (test_dns_scenarios, test_relay_scenarios) assert more about their own
scenarios; this one guarantees that no scenario, present or future, goes untested.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from checks.context import Context
from checks.lab import list_scenarios, load_scenario
from checks.model import Status
from checks.session import run_diagnosis


@pytest.mark.parametrize("name", list_scenarios())
def test_scenario_diagnosis_matches_expected(name: str, lab_factory: Any) -> None:
    scenario = load_scenario(name)
    lab = lab_factory(scenario)
    diagnosis = asyncio.run(run_diagnosis(Context(endpoints=lab.endpoints, inputs=lab.inputs)))
    found = {(r.layer.value, r.check_id) for r in diagnosis.root_causes}
    expected = {(c.layer, c.check) for c in scenario.expected.root_causes}
    assert found == expected, diagnosis.headline()
    assert diagnosis.exit_code == scenario.expected.exit_code
    if scenario.expected.consequences is not None:
        wanted = {(c.layer, c.check) for c in scenario.expected.consequences}
        assert wanted <= {(r.layer.value, r.check_id) for r in diagnosis.consequences}
    for cause in diagnosis.root_causes:
        assert cause.outcome.fix is not None, f"{cause.check_id} names no fix"
        assert cause.outcome.evidence, f"{cause.check_id} shows no evidence"
    assert not [r.check_id for r in diagnosis.results if r.status is Status.ERROR], (
        "a lab scenario must be fully checkable"
    )
