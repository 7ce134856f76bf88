"""The lab's AWS stand-in, through real boto3 clients on loopback: moto plus the lab's extras."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from checks.lab.aws import deterministic_key
from checks.lab.scenario import parse_scenario

UTC = dt.UTC


def error(call: Any, **kwargs: Any) -> dict[str, Any]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    return info.value.response  # type: ignore[no-any-return]


# --- SES v2: account, identity ------------------------------------------------------------


def test_get_account(seed_lab: Any) -> None:
    acct = seed_lab.boto3_client("sesv2").get_account()
    assert acct["ProductionAccessEnabled"] is True and acct["SendingEnabled"] is True
    assert acct["EnforcementStatus"] == "HEALTHY"
    assert acct["SendQuota"] == {"Max24HourSend": 50000.0, "MaxSendRate": 14.0,
                                 "SentLast24Hours": 1234.0}


def test_unmentioned_region_is_a_sandbox_account(seed_lab: Any) -> None:
    acct = seed_lab.boto3_client("sesv2", region="eu-west-1").get_account()
    assert acct["ProductionAccessEnabled"] is False and acct["SendQuota"]["Max24HourSend"] == 200


def test_get_email_identity_lab_state(seed_lab: Any) -> None:
    ident = seed_lab.boto3_client("sesv2").get_email_identity(EmailIdentity="sender.example")
    tokens = list(seed_lab.scenario.ses.identities[0].dkim_tokens)
    assert ident["IdentityType"] == "DOMAIN" and ident["VerificationStatus"] == "SUCCESS"
    assert ident["VerifiedForSendingStatus"] is True
    assert ident["DkimAttributes"]["Status"] == "SUCCESS"
    assert ident["DkimAttributes"]["Tokens"] == tokens
    assert ident["MailFromAttributes"] == {"MailFromDomain": "mail.sender.example",
                                           "MailFromDomainStatus": "SUCCESS",
                                           "BehaviorOnMxFailure": "USE_DEFAULT_VALUE"}


def test_identity_is_per_region(seed_lab: Any) -> None:
    client = seed_lab.boto3_client("sesv2", region="us-west-2")
    reply = error(client.get_email_identity, EmailIdentity="sender.example")
    assert reply["Error"]["Code"] == "NotFoundException"


def test_moto_still_serves_the_rest(seed_lab: Any) -> None:
    listed = seed_lab.boto3_client("sesv2").list_email_identities()["EmailIdentities"]
    assert [i["IdentityName"] for i in listed] == ["sender.example"]


PENDING = """
region = "us-east-1"
[input]
from = "a@pending.example"
to = ["b@recipient.example"]
path = "ses_api"
[ses]
sending_enabled = false
enforcement_status = "SHUTDOWN"
[[ses.identities]]
identity = "pending.example"
verification = "Failed"
verification_error = "TYPE_NOT_FOUND"
dkim_status = "Pending"
dkim_tokens = ["t1", "t2", "t3"]
mail_from = "bounce.pending.example"
mail_from_status = "Failed"
behavior_on_mx_failure = "REJECT_MESSAGE"
[expected]
exit_code = 1
"""


def test_failed_states_v2_and_v1(module_lab_factory: Any) -> None:
    lab = module_lab_factory(parse_scenario(PENDING, default_name="pending"))
    ident = lab.boto3_client("sesv2").get_email_identity(EmailIdentity="pending.example")
    assert ident["VerificationStatus"] == "FAILED"
    assert ident["VerificationInfo"]["ErrorType"] == "TYPE_NOT_FOUND"
    assert ident["DkimAttributes"]["Status"] == "PENDING"
    assert ident["MailFromAttributes"]["MailFromDomainStatus"] == "FAILED"
    v1 = lab.boto3_client("ses")
    assert v1.get_account_sending_enabled()["Enabled"] is False
    names = ["pending.example"]
    va = v1.get_identity_verification_attributes(Identities=names)["VerificationAttributes"]
    assert va["pending.example"]["VerificationStatus"] == "Failed"
    dkim = v1.get_identity_dkim_attributes(Identities=names)["DkimAttributes"]["pending.example"]
    assert dkim["DkimVerificationStatus"] == "Pending" and dkim["DkimTokens"] == ["t1", "t2", "t3"]
    mf = v1.get_identity_mail_from_domain_attributes(Identities=names)
    assert mf["MailFromDomainAttributes"]["pending.example"] == {
        "MailFromDomain": "bounce.pending.example", "MailFromDomainStatus": "Failed",
        "BehaviorOnMXFailure": "RejectMessage"}
    assert lab.boto3_client("sesv2").get_account()["EnforcementStatus"] == "SHUTDOWN"


# --- SES v1 ---------------------------------------------------------------------------------


def test_v1_account_calls(seed_lab: Any) -> None:
    v1 = seed_lab.boto3_client("ses")
    assert v1.get_account_sending_enabled()["Enabled"] is True
    quota = v1.get_send_quota()
    assert (quota["Max24HourSend"], quota["MaxSendRate"], quota["SentLast24Hours"]) == (
        50000.0, 14.0, 1234.0)


def test_v1_identity_attributes_seed(seed_lab: Any) -> None:
    v1 = seed_lab.boto3_client("ses")
    dkim = v1.get_identity_dkim_attributes(Identities=["sender.example"])["DkimAttributes"]
    assert dkim["sender.example"]["DkimVerificationStatus"] == "Success"
    assert len(dkim["sender.example"]["DkimTokens"]) == 3


# --- suppression list -----------------------------------------------------------------------


def test_get_suppressed_destination(seed_lab: Any) -> None:
    got = seed_lab.boto3_client("sesv2").get_suppressed_destination(
        EmailAddress="pat@recipient.example")["SuppressedDestination"]
    assert got["Reason"] == "COMPLAINT"
    assert got["LastUpdateTime"] == dt.datetime(2026, 8, 28, 15, 22, 10, tzinfo=UTC)
    assert got["Attributes"]["MessageId"].startswith("010001919a6f3c1e")
    assert "FeedbackId" in got["Attributes"]


def test_not_suppressed_is_404_with_error_type(seed_lab: Any) -> None:
    reply = error(seed_lab.boto3_client("sesv2").get_suppressed_destination,
                  EmailAddress="lee@recipient.example")
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert reply["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == "NotFoundException"
    assert reply["Error"]["Code"] == "NotFoundException"
    assert "lee@recipient.example" in reply["Error"]["Message"]


def test_suppression_is_per_region(seed_lab: Any) -> None:
    client = seed_lab.boto3_client("sesv2", region="eu-west-1")
    assert error(client.get_suppressed_destination,
                 EmailAddress="pat@recipient.example")["Error"]["Code"] == "NotFoundException"


def test_put_get_delete_cycle(fresh_seed_lab: Any) -> None:
    v2 = fresh_seed_lab.boto3_client("sesv2")
    v2.put_suppressed_destination(EmailAddress="New@Recipient.example", Reason="BOUNCE")
    got = v2.get_suppressed_destination(EmailAddress="new@recipient.example")
    assert got["SuppressedDestination"]["Reason"] == "BOUNCE"
    v2.delete_suppressed_destination(EmailAddress="new@recipient.example")
    v2.delete_suppressed_destination(EmailAddress="pat@recipient.example")
    assert v2.list_suppressed_destinations()["SuppressedDestinationSummaries"] == []
    reply = error(v2.delete_suppressed_destination, EmailAddress="pat@recipient.example")
    assert reply["Error"]["Code"] == "NotFoundException"


def test_put_rejects_bad_reason(fresh_seed_lab: Any) -> None:
    v2 = fresh_seed_lab.boto3_client("sesv2")
    reply = error(v2.put_suppressed_destination, EmailAddress="a@b.example", Reason="SPAM")
    assert reply["Error"]["Code"] == "BadRequestException"


def list_all(client: Any, **kwargs: Any) -> list[dict[str, Any]]:
    """boto3 has no paginator for this call: loop on NextToken."""
    out: list[dict[str, Any]] = []
    while True:
        page = client.list_suppressed_destinations(**kwargs)
        out += page["SuppressedDestinationSummaries"]
        if not page.get("NextToken"):
            return out
        kwargs["NextToken"] = page["NextToken"]


def test_list_pages_and_filters(fresh_seed_lab: Any) -> None:
    fresh_seed_lab.seed_suppressed(2500)
    v2 = fresh_seed_lab.boto3_client("sesv2")
    everything = list_all(v2, PageSize=1000)
    assert len(everything) == 2501 and len({e["EmailAddress"] for e in everything}) == 2501
    complaints = list_all(v2, Reasons=["COMPLAINT"], PageSize=100)
    assert complaints and all(e["Reason"] == "COMPLAINT" for e in complaints)
    assert len(complaints) + len(list_all(v2, Reasons=["BOUNCE"])) == 2501
    start = dt.datetime(2026, 8, 1, tzinfo=UTC)
    end = dt.datetime(2026, 9, 1, tzinfo=UTC)
    recent = list_all(v2, StartDate=start, EndDate=end)
    assert recent and all(start <= e["LastUpdateTime"] <= end for e in recent)
    assert len(recent) < 2501


def test_list_errors(seed_lab: Any) -> None:
    v2 = seed_lab.boto3_client("sesv2")
    assert error(v2.list_suppressed_destinations,
                 NextToken="!!!not-a-token")["Error"]["Code"] == "InvalidNextTokenException"
    assert error(v2.list_suppressed_destinations,
                 PageSize=5000)["Error"]["Code"] == "BadRequestException"


def test_seeding_100k_entries_in_process(fresh_seed_lab: Any) -> None:
    """Seeding speed is measured in tests/bench, not asserted here."""
    fresh_seed_lab.seed_suppressed(100_000)
    assert len(fresh_seed_lab.aws.state.region("us-east-1").suppression.entries) == 100_001


# --- IAM -------------------------------------------------------------------------------------


def test_keys_as_the_scenario_says(seed_lab: Any) -> None:
    iam = seed_lab.boto3_client("iam")
    keys = iam.list_access_keys(UserName="ses-smtp-sender")["AccessKeyMetadata"]
    by_id = {k["AccessKeyId"]: k["Status"] for k in keys}
    assert by_id == {seed_lab.key("old").access_key_id: "Inactive",
                     seed_lab.key("current").access_key_id: "Active"}
    for key_id in by_id:
        assert re.fullmatch(r"AKIA[A-Z0-9]{16}", key_id)


def test_last_used_dates(seed_lab: Any) -> None:
    iam = seed_lab.boto3_client("iam")
    old = iam.get_access_key_last_used(AccessKeyId=seed_lab.key("old").access_key_id)
    assert old["UserName"] == "ses-smtp-sender"
    assert old["AccessKeyLastUsed"]["LastUsedDate"] == dt.datetime(2026, 7, 10, 9, 41, tzinfo=UTC)
    assert old["AccessKeyLastUsed"]["ServiceName"] == "ses"
    assert old["AccessKeyLastUsed"]["Region"] == "us-east-1"


DELETED = PENDING.replace("[expected]", """
[[iam.users]]
name = "smtp"
[[iam.users.keys]]
label = "gone"
status = "Deleted"
[[iam.users.keys]]
label = "live"
status = "Active"
[expected]""")


def test_deleted_key_exists_only_in_the_scenario(module_lab_factory: Any) -> None:
    lab = module_lab_factory(parse_scenario(DELETED, default_name="deleted"))
    iam = lab.boto3_client("iam")
    listed = [k["AccessKeyId"] for k in iam.list_access_keys(UserName="smtp")["AccessKeyMetadata"]]
    assert listed == [lab.key("live").access_key_id]
    reply = error(iam.get_access_key_last_used, AccessKeyId=lab.key("gone").access_key_id)
    assert reply["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_keys_are_deterministic(lab_factory: Any) -> None:
    first = lab_factory("seed")
    ids = {label: (k.access_key_id, k.secret) for label, k in first.aws.keys.items()}
    first.close()
    assert {label: (k.access_key_id, k.secret)
            for label, k in lab_factory("seed").aws.keys.items()} == ids
    assert deterministic_key("x") == deterministic_key("x") != deterministic_key("y")


def test_two_labs_do_not_share_state(lab_factory: Any) -> None:
    a, b = lab_factory("seed"), lab_factory("seed")
    a.boto3_client("sesv2").delete_suppressed_destination(EmailAddress="pat@recipient.example")
    got = b.boto3_client("sesv2").get_suppressed_destination(EmailAddress="pat@recipient.example")
    assert got["SuppressedDestination"]["Reason"] == "COMPLAINT"
    assert a.aws.account_id != b.aws.account_id
    assert a.key("old").access_key_id == b.key("old").access_key_id  # deterministic per scenario


def test_list_email_identities_uses_lab_statuses(module_lab_factory: Any) -> None:
    lab = module_lab_factory(parse_scenario(PENDING, default_name="pending-list"))
    v2 = lab.boto3_client("sesv2")
    v2.create_email_identity(EmailIdentity="later.example")
    listed = {i["IdentityName"]: i["VerificationStatus"]
              for i in v2.list_email_identities()["EmailIdentities"]}
    assert listed == {"pending.example": "FAILED", "later.example": "SUCCESS"}
    assert v2.list_email_identities()["EmailIdentities"][0]["IdentityType"] == "DOMAIN"
