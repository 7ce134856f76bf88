"""The command line as a user runs it: real processes against the real lab."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

MAILPATH = [sys.executable, "-m", "tui"]
SEED_ROOTS = {("gmail_relay", "gmail_relay.ses.key_state"), ("ses", "ses.suppression.recipient")}


def _run(*args: str, env: dict[str, str] | None = None, timeout: float = 60):
    return subprocess.run([*MAILPATH, *args], capture_output=True, text=True, timeout=timeout,
                          env=env or _clean_env())


def _clean_env() -> dict[str, str]:
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "PYTHONPATH", "TMPDIR", "VIRTUAL_ENV"}
    return {k: v for k, v in os.environ.items() if k in keep}


def _roots(payload: dict) -> set[tuple[str, str]]:
    return {(c["layer"], c["check"]) for c in payload["diagnosis"]["root_causes"]}


def test_demo_headless_reports_the_two_seed_root_causes():
    proc = _run("demo", "--headless")
    assert proc.returncode == 1, proc.stderr
    assert proc.stdout.startswith("2 root causes: Gmail relay, Amazon SES")
    assert "Traceback" not in proc.stderr


def test_demo_json_has_the_contract_shape_and_healthy_layers():
    proc = _run("demo", "--headless", "--json")
    assert proc.returncode == 1, proc.stderr
    payload = json.loads(proc.stdout)
    assert _roots(payload) == SEED_ROOTS
    assert set(payload["diagnosis"]["healthy_layers"]) == {"dns", "recipient_mta"}
    consequences = {c["check"] for c in payload["diagnosis"]["consequences"]}
    assert "gmail_relay.smtp.auth" in consequences
    for row in payload["results"]:
        assert {"id", "layer", "status", "summary", "explanation", "evidence", "fix",
                "duration_ms"} <= set(row)


def test_lab_in_one_process_and_check_in_another_agree(tmp_path: Path):
    lab = subprocess.Popen([*MAILPATH, "lab"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=_clean_env())
    try:
        env = _clean_env() | _read_exports(lab)
        proc = _run("check", "--json", env=env)
        assert proc.returncode == 1, proc.stderr
        assert _roots(json.loads(proc.stdout)) == SEED_ROOTS
    finally:
        lab.send_signal(signal.SIGINT)
        assert lab.wait(timeout=20) == 0
    assert not Path(env["MAILPATH_RELAY_PASSWORD_FILE"]).exists(), "lab left its secret behind"


def _read_exports(proc: subprocess.Popen) -> dict[str, str]:
    """Read `export K=V` lines until the lab says it is ready (a blank or non-export line)."""
    env: dict[str, str] = {}
    deadline = time.monotonic() + 30
    assert proc.stdout is not None
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        line = line.strip()
        if line.startswith("export "):
            key, _, value = line[len("export "):].partition("=")
            env[key] = value.strip("'\"")
        elif env:
            break
        if "MAILPATH_RELAY_PASSWORD_FILE" in env and "MAILPATH_TO" in env:
            break
    assert "AWS_ENDPOINT_URL" in env, f"lab printed no endpoints: {env}"
    return env


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("demo", "--headless", "--scenario", "no-such-scenario"), "no-such-scenario"),
        (("check", "--from", "not-an-address", "--to", "a@b.example"), "not an email address"),
        (("check", "--to", "a@b.example"), "--from"),
        (("check", "--from", "a@b.example", "--layers", "smtp"), "unknown layer"),
        (("check", "--from", "a@b.example", "--to", ""), "--to was given an empty value"),
        (("check", "--from", "a@b.example", "--to", "c@d.example", "--timeout", "-1"),
         "--timeout must be"),
        (("check", "--from", "a@b.example", "--to", "c@d.example", "--timeout", "nan"),
         "--timeout must be"),
        (("check", "--from", "a@b.example"), "--to ADDR is required"),
        (("check", "--from", "a@b.example", "--to", "c@d.example", "--dkim-selector", "a b/x"),
         "is not a DNS name"),
        (("check", "--from", "a@b.example", "--to", "c@d.example", "--bounce", "-",
          "--relay-host", "email-smtp.us-east-1.amazonaws.com", "--relay-user", "AKIAEXAMPLE",
          "--relay-password-stdin"), "cannot both read standard input"),
        (("demo",), "no terminal for the TUI"),
    ],
)
def test_bad_input_gets_one_clear_line_and_exit_2(args, needle):
    proc = _run(*args)
    assert proc.returncode == 2
    assert needle in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1


def test_malformed_scenario_file_is_named(tmp_path: Path):
    bad = tmp_path / "broken.toml"
    bad.write_text("name = 'x'\n[input\nfrom = 1\n")
    proc = _run("demo", "--headless", "--scenario", str(bad))
    assert proc.returncode == 2 and "broken.toml" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_unreachable_endpoints_and_no_credentials_mean_could_not_check():
    """AWS endpoint on a closed port, no AWS credentials, DNS server that is not there."""
    env = _clean_env() | {
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
        "AWS_CONFIG_FILE": "/nonexistent",
        "MAILPATH_NAMESERVER": "127.0.0.1:9",
    }
    proc = _run("check", "--from", "admin@sender.example", "--to", "pat@recipient.example",
                "--layers", "ses,dns", "--timeout", "3", "--json", env=env)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    assert "Traceback" not in proc.stderr
    payload = json.loads(proc.stdout)
    errors = [r for r in payload["results"] if r["status"] == "error"]
    assert errors and all(r["summary"] for r in errors)


GMAIL_RELAY_BOUNCE = """From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
To: admin@sender.example
Subject: Delivery Status Notification (Failure)

