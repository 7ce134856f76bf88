"""MIME trees past the reader's limits (hostile input): thousands of parts before the
delivery-status part, or nesting thousands deep. The walk stays bounded (MAX_PARTS,
MAX_DEPTH), the delivery-status part is still found by one direct search of the body, and
the report says what was not read."""

from __future__ import annotations

import time

from checks.bounce import mail, parse_bounce
from checks.bounce.model import describe

HEAD = (b"From: MAILER-DAEMON@mx.example.net\nTo: sender@example.com\n"
        b"Subject: Undelivered Mail Returned to Sender\nMIME-Version: 1.0\n")
DSN_PART = (b"Content-Type: message/delivery-status\n\nReporting-MTA: dns; mx.example.net\n\n"
            b"Final-Recipient: rfc822; user@example.org\nAction: failed\nStatus: 5.1.1\n"
            b"Diagnostic-Code: smtp; 550 5.1.1 <user@example.org>: Recipient address rejected: "
            b"User unknown\n\n")
REPORT = b'Content-Type: multipart/report; report-type=delivery-status; boundary="B"\n\n'


def many_parts(count: int, dsn: bytes = DSN_PART) -> bytes:
    filler = b"".join(b"--B\nContent-Type: text/plain\n\nfiller %d\n\n" % i for i in range(count))
    return HEAD + REPORT + filler + b"--B\n" + dsn + b"--B--\n"


def nested(depth: int, leaf: bytes = DSN_PART) -> bytes:
    levels = b"".join(b'Content-Type: multipart/mixed; boundary="b%05d"\n\n--b%05d\n' % (i, i)
                      for i in range(depth))
    return HEAD + levels + leaf


def _recipient(data: bytes) -> tuple[str, str, str]:
    report = parse_bounce(data)
    assert report.first is not None
    return report.first.address, report.first.status, report.first.reason


def test_a_thousand_parts_before_the_report_keep_the_recipient() -> None:
    data = many_parts(1000)
    assert _recipient(data) == ("user@example.org", "5.1.1", "userunknown")
    report = parse_bounce(data)
    assert report.kind == "dsn"
    assert len(report.notes) == 1
    assert f"more than {mail.MAX_PARTS} MIME parts" in report.notes[0]
    assert "found past them" in report.notes[0]
    assert report.to_json()["notes"] == list(report.notes)
    assert "note: the message has more than" in describe(report)


def test_nesting_five_thousand_deep_keeps_the_recipient() -> None:
    data = nested(5000)
    assert _recipient(data) == ("user@example.org", "5.1.1", "userunknown")
    (note,) = parse_bounce(data).notes
    assert f"deeper than {mail.MAX_DEPTH} levels" in note and "found past them" in note


def test_within_the_limits_nothing_is_noted() -> None:
    for data in (many_parts(150), nested(20)):
        report = parse_bounce(data)
        assert _recipient(data) == ("user@example.org", "5.1.1", "userunknown")
        assert report.notes == ()
        assert "notes" not in report.to_json()


def test_cut_short_without_a_report_says_so() -> None:
    data = many_parts(1000, dsn=b"Content-Type: text/plain\n\nnothing here\n\n")
    report = parse_bounce(data)
    report.to_json()
    assert len(report.notes) == 1 and "no delivery status part was found" in report.notes[0]


def test_the_report_part_cut_off_at_the_end_says_so() -> None:
    data = many_parts(1000, dsn=b"Content-Type: message/delivery-status\nFinal-Recipient: x")
    assert "cut off" in " ".join(parse_bounce(data).notes)


def test_hostile_trees_stay_bounded() -> None:
    """Parts and depth far past the limits are read in linear time (a generous bound)."""
    for data in (many_parts(20000), nested(20000)):
        start = time.process_time()
        assert _recipient(data)[0] == "user@example.org"
        assert time.process_time() - start < 10
