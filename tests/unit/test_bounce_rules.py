"""General reading rules: DSN fields in flattened text, whose provider table applies."""

from __future__ import annotations

from checks.bounce import parse_bounce


def test_dsn_fields_in_a_flattened_report_are_read() -> None:
    """A multipart/report whose boundaries were lost: its fields still name each recipient."""
    data = (
        b"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\nTo: <a@example.com>\n"
        b"MIME-Version: 1.0\nSubject: Returned mail: see transcript\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="lost"\n\n'
        b"   ----- The following addresses had permanent fatal errors -----\n"
        b"<one@example.org>\n<two@example.org>\n\n"
        b"Reporting-MTA: dns; mx.example.net\n\n"
        b"Final-Recipient: RFC822; one@example.org\nAction: failed\nStatus: 5.1.1\n"
        b"Diagnostic-Code: SMTP; 550 5.1.1 <one@example.org>... User unknown\n\n"
        b"Final-Recipient: RFC822; two@example.org\nAction: delayed\nStatus: 4.2.2\n"
        b"Diagnostic-Code: SMTP; 452 4.2.2 Mailbox full\n\n"
    )
    report = parse_bounce(data)
    got = [(r.address, r.status, r.reason) for r in report.recipients]
    assert got == [("one@example.org", "5.1.1", "userunknown"),
                   ("two@example.org", "4.2.2", "mailboxfull")]


def test_reporting_providers_table_does_not_read_another_hosts_reply() -> None:
    """Exchange Online reporting a reply from another host: Microsoft's own code table
    (5.1.0 -> rejected) is not applied to that host's words (an SPF failure)."""
    data = (
        b"From: <postmaster@example.com>\nTo: <a@example.com>\nMIME-Version: 1.0\n"
        b"Subject: Undeliverable: hello\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        b"--B\nContent-Type: text/plain\n\nDelivery has failed to these recipients.\n\n"
        b"--B\nContent-Type: message/delivery-status\n\n"
        b"Reporting-MTA: dns;AB1CD234.eurprd01.prod.outlook.com\n\n"
        b"Final-Recipient: rfc822;user@example.org\nAction: failed\nStatus: 5.1.0\n"
        b"Diagnostic-Code: smtp;550 5.1.0 192.0.2.1 is not allowed to send from <example.com> "
        b"per it's SPF Record. Please inspect your SPF settings, and try again.\n"
        b"Remote-MTA: dns;mx.example.org\n\n--B--\n"
    )
    rcpt = parse_bounce(data).recipients[0]
    assert (rcpt.reason, rcpt.layer) == ("authfailure", "dns")


def test_returned_headers_naming_ses_do_not_make_it_the_ses_layer() -> None:
    """A recipient's server refusing mail that was sent through SES: the returned copy's
    Received line names SES's SMTP host, but SES did not refuse it."""
    data = (
        b"From: MAILER-DAEMON@mx.example.org\nTo: app@example.com\n"
        b"Subject: Undelivered Mail Returned to Sender\n\n"
        b"This is the mail system at host mx.example.org.\n\n"
        b"<user@example.org>: host mx.example.org[192.0.2.5] said: 550 5.1.1 <user@example.org>:"
        b" Recipient address rejected: User unknown (in reply to RCPT TO command)\n\n"
        b"--- Below this line is a copy of the message.\n\n"
        b"Received: from a1.example.com by email-smtp.us-east-1.amazonaws.com with SMTP "
        b"(SimpleEmailService-d-ABC123) id x1\nFrom: app@example.com\nTo: user@example.org\n"
    )
    rcpt = parse_bounce(data).recipients[0]
    assert (rcpt.address, rcpt.reason, rcpt.layer) == ("user@example.org", "userunknown",
                                                         "recipient_mta")


