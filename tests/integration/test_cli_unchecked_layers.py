"""A layer whose checks were all skipped is not checked, never healthy (tester's finding):
`mailpath check` against the real lab without the relay settings."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

import pytest

MAILPATH = [sys.executable, "-m", "tui"]
ADDRESSES = ("--from", "admin@sender.example", "--to", "pat@recipient.example")


@pytest.fixture(scope="module")
def env(seed_lab: Any) -> dict[str, str]:
    """The lab's endpoints as `mailpath lab` exports them, but no MAILPATH_RELAY_*."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR", "VIRTUAL_ENV"}
    base = {k: v for k, v in os.environ.items() if k in keep}
    lab_env = {k: v for k, v in seed_lab.endpoints.to_env().items()
               if not k.startswith("MAILPATH_RELAY_")}
    return base | lab_env | {"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"}


def _check(env: dict[str, str], *flags: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*MAILPATH, "check", *ADDRESSES, *flags], capture_output=True,
                          text=True, env=env, timeout=120)


def test_only_the_relay_layer_and_no_relay_is_exit_3_and_not_checked(env: dict[str, str]):
    proc = _check(env, "--layers", "gmail_relay", "--json")
    assert proc.returncode == 3, proc.stderr
    d = json.loads(proc.stdout)["diagnosis"]
    assert d["healthy_layers"] == [] and d["unchecked_layers"] == ["gmail_relay"]
    assert d["not_checked"][0]["reason"] == "No relay settings given"
    assert d["headline"] == "Nothing checked (Gmail relay: no relay settings given)"
    text = _check(env, "--layers", "gmail_relay")
    assert text.returncode == 3
    assert "No faults found" not in text.stdout
    assert ("Gmail relay: not checked — no relay settings given "
            "(use --relay-host … or --profile-name)") in text.stdout


def test_a_requested_layer_left_unchecked_is_exit_3_even_when_another_passes(env):
    proc = _check(env, "--layers", "gmail_relay,dns", "--json")
    d = json.loads(proc.stdout)["diagnosis"]
    assert d["unchecked_layers"] == ["gmail_relay"] and "gmail_relay" not in d["healthy_layers"]
    assert proc.returncode == 3 and d["root_causes"] == []


@pytest.mark.parametrize("path", ["gmail_send_as", "ses_smtp"])
def test_a_relay_path_without_relay_settings_warns(env: dict[str, str], path: str):
    proc = _check(env, "--path", path, "--json")
    d = json.loads(proc.stdout)["diagnosis"]
    assert "gmail_relay" not in d["healthy_layers"] and d["unchecked_layers"] == ["gmail_relay"]
    assert ("gmail_relay", "gmail_relay.smtp.connect") in {
        (w["layer"], w["check"]) for w in d["warnings"]}
    assert d["not_checked"][0]["warning"] is True
    assert proc.returncode == 1  # the seed's suppressed recipient is still found (faults win)
    text = _check(env, "--path", path)
    assert "Warning: Gmail relay: not checked — no relay settings given" in text.stdout
    assert f"on the path {path}" in text.stdout


def test_ses_api_without_relay_lists_the_relay_as_not_checked_without_a_warning(
        env: dict[str, str]):
    """Off the path, the relay's checks ran only as skipped explainers: the layer is never
    healthy, it is listed as not checked (README), but no warning: ses_api does not send
    through it."""
    result = _check(env, "--json")
    d = json.loads(result.stdout)["diagnosis"]
    assert d["unchecked_layers"] == ["gmail_relay"]
    assert d["not_checked"][0]["warning"] is False
    assert "gmail_relay" not in d["healthy_layers"]
    assert d["root_causes"] and all(c["layer"] != "gmail_relay" for c in d["root_causes"])


@pytest.mark.parametrize(("scenario", "healthy"), [
    ("seed", ["dns", "recipient_mta"]),
    ("healthy", ["gmail_relay", "ses", "dns", "recipient_mta"]),
])
def test_seed_and_healthy_are_unchanged(module_lab_factory: Any, scenario: str,
                                        healthy: list[str]) -> None:
    import asyncio

    from checks.context import Context
    from checks.session import run_diagnosis

    lab = module_lab_factory(scenario)
    d = asyncio.run(run_diagnosis(Context(endpoints=lab.endpoints, inputs=lab.inputs)))
    assert [layer.value for layer in d.healthy_layers] == healthy
    assert d.unchecked_layers == [] and "not checked" not in d.headline()
    assert d.exit_code == lab.scenario.expected.exit_code
