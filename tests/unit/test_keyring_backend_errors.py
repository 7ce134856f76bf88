"""A keyring backend raising an ordinary exception (not keyring.errors.KeyringError, e.g. a
D-Bus error) is caught at the store boundary: a StoreError naming the backend and the
operation, never the exception's text (this backend puts the password in it), and `creds
set` puts the settings file back as `creds` does for a locked keyring.

`BrokenKeyring` is a small real backend written for these tests; the CLI runs in
subprocesses with PYTHON_KEYRING_BACKEND naming it. No network is needed: every command
stops at the keyring."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import keyring
import keyring.backend
import pytest

from checks.creds.store import StoreError, delete_secret, get_secret, set_secret
from checks.secrets import Secret
from tests.canary import CANARY_PASSWORD, Canaries, assert_no_canary

REPO = Path(__file__).resolve().parents[2]
BACKEND = "tests.unit.test_keyring_backend_errors.BrokenKeyring"


class BrokenKeyring(keyring.backend.KeyringBackend):
    """Test-only backend: every operation fails as an unreachable D-Bus service would, and
    the message carries the password it was given (the worst case)."""

    priority = 1  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError(f"org.freedesktop.DBus.Error.ServiceUnknown {CANARY_PASSWORD}")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError(f"org.freedesktop.DBus.Error.ServiceUnknown secret={password}")

    def delete_password(self, service: str, username: str) -> None:
        raise OSError(f"dbus: ServiceUnknown {CANARY_PASSWORD}")


@pytest.fixture
def broken() -> Iterator[None]:
    before = keyring.get_keyring()
    keyring.set_keyring(BrokenKeyring())
    try:
        yield None
    finally:
        keyring.set_keyring(before)


@pytest.mark.parametrize("operation,verb", [
    (lambda: set_secret("alias", Secret(CANARY_PASSWORD)), "store alias:relay_password"),
    (lambda: get_secret("alias"), "read alias:relay_password"),
    (lambda: delete_secret("alias", "relay_password_previous"),
     "delete alias:relay_password_previous"),
])
def test_any_backend_exception_is_a_store_error(broken: None, operation: object,
                                                verb: str) -> None:
    with pytest.raises(StoreError) as caught:
        operation()  # type: ignore[operator]
    text = str(caught.value)
    assert f"{BACKEND} failed to {verb}" in text
    assert "RuntimeError" in text or "OSError" in text
    assert "DBus" not in text and "ServiceUnknown" not in text
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert_no_canary(caught.value)


def _cli(tmp_path: Path, *args: str, stdin: str = "",
         backend: str = BACKEND) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")} | {
        "MAILPATH_CONFIG": str(tmp_path / "config.toml"), "PYTHONPATH": str(REPO),
        "PYTHON_KEYRING_BACKEND": backend, "MAILPATH_TEST_KEYRING": str(tmp_path / "kr.json"),
        "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
    main = "import sys; from tui.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", main, *args], input=stdin, text=True,
                          capture_output=True, env=env, timeout=60, cwd=REPO)


SET = ("creds", "set", "alias", "--relay-host", "email-smtp.us-east-1.amazonaws.com",
       "--relay-user", "AKIAEXAMPLE000000000", "--region", "us-east-1", "--password-stdin")


def test_cli_commands_say_which_backend_failed(tmp_path: Path) -> None:
    # a profile stored with a working (test file) keyring, then the backend breaks
    ok = _cli(tmp_path, *SET, stdin=CANARY_PASSWORD, backend="tests.canary.CanaryFileKeyring")
    assert ok.returncode == 0, ok.stderr
    outputs = []
    for args in (("creds", "show", "alias"), ("creds", "test", "alias"),
                 ("creds", "delete", "alias"), ("creds", "rotate", "alias", "--yes"),
                 ("check", "--profile-name", "alias")):
        run = _cli(tmp_path, *args)
        assert run.returncode == (3 if "rotate" in args else 2), (args, run.stdout, run.stderr)
        assert "Traceback" not in run.stderr and f"keyring backend {BACKEND}" in run.stderr, \
            (args, run.stderr)
        outputs += [run.stdout, run.stderr]
    assert "alias" in (tmp_path / "config.toml").read_text()  # delete deleted nothing
    assert_no_canary(*outputs, tmp_path / "config.toml", canaries=Canaries.default())


def test_cli_set_rolls_the_profile_back(tmp_path: Path) -> None:
    run = _cli(tmp_path, *SET, stdin=CANARY_PASSWORD)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "Traceback" not in run.stderr
    assert f"{BACKEND} failed to store alias:relay_password" in run.stderr
    config = tmp_path / "config.toml"
    assert not config.exists() or "alias" not in config.read_text()
    assert_no_canary(run.stdout, run.stderr, tmp_path, canaries=Canaries.default())
