"""Reading bounce inputs: odd file names, closed streams, bounded reads, UTF-16, bad paths."""

from __future__ import annotations

import codecs
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from checks.bounce import source
from checks.bounce.signs import is_binary
from tui.cli import main

BOUNCE = "550 5.1.1 <user@example.org>: Recipient address rejected: User unknown\n"
ROOT = Path(__file__).resolve().parents[2]


def _mailpath(*args: str, stdin: int | None = None) -> subprocess.CompletedProcess[bytes]:
    """Run the real command line in a child process."""
    env = dict(os.environ, PYTHONIOENCODING="utf-8", LC_ALL="C.UTF-8")
    return subprocess.run([sys.executable, "-c", _MAIN, *args], cwd=ROOT, env=env,
                          check=False, capture_output=True, stdin=stdin, timeout=120)


def _closed(fd: int, *args: str) -> subprocess.CompletedProcess[bytes]:
    """Run the command line with one standard stream closed (as `<&-`, `>&-`, `2>&-`)."""
    pipes = {n: subprocess.PIPE for n in ("stdin", "stdout", "stderr")}
    del pipes[("stdin", "stdout", "stderr")[fd]]
    return subprocess.run([sys.executable, "-c", _MAIN, *args], cwd=ROOT, check=False,
                          preexec_fn=lambda: os.close(fd), timeout=120, **pipes)


_MAIN = "import sys; from tui.cli import main; sys.exit(main())"


def test_undecodable_file_name_prints_escaped(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    raw = os.fsencode(tmp_path) + b"/bad\xff\xfe.eml"
    Path(os.fsdecode(raw)).write_text(BOUNCE)
    assert main(["bounce", "--json", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    out.encode("utf-8")  # valid UTF-8: no lone surrogates left
    assert json.loads(out)["file"].endswith("bad\\xff\\xfe.eml")
    assert main(["bounce", str(tmp_path)]) == 0
    assert "bad\\xff\\xfe.eml" in capsys.readouterr().out


def test_undecodable_file_name_in_child_process(tmp_path: Path) -> None:
    Path(os.fsdecode(os.fsencode(tmp_path) + b"/x\xff.eml")).write_text(BOUNCE)
    run = _mailpath("bounce", "--json", str(tmp_path))
    assert run.returncode == 0, run.stderr
    doc = json.loads(run.stdout.decode("utf-8"))
    assert doc["file"].endswith("x\\xff.eml") and doc["reason"] == "userunknown"


@pytest.mark.parametrize("args", [
    ("bounce", "-"),
    ("check", "--from", "a@example.com", "--to", "b@example.net", "--bounce", "-",
     "--layers", "dns"),
])
def test_closed_stdin_is_usage_error(args: tuple[str, ...]) -> None:
    run = _closed(0, *args)
    err = run.stderr.decode()
    assert run.returncode == 2 and "Traceback" not in err
    assert err.count("\n") == 1 and "standard input is closed" in err


def test_closed_stdout_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    (tmp_path / "b.txt").write_text(BOUNCE)
    run = _closed(1, "bounce", str(tmp_path / "b.txt"))
    err = run.stderr.decode()
    assert run.returncode == 2 and "Traceback" not in err and "standard output is closed" in err


def test_closed_stderr_keeps_stdout_clean(tmp_path: Path) -> None:
    run = _closed(2, "bounce", str(tmp_path / "missing"))
    assert run.returncode == 2 and run.stdout == b""


def test_check_bounce_refuses_device(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["check", "--from", "a@example.com", "--to", "b@example.net",
                 "--bounce", "/dev/zero", "--layers", "dns"])
    assert code == 2 and "not a regular file" in capsys.readouterr().err


def test_bounded_stream_read() -> None:
    class Endless:
        def read(self, n: int = -1) -> bytes:
            assert n >= 0, "an unbounded read"
            return b"a" * n

    data = source.read_stream(Endless(), 1000)  # type: ignore[arg-type]
    assert data == b"a" * 1000
    assert len(source.read_stream(Endless()) or b"") == source.MAX_BYTES  # type: ignore[arg-type]


def _utf16(text: str) -> bytes:
    return codecs.BOM_UTF16_LE + text.encode("utf-16-le")


def test_utf16_file_is_read_like_utf16_stdin(tmp_path: Path) -> None:
    path = tmp_path / "u16.txt"
    path.write_bytes(_utf16(BOUNCE * 3000))  # longer than the 64 KB binary sample
    by_path = _mailpath("bounce", "--json", str(path))
    by_stdin = _mailpath("bounce", "--json", "-", stdin=os.open(path, os.O_RDONLY))
    assert by_path.returncode == by_stdin.returncode == 0, by_path.stdout
    docs = [json.loads(r.stdout) for r in (by_path, by_stdin)]
    assert docs[0]["reason"] == docs[1]["reason"] == "userunknown"


def test_utf16_cut_mid_character_is_still_text() -> None:
    data = _utf16("550 5.1.1 user unknown \U0001f600")
    assert not is_binary(data[:-1]) and not is_binary(data[:-3])


def test_empty_path_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bounce", ""]) == 2
    assert "empty path" in capsys.readouterr().err


def test_empty_directory_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["bounce", str(tmp_path)]) == 1
    assert f"no files in {tmp_path}" in capsys.readouterr().err


def test_symlink_loop_and_broken_link(tmp_path: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "a").symlink_to(tmp_path / "b")
    (tmp_path / "b").symlink_to(tmp_path / "a")
    (tmp_path / "c").symlink_to(tmp_path / "nowhere")
    assert main(["bounce", str(tmp_path / "a")]) == 2
    assert "symbolic link loop" in capsys.readouterr().err
    assert main(["bounce", str(tmp_path / "c")]) == 2
    assert "broken symbolic link" in capsys.readouterr().err
