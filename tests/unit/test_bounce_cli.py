"""`mailpath bounce`: files, directories, stdin, JSON lines and exit codes (run in-process)."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pytest

from tui.cli import main

BOUNCE = "550 5.1.1 <user@example.org>: Recipient address rejected: User unknown\n"


def test_json_line_per_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a.txt").write_text(BOUNCE)
    (tmp_path / "b.txt").write_text(BOUNCE)
    assert main(["bounce", "--json", str(tmp_path)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    doc = json.loads(lines[0])
    assert set(doc) >= {"file", "kind", "reporter", "reason", "status", "replycode", "layer",
                        "recipients"}
    assert set(doc["recipients"][0]) == {"address", "action", "status", "replycode",
                                         "diagnostic", "remote_mta", "reason", "hard", "layer",
                                         "confidence", "entry"}
    assert (doc["reason"], doc["layer"]) == ("userunknown", "recipient_mta")


def test_stdin(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(BOUNCE.encode())))
    assert main(["bounce", "-"]) == 0
    out = capsys.readouterr().out
    assert "userunknown" in out and "Recipient MTA" in out


def test_missing_file_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bounce", "/no/such/file.eml"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no such file" in err


def test_unparseable_input_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "x.json").write_text('{"not": "ses"}')
    assert main(["bounce", "--json", str(tmp_path / "x.json")]) == 1
    assert "error" in json.loads(capsys.readouterr().out)


def test_command_does_not_import_textual() -> None:
    import subprocess

    code = ("import sys, tui.commands.bounce, checks.bounce; "
            "sys.exit(1 if 'textual' in sys.modules else 0)")
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0
