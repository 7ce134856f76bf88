"""`mailpath iam-policy`: the policy allows every AWS call mailpath's read-only checks make
(recorded from botocore while the engine diagnoses lab scenarios), and nothing that writes."""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import checks.net.aws as aws
from checks import suppression
from checks.context import Context
from checks.session import run_diagnosis

SCENARIOS = ("seed", "healthy", "relay-key-deleted", "ses-identity-other-region",
             "ses-sandbox-unverified", "ses-smtp-rotated-key", "relay-other-region")
WRITES = re.compile(r"^(ses|iam):(Put|Delete|Create|Update|Send|Set|Tag|Untag)")


@pytest.fixture
def recorded(monkeypatch: pytest.MonkeyPatch) -> Iterator[set[str]]:
    """Every AWS action (signing name:operation) any boto3 client of a run calls."""
    seen: set[str] = set()
    made = aws._session

    def note(model: Any, **_: Any) -> None:
        seen.add(f"{model.service_model.signing_name}:{model.name}")

    def session(ctx: Context) -> Any:
        s = made(ctx)
        s.events.register("before-call", note)
        return s

    monkeypatch.setattr(aws, "_session", session)
    yield seen


def _policy_actions(*flags: str) -> set[str]:
    proc = subprocess.run([sys.executable, "-m", "tui", "iam-policy", *flags],
                          capture_output=True, text=True, timeout=60, check=True)
    policy = json.loads(proc.stdout)
    assert policy["Version"] == "2012-10-17"
    return {a for s in policy["Statement"] for a in s["Action"] if s["Effect"] == "Allow"}


async def _suppression_reads(ctx: Context, region: str) -> None:
    await suppression.list_all(ctx, region)
    await suppression.lookup(ctx, "pat@recipient.example", region)
    await suppression.in_sandbox(ctx, region)


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_read_only_call_is_in_the_policy(name: str, recorded: set[str],
                                               lab_factory: Any) -> None:
    lab = lab_factory(name)
    ctx = Context(endpoints=lab.endpoints, inputs=lab.inputs)
    asyncio.run(run_diagnosis(ctx))
    asyncio.run(_suppression_reads(ctx, lab.scenario.region))
    assert recorded, "no AWS call was recorded"
    assert recorded <= set(aws.READ_ONLY_ACTIONS), recorded - set(aws.READ_ONLY_ACTIONS)


def test_the_printed_policy_is_read_only_unless_asked() -> None:
    plain = _policy_actions()
    assert plain == set(aws.READ_ONLY_ACTIONS)
    assert not [a for a in plain if WRITES.match(a)]
    both = _policy_actions("--with-rotation", "--with-suppression-write")
    assert both == plain | set(aws.ROTATION_ACTIONS) | set(aws.SUPPRESSION_WRITE_ACTIONS)


def test_write_extras_cover_rotation_and_suppression_edits() -> None:
    root = Path(aws.__file__).parents[1]
    rotation = re.findall(r'_iam\("(\w+)"', (root / "creds" / "rotation.py").read_text())
    edits = re.findall(r'call\(ctx, "sesv2", "(\w+)"', (root / "suppression.py").read_text())
    assert {aws.action_name("iam", op) for op in rotation} <= set(aws.ROTATION_ACTIONS)
    assert {aws.action_name("sesv2", op) for op in edits} <= (
        set(aws.READ_ONLY_ACTIONS) | set(aws.SUPPRESSION_WRITE_ACTIONS))
