"""The lab's SES SMTP relay and recipient MTA stand-ins, through a real aiosmtplib client."""

from __future__ import annotations

import ssl
from typing import Any

import aiosmtplib
import pytest

from checks.creds.smtp_password import derive_legacy_smtp_password, derive_smtp_password
from checks.lab.scenario import parse_scenario

RELAY = "email-smtp.us-east-1.amazonaws.com"
MTA = "recipient-example.mail.protection.outlook.com"


def tls_context(lab: Any) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=lab.endpoints.ca_file)


async def connect(lab: Any, host: str, port: int, *, implicit: bool = False,
                  context: ssl.SSLContext | None = None) -> aiosmtplib.SMTP:
    address, real_port = lab.endpoints.smtp_address(host, port)
    client = aiosmtplib.SMTP(hostname=address, port=real_port, use_tls=implicit,
                             start_tls=False, tls_context=context or tls_context(lab),
                             timeout=5)
    await client.connect()
    return client


async def relay_session(lab: Any, port: int = 587) -> aiosmtplib.SMTP:
    """Connected, TLS up (STARTTLS or implicit), EHLO sent again: ready for AUTH."""
    implicit = port in (465, 2465)
    client = await connect(lab, RELAY, port, implicit=implicit)
    await client.ehlo()
    if not implicit:
        await client.starttls()
        await client.ehlo()  # aiosmtplib needs it again after STARTTLS before AUTH
    return client


async def auth_reply(lab: Any, username: str, password: str, port: int = 587) -> tuple[int, str]:
    client = await relay_session(lab, port)
    try:
        reply = await client.login(username, password)
        return reply.code, reply.message
    except aiosmtplib.SMTPAuthenticationError as exc:
        return exc.code, exc.message
    finally:
        client.close()


def smtp_password(lab: Any, label: str, region: str = "us-east-1") -> str:
    return derive_smtp_password(lab.key(label).secret, region)


# --- the relay --------------------------------------------------------------------------------


async def test_banner_and_starttls(seed_lab: Any) -> None:
    client = await connect(seed_lab, RELAY, 587)
    banner = await client.ehlo()
    assert banner.code == 250 and "STARTTLS" in banner.message
    reply = await client.starttls()
    assert reply.code == 220
    ehlo = await client.ehlo()
    assert "AUTH" in ehlo.message and "PLAIN" in ehlo.message and "LOGIN" in ehlo.message
    client.close()


async def test_banner_text(seed_lab: Any) -> None:
    address, port = seed_lab.endpoints.smtp_address(RELAY, 587)
    client = aiosmtplib.SMTP(hostname=address, port=port, start_tls=False, timeout=5)
    reply = await client.connect()
    assert reply.code == 220
    assert reply.message.startswith("email-smtp.amazonaws.com ESMTP SimpleEmailService-")
    client.close()


async def test_default_trust_store_rejects_the_lab_certificate(seed_lab: Any) -> None:
    client = await connect(seed_lab, RELAY, 587, context=ssl.create_default_context())
    await client.ehlo()
    with pytest.raises((aiosmtplib.SMTPException, ssl.SSLError)) as info:
        await client.starttls()
    assert "CERTIFICATE_VERIFY_FAILED" in str(info.value)
    client.close()


@pytest.mark.parametrize("port", [587, 2587, 25, 465, 2465])
async def test_auth_ok_with_active_key_on_every_port(seed_lab: Any, port: int) -> None:
    key_id = seed_lab.key("current").access_key_id
    code, message = await auth_reply(seed_lab, key_id, smtp_password(seed_lab, "current"), port)
    assert (code, message) == (235, "Authentication successful.")


@pytest.mark.parametrize(
    "case", ["inactive_key", "raw_secret", "wrong_region", "legacy", "unknown_key"],
)
async def test_auth_535(seed_lab: Any, case: str) -> None:
    old, cur = seed_lab.key("old"), seed_lab.key("current")
    username, password = {
        "inactive_key": (old.access_key_id, smtp_password(seed_lab, "old")),
        "raw_secret": (cur.access_key_id, cur.secret),
        "wrong_region": (cur.access_key_id, smtp_password(seed_lab, "current", "eu-west-1")),
        "legacy": (cur.access_key_id, derive_legacy_smtp_password(cur.secret)),
        "unknown_key": ("AKIA" + "Z" * 16, smtp_password(seed_lab, "current")),
    }[case]
    assert await auth_reply(seed_lab, username, password) == (
        535, "Authentication Credentials Invalid")


async def test_seed_relay_settings_fail_as_gmail_sees_it(seed_lab: Any) -> None:
    relay = seed_lab.relay
    assert relay.username == seed_lab.key("old").access_key_id
    code, _ = await auth_reply(seed_lab, relay.username, relay.password.reveal(), relay.port)
    assert code == 535


