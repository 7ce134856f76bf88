"""A check that runs out of the configured time says so, naming the value and `--timeout`,
instead of reading as if the servers were at fault: the runner's per-check limit, and an
AWS request whose connect/read timeout a short --timeout made short. Real processes
against a lab whose servers answer slowly (`delay`)."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

from checks.context import Context, Inputs
from checks.endpoints import Endpoints
from checks.model import Layer, Outcome, Status
from checks.registry import Check, Deps
from checks.runner import collect
from tests.canary import Canaries, assert_no_canary
from tui.commands.lab import lab_env, write_password_file

ROOT = Path(__file__).resolve().parents[2]


def _check(lab: Any, *args: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    env = ({k: v for k, v in os.environ.items() if k in keep}
           | lab_env(lab, write_password_file(lab)))
    main = "import sys; from tui.cli import main; sys.exit(main(sys.argv[1:]))"
    proc = subprocess.run([sys.executable, "-c", main, "check", "--json", *args],
                          capture_output=True, text=True, env=env, timeout=90, input="",
                          cwd=ROOT)
    assert "Traceback" not in proc.stderr, proc.stderr
    assert_no_canary(proc.stdout, proc.stderr, canaries=Canaries.of_lab(lab))
    return proc, {r["id"]: r for r in json.loads(proc.stdout)["results"]}


def test_the_check_limit_names_the_value_and_the_flag(lab_factory: Any) -> None:
    proc, results = _check(lab_factory("seed", delay=0.5), "--timeout", "0.3")
    assert proc.returncode == 3, proc.stderr  # nothing could be checked in time: no fault
    stopped = {cid: r for cid, r in results.items()
               if r["summary"].startswith("Could not check: no answer within")}
    assert {"ses.account.sending", "gmail_relay.smtp.connect"} <= set(stopped), results
    for r in stopped.values():
        assert r["status"] == "error"
        assert r["summary"] == ("Could not check: no answer within 0.3 s, the time limit "
                                "per check (--timeout)")
        assert "configured time (0.3 s per check, set with --timeout" in r["explanation"]
        assert "run again with a larger --timeout" in r["explanation"]


def test_an_aws_request_cut_short_by_the_timeout_says_so(lab_factory: Any) -> None:
    # --timeout 3 gives each AWS request 1.5 s; the lab answers after 2 s
    proc, results = _check(lab_factory("seed", delay=2.0), "--timeout", "3")
    assert proc.returncode in (1, 3), proc.stderr  # (the relay probe may report a fault)
    for cid, action in (("ses.account.sending", "ses:GetAccount"),
                        ("ses.suppression.recipient", "ses:GetSuppressedDestination")):
        r = results[cid]
        assert r["status"] == "error"
        assert re.fullmatch(rf"{action} could not be called: no answer from the AWS endpoint "
                            r"within 1\.5 s \((connect|read) timeout set from --timeout 3\)",
                            r["summary"]), r["summary"]
        assert "run again with a larger --timeout" in r["explanation"]


def _slow_check(timeout: float | None) -> Check:
    async def fn(ctx: Context, deps: Deps) -> Outcome:
        await asyncio.sleep(5)
        return Outcome(Status.PASS, "never")

    return Check("test.slow", Layer.DNS, "slow", fn, timeout=timeout)


def test_a_check_of_its_own_limit_does_not_blame_the_flag() -> None:
    ctx = Context(endpoints=Endpoints(timeout=0.2), inputs=Inputs(sender="a@b.example"))
    configured, own = (asyncio.run(collect([_slow_check(t)], ctx))[0] for t in (None, 0.1))
    assert configured.outcome.summary.endswith("0.2 s, the time limit per check (--timeout)")
    assert own.outcome.summary == "Could not check: no answer within 0.1 s"
    assert "--timeout" not in own.outcome.explanation
