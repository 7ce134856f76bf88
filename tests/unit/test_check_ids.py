"""The stable check ids: every registered check is documented, named layer-first, and its
dependencies exist (the ids are a public interface: JSON output and scenarios use them)."""

from __future__ import annotations

import re
from pathlib import Path

from checks.model import Layer
from checks.registry import load_all_checks

DOC = Path(__file__).resolve().parents[2] / "docs" / "ENGINE.md"
PREFIX = {Layer.GMAIL_RELAY: "gmail_relay.", Layer.SES: "ses.", Layer.DNS: "dns.",
          Layer.RECIPIENT_MTA: "recipient."}


def test_every_registered_check_is_in_the_documented_table():
    documented = set(re.findall(r"`((?:gmail_relay|ses|dns|recipient)\.[a-z_.]+)`",
                                DOC.read_text()))
    registered = {c.id for c in load_all_checks().all()}
    assert registered - documented == set(), "add these to docs/ENGINE.md"


def test_ids_start_with_their_layer_and_needs_exist():
    checks = load_all_checks().all()
    ids = {c.id for c in checks}
    for c in checks:
        assert c.id.startswith(PREFIX[c.layer]), c.id
        assert set(c.needs) <= ids, f"{c.id} needs unknown checks"


def test_sandbox_recipients_has_its_own_id():
    checks = {c.id: c for c in load_all_checks().all()}
    sandbox = checks["ses.account.sandbox_recipients"]
    assert sandbox.layer is Layer.SES and "ses.account.sending" in sandbox.needs
    assert "ses.suppression.recipient" in checks
