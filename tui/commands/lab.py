"""`mailpath lab`: start the local lab and print its endpoints as shell `export` lines.

The relay password is never printed: it goes to a 0600 file in the lab's temporary
directory (MAILPATH_RELAY_PASSWORD_FILE), deleted when the lab stops.
"""

from __future__ import annotations

import argparse
import math
import os
import shlex
import signal
import sys
import time
from pathlib import Path
from typing import Any


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "lab",
        help="run the local lab until Ctrl-C and print its endpoints",
        description="Start local stand-ins for AWS, DNS, SMTP and HTTPS on loopback and print "
        "their endpoints as shell export lines (eval them in another shell). Ctrl-C stops it.",
    )
    p.add_argument("--scenario", default="seed", metavar="NAME|PATH",
                   help="a built-in scenario name or a scenario .toml file (default: seed)")
    p.add_argument("--delay", type=float, default=None, metavar="SECONDS",
                   help="added latency per round trip on every lab server")
    p.set_defaults(func=run)


def lab_env(lab: Any, password_file: Path | None) -> dict[str, str]:
    """Every variable `mailpath lab` exports (no secret values, only a file path)."""
    env = dict(lab.endpoints.to_env())
    env["MAILPATH_FROM"] = lab.scenario.sender
    env["MAILPATH_TO"] = ",".join(lab.scenario.recipients)
    if lab.relay is not None:
        env.update(MAILPATH_RELAY_HOST=lab.relay.host, MAILPATH_RELAY_PORT=str(lab.relay.port),
                   MAILPATH_RELAY_TLS=lab.relay.tls, MAILPATH_RELAY_USER=lab.relay.username)
    if password_file is not None:
        env["MAILPATH_RELAY_PASSWORD_FILE"] = str(password_file)
    elif lab.relay is not None and lab.relay.password is not None:
        env["MAILPATH_RELAY_EMPTY_PASSWORD"] = "1"  # the scenario's relay login has none
    return env


def write_password_file(lab: Any) -> Path | None:
    """The relay password in a file only the user can read, inside the lab's temp dir."""
    if lab.relay is None or lab.relay.password is None or not lab.relay.password.reveal():
        return None
    path = Path(lab.directory) / "relay-password"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(lab.relay.password.reveal())
    return path


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def run(args: argparse.Namespace) -> int:
    from tui.cli import UsageError

    try:
        from checks.lab import ScenarioError, load_scenario, start_lab
    except ImportError as exc:
        raise UsageError(
            f"the lab needs extra packages ({exc.name}): pip install -e '.[lab]'"
        ) from None
    from checks.lab.scenario import MAX_DELAY

    if args.delay is not None and not (math.isfinite(args.delay) and 0 <= args.delay <= MAX_DELAY):
        raise UsageError(f"--delay must be a number of seconds from 0 to {MAX_DELAY:g}, "
                         f"not {args.delay}")
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        raise UsageError(str(exc)) from None
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        with start_lab(scenario, delay=args.delay) as lab:
            env = lab_env(lab, write_password_file(lab))
            print(f"# mailpath lab: scenario {scenario.name} (Ctrl-C to stop)")
            print("\n".join(f"export {k}={shlex.quote(v)}" for k, v in env.items()), flush=True)
            while True:
                time.sleep(3600)
    except ScenarioError as exc:  # e.g. a scenario file's own delay = nan
        raise UsageError(str(exc)) from None
    except KeyboardInterrupt:
        print("# mailpath lab: stopped", file=sys.stderr)
    return 0
