"""The user's own environment must not break the local lab or the settings path: a real
AWS_PROFILE never reaches the lab's stand-ins, and an unexpandable MAILPATH_CONFIG is one
usage line, not a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

MAILPATH = str(Path(sys.executable).with_name("mailpath"))


def _run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([MAILPATH, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, **env}, stdin=subprocess.DEVNULL)


def test_demo_ignores_a_real_aws_profile() -> None:
    res = _run("demo", "--headless", AWS_PROFILE="no-such-profile-here")
    assert res.returncode == 1, res.stderr
    assert "2 root causes: Gmail relay, Amazon SES" in res.stdout
    assert "Traceback" not in res.stderr


def test_unexpandable_config_path_is_a_usage_error() -> None:
    res = _run("creds", "show", "p1", MAILPATH_CONFIG="~no-such-user-here/x.toml")
    assert res.returncode == 2
    assert res.stderr.strip() == ("mailpath: MAILPATH_CONFIG='~no-such-user-here/x.toml': "
                                  "cannot expand '~' (no such user or home directory)")
