"""README's workflow: `mailpath lab` exports its variables, `mailpath check` run with them
gives the scenario's expected verdict, as `mailpath demo` does (tester's finding: a relay
whose scenario password is empty made `check` refuse an empty password file, exit 2)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tui.commands.lab import lab_env, write_password_file

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("scenario", ["relay-no-auth", "seed", "healthy"])
def test_check_with_the_labs_exports_gives_the_expected_exit_code(
        module_lab_factory: Any, scenario: str) -> None:
    lab = module_lab_factory(scenario)
    exported = lab_env(lab, write_password_file(lab))
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep} | exported
    env["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"
    main = "import sys; from tui.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run([sys.executable, "-c", main, "check"], capture_output=True,
                          text=True, env=env, timeout=90, input="", cwd=ROOT)
    assert proc.returncode == lab.scenario.expected.exit_code, proc.stdout + proc.stderr
    if scenario == "relay-no-auth":
        assert "MAILPATH_RELAY_PASSWORD_FILE" not in exported
        assert exported["MAILPATH_RELAY_EMPTY_PASSWORD"] == "1"
        assert "Gmail relay" in proc.stdout
