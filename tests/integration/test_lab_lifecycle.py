"""The lab as a whole: start and stop, endpoints, HTTPS, DNS, the async form, `mailpath lab`."""

from __future__ import annotations

import gc
import logging
import os
import signal
import socket
import ssl
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import dns.rdatatype
import httpx
import pytest

from checks.lab import ScenarioError, open_lab, start_lab
from checks.lab.scenario import SCENARIO_DIR
from checks.secrets import Secret

POLICY_HOST = "mta-sts.recipient.example"
MTA = "recipient-example.mail.protection.outlook.com"


def test_start_and_stop_leaves_nothing_behind() -> None:
    """Start-up time is measured in tests/bench, not asserted here."""
    with start_lab("seed") as lab:
        directory = lab.directory
        assert directory.is_dir()
    assert not directory.exists()


def test_bad_scenario_raises_before_starting() -> None:
    with pytest.raises(ScenarioError, match="unknown scenario"), start_lab("no-such-scenario"):
        pass


def test_endpoints_shape(seed_lab: Any) -> None:
    ep = seed_lab.endpoints
    assert ep.aws_endpoint_url.startswith("http://127.0.0.1:")
    assert ep.aws_region == "us-east-1" and ep.aws_static_credentials == ("testing", "testing")
    assert ep.nameservers and ep.nameservers[0][0] == "127.0.0.1"
    for port in (587, 2587, 25, 465, 2465):
        assert ep.smtp_address("email-smtp.us-east-1.amazonaws.com", port)[0] == "127.0.0.1"
    assert ep.smtp_address("recipient-example.mail.protection.outlook.com", 25)[0] == "127.0.0.1"
    assert ep.https_url(POLICY_HOST, "/x").startswith("https://127.0.0.1:")
    assert ep.ca_file and Path(ep.ca_file).is_file()


def test_inputs_and_relay(seed_lab: Any) -> None:
    inputs, relay = seed_lab.inputs, seed_lab.relay
    assert inputs.sender == "admin@sender.example" and inputs.path == "gmail_send_as"
    assert inputs.recipients == ("pat@recipient.example", "lee@recipient.example")
    assert inputs.relay is relay and isinstance(relay.password, Secret)
    assert relay.password.reveal() not in repr(relay) and len(relay.password.reveal()) == 44


def test_https_serves_mta_sts_policy(seed_lab: Any) -> None:
    ep = seed_lab.endpoints
    with httpx.Client(verify=ssl.create_default_context(cafile=ep.ca_file), timeout=5) as client:
        reply = client.get(ep.https_url(POLICY_HOST, "/.well-known/mta-sts.txt"),
                           headers={"Host": POLICY_HOST})
        assert reply.status_code == 200 and reply.headers["content-type"] == "text/plain"
        assert reply.text.startswith("version: STSv1\nmode: enforce\n")
        other = client.get(ep.https_url(POLICY_HOST, "/.well-known/mta-sts.txt"),
                           headers={"Host": "mta-sts.unknown.example"})
        assert other.status_code == 404


def test_https_default_trust_store_fails(seed_lab: Any) -> None:
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(seed_lab.endpoints.https_url(POLICY_HOST, "/.well-known/mta-sts.txt"),
                  timeout=5)


def test_https_still_serves_after_a_failed_handshake(seed_lab: Any) -> None:
    url = seed_lab.endpoints.https_url(POLICY_HOST, "/.well-known/mta-sts.txt")
    with pytest.raises(httpx.ConnectError):
        httpx.get(url, timeout=5)
    ok = httpx.get(url, headers={"Host": POLICY_HOST}, timeout=5,
                   verify=ssl.create_default_context(cafile=seed_lab.endpoints.ca_file))
    assert ok.status_code == 200


def test_dns_serves_the_zones(seed_lab: Any) -> None:
    host, port = seed_lab.endpoints.nameservers[0]
    query = dns.message.make_query("_dmarc.sender.example", dns.rdatatype.TXT)
    reply = dns.query.udp(query, host, port=port, timeout=2)
    assert b"v=DMARC1; p=quarantine" in reply.answer[0][0].strings[0]


async def test_open_lab_async() -> None:
    async with open_lab("healthy") as lab:
        assert lab.scenario.name == "healthy" and lab.relay is not None
        v2 = lab.boto3_client("sesv2")
        assert v2.list_suppressed_destinations()["SuppressedDestinationSummaries"] == []


