"""`mailpath creds rotate` on a terminal (a real pty), against the lab (real IAM in moto,
real SMTP relay): one Ctrl-C at a question interrupts cleanly (exit 130, the rotation kept
resumable, how to resume said); Ctrl-D (end of input) is a no, with a message, never a
traceback. Keyring: the test-only file backend `tests.canary.CanaryFileKeyring`."""

from __future__ import annotations

import json
import os
import pty
import select
import sys
import time
from pathlib import Path
from typing import Any

from checks.creds.rotation import state_path
from tests.canary import Canaries, assert_no_canary
from tests.integration.test_rotation import PROFILE
from tests.integration.test_rotation_cli_own_login import MAIN, REPO, cli, cli_env, set_profile


def on_pty(env: dict[str, str], args: list[str], key: bytes,
           timeout: float = 60) -> tuple[int, str]:
    """Run `mailpath creds ARGS` on a new pty; type `key` at the first [y/N] question."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its controlling terminal is the pty
        try:
            os.chdir(REPO)
            os.execve(sys.executable, [sys.executable, "-c", MAIN, "creds", *args], env)
        finally:
            os._exit(127)
    out, sent, deadline = b"", False, time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], 0.2)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the child has closed the terminal
            break
        if not chunk:
            break
        out += chunk
        if not sent and b"[y/N]" in out:
            os.write(fd, key)
            sent = True
    else:
        os.kill(pid, 9)
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return os.waitstatus_to_exitcode(status), out.decode(errors="replace")


def _paused_at_gmail(lab: Any, tmp_path: Path) -> dict[str, str]:
    env = cli_env(lab, tmp_path)
    set_profile(lab, env)
    first = cli(env, "rotate", PROFILE, "--yes")
    assert first.returncode == 1 and "--resume" in first.stdout, first.stdout + first.stderr
    return env


def _canaries(lab: Any, tmp_path: Path) -> Canaries:
    state = json.loads(state_path(PROFILE, tmp_path / "config.toml").read_text())
    stored = json.loads((tmp_path / "keyring.json").read_text())
    new = state["new_key_id"]
    return (Canaries.of_lab(lab).add("new IAM secret",
                                     lab.aws.iam.access_keys[new].secret_access_key)
            .add("new SMTP password", stored[f"mailpath/{PROFILE}:relay_password"], new))


def test_one_ctrl_c_at_a_question_interrupts(lab_factory: Any, tmp_path: Path) -> None:
    lab = lab_factory("healthy")
    env = _paused_at_gmail(lab, tmp_path)
    code, out = on_pty(env, ["rotate", PROFILE, "--resume", "--gmail-wait", "0"], b"\x03")
    assert code == 130, out
    assert "Interrupted at “Update Gmail”" in out and "Traceback" not in out
    assert f"Go on later with: mailpath creds rotate {PROFILE} --resume" in out
    assert state_path(PROFILE, tmp_path / "config.toml").exists()
    assert_no_canary(out, canaries=_canaries(lab, tmp_path))


def test_ctrl_d_at_a_question_is_no(lab_factory: Any, tmp_path: Path) -> None:
    lab = lab_factory("healthy")
    env = _paused_at_gmail(lab, tmp_path)
    code, out = on_pty(env, ["rotate", PROFILE, "--resume", "--gmail-wait", "0"], b"\x04")
    assert code == 1, out
    assert "(end of input: taken as no)" in out and "Traceback" not in out
    assert "Paused before Gmail was updated" in out  # the later question: no, unread
    assert state_path(PROFILE, tmp_path / "config.toml").exists()
    assert_no_canary(out, canaries=_canaries(lab, tmp_path))
