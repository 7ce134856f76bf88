"""Tester's repro 07: a zone with `$GENERATE 1-50000000` hung `mailpath demo` (killed after
60 s at ~620 MB). The lab refuses it at load, at once, naming the zone and the line."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

HOSTILE = '''region = "us-east-1"
[input]
from = "a@b.example"
to = ["c@d.example"]
path = "ses_api"
[expected]
exit_code = 1
[zones]
"b.example" = """
@ SOA ns. h. 1 2 3 4 5
@ NS ns.
$GENERATE 1-50000000 host$ A 192.0.2.1
"""
'''


def test_demo_refuses_a_huge_generate_at_once(tmp_path: Path) -> None:
    path = tmp_path / "07-zone-generate-hang.toml"
    path.write_text(HOSTILE)
    began = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "tui", "demo", "--scenario", str(path), "--headless"],
        capture_output=True, text=True, timeout=60, check=False)
    assert time.monotonic() - began < 30
    assert done.returncode == 2, done.stdout + done.stderr
    assert ("zones.b.example: line 3: $GENERATE 1-50000000 makes 50,000,000 records"
            in done.stderr), done.stderr
