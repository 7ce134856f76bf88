"""Family layouts read bounces they were not tuned on: messages built here from each family's
documented shape (example domains only), with other recipients, codes and wording."""

from __future__ import annotations

from checks.bounce import mail, parse_bounce
from checks.bounce.mta import reporter


def _mail(headers: str, body: str) -> bytes:
    return (headers.strip() + "\n\n" + body.lstrip("\n")).encode()


YAHOO = _mail("""
From: MAILER-DAEMON@mta.example.net
To: sender@example.com
Subject: Failure Notice
X-YMailISG: AbCdEf0123456789
""", """
Sorry, we were unable to deliver your message to the following address.

<first@example.org>:
Remote host said: 550 5.1.1 <first@example.org>: Recipient address rejected [RCPT_TO]

<second@example.org>:
Remote host said: 552 5.2.2 <second@example.org>: Mailbox full [RCPT_TO]

--- Below this line is a copy of the message.

To: first@example.org
Subject: hello
""")


def test_yahoo_layout_reads_each_recipient_and_its_command() -> None:
    report = parse_bounce(YAHOO)
    got = {r.address: (r.reason, r.status, r.command) for r in report.recipients}
    assert got == {"first@example.org": ("userunknown", "5.1.1", "RCPT"),
                   "second@example.org": ("mailboxfull", "5.2.2", "RCPT")}


X3 = _mail("""
From: Mail Delivery System <Mail.Delivery.System@mx.example.net>
To: sender@example.com
Subject: Delivery status notification
""", """
============================================================================
      This is an automatically generated Delivery Status Notification.
Delivery to the following recipients failed permanently:

   * alpha@example.org

============================================================================
                             Technical details:
SMTP:RCPT host 192.0.2.8: 550 5.1.1 <alpha@example.org>... User unknown
============================================================================

Content-Type: message/rfc822

To: alpha@example.org
From: sender@example.com
""")


def test_x3_bulleted_recipient_is_the_recipient() -> None:
    report = parse_bounce(X3)
    assert [r.address for r in report.recipients] == ["alpha@example.org"]
    assert (report.recipients[0].reason, report.recipients[0].status) == ("userunknown", "5.1.1")


INNER = """From: Mail Delivery Subsystem <MAILER-DAEMON@relay.example.net>
To: sender@example.com
Subject: Returned mail: User unknown
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="inner"

--inner
Content-Type: text/plain

The original message was received at Thu, 15 Oct 2015 15:22:22 +0900

--inner
Content-Type: message/delivery-status

Reporting-MTA: dns; relay.example.net

Final-Recipient: RFC822; gone@example.org
Action: failed
Status: 5.1.1
Diagnostic-Code: SMTP; 550 5.1.1 <gone@example.org>... User unknown

--inner--
"""
RETURNED = _mail("""
From: Postmaster <postmaster@gateway.example.com>
To: "NotificationRecipients" <notify@gateway.example.com>
Subject: Undelivered notice
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"
""", f"""
--outer
Content-Type: text/plain

----- The following addresses had permanent delivery errors -----

--outer
Content-Type: message/rfc822

{INNER}
--outer--
""")


def test_a_returned_delivery_report_is_read_as_the_bounce() -> None:
    report = parse_bounce(RETURNED)
    assert [(r.address, r.status, r.reason) for r in report.recipients] == [
        ("gone@example.org", "5.1.1", "userunknown")]


EINS = _mail("""
From: "Mail Delivery System" <mailer-daemon@mx.example.net>
To: sender@example.com
Subject: Mail delivery failed: returning message to sender
""", """
This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of
its recipients. This is a permanent error. The following address(es)
failed:

large@example.org

For the following reason:

Mail size limit exceeded. For explanation visit
http://postmaster.example.net/en/error-messages

--- The header of the original message is following. ---

To: large@example.org
""")


def test_one_and_one_layout_by_its_end_marker() -> None:
    report = parse_bounce(EINS)
    assert [(r.address, r.reason) for r in report.recipients] == [("large@example.org",
                                                                   "mesgtoobig")]


LABS = _mail("""
From: MAILER-DAEMON@messagelabs.com
To: sender@example.com
Subject: Mail Delivery Failure
X-Msg-Ref: server-1.tower-2.messagelabs.com!1!2!3
MIME-Version: 1.0
Content-Type: multipart/report; report-type=delivery-status; boundary="b"
""", """
--b
Content-Type: text/plain

Delivery to the following recipients failed.

--b
Content-Type: message/delivery-status

Reporting-MTA: dns; server-1.tower-2.messagelabs.com

Final-Recipient: rfc822; nobody-here@example.org
Action: failed
Status: 5.0.0
Diagnostic-Code: smtp; 553 sorry, No such user (#5.7.1)

--b--
""")


def test_messagelabs_wording_names_the_reason() -> None:
    report = parse_bounce(LABS)
    assert report.recipients[0].reason == "userunknown"
    assert report.recipients[0].address == "nobody-here@example.org"


def _family(headers: str, body: str = "Delivery failed.\n") -> str:
    return reporter(mail.read(_mail(headers, body)))


def test_families_named_by_their_own_headers() -> None:
    base = "From: mailer-daemon@mx.example.net\nTo: sender@example.com\n"
    assert _family(base + "Subject: Failure Notice\nX-YMailISG: abc") == "Yahoo"
    assert _family(base + "Subject: Returned mail\nX-AOL-IP: 192.0.2.1") == "AOL"
    assert _family(base + "Subject: failed\nX-GMX-Antispam: 0") == "GMX"
    assert _family(base + "Subject: Undelivered Mail Returned to Sender") == "Postfix"
    exim_id = "Message-ID: <1aBcDeF-0aBcDe-Zz@mx.example.net>"
    assert _family(base + "Subject: failed\n" + exim_id) == "Exim"
    assert _family("Received: from mx.example.net (mx.example.net [192.0.2.1]) by relay "
                   "(OpenSMTPD) with ESMTP id 1234\n" + base + "Subject: x") == "OpenSMTPD"
    assert _family(base + "Subject: Undeliverable") == ""


def _facebook(code: str, status: str) -> bytes:
    return _mail("""
From: Facebook <mailer-daemon@mx.facebook.com>
To: sender@example.com
Subject: Sorry, your message could not be delivered
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="fb"
""", f"""
--fb
Content-Type: text/plain; charset=UTF-8

This message was created automatically by Facebook.

--fb
Content-Type: message/delivery-status

Reporting-MTA: dns; 192.0.2.10

Diagnostic-Code: smtp; 550 {status} {code} http://postmaster.example.com/codes#x Refused
Status: {status}
Final-Recipient: rfc822; friend@example.org
Action: failed

--fb--
""")


def test_facebook_layout_reads_its_response_codes() -> None:
    cases = {("RCP-T4", "5.0.0"): "suspend", ("POL-P5", "5.7.1"): "virusdetected",
             ("MSG-P1", "5.3.4"): "mesgtoobig", ("POL-T1", "4.7.1"): "notaccept"}
    got = {key: parse_bounce(_facebook(*key)).recipients[0].reason for key in cases}
    assert got == cases
