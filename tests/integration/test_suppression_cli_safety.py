"""`mailpath suppression` against the lab, as a user types it: export replaces FILE only on
success (AWS failing, Ctrl-C midway), Ctrl-D at the remove prompt, honest help and exit codes
(declined, disk full), input checks (domain, address), CSV formula cells."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import select
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

PAT = "pat@recipient.example"
ROOT = Path(__file__).resolve().parents[2]
MAIN = "import sys; from tui.cli import main; sys.exit(main(sys.argv[1:]))"


def _env(lab: Any, **extra: str) -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep} | lab.endpoints.to_env()
    return env | {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"} | extra


def _cli(lab: Any, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", MAIN, "suppression", *args],
                          capture_output=True, text=True, env=_env(lab, **extra), timeout=60,
                          input="", cwd=ROOT)


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".part"))


# --------------------------------------------------------------------------- 1. export FILE


def test_failed_export_keeps_the_file(seed_lab: Any, tmp_path: Path) -> None:
    keep = tmp_path / "keep.csv"
    keep.write_text("precious,data\n")
    keep.chmod(0o640)
    failed = _cli(seed_lab, "export", str(keep), AWS_ENDPOINT_URL="http://127.0.0.1:1")
    assert failed.returncode == 3, failed.stderr
    assert keep.read_text() == "precious,data\n"
    assert _leftovers(tmp_path) == []
    done = _cli(seed_lab, "export", str(keep))  # success replaces it, keeping its mode
    assert done.returncode == 0, done.stderr
    assert f"1 entry written to {keep}" in done.stderr
    assert keep.read_text().splitlines()[1].startswith(PAT)
    assert keep.stat().st_mode & 0o777 == 0o640
    assert _leftovers(tmp_path) == []


def test_new_export_file_gets_the_umask_mode(seed_lab: Any, tmp_path: Path) -> None:
    umask = os.umask(0o022)
    os.umask(umask)
    new = tmp_path / "new.csv"
    assert _cli(seed_lab, "export", str(new)).returncode == 0
    assert new.stat().st_mode & 0o777 == 0o666 & ~umask


def test_export_through_a_symlink_replaces_its_target(seed_lab: Any, tmp_path: Path) -> None:
    real = tmp_path / "real.csv"
    real.write_text("old\n")
    (tmp_path / "link.csv").symlink_to(real)
    assert _cli(seed_lab, "export", str(tmp_path / "link.csv")).returncode == 0
    assert (tmp_path / "link.csv").is_symlink() and PAT in real.read_text()


def test_ctrl_c_midway_keeps_the_file(lab_factory: Any, tmp_path: Path) -> None:
    lab = lab_factory("seed", delay=0.5)
    lab.seed_suppressed(4000)  # five pages, each answered after the delay
    keep = tmp_path / "keep.csv"
    keep.write_text("precious,data\n")
    proc = subprocess.Popen([sys.executable, "-c", MAIN, "suppression", "export", str(keep)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=_env(lab), cwd=ROOT)
    deadline = time.monotonic() + 30
    while not any(p.stat().st_size for p in tmp_path.glob("*.part")):  # the first page is out
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, err
    assert "interrupted" in err and "Traceback" not in err
    assert keep.read_text() == "precious,data\n"
    assert _leftovers(tmp_path) == []


def test_export_to_stdout_and_help_say_how_file_is_written(seed_lab: Any) -> None:
    out = _cli(seed_lab, "export", "-")
    assert out.returncode == 0 and out.stdout.startswith("email,reason")
    text = _cli(seed_lab, "export", "--help").stdout
    assert "replaced without asking, but only once the export has" in text
    assert "refused: export writes CSV only" in text  # --json: what it does, honestly


# --------------------------------------------------------------------------- 2., 4. remove prompt


def _on_a_terminal(lab: Any, keys: bytes, *args: str) -> tuple[int, str, str]:
    """Run with stdin on a pty; type `keys` once the prompt is out (on stdout)."""
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-c", MAIN, "suppression", *args], stdin=slave,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env(lab),
                            cwd=ROOT)
    os.close(slave)
    try:
        assert proc.stdout is not None
        seen = b""
        while b"[y/N]" not in seen:
            ready, _, _ = select.select([proc.stdout], [], [], 30)
            chunk = os.read(proc.stdout.fileno(), 4096) if ready else b""
            assert chunk, (seen, proc.poll())
            seen += chunk
        os.write(master, keys)
        out, err = proc.communicate(timeout=30)
    finally:
        os.close(master)
    return proc.returncode, (seen + out).decode(), err.decode()


@pytest.mark.parametrize(("keys", "said"), [(b"\x04", "taken as no"), (b"n\n", "")])
def test_declining_the_remove_prompt(fresh_seed_lab: Any, keys: bytes, said: str) -> None:
    code, _, err = _on_a_terminal(fresh_seed_lab, keys, "remove", PAT, "x@y.example")
    assert code == 1, err
    assert "Traceback" not in err and "nothing removed" in err and said in err
    assert _cli(fresh_seed_lab, "show", PAT).returncode == 1  # still suppressed


def test_exit_codes_are_in_help(seed_lab: Any) -> None:
    text = _cli(seed_lab, "remove", "--help").stdout
    assert "remove: the question was answered no or Ctrl-D (nothing removed)" in text
    assert "or the output could not be written" in text
    assert "are UTC" in _cli(seed_lab, "list", "--help").stdout


# --------------------------------------------------------------------------- 4. write failures


@pytest.mark.parametrize("argv", [("export", "/dev/full"), ("list",), ("stats",),
                                  ("show", PAT)])
def test_a_full_disk_is_could_not_run(seed_lab: Any, argv: tuple[str, ...]) -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full")
    with Path("/dev/full").open("w") as full:
        proc = subprocess.run([sys.executable, "-c", MAIN, "suppression", *argv], stdout=full,
                              stderr=subprocess.PIPE, text=True, env=_env(seed_lab), timeout=60,
                              cwd=ROOT, check=False)
    assert proc.returncode == 3, proc.stderr
    assert "No space left on device" in proc.stderr and "Traceback" not in proc.stderr
    assert "could not write" in proc.stderr


def test_a_missing_folder_is_a_usage_error(seed_lab: Any, tmp_path: Path) -> None:
    proc = _cli(seed_lab, "export", str(tmp_path / "no" / "x.csv"))
    assert proc.returncode == 2 and "No such file or directory" in proc.stderr


# --------------------------------------------------------------------------- 5. input checks


@pytest.mark.parametrize(("argv", "needle"), [
    (("list", "--domain", ""), "--domain '' is not a host name"),
    (("list", "--domain", "not a domain"), "is not a host name"),
    (("export", "--domain", "a..b"), "is not a host name"),
    (("show", "pat@recipient..example"), "its domain 'recipient..example' is not a host name"),
    (("remove", "--yes", "pat@recipient..example"), "is not an email address"),
    (("show", "a@b@c.example"), "is not an email address"),
])
def test_loose_input_is_refused(seed_lab: Any, argv: tuple[str, ...], needle: str) -> None:
    proc = _cli(seed_lab, *argv)
    assert proc.returncode == 2 and needle in proc.stderr, proc.stderr
    assert not proc.stdout


def test_a_domain_with_at_and_capitals_still_filters(seed_lab: Any) -> None:
    proc = _cli(seed_lab, "list", "--domain", "@Recipient.Example")
    assert proc.returncode == 0 and proc.stdout.startswith(PAT)


def test_dates_without_an_offset_are_utc(seed_lab: Any) -> None:
    # pat's entry was last updated 2026-08-28T15:22:10Z
    assert _cli(seed_lab, "list", "--since", "2026-08-28T15:22").stdout.startswith(PAT)
    assert not _cli(seed_lab, "list", "--since", "2026-08-28T15:23").stdout
    assert _cli(seed_lab, "list", "--since", "2026-08-28T17:22+02:00").stdout.startswith(PAT)


# --------------------------------------------------------------------------- 6. CSV formulas

FORMULAS = ("=1+2@x.example", "+cmd@x.example", "-2+3@x.example", "@sum@x.example")


def test_csv_cells_never_run_as_formulas(fresh_seed_lab: Any) -> None:
    ses = fresh_seed_lab.boto3_client("sesv2", "us-east-1")
    for address in FORMULAS:
        ses.put_suppressed_destination(EmailAddress=address, Reason="BOUNCE")
    exported = _cli(fresh_seed_lab, "export")
    assert exported.returncode == 0, exported.stderr
    emails = {row["email"] for row in csv.DictReader(io.StringIO(exported.stdout))}
    assert emails == {PAT, *("'" + a for a in FORMULAS)}
    # JSON and text keep the addresses as they are
    listed = _cli(fresh_seed_lab, "list", "--json").stdout.splitlines()
    assert {json.loads(line)["email"] for line in listed} == {PAT, *FORMULAS}
    text = _cli(fresh_seed_lab, "list").stdout
    assert {line.split("\t")[0] for line in text.splitlines()} == {PAT, *FORMULAS}
    shown = _cli(fresh_seed_lab, "show", "--json", FORMULAS[0]).stdout
    assert json.loads(shown)["entry"]["email"] == FORMULAS[0]
    assert "leading ' so that" in _cli(fresh_seed_lab, "export", "--help").stdout
