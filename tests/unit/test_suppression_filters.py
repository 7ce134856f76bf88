"""Pure parts of the suppression explorer: filtering, counts, CSV, input checks."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from checks.suppression import (
    NOTES,
    SuppressedEntry,
    SuppressionError,
    counts_by_day,
    counts_by_reason,
    entry_from_api,
    export_csv,
    filter_entries,
    normalise_email,
    normalise_reasons,
)

T0 = dt.datetime(2026, 9, 1, 12, tzinfo=dt.UTC)


def _entries(n: int) -> list[SuppressedEntry]:
    return [SuppressedEntry(f"user{i}@d{i % 5}.example", "COMPLAINT" if i % 7 == 0 else "BOUNCE",
                            T0 - dt.timedelta(hours=i), region="us-east-1") for i in range(n)]


def test_filter_by_text_domain_reason_and_dates() -> None:
    entries = _entries(100) + [SuppressedEntry("a@mail.d1.example", "BOUNCE", T0)]
    assert {e.domain for e in filter_entries(entries, domain="D1.example")} == {
        "d1.example", "mail.d1.example"}
    assert all(e.reason == "COMPLAINT" for e in filter_entries(entries, reasons=["complaint"]))
    assert len(filter_entries(entries, reasons=["COMPLAINT"])) == 15
    assert [e.email for e in filter_entries(entries, text="USER42@")] == ["user42@d2.example"]
    window = filter_entries(entries, since=T0 - dt.timedelta(hours=3),
                            until=T0 - dt.timedelta(hours=1))
    assert [e.email for e in window] == ["user1@d1.example", "user2@d2.example", "user3@d3.example"]
    naive = filter_entries(entries, since=dt.datetime(2026, 9, 1, 11))  # read as UTC
    assert len(naive) == 3


def test_filter_handles_100000_entries() -> None:
    entries = _entries(100_000)
    assert len(filter_entries(entries, domain="d3.example", reasons=["BOUNCE"])) > 10_000


def test_counts() -> None:
    entries = _entries(48)
    assert counts_by_reason(entries) == {"BOUNCE": 41, "COMPLAINT": 7}
    assert counts_by_reason([]) == {"BOUNCE": 0, "COMPLAINT": 0}
    days = counts_by_day(entries)
    assert list(days) == sorted(days) and sum(days.values()) == 48


def test_export_csv_round_trip() -> None:
    out = io.StringIO()
    entries = _entries(3)
    assert export_csv(entries, out) == 3
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert [r["email"] for r in rows] == [e.email for e in entries]
    assert rows[0]["last_update"] == T0.isoformat()
    more = io.StringIO()
    export_csv(entries, more, header=False)
    assert not more.getvalue().startswith("email,")


def test_inputs_are_checked() -> None:
    assert normalise_email("  Pat@Recipient.Example ") == "pat@recipient.example"
    for bad in ("", "pat", "pat@", "@x.example", "a b@x.example", "pat@localhost"):
        with pytest.raises(SuppressionError):
            normalise_email(bad)
    assert normalise_reasons(["bounce", "BOUNCE", " complaint"]) == ("BOUNCE", "COMPLAINT")
    with pytest.raises(SuppressionError, match="unknown reason"):
        normalise_reasons(["spam"])


def test_entry_from_api_reads_summary_and_detail() -> None:
    entry = entry_from_api({"EmailAddress": "P@x.example", "Reason": "COMPLAINT",
                            "LastUpdateTime": T0, "Attributes": {"MessageId": "m",
                                                                 "FeedbackId": "f"}}, "eu-west-1")
    assert (entry.email, entry.message_id, entry.feedback_id, entry.region) == (
        "p@x.example", "m", "f", "eu-west-1")


def test_notes_say_what_the_user_must_know() -> None:
    ids = {n.id for n in NOTES}
    assert ids == {"per_region", "global_list", "gmail_no_complaints", "complaint_risk"}
