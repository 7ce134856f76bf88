"""`mailpath check --bounce FILE` on a bounce larger than the read limit says it was cut,
as `mailpath bounce` does, and starts from the recipients read whole."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from checks.bounce import source
from tui.commands._inputs import _bounce

GROUP = "Final-Recipient: rfc822; u{n}@example.org\nAction: failed\nStatus: 5.1.1\n\n"


def test_a_cut_bounce_is_noted_on_stderr(tmp_path: Path, capsys: pytest.CaptureFixture[str]
                                         ) -> None:
    head = ("From: MAILER-DAEMON@mx.example.net\nSubject: Undelivered Mail\n"
            "Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n")
    groups = []
    size = len(head)
    n = 0
    while size <= source.MAX_BYTES + 1000:
        groups.append(GROUP.format(n=n))
        size += len(groups[-1])
        n += 1
    path = tmp_path / "big.eml"
    path.write_text(head + "".join(groups))
    report = _bounce(str(path), argparse.Namespace())
    err = capsys.readouterr().err
    assert "larger than 4 MB; read only its first 4 MB" in err and "big.eml" in err
    addresses = [r.address for r in report.recipients]  # type: ignore[attr-defined]
    assert addresses and all(a.startswith("u") and a.endswith("@example.org") for a in addresses)
    assert len(addresses) < n
