"""Scenario files: the shipped ones load, and every kind of bad input gives one clear line."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from checks.lab.scenario import (
    SCENARIO_DIR,
    CheckRef,
    KeyRef,
    ScenarioError,
    list_scenarios,
    load_scenario,
    parse_scenario,
)

MINIMAL = """
region = "us-east-1"
[input]
from = "admin@sender.example"
to = ["lee@recipient.example"]
path = "ses_api"
[expected]
exit_code = 0
"""


def error_of(text: str) -> str:
    with pytest.raises(ScenarioError) as info:
        parse_scenario(text, source="t.toml")
    message = str(info.value)
    assert "\n" not in message
    return message


def test_shipped_scenarios_load() -> None:
    assert {"seed", "healthy"} <= set(list_scenarios())
    for name in list_scenarios():
        assert load_scenario(name).name == name


def test_seed_story() -> None:
    s = load_scenario("seed")
    assert (s.sender, s.path, s.region) == ("admin@sender.example", "gmail_send_as", "us-east-1")
    assert s.relay is not None and s.relay.username == KeyRef("old")
    assert (s.relay.host, s.relay.port, s.relay.tls) == ("email-smtp.us-east-1.amazonaws.com", 587,
                                                         "starttls")
    assert s.key("old").status == "Inactive" and s.key("current").status == "Active"
    assert [e.email for e in s.ses.suppressed] == ["pat@recipient.example"]
    assert s.ses.suppressed[0].reason == "COMPLAINT"
    assert len(s.ses.identities[0].dkim_tokens) == 3
    assert set(s.zones) == {"sender.example", "amazonses.com", "recipient.example", "outlook.com"}
    assert s.expected.exit_code == 1
    assert s.expected.root_causes == {
        CheckRef("gmail_relay", "gmail_relay.ses.key_state"),
        CheckRef("ses", "ses.suppression.recipient"),
    }


def test_seed_zone_has_dkim_cnames_for_the_tokens() -> None:
    s = load_scenario("seed")
    zone = s.zones["sender.example"]
    for token in s.ses.identities[0].dkim_tokens:
        assert f"{token}._domainkey  CNAME  {token}.dkim.amazonses.com." in zone
        assert f"{token}.dkim  TXT" in s.zones["amazonses.com"]


def test_healthy_differs_only_in_the_faults() -> None:
    s = load_scenario("healthy")
    assert s.relay is not None and s.relay.username == KeyRef("current")
    assert s.ses.suppressed == () and s.expected.exit_code == 0 and not s.expected.root_causes


def test_minimal_defaults() -> None:
    s = parse_scenario(MINIMAL)
    assert s.relay is None and s.iam_users == () and s.ses.accounts[0].production


def test_path_or_name(tmp_path: Path) -> None:
    p = tmp_path / "mine.toml"
    p.write_text(MINIMAL)
    assert load_scenario(str(p)).name == "mine"


def test_unknown_name_lists_known() -> None:
    with pytest.raises(ScenarioError, match=r"unknown scenario 'nope' \(known: .*seed"):
        load_scenario("nope")


def test_unreadable_file(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read scenario .*No such file"):
        load_scenario(str(tmp_path / "missing.toml"))
    p = tmp_path / "locked.toml"
    p.write_text(MINIMAL)
    p.chmod(0)
    if os.access(p, os.R_OK):  # running as root: permissions do not apply
        pytest.skip("root can read any file")
    with pytest.raises(ScenarioError, match="Permission denied"):
        load_scenario(str(p))


def test_toml_syntax_error_has_line() -> None:
    assert "line 3" in error_of('region = "x"\n[input]\nfrom = \n')


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('region = "us-east-1"', ""), "t.toml: region: missing (required)"),
        (('path = "ses_api"', 'path = "fax"'), "input.path: 'fax' is not one of gmail_send_as"),
        (('exit_code = 0', 'exit_code = "zero"'), "expected.exit_code: expected an integer"),
        (('to = ["lee@recipient.example"]', 'to = ["lee"]'), "input.to: 'lee' is not an email"),
        (('to = ["lee@recipient.example"]', "to = []"), "input.to: give at least one recipient"),
        (('exit_code = 0', 'exit_code = 0\ncolour = "red"'), "expected: unknown field 'colour'"),
        (('[expected]', '[expected]\nroot_causes = [{ layer = "smtp", check = "x" }]'),
         "root_causes[0].layer: 'smtp' is not one of gmail_relay"),
    ],
)
def test_field_errors(change: tuple[str, str], expected: str) -> None:
    assert expected in error_of(MINIMAL.replace(*change))


RELAY = """
[relay]
host = "email-smtp.us-east-1.amazonaws.com"
port = 587
tls = "starttls"
username = { key = "old" }
password = { smtp_password_of = "old" }
[[iam.users]]
name = "u"
[[iam.users.keys]]
label = "old"
status = "Inactive"
last_used = 2026-07-10
"""


def test_relay_and_keys() -> None:
    s = parse_scenario(MINIMAL + RELAY)
    assert s.relay is not None and s.relay.password.region == "us-east-1"
    assert s.key("old").last_used is not None and s.key("old").last_used.year == 2026


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('username = { key = "old" }', 'username = { key = "new" }'),
         "relay.username.key: no IAM key with label 'new' (known: old)"),
        (('password = { smtp_password_of = "old" }', "password = { }"),
         "relay.password: give exactly one of smtp_password_of"),
        (('port = 587', 'port = 70000'), "relay.port: 70000 is not a TCP port"),
        (('status = "Inactive"', 'status = "Gone"'), "status: 'Gone' is not one of Active"),
        (('last_used = 2026-07-10', 'last_used = "last tuesday"'),
         "last_used: expected an ISO date or date-time"),
    ],
)
def test_relay_errors(change: tuple[str, str], expected: str) -> None:
    assert expected in error_of((MINIMAL + RELAY).replace(*change))


def test_zone_text_is_checked() -> None:
    text = MINIMAL + '[zones]\n"sender.example" = "@ IN MX not-a-number"\n'
    assert "zones.sender.example: zone text does not parse" in error_of(text)


def test_zone_without_soa_or_ttl_loads_as_the_lab_server_reads_it() -> None:
    """The lab DNS server gives records 300 s when a zone has neither SOA nor $TTL:
    validation reads the zone the same way, instead of refusing it."""
    text = MINIMAL + '[zones]\n"sender.example" = "@ IN TXT \\"v=spf1 -all\\""\n'
    scenario = parse_scenario(text, source="t.toml")
    assert "v=spf1" in scenario.zones["sender.example"]


def test_zone_error_names_the_line_of_the_zone_text() -> None:
    """A parse error counts the zone text's own lines (the default $TTL line the reader puts
    in front is not one of them)."""
    text = MINIMAL + '[zones]\n"sender.example" = "@ IN A 192.0.2.1\\nmx IN A 999.1.1.1"\n'
    message = error_of(text)
    assert "zones.sender.example: zone text does not parse" in message
    assert "<string>:2:" in message, message


def test_mta_reply_lines_are_checked() -> None:
    text = MINIMAL + '[[mta]]\nhost = "mx.example"\nrcpt = { "a@b.example" = "nope" }\n'
    assert "is not an SMTP reply line" in error_of(text)


def test_mta_faults_and_rcpt() -> None:
    text = MINIMAL + ('[[mta]]\nhost = "MX.example."\nno_banner = true\n'
                      'rcpt = { "Pat@R.example" = "550 5.7.606 Access denied" }\n')
    mta = parse_scenario(text).mtas[0]
    assert mta.host == "mx.example" and mta.faults == {"no_banner"}
    assert mta.rcpt_reply("pat@r.example").startswith("550")
    assert mta.rcpt_reply("x@y").startswith("250")


def test_ses_sections() -> None:
    text = MINIMAL + """