def test_generic_status_field_gives_way_to_the_recipients_transcript() -> None:
    data = (
        b"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\nTo: a@example.com\n"
        b"Subject: Returned mail: see transcript for details\nMIME-Version: 1.0\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        b"--B\n\n   ----- The following addresses had permanent fatal errors -----\n"
        b"<user@example.org>\n    (reason: 255)\n\n   ----- Transcript of session follows -----\n"
        b"554 5.3.0 unknown mailer error 255\n\n"
        b"--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
        b"Final-Recipient: RFC822; user@example.org\nAction: failed\nStatus: 5.0.0\n"
        b"Diagnostic-Code: X-Unix; 255\n\n--B--\n"
    )
    rcpt = parse_bounce(data).recipients[0]
    assert (rcpt.status, rcpt.reason) == ("5.3.0", "mailererror")


def test_ses_notification_email_with_a_folded_json_line() -> None:
    """An SNS email whose long JSON line was folded in transit is still the notification."""
    note = ('{"notificationType":"Bounce","bounce":{"bounceType":"Permanent",'
            '"bounceSubType":"General","bouncedRecipients":[{"emailAddress":"user@example.org",'
            '"action":"failed","status":"5.1.1","diagnosticCode":"smtp; 550 5.1.1 user unknown"}],'
            '"timestamp":"2016-10-21T00:06:40.000Z","reportingMTA":"dns; a1.example.com"},'
            '"mail":{"source":"app@example.com","destination":["user@example.org"],'
            '"headers":[{"name":"X-A","value":"b"},{"name":"!\n Y","value":"c"}]}}')
    data = ("From: SES <no-reply@sns.amazonaws.com>\nTo: ops@example.com\n"
            "Subject: AWS Notification Message\nContent-Type: text/plain\n\n"
            f"{note}\n--\nIf you wish to stop receiving notifications from this topic, visit "
            "https://sns.example.com/unsubscribe?Endpoint=ops@example.com\n").encode()
    report = parse_bounce(data)
    assert report.kind == "ses_json"
    assert [(r.address, r.status, r.replycode, r.reason) for r in report.recipients] == [
        ("user@example.org", "5.1.1", "550", "userunknown")]


def test_x_failed_recipients_names_the_recipient_the_text_does_not() -> None:
    data = (
        b"From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>\n"
        b"To: sender@example.com\nSubject: Delivery Status Notification (Failure)\n"
        b"X-Failed-Recipients: team@groups.example.org\n"
        b"Content-Type: text/plain; charset=utf-8\n\n"
        b"Hello sender@example.com,\n\nThe group you tried to contact (team) may not exist, "
        b"or you may not have permission to post messages to the group.\n"
    )
    report = parse_bounce(data)
    assert [r.address for r in report.recipients] == ["team@groups.example.org"]


def test_flattened_report_text_stops_at_its_fields() -> None:
    """A recipient's text in a flattened report is the transcript, not the DSN fields."""
    data = (
        b"From: Mail Delivery Subsystem <MAILER-DAEMON@mx.example.net>\nTo: <a@example.com>\n"
        b"MIME-Version: 1.0\nSubject: Returned mail: Service unavailable\n"
        b'Content-Type: multipart/report; report-type=delivery-status; boundary="lost"\n\n'
        b"   ----- Transcript of session follows -----\n"
        b"554 <user@example.org>... Service unavailable\n\n"
        b"Reporting-MTA: dns; mx.example.net\n\n"
        b"Final-Recipient: RFC822; <user@example.org>\nAction: failed\nStatus: 5.5.0\n\n"
    )
    rcpt = parse_bounce(data).recipients[0]
    assert (rcpt.address, rcpt.status, rcpt.replycode) == ("user@example.org", "5.5.0", "554")
    assert "Service unavailable" in rcpt.diagnostic and "Final-Recipient" not in rcpt.diagnostic


def test_summary_of_the_original_message_names_no_recipient() -> None:
    data = (
        b"From: postmaster@example.net\nTo: sender@example.com\nSubject: Undeliverable: Hi\n"
        b"Content-Type: text/plain\n\nYour message\n\n  To:      first@example.org\n"
        b"  Cc:      second@example.org\n  Subject: Hi\n  Sent:    Thu, 29 Apr 2010 00:00:00\n\n"
        b"did not reach the following recipient(s):\n\n"
        b"second@example.org on Thu, 29 Apr 2010 00:00:00 -0000\n"
        b"    The recipient name is not recognized\n"
    )
    assert [r.address for r in parse_bounce(data).recipients] == ["second@example.org"]