def took(action: Any) -> float:
    began = time.perf_counter()
    action()
    return time.perf_counter() - began


def test_delay_knob_slows_every_round_trip(lab_factory: Any) -> None:
    lab = lab_factory("healthy", delay=0.2)
    ep = lab.endpoints
    assert took(lambda: lab.boto3_client("sesv2").get_account()) >= 0.2
    query = dns.message.make_query("sender.example", dns.rdatatype.TXT)
    host, port = ep.nameservers[0]
    assert took(lambda: dns.query.udp(query, host, port=port, timeout=3)) >= 0.2
    with socket.create_connection(ep.smtp_address(MTA, 25), timeout=3) as sock:
        assert took(lambda: sock.recv(200)) >= 0.15
    verify = ssl.create_default_context(cafile=ep.ca_file)
    url = ep.https_url(POLICY_HOST, "/.well-known/mta-sts.txt")
    assert took(lambda: httpx.get(url, verify=verify, headers={"Host": POLICY_HOST})) >= 0.2


def test_stopping_with_open_sessions_is_quiet(lab_factory: Any,
                                              caplog: pytest.LogCaptureFixture) -> None:
    lab = lab_factory("seed")
    relay = socket.create_connection(
        lab.endpoints.smtp_address("email-smtp.us-east-1.amazonaws.com", 587), timeout=3)
    mta = socket.create_connection(lab.endpoints.smtp_address(MTA, 25), timeout=3)
    relay.recv(200), mta.recv(200)
    with caplog.at_level(logging.WARNING):
        lab.close()
        gc.collect()
    relay.close(), mta.close()
    assert not [r for r in caplog.records if "pending" in r.getMessage()]


def test_generate_suppressed_field(lab_factory: Any, tmp_path: Path) -> None:
    text = (SCENARIO_DIR / "healthy.toml").read_text()
    scenario = tmp_path / "bulk.toml"
    scenario.write_text(text.replace("[ses]\n", "[ses]\ngenerate_suppressed = 3000\n", 1))
    lab = lab_factory(str(scenario))
    assert len(lab.aws.state.region("us-east-1").suppression.entries) == 3000


# --- mailpath lab -----------------------------------------------------------------------------


def run_cli(*args: str, **kwargs: Any) -> subprocess.Popen[str]:
    code = "import sys; from tui.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen([sys.executable, "-c", code, "lab", *args], text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kwargs)


def read_exports(proc: subprocess.Popen[str]) -> dict[str, str]:
    env: dict[str, str] = {}
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("export "):
            key, _, value = line[len("export "):].strip().partition("=")
            env[key] = value.strip("'")
        if "MAILPATH_RELAY_PASSWORD_FILE" in env:
            return env
    raise AssertionError(f"no exports; stderr: {proc.stderr.read() if proc.stderr else ''}")


def test_mailpath_lab_prints_exports_and_stops_cleanly(seed_lab: Any) -> None:
    proc = run_cli("--scenario", "seed")
    try:
        env = read_exports(proc)
        secret_file = Path(env["MAILPATH_RELAY_PASSWORD_FILE"])
        assert stat.S_IMODE(secret_file.stat().st_mode) == 0o600
        password = secret_file.read_text()
        assert len(password) == 44
        assert env["MAILPATH_RELAY_USER"].startswith("AKIA")
        assert env["MAILPATH_FROM"] == "admin@sender.example"
        assert env["MAILPATH_RELAY_HOST"] == "email-smtp.us-east-1.amazonaws.com"
        assert {"AWS_ENDPOINT_URL", "MAILPATH_NAMESERVER", "MAILPATH_SMTP_ROUTES",
                "MAILPATH_CA_FILE", "MAILPATH_HTTPS_ROUTES"} <= set(env)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert password not in out + err
    assert not secret_file.exists()


def test_mailpath_lab_bad_scenario_exit_2() -> None:
    proc = run_cli("--scenario", "nope")
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 2
    assert err.strip().splitlines() == [err.strip()] and "unknown scenario 'nope'" in err


def test_mailpath_lab_sigterm_is_clean() -> None:
    proc = run_cli("--scenario", "healthy", env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        read_exports(proc)
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0


def test_lab_command_does_not_import_textual() -> None:
    code = ("import sys, tui.cli, tui.commands.lab, checks.lab.lab; "
            "tui.cli.build_parser(); print('textual' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=30, check=True).stdout
    assert out.strip() == "False"
