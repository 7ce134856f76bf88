"""CSV formula cells (OWASP CSV injection) and the address check, without AWS."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from checks.suppression import (
    SuppressedEntry,
    SuppressionError,
    csv_cell,
    export_csv,
    normalise_email,
)

T0 = dt.datetime(2026, 9, 1, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize("value", ["=1+2", "+1", "-1", "@SUM(A1)", "\tx", "\rx"])
def test_formula_starts_get_a_quote(value: str) -> None:
    assert csv_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["pat@recipient.example", "", None, "a=b", "'=1"])
def test_other_cells_are_unchanged(value: str | None) -> None:
    assert csv_cell(value) == value


def test_export_quotes_every_column() -> None:
    entry = SuppressedEntry("=1+2@x.example", "BOUNCE", T0, message_id="-m", feedback_id="+f",
                            region="us-east-1")
    out = io.StringIO()
    export_csv([entry], out, details=True)
    (row,) = csv.DictReader(io.StringIO(out.getvalue()))
    assert row["email"] == "'=1+2@x.example"
    assert (row["message_id"], row["feedback_id"]) == ("'-m", "'+f")
    assert entry.as_dict()["email"] == "=1+2@x.example"  # JSON keeps it as it is


@pytest.mark.parametrize("bad", ["pat@recipient..example", "a@b@c.example", "pat@.example",
                                 "pat@example.", "pat@exa mple.com", "@x.example"])
def test_addresses_with_a_broken_domain_are_refused(bad: str) -> None:
    with pytest.raises(SuppressionError, match="not an email address"):
        normalise_email(bad)


@pytest.mark.parametrize("good", ["=1+2@x.example", "pat+tag@sub.recipient.example",
                                  "x@bücher.example"])
def test_unusual_but_valid_addresses_pass(good: str) -> None:
    assert normalise_email(good) == good
