"""The shared bounded bounce reader (checks/bounce/source.py) the TUI intake and
`mailpath bounce` both use: a cut input says so, and a recipient cut at the limit is dropped."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from checks.bounce import source

HEAD = (b"From: MAILER-DAEMON@mx.example\nTo: admin@sender.example\n"
        b"Subject: Delivery Status Notification (Failure)\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        b"--B\nContent-Type: text/plain\n\nDelivery failed.\n\n"
        b"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example\n\n")


def _dsn(recipients: int) -> bytes:
    groups = (b"Final-Recipient: rfc822; user%06d@recipient.example\nAction: failed\n"
              b"Status: 5.1.1\nDiagnostic-Code: smtp; 550 5.1.1 user unknown\n\n" % i
              for i in range(recipients))
    return HEAD + b"".join(groups) + b"--B--\n"


def test_a_read_cut_at_the_limit_is_flagged_and_ends_at_a_whole_group() -> None:
    data = _dsn(200)
    whole = source.read_stream(io.BytesIO(data), len(data))
    assert whole is not None and not whole.truncated and whole == data
    cut = source.read_stream(io.BytesIO(data), 5000)
    assert cut is not None and cut.truncated and cut.limit == 5000
    assert len(cut) <= 5000 and data.startswith(cut) and cut.endswith(b"\n\n")


def test_mailpath_bounce_notes_the_cut_and_drops_the_half_read_recipient(tmp_path: Path) -> None:
    """100,000 Final-Recipient groups (13 MB): a note on stderr names the file and the limit;
    every recipient listed is whole (was: the last one cut and wrong, no word of it)."""
    path = tmp_path / "big.eml"
    path.write_bytes(_dsn(100_000))
    run = subprocess.run([sys.executable, "-m", "tui", "bounce", "--json", str(path)],
                         capture_output=True, text=True, timeout=300, check=False)
    assert run.returncode == 0, run.stderr
    assert f"mailpath: {path}: larger than 4 MB" in run.stderr
    recipients = json.loads(run.stdout)["recipients"]
    assert 1000 < len(recipients) < 100_000
    for n, r in enumerate(recipients):
        assert r["address"] == f"user{n:06d}@recipient.example" and r["status"] == "5.1.1"
        assert r["diagnostic"] == "550 5.1.1 user unknown"