async def test_healthy_relay_settings_work(healthy_lab: Any) -> None:
    relay = healthy_lab.relay
    assert await auth_reply(healthy_lab, relay.username, relay.password.reveal()) == (
        235, "Authentication successful.")


async def test_mail_without_auth_is_530(seed_lab: Any) -> None:
    client = await relay_session(seed_lab)
    with pytest.raises(aiosmtplib.SMTPSenderRefused) as info:
        await client.mail("admin@sender.example")
    assert (info.value.code, info.value.message) == (530, "Authentication required")
    client.close()


async def test_commands_before_starttls_are_refused(seed_lab: Any) -> None:
    client = await connect(seed_lab, RELAY, 587)
    await client.ehlo()
    reply = await client.execute_command(b"AUTH", b"PLAIN", b"AGFiYwBkZWY=")
    assert (reply.code, reply.message) == (530, "Must issue a STARTTLS command first")
    client.close()


async def test_message_is_accepted_and_dropped(healthy_lab: Any) -> None:
    client = await relay_session(healthy_lab)
    await client.login(healthy_lab.relay.username, healthy_lab.relay.password.reveal())
    errors, reply = await client.sendmail("admin@sender.example", ["lee@recipient.example"],
                                          b"Subject: hi\r\n\r\nbody\r\n")
    assert errors == {} and reply.startswith("Ok ")
    await client.quit()


async def test_rotation_flow_key_state_is_live(fresh_seed_lab: Any) -> None:
    """A key made through the IAM API works at once; deactivating it stops AUTH at once."""
    lab = fresh_seed_lab
    iam = lab.boto3_client("iam")
    iam.delete_access_key(UserName="ses-smtp-sender", AccessKeyId=lab.key("old").access_key_id)
    new = iam.create_access_key(UserName="ses-smtp-sender")["AccessKey"]
    password = derive_smtp_password(new["SecretAccessKey"], "us-east-1")
    assert (await auth_reply(lab, new["AccessKeyId"], password))[0] == 235
    used = iam.get_access_key_last_used(AccessKeyId=new["AccessKeyId"])["AccessKeyLastUsed"]
    assert used["Region"] == "us-east-1" and used["ServiceName"] == "ses"
    iam.update_access_key(UserName="ses-smtp-sender", AccessKeyId=new["AccessKeyId"],
                          Status="Inactive")
    assert (await auth_reply(lab, new["AccessKeyId"], password))[0] == 535


# --- recipient MTAs ---------------------------------------------------------------------------


async def test_recipient_mta_accepts_with_starttls(seed_lab: Any) -> None:
    client = await connect(seed_lab, MTA, 25)
    await client.ehlo()
    await client.starttls()
    await client.ehlo()
    await client.mail("admin@sender.example")
    for rcpt in ("pat@recipient.example", "lee@recipient.example"):
        assert (await client.rcpt(rcpt)).message == "2.1.5 Recipient OK"
    await client.quit()


async def test_recipient_mta_banner(seed_lab: Any) -> None:
    address, port = seed_lab.endpoints.smtp_address(MTA, 25)
    client = aiosmtplib.SMTP(hostname=address, port=port, start_tls=False, timeout=5)
    reply = await client.connect()
    assert reply.message.startswith("BN8NAM12FT041.mail.protection.outlook.com Microsoft ESMTP")
    client.close()


BLOCKED = """
region = "us-east-1"
[input]
from = "a@sender.example"
to = ["b@blocked.example"]
path = "ses_api"
[[mta]]
host = "blocked-example.mail.protection.outlook.com"
starttls = false
rcpt = { "b@blocked.example" = "550 5.7.606 Access denied, banned sending IP [192.0.2.1]" }
[[mta]]
host = "silent.example"
no_banner = true
[[mta]]
host = "picky.example"
reject_starttls = true
[[mta]]
host = "grumpy.example"
tempfail_ehlo = true
[[mta]]
host = "rude.example"
close_after_banner = true
[expected]
exit_code = 1
"""


@pytest.fixture(scope="module")
def blocked_lab(module_lab_factory: Any) -> Any:
    return module_lab_factory(parse_scenario(BLOCKED, default_name="blocked"))


async def test_rcpt_rejection_as_the_scenario_says(blocked_lab: Any) -> None:
    client = await connect(blocked_lab, "blocked-example.mail.protection.outlook.com", 25)
    ehlo = await client.ehlo()
    assert "STARTTLS" not in ehlo.message
    await client.mail("a@sender.example")
    with pytest.raises(aiosmtplib.SMTPRecipientRefused) as info:
        await client.rcpt("b@blocked.example")
    assert info.value.code == 550
    assert info.value.message == "5.7.606 Access denied, banned sending IP [192.0.2.1]"
    client.close()