Your message to lee@recipient.example was not sent. The SMTP server settings for the 'Send
mail as' address admin@sender.example (email-smtp.us-east-1.amazonaws.com, port 587, TLS) are
misconfigured or out of date. Update them under Settings > Accounts and Import.
The response from the remote server was:
535 Authentication Credentials Invalid
"""


def test_check_from_a_bounce_starts_at_its_layer_and_shows_it(tmp_path: Path):
    bounce = tmp_path / "gmail-bounce.eml"
    bounce.write_text(GMAIL_RELAY_BOUNCE)
    lab = subprocess.Popen([*MAILPATH, "lab"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           text=True, env=_clean_env())
    try:
        env = _clean_env() | _read_exports(lab)
        proc = _run("check", "--bounce", str(bounce), "--json", env=env)
        text = _run("check", "--bounce", str(bounce), env=env)
    finally:
        lab.send_signal(signal.SIGINT)
        lab.wait(timeout=20)
    assert proc.returncode == 1, proc.stderr
    payload = json.loads(proc.stdout)
    assert payload["bounce"]["layer"] == "gmail_relay"
    assert payload["results"][0]["layer"] == "gmail_relay"
    assert _roots(payload) == SEED_ROOTS
    assert "Started from bounce" in text.stdout and "535" in text.stdout


@pytest.mark.parametrize(("content", "needle"), [(b"\xbe\xff", "not UTF-8"), (b"", "is empty")])
def test_a_bad_relay_password_file_is_a_usage_error(tmp_path: Path, content: bytes, needle: str):
    pw = tmp_path / "pw"
    pw.write_bytes(content)
    env = _clean_env() | {"MAILPATH_RELAY_HOST": "email-smtp.us-east-1.amazonaws.com",
                          "MAILPATH_RELAY_USER": "AKIAEXAMPLE",
                          "MAILPATH_RELAY_PASSWORD_FILE": str(pw)}
    proc = _run("check", "--from", "a@b.example", "--to", "c@d.example", env=env)
    assert proc.returncode == 2 and needle in proc.stderr and "Traceback" not in proc.stderr


def test_version_and_a_closed_pipe_and_a_full_disk():
    assert _run("--version").stdout.startswith("mailpath ")
    with open("/dev/full", "w") as disk_full:
        full = subprocess.run([*MAILPATH, "demo", "--headless"], stdout=disk_full,
                              stderr=subprocess.PIPE, text=True, env=_clean_env(), timeout=60)
    assert full.returncode == 2 and "cannot write the output" in full.stderr
    assert "Traceback" not in full.stderr