[ses]
production = false
generate_suppressed = 10
[ses.regions."eu-west-1"]
sending_enabled = false
[[ses.identities]]
identity = "sender.example"
verification = "Failed"
verification_error = "TYPE_NOT_FOUND"
dkim_tokens = ["a", "b", "c"]
[[ses.suppressed]]
email = "x@y.example"
reason = "BOUNCE"
region = "eu-west-1"
"""
    s = parse_scenario(text)
    assert [a.region for a in s.ses.accounts] == ["us-east-1", "eu-west-1"]
    assert not s.ses.accounts[0].production and not s.ses.accounts[1].sending_enabled
    assert s.ses.identities[0].verification_error == "TYPE_NOT_FOUND"
    assert s.regions == ("us-east-1", "eu-west-1") and s.ses.generate_suppressed == 10


def test_dkim_needs_three_tokens() -> None:
    text = MINIMAL + '[[ses.identities]]\nidentity = "s.example"\ndkim_tokens = ["a"]\n'
    assert "exactly 3 tokens" in error_of(text)


def test_dns_faults_checked() -> None:
    assert "'boom' for x. is not one of servfail" in error_of(
        MINIMAL + '[dns]\nfaults = { "x." = "boom" }\n')


def test_identity_defaults_without_dkim_tokens() -> None:
    text = MINIMAL + '[[ses.identities]]\nidentity = "S.example"\n'
    ident = parse_scenario(text).ses.identities[0]
    assert (ident.identity, ident.dkim_tokens, ident.verification) == ("s.example", (), "Success")


@pytest.mark.parametrize(
    "change, expected",
    [
        (('region = "us-east-1"', 'region = "xx-nope-1"'), "t.toml: region: 'xx-nope-1' is not"),
        (('region = "us-east-1"', 'region = "us-east-9"'), "is not a region the lab serves"),
        (('[expected]', '[ses]\n[[ses.identities]]\nidentity = "sender.example"\n'
          'region = "nope"\n[expected]'), "ses.identities[0].region: 'nope' is not an AWS"),
        (('[expected]', '[ses]\n[[ses.suppressed]]\nemail = "a@b.example"\nreason = "BOUNCE"\n'
          'region = "eu-wst-1"\n[expected]'), "did you mean eu-west-1?"),
        (('[expected]', '[ses.regions."mars-1"]\nproduction = true\n[expected]'),
         "ses.regions.mars-1: 'mars-1' is not an AWS region"),
    ],
)
def test_region_names_are_validated(change: tuple[str, str], expected: str) -> None:
    assert expected in error_of(MINIMAL.replace(*change))


def test_password_region_is_validated() -> None:
    text = MINIMAL + RELAY.replace('{ smtp_password_of = "old" }',
                                   '{ smtp_password_of = "old", region = "nope" }')
    assert "relay.password.region: 'nope' is not an AWS region" in error_of(text)


@pytest.mark.parametrize(
    "line, expected",
    [
        ("delay = -5", "delay: must be a number from 0 to 10, not -5.0"),
        ("delay = 1e308", "delay: must be a number from 0 to 10"),
        ("delay = nan", "delay: must be a number from 0 to 10, not nan"),
        ("delay = inf", "delay: must be a number from 0 to 10, not inf"),
    ],
)
def test_delay_is_bounded(line: str, expected: str) -> None:
    assert expected in error_of(line + "\n" + MINIMAL)


def test_generate_suppressed_is_bounded() -> None:
    ok = parse_scenario(MINIMAL.replace("[expected]", "[ses]\ngenerate_suppressed = 200000\n"
                                        "[expected]"))
    assert ok.ses.generate_suppressed == 200_000
    for n in (-1, 200_001, 100_000_000):
        text = MINIMAL.replace("[expected]", f"[ses]\ngenerate_suppressed = {n}\n[expected]")
        assert "ses.generate_suppressed: must be a number from 0 to 200,000" in error_of(text)


SEED = SCENARIO_DIR / "seed.toml"


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("date = 2026-09-14T12:00:00Z", "date = 0001-01-01T00:00:00Z",
     "date: expected a date from 1990 to 2200"),
    ('smtp_password_of = "old"', 'smtp_password_of = ""',
     "relay.password.smtp_password_of: needs the label of an IAM key"),
    ('mail_from = "mail.sender.example"', 'mail_from = " "',
     "ses.identities[0].mail_from: ' ' is not a domain name"),
    ('mail_from = "mail.sender.example"', 'mail_from = "mail.other.example"',
     "is not a subdomain of 'sender.example'"),
    ('identity = "sender.example"', 'identity = "not an identity"',
     "ses.identities[0].identity: 'not an identity' is neither"),
])
def test_seed_with_one_bad_value(old: str, new: str, expected: str) -> None:
    """Values the lab could not stand up are refused at load, naming the field."""
    text = SEED.read_text()
    assert old in text
    assert expected in error_of(text.replace(old, new, 1))


def test_certificate_names_are_host_names() -> None:
    text = (SCENARIO_DIR / "relay-cert-mismatch.toml").read_text()
    assert "certificate_names = [" in text
    bad = text.replace("certificate_names = [", 'certificate_names = ["", ', 1)
    assert "certificate_names: '' is not a host name" in error_of(bad)
    long = text.replace("certificate_names = [", f'certificate_names = ["{"a" * 60}.example", ', 1)
    assert "longer than 64 characters" in error_of(long)