async def test_no_banner_times_out(blocked_lab: Any) -> None:
    address, port = blocked_lab.endpoints.smtp_address("silent.example", 25)
    client = aiosmtplib.SMTP(hostname=address, port=port, start_tls=False, timeout=0.3)
    with pytest.raises(aiosmtplib.SMTPTimeoutError):
        await client.connect()
    client.close()


async def test_reject_starttls(blocked_lab: Any) -> None:
    client = await connect(blocked_lab, "picky.example", 25)
    await client.ehlo()
    with pytest.raises(aiosmtplib.SMTPResponseException) as info:
        await client.starttls()
    assert info.value.code == 454
    client.close()


async def test_tempfail_ehlo(blocked_lab: Any) -> None:
    client = await connect(blocked_lab, "grumpy.example", 25)
    with pytest.raises(aiosmtplib.SMTPResponseException) as info:
        await client.ehlo()
    assert info.value.code == 421
    client.close()


async def test_close_after_banner(blocked_lab: Any) -> None:
    client = await connect(blocked_lab, "rude.example", 25)
    with pytest.raises(aiosmtplib.SMTPServerDisconnected):
        await client.ehlo()
    client.close()


# --- what SES says at the end of DATA ---------------------------------------------------------

SES_STATES = """
region = "us-east-1"
[input]
from = "admin@sender.example"
to = ["lee@recipient.example"]
path = "ses_smtp"
[[iam.users]]
name = "app"
[[iam.users.keys]]
label = "k"
status = "Active"
[ses]
production = false
[ses.regions."eu-west-1"]
sending_enabled = false
[ses.regions."us-west-2"]
max_24h = 10
sent_24h = 10
[[ses.identities]]
identity = "sender.example"
[[ses.identities]]
identity = "verified@recipient.example"
[[ses.identities]]
identity = "sender.example"
region = "eu-west-1"
[[ses.identities]]
identity = "sender.example"
region = "us-west-2"
[expected]
exit_code = 1
"""


@pytest.fixture(scope="module")
def ses_states_lab(module_lab_factory: Any) -> Any:
    return module_lab_factory(parse_scenario(SES_STATES, default_name="ses-states"))


async def send(lab: Any, region: str, sender: str, rcpts: list[str]) -> tuple[int, str]:
    host = f"email-smtp.{region}.amazonaws.com"
    client = await connect(lab, host, 587)
    await client.ehlo()
    await client.starttls()
    await client.ehlo()
    await client.login(lab.key("k").access_key_id, smtp_password(lab, "k", region))
    try:
        _, message = await client.sendmail(sender, rcpts, b"Subject: t\r\n\r\nx\r\n")
        return 250, message
    except aiosmtplib.SMTPDataError as exc:
        return exc.code, exc.message
    finally:
        client.close()


async def test_sandbox_accepts_verified_recipients(ses_states_lab: Any) -> None:
    code, message = await send(ses_states_lab, "us-east-1", "admin@sender.example",
                               ["verified@recipient.example"])
    assert code == 250 and message.startswith("Ok ")


async def test_sandbox_rejects_unverified_recipient(ses_states_lab: Any) -> None:
    code, message = await send(ses_states_lab, "us-east-1", "admin@sender.example",
                               ["lee@recipient.example"])
    assert code == 554
    assert message == ("Message rejected: Email address is not verified. The following "
                       "identities failed the check in region US-EAST-1: lee@recipient.example")


async def test_unverified_sender(ses_states_lab: Any) -> None:
    code, message = await send(ses_states_lab, "us-east-1", "someone@other.example",
                               ["verified@recipient.example"])
    assert code == 554 and message.endswith("US-EAST-1: someone@other.example")


async def test_sending_paused(ses_states_lab: Any) -> None:
    code, message = await send(ses_states_lab, "eu-west-1", "admin@sender.example",
                               ["lee@recipient.example"])
    assert code == 554 and message.startswith("Message rejected: Sending paused for this account.")


async def test_daily_quota_exceeded(ses_states_lab: Any) -> None:
    code, message = await send(ses_states_lab, "us-west-2", "admin@sender.example",
                               ["lee@recipient.example"])
    assert (code, message) == (454, "Throttling failure: Daily message quota exceeded.")


async def test_accepted_mail_counts_against_the_quota(fresh_seed_lab: Any) -> None:
    lab = fresh_seed_lab
    before = lab.boto3_client("sesv2").get_account()["SendQuota"]["SentLast24Hours"]
    client = await relay_session(lab)
    cur = lab.key("current")
    await client.login(cur.access_key_id, smtp_password(lab, "current"))
    await client.sendmail("admin@sender.example", ["lee@recipient.example"], b"\r\nx\r\n")
    await client.quit()
    after = lab.boto3_client("sesv2").get_account()["SendQuota"]["SentLast24Hours"]
    assert after == before + 1
