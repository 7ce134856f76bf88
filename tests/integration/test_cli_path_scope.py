"""`--path`: a diagnosis of a path blames only the layers that path goes through.

`--path ses_api` has no Gmail relay: relay checks that run because an SES check needs their
facts are context (never root causes, consequences, warnings, could-not-check, and never the
exit code), and relay checks are not planned as EXPLAINERS at all (a relay the message never
used cannot be why it failed). `--path ses_smtp` and `gmail_send_as` cross every layer and
keep their diagnosis.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from checks.context import Context
from checks.model import Layer, Status
from checks.session import layers_for, path_scope, plan, run_diagnosis
from tests.canary import Canaries, assert_no_canary
from tui.commands.lab import lab_env, write_password_file

ROOT = Path(__file__).resolve().parents[2]
API_LAYERS = (Layer.SES, Layer.DNS, Layer.RECIPIENT_MTA)
GROUPS = ("root_causes", "consequences", "warnings", "could_not_check", "context_causes")


def _diagnose(lab: Any, path: str) -> Any:
    inputs = dataclasses.replace(lab.inputs, path=path)
    return asyncio.run(run_diagnosis(Context(endpoints=lab.endpoints, inputs=inputs)))


def _check(lab: Any, *args: str) -> subprocess.CompletedProcess[str]:
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    env = ({k: v for k, v in os.environ.items() if k in keep}
           | lab_env(lab, write_password_file(lab)))
    main = "import sys; from tui.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", main, "check", *args], capture_output=True,
                          text=True, env=env, timeout=90, input="", cwd=ROOT)


@pytest.fixture(scope="module")
def seed(module_lab_factory: Any) -> Any:
    return module_lab_factory("seed")


def test_ses_api_json_blames_only_ses(seed: Any) -> None:
    proc = _check(seed, "--path", "ses_api", "--json")
    assert proc.returncode == 1, proc.stderr  # the suppressed recipient, on the SES layer
    payload = json.loads(proc.stdout)
    diagnosis = payload["diagnosis"]
    assert [c["check"] for c in diagnosis["root_causes"]] == ["ses.suppression.recipient"]
    for group in GROUPS:
        assert all(c["layer"] != "gmail_relay" for c in diagnosis[group]), group
    assert diagnosis["layers"] == ["ses", "dns", "recipient_mta"]
    relay = [r for r in payload["results"] if r["layer"] == "gmail_relay"]
    assert relay and all(r.get("context") for r in relay)
    # the seed's stale relay key still shows, as context, not as a cause
    assert {r["id"]: r["status"] for r in relay}["gmail_relay.ses.key_state"] == "fail"
    assert_no_canary(proc.stdout, proc.stderr, canaries=Canaries.of_lab(seed))


def test_ses_api_text_headline(seed: Any) -> None:
    proc = _check(seed, "--path", "ses_api")
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("1 root cause: Amazon SES\n"), proc.stdout[:200]
    assert "[Gmail relay]" not in proc.stdout


def test_ses_smtp_keeps_its_diagnosis(seed: Any) -> None:
    d = _diagnose(seed, "ses_smtp")
    assert {r.check_id for r in d.root_causes} == {"ses.suppression.recipient",
                                                   "ses.smtp.credentials"}
    assert "gmail_relay.smtp.auth" in {r.check_id for r in d.consequences}
    assert d.exit_code == 1 and d.scope is None
    assert d.headline().startswith("2 root causes: Amazon SES")


def test_gmail_send_as_keeps_the_seed_diagnosis(seed: Any) -> None:
    d = _diagnose(seed, "gmail_send_as")
    assert {r.check_id for r in d.root_causes} == {"gmail_relay.ses.key_state",
                                                   "ses.suppression.recipient"}
    assert d.headline().startswith("2 root causes: Gmail relay, Amazon SES")
    assert d.exit_code == 1


def test_a_relay_fault_off_the_path_does_not_fail_the_exit_code(lab_factory: Any) -> None:
    d = _diagnose(lab_factory("relay-key-inactive"), "ses_api")
    by_id = {r.check_id: r for r in d.results}
    assert by_id["gmail_relay.ses.key_state"].status is Status.FAIL  # ran, for its facts
    assert d.root_causes == () and d.consequences == () and d.context_causes == ()
    assert d.exit_code == 0, d.headline()


def test_an_identity_fault_on_the_api_path_is_its_own_root_cause(lab_factory: Any) -> None:
    # gmail_send_as: the relay's region explains it (ses-identity-other-region.toml);
    # ses_api never used the relay, so the identity not verified in the region is the cause
    d = _diagnose(lab_factory("ses-identity-other-region"), "ses_api")
    assert [r.check_id for r in d.root_causes] == ["ses.identity.domain"]
    assert d.context_causes == () and d.exit_code == 1
    assert "gmail_relay.ses.region" not in {r.check_id for r in d.results}


def test_plan_leaves_out_explainers_off_the_path() -> None:
    on_path = [c.id for c in plan(API_LAYERS, path=API_LAYERS)]
    assert "gmail_relay.ses.region" not in on_path
    assert "gmail_relay.ses.password_shape" not in on_path
    # what an SES check needs still runs (ses.smtp.credentials needs the relay's AUTH)
    assert "gmail_relay.smtp.auth" in on_path
    # --layers ses on a relay path keeps its cross-layer explainers (the --layers contract)
    assert "gmail_relay.ses.region" in [c.id for c in plan([Layer.SES])]


def test_path_scope(seed: Any) -> None:
    def ctx(path: str) -> Context:
        return Context(endpoints=seed.endpoints,
                       inputs=dataclasses.replace(seed.inputs, path=path))

    assert layers_for(ctx("ses_api")) == API_LAYERS
    assert path_scope(ctx("ses_api")) == API_LAYERS
    assert path_scope(ctx("ses_smtp")) is None and path_scope(ctx("gmail_send_as")) is None
    assert path_scope(ctx("ses_api"), [Layer.DNS]) == (Layer.DNS,)  # --layers wins
