"""Identity verification Pending and Failed (with its error type): one root cause on the
identity, DKIM as its consequence, and a fix that fits the state."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from checks.context import Context
from checks.session import run_diagnosis


@pytest.mark.parametrize(("name", "status", "fix_words"), [
    ("ses-identity-pending", "(status PENDING)", "wait"),
    ("ses-identity-failed", "(status FAILED, HOST_NOT_FOUND)", "restart verification"),
])
def test_identity_state(name: str, status: str, fix_words: str, lab_factory: Any) -> None:
    lab = lab_factory(name)
    d = asyncio.run(run_diagnosis(Context(endpoints=lab.endpoints, inputs=lab.inputs)))
    (root,) = d.root_causes
    assert root.check_id == "ses.identity.domain" and root.summary.endswith(status)
    assert root.outcome.fix is not None and fix_words in root.outcome.fix.summary
    assert "ses.identity.dkim" in {r.check_id for r in d.consequences}
    assert d.exit_code == 1
