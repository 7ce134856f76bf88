"""A DSN with many recipient groups is read whole (each group matched to its own text)."""

from __future__ import annotations

from checks.bounce import parse_bounce

GROUPS = 20000


def _big_dsn(n: int) -> bytes:
    """A Postfix-style DSN: per recipient a multi-line reply in the text and a DSN group
    whose Diagnostic-Code holds only the reply's first line."""
    text = "".join(f"<u{i}@example.org>: 550-5.1.1 No such user u{i}\n 550 5.1.1 see help\n"
                   for i in range(n))
    groups = "".join(f"Final-Recipient: rfc822;u{i}@example.org\nAction: failed\n"
                     f"Status: 5.1.1\nDiagnostic-Code: smtp;550-5.1.1 No such user u{i}\n\n"
                     for i in range(n))
    return (
        "From: MAILER-DAEMON@mx.example.net\nTo: sender@example.com\n"
        "Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        "--B\nContent-Type: text/plain\n\nThis is the mail system at host mx.example.net.\n\n"
        f"{text}\n--B\nContent-Type: message/delivery-status\n\n"
        f"Reporting-MTA: dns; mx.example.net\n\n{groups}--B--\n"
    ).encode()


def test_large_dsn_every_group_read() -> None:
    data = _big_dsn(GROUPS)
    assert len(data) > 3_500_000
    report = parse_bounce(data)
    assert report.parsed and report.kind == "dsn"
    assert len(report.recipients) == GROUPS
    for i in (0, 1, 10, GROUPS // 2, GROUPS - 1):
        rcpt = report.recipients[i]
        assert rcpt.address == f"u{i}@example.org"
        assert rcpt.diagnostic == f"550-5.1.1 No such user u{i} 5.1.1 see help"
        assert (rcpt.reason, rcpt.status, rcpt.replycode) == ("userunknown", "5.1.1", "550")


def test_short_first_line_continues_from_its_own_line() -> None:
    """u1's reply is not taken from u10's or u100's lines (a prefix of theirs)."""
    report = parse_bounce(_big_dsn(120))
    assert report.recipients[1].diagnostic == "550-5.1.1 No such user u1 5.1.1 see help"


def test_reply_completed_from_the_transcript_not_a_quotation() -> None:
    """A quotation of the reply's first line ("(reason: 550-5.7.1 ...)") before the
    transcript does not hide the rest of the reply."""
    first = "550-5.7.1 Unauthenticated email from example.com is not accepted due to domain's"
    data = (
        "From: MAILER-DAEMON@mx.example.net\nSubject: Returned mail\nMIME-Version: 1.0\n"
        'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'
        f"--B\nContent-Type: text/plain\n\n   (reason: {first})\n\n"
        f"<<< {first}\n<<< 550-5.7.1 DMARC policy. Please contact the administrator\n"
        "<<< 550 5.7.1 of example.com. x1 - gsmtp\n\n"
        "--B\nContent-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
        f"Final-Recipient: rfc822; u@example.org\nAction: failed\nStatus: 5.7.1\n"
        f"Diagnostic-Code: SMTP; {first}\n\n--B--\n"
    ).encode()
    rcpt = parse_bounce(data).recipients[0]
    assert "DMARC policy" in rcpt.diagnostic and rcpt.reason == "authfailure"
