"""`creds rotate --gmail-wait` takes a finite number of seconds from 0 to one day: inf, nan,
negative or larger values are a usage error naming the range (exit 2), before anything runs;
the rotation refuses such a bound too."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from checks.config import Profile, save_profile
from checks.creds.rotation import Rotation, RotationError, RotationOptions

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("value", ["inf", "-inf", "nan", "-5", "86401", "1e400", "soon"])
def test_bad_gmail_wait_is_a_usage_error(value: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k in ("PATH", "HOME", "LANG")} | {
        "MAILPATH_CONFIG": str(tmp_path / "config.toml"), "PYTHONPATH": str(REPO)}
    main = "import sys; from tui.cli import main; sys.exit(main(sys.argv[1:]))"
    run = subprocess.run([sys.executable, "-c", main, "creds", "rotate", "x", "--yes",
                          f"--gmail-wait={value}"], capture_output=True, text=True, env=env,
                         timeout=60, cwd=REPO)
    assert run.returncode == 2, run.stdout + run.stderr
    assert "from 0 to 86400" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.parametrize("seconds", [float("inf"), float("nan"), -1.0])
def test_the_rotation_refuses_an_unbounded_wait(seconds: float, tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    save_profile(Profile("p", relay_host="email-smtp.us-east-1.amazonaws.com",
                         relay_user="AKIAEXAMPLE000000000"), config)
    with pytest.raises(RotationError, match="from 0 to 86400"):
        Rotation.start("p", config=config, options=RotationOptions(gmail_poll_seconds=seconds))
