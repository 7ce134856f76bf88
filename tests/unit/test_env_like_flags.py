"""Environment variables are checked as strictly as their flags (tester's findings), and
name themselves in the message: in process, before any network call."""

from __future__ import annotations

import pytest

from checks.endpoints import EndpointError, Endpoints
from tui.cli import main

ADDRESSES = ["--from", "admin@sender.example", "--to", "pat@recipient.example"]
CLEAN = ("AWS_REGION", "AWS_DEFAULT_REGION", "MAILPATH_NAMESERVER", "MAILPATH_DNSBL_ZONES",
         "MAILPATH_FROM", "MAILPATH_TO", "MAILPATH_RELAY_HOST", "AWS_ENDPOINT_URL",
         "MAILPATH_CA_FILE", "MAILPATH_SMTP_ROUTES", "MAILPATH_HTTPS_ROUTES",
         "MAILPATH_DNS_ROUTES", "AWS_PROFILE")


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in CLEAN:
        monkeypatch.delenv(name, raising=False)


def _usage(capsys: pytest.CaptureFixture[str], argv: list[str]) -> str:
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1, err
    return err


@pytest.mark.parametrize(("env", "needle"), [
    ({"AWS_REGION": "mars-1"}, "AWS_REGION 'mars-1' is not an AWS region"),
    ({"AWS_DEFAULT_REGION": "mars-1"}, "AWS_DEFAULT_REGION 'mars-1' is not an AWS region"),
    ({"AWS_REGION": "us-esat-1"}, "AWS_REGION 'us-esat-1' is not an AWS region; did you mean"),
    ({"MAILPATH_DNSBL_ZONES": ",,"}, "MAILPATH_DNSBL_ZONES ',,' names no zone"),
    ({"MAILPATH_DNSBL_ZONES": ""}, "MAILPATH_DNSBL_ZONES is set but empty"),
    ({"MAILPATH_DNSBL_ZONES": ".."}, "MAILPATH_DNSBL_ZONES: DNSBL zone '..' is not a domain"),
    ({"MAILPATH_NAMESERVER": ""}, "MAILPATH_NAMESERVER is set but empty"),
    ({"MAILPATH_NAMESERVER": " , "}, "MAILPATH_NAMESERVER ' , ' names no server"),
])
def test_check_refuses_bad_variables_naming_them(monkeypatch, capsys, env, needle) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert needle in _usage(capsys, ["check", *ADDRESSES, "--layers", "dns"])


@pytest.mark.parametrize(("env", "argv", "needle"), [
    ({"MAILPATH_FROM": "bad"}, ["--to", "pat@recipient.example"],
     "MAILPATH_FROM 'bad' is not an email address"),
    ({"MAILPATH_TO": "bad"}, ["--from", "admin@sender.example"],
     "MAILPATH_TO 'bad' is not an email address"),
    ({"MAILPATH_FROM": ""}, ["--to", "pat@recipient.example"], "MAILPATH_FROM is set but empty"),
    ({"MAILPATH_TO": " "}, ["--from", "admin@sender.example"], "MAILPATH_TO is set but empty"),
    ({}, ["--from", "bad", "--to", "pat@recipient.example"], "--from 'bad' is not an email"),
])
def test_addresses_name_where_they_came_from(monkeypatch, capsys, env, argv, needle) -> None:
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    assert needle in _usage(capsys, ["check", *argv])


@pytest.mark.parametrize(("argv", "needle"), [
    (["--dnsbl", ".."], "--dnsbl: DNSBL zone '..' is not a domain name"),
    (["--dnsbl", ",,"], "--dnsbl was given no zone"),
    (["--nameserver", ",,"], "--nameserver ',,' names no server"),
    (["--region", "mars-1"], "--region 'mars-1' is not an AWS region"),
])
def test_the_flags_say_the_same(capsys, argv, needle) -> None:
    assert needle in _usage(capsys, ["check", *ADDRESSES, "--layers", "dns", *argv])


def test_a_flag_wins_over_its_bad_variable() -> None:
    env = {"AWS_REGION": "mars-1", "MAILPATH_NAMESERVER": "", "MAILPATH_DNSBL_ZONES": ",,"}
    got = Endpoints.from_env(env, aws_region="eu-west-1", nameservers=(("127.0.0.1", 53),),
                             dnsbl_zones=("zen.spamhaus.org",))
    assert got.aws_region == "eu-west-1" and got.dnsbl_zones == ("zen.spamhaus.org",)
    with pytest.raises(EndpointError, match="AWS_REGION 'mars-1'"):
        Endpoints.from_env(env)


def test_good_variables_still_work() -> None:
    got = Endpoints.from_env({"AWS_DEFAULT_REGION": "eu-west-1", "MAILPATH_DNSBL_ZONES":
                              "zen.spamhaus.org,", "MAILPATH_NAMESERVER": "127.0.0.1:5353"})
    assert got.aws_region == "eu-west-1" and got.dnsbl_zones == ("zen.spamhaus.org",)
    assert got.nameservers == (("127.0.0.1", 5353),)
    assert Endpoints.from_env({}).aws_region == "us-east-1"


def test_suppression_refuses_a_bad_aws_region(monkeypatch, capsys) -> None:
    monkeypatch.setenv("AWS_REGION", "mars-1")
    assert "AWS_REGION 'mars-1'" in _usage(capsys, ["suppression", "list"])
