"""Malformed scenario files (tester's findings): one line naming the file and the field,
exit 2, never a traceback; for `demo --headless` and `lab` alike."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from checks.lab.scenario import SCENARIO_DIR, ScenarioError, parse_scenario

MAILPATH = [sys.executable, "-m", "tui"]
SEED = (SCENARIO_DIR / "seed.toml").read_text(encoding="utf-8")
MTA = '[[mta]]\nhost = "recipient-example.mail.protection.outlook.com"\nport = 25\n'
assert MTA in SEED

VARIANTS: dict[str, tuple[bytes, str]] = {
    "empty zone name": (SEED.replace("[zones]\n", '[zones]\n"" = """\n$ORIGIN x.example.\n'
                                     '@ SOA ns1.x.example. h.x.example. 1 3600 600 1209600 300'
                                     '\n"""\n', 1).encode(),
                        'mine.toml: zones."": a zone needs a name'),
    "deep nesting": ((SEED + "\nx = " + "[" * 10_000 + "]" * 10_000 + "\n").encode(),
                     "mine.toml: arrays or tables nested too deeply"),
    "not utf-8": (SEED.encode()[:100] + b"\xff\xfe" + SEED.encode()[100:],
                  "mine.toml': not UTF-8 text at byte 100"),
    "mta port 0": (SEED.replace(MTA, MTA.replace("port = 25", "port = 0")).encode(),
                   "mine.toml: mta[0].port: 0 is not a TCP port (1-65535)"),
    "mta port 70000": (SEED.replace(MTA, MTA.replace("port = 25", "port = 70000")).encode(),
                       "mine.toml: mta[0].port: 70000 is not a TCP port (1-65535)"),
    "mta empty host": (SEED.replace(MTA, MTA.replace(
        '"recipient-example.mail.protection.outlook.com"', '""')).encode(),
        "mine.toml: mta[0].host: '' is not a host name"),
    "mta bad host": (SEED.replace(MTA, MTA.replace(
        '"recipient-example.mail.protection.outlook.com"', '"a b..c"')).encode(),
        "mine.toml: mta[0].host: 'a b..c' is not a host name"),
}


def _env() -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR", "VIRTUAL_ENV"}
    return {k: v for k, v in os.environ.items() if k in keep}


@pytest.mark.parametrize("command", [("demo", "--headless"), ("lab",)])
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_malformed_scenario_is_one_line_exit_2(tmp_path: Path, command: tuple[str, ...],
                                               variant: str) -> None:
    data, needle = VARIANTS[variant]
    path = tmp_path / "mine.toml"
    path.write_bytes(data)
    proc = subprocess.run([*MAILPATH, *command, "--scenario", str(path)], capture_output=True,
                          text=True, timeout=60, env=_env(), stdin=subprocess.DEVNULL)
    assert proc.returncode == 2, proc.stderr
    assert needle in proc.stderr and "Traceback" not in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1 and proc.stdout == ""


@pytest.mark.parametrize("name", [".", " ", "a..b"])
def test_other_unusable_zone_names_are_refused(name: str) -> None:
    with pytest.raises(ScenarioError, match=r"zones\."):
        parse_scenario(SEED.replace("[zones]\n", f'[zones]\n"{name}" = "x"\n', 1))


def test_the_shipped_mtas_still_load() -> None:
    mta = parse_scenario(SEED).mtas[0]
    assert mta.host == "recipient-example.mail.protection.outlook.com" and mta.port == 25
