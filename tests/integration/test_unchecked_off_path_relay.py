"""Tester's finding 4: without relay settings and without --path, `mailpath check` takes the
path ses_api, and every Gmail relay check that runs (for ses.smtp.credentials' facts) is
skipped. README: a layer whose checks were all skipped is never healthy, it is listed as
not checked. It was dropped as "context: not requested" although nobody asked to leave
it out. Exit codes stay as README says (0 here: no fault, nothing asked for unchecked)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

from checks.diagnosis import diagnose
from checks.model import CheckResult, Layer, Outcome, Status

MAILPATH = [sys.executable, "-m", "tui"]
ADDRESSES = ("--from", "admin@sender.example", "--to", "pat@recipient.example")


@pytest.fixture(scope="module")
def env(healthy_lab: Any) -> dict[str, str]:
    """The healthy lab's endpoints as `mailpath lab` exports them, but no MAILPATH_RELAY_*."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR", "VIRTUAL_ENV"}
    base = {k: v for k, v in os.environ.items() if k in keep}
    lab_env = {k: v for k, v in healthy_lab.endpoints.to_env().items()
               if not k.startswith("MAILPATH_RELAY_")}
    return base | lab_env | {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def _check(env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MAILPATH, "check", *ADDRESSES, *flags], capture_output=True,
                          text=True, env=env, timeout=120)


def test_no_relay_and_no_path_lists_the_relay_as_not_checked(env: dict[str, str]) -> None:
    proc = _check(env, "--json")
    assert proc.returncode == 0, proc.stderr
    d = json.loads(proc.stdout)["diagnosis"]
    assert d["unchecked_layers"] == ["gmail_relay"]
    assert d["healthy_layers"] == ["ses", "dns", "recipient_mta"]
    assert d["headline"] == "No faults found; not checked: Gmail relay"
    assert d["not_checked"][0]["reason"] == "No relay settings given"
    assert d["not_checked"][0]["warning"] is False  # ses_api does not send through it
    assert d["warnings"] == []
    text = _check(env)
    assert text.returncode == 0
    assert text.stdout.startswith("No faults found; not checked: Gmail relay\n")
    assert ("Gmail relay: not checked — no relay settings given (use --relay-host … or "
            "--profile-name); the path ses_api does not use a relay") in text.stdout
    assert "Gmail relay (not checked)" in text.stdout
    assert "Gmail relay (context: not requested)" not in text.stdout


def test_layers_asked_for_leave_other_layers_out(env: dict[str, str]) -> None:
    """With --layers the user chose the scope: a context layer is not reported."""
    proc = _check(env, "--layers", "ses", "--json")
    d = json.loads(proc.stdout)["diagnosis"]
    assert proc.returncode == 0, proc.stderr
    assert d["unchecked_layers"] == [] and d["headline"] == "No faults found"


def test_the_seed_demo_is_unchanged(env: dict[str, str]) -> None:
    proc = subprocess.run([*MAILPATH, "demo", "--headless"], capture_output=True, text=True,
                          env=env, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("2 root causes: Gmail relay, Amazon SES\n")
    assert "not checked" not in proc.stdout.splitlines()[0]


def _r(cid: str, layer: Layer, status: Status, summary: str = "") -> CheckResult:
    return CheckResult(cid, layer, cid, Outcome(status, summary or f"{cid} {status}"))


def test_diagnose_off_path_versus_asked_scope() -> None:
    relay = [_r("gmail_relay.smtp.connect", Layer.GMAIL_RELAY, Status.SKIP,
                "No relay settings given"),
             _r("gmail_relay.smtp.auth", Layer.GMAIL_RELAY, Status.SKIP, "Skipped: needs")]
    ok = [_r("ses.identity.domain", Layer.SES, Status.PASS),
          _r("dns.spf.record", Layer.DNS, Status.PASS),
          _r("recipient.mx.provider", Layer.RECIPIENT_MTA, Status.PASS)]
    path_layers = [Layer.SES, Layer.DNS, Layer.RECIPIENT_MTA]
    d = diagnose([*relay, *ok], scope=path_layers, path="ses_api", planned=path_layers)
    assert d.unchecked_layers == [Layer.GMAIL_RELAY] and d.exit_code == 0
    assert not d.relay_not_checked() and d.warnings == ()
    asked = diagnose([*relay, *ok], scope=[Layer.SES], path="ses_api", planned=[Layer.SES])
    assert asked.unchecked_layers == [] and asked.exit_code == 0
