"""No secret of a lab run (IAM secrets, the stored relay password) ever reaches a diagnosis.

test_every_scenario.py (another file) compares each scenario's diagnosis with [expected];
this file checks, for the scenarios that hold credentials, that none of them leaks.
"""

from __future__ import annotations

import base64

import pytest

from checks.context import Context
from checks.lab import list_scenarios, open_lab

WITH_CREDENTIALS = [n for n in list_scenarios() if n == "seed" or n.startswith("relay-")]


@pytest.mark.parametrize("name", WITH_CREDENTIALS)
async def test_no_secret_in_any_result(name: str) -> None:
    session = pytest.importorskip("checks.session")
    async with open_lab(name) as lab:
        diagnosis = await session.run_diagnosis(Context(endpoints=lab.endpoints,
                                                        inputs=lab.inputs))
        secrets = [k.secret for k in lab.aws.keys.values()]
        if lab.relay and lab.relay.password:
            secrets.append(lab.relay.password.reveal())
    needles = secrets + [base64.b64encode(s.encode()).decode() for s in secrets]
    text = repr(diagnosis.to_json())
    assert not [s for s in needles if s in text]
