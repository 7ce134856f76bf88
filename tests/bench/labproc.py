"""A lab in its own process (`mailpath lab`), as the real servers would be: its CPU work
(moto, TLS, aiosmtpd) does not compete with the diagnosis for this process's GIL."""

from __future__ import annotations

import contextlib
import dataclasses
import subprocess
import sys
import time
from collections.abc import Iterator

from checks.context import Context, Inputs
from checks.endpoints import Endpoints

_READY_KEY = "MAILPATH_TO"


def _read_exports(proc: subprocess.Popen[str], need: str, timeout: float = 30) -> dict[str, str]:
    env: dict[str, str] = {}
    deadline = time.monotonic() + timeout
    assert proc.stdout is not None
    while time.monotonic() < deadline and need not in env:
        line = proc.stdout.readline()
        if not line:
            raise RuntimeError("the lab process ended before printing its endpoints")
        if line.startswith("export "):
            key, _, value = line[len("export "):].strip().partition("=")
            env[key] = value.strip("'\"")
    return env


@contextlib.contextmanager
def lab_process(scenario: str = "seed", delay: float = 0.0) -> Iterator[dict[str, str]]:
    """Start `mailpath lab`; yields its exported variables; stops it after."""
    argv = [sys.executable, "-m", "tui", "lab", "--scenario", scenario, "--delay", str(delay)]
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        env = _read_exports(proc, "MAILPATH_RELAY_PASSWORD_FILE")
        yield env
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def context_of(env: dict[str, str]) -> Context:
    """What `mailpath check` would build from the lab's exports."""
    from tui.commands._inputs import relay_from_env

    endpoints = dataclasses.replace(
        Endpoints.from_env(env), timeout=10.0,
        aws_static_credentials=(env["AWS_ACCESS_KEY_ID"], env["AWS_SECRET_ACCESS_KEY"]))
    recipients = tuple(env[_READY_KEY].split(","))
    inputs = Inputs(sender=env["MAILPATH_FROM"], recipients=recipients,
                    relay=relay_from_env(env), path="gmail_send_as")
    return Context(endpoints=endpoints, inputs=inputs)
