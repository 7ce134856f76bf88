"""A real Secret Service: gnome-keyring inside a private dbus-run-session (never the user's
keyring). Skipped with the reason when the binaries are absent; `.ci/run` installs them
(apt: gnome-keyring dbus dbus-bin libsecret-tools)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

NEEDED = ("dbus-run-session", "gnome-keyring-daemon")
MISSING = [b for b in NEEDED if shutil.which(b) is None]
pytestmark = pytest.mark.skipif(
    bool(MISSING), reason=f"no {', '.join(MISSING)} (apt-get install gnome-keyring dbus dbus-bin)")

CANARY = "CANARY-secret-service-5e1d"
SCRIPT = f"""
from checks.creds.store import StoreError, get_secret, set_secret, delete_secret
from checks.secrets import Secret
try:
    set_secret("alias", Secret("{CANARY}"))
    assert get_secret("alias").reveal() == "{CANARY}"
    assert delete_secret("alias")
    print("STORED-OK")
except StoreError as exc:
    print("STORE-ERROR", exc)
"""


def _run(tmp_path: Path, unlock: bool) -> subprocess.CompletedProcess[str]:
    daemon = "printf pw | gnome-keyring-daemon --unlock --components=secrets" if unlock \
        else "gnome-keyring-daemon --start --components=secrets"
    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "HOME": str(tmp_path), "XDG_RUNTIME_DIR": str(runtime),
           "PYTHON_KEYRING_BACKEND": "keyring.backends.SecretService.Keyring"}
    command = f"{daemon} >/dev/null 2>&1; exec {sys.executable} -c '{SCRIPT}'"
    return subprocess.run(["dbus-run-session", "--", "sh", "-c", command], env=env,
                          capture_output=True, text=True, timeout=60)


def test_unlocked_keyring_round_trip(tmp_path: Path) -> None:
    result = _run(tmp_path, unlock=True)
    assert "STORED-OK" in result.stdout, result.stdout + result.stderr
    assert CANARY not in result.stdout + result.stderr


def test_locked_keyring_says_what_to_do(tmp_path: Path) -> None:
    result = _run(tmp_path, unlock=False)
    assert "STORE-ERROR" in result.stdout, result.stdout + result.stderr
    assert "unlock" in result.stdout.lower()  # the flag hint is added by each command
    assert "Traceback" not in result.stderr and CANARY not in result.stdout + result.stderr
