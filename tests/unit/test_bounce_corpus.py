"""Bounce intake against the labelled real-bounce corpus: the labels are the expected values.

Each file must parse without an exception; agreement with the labels is asserted overall
(per-file agreement is reported by tests/bench/bench_bounce.py, not asserted one by one).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from checks.bounce import parse_bounce

CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "corpus" / "bounces"
LABELS = CORPUS / "labels.jsonl"

pytestmark = pytest.mark.skipif(not LABELS.exists(), reason="bounce corpus not present")

#: agreement floors this suite enforces (the project targets are 95% reason, 97% status)
REASON_FLOOR = 0.95
STATUS_FLOOR = 0.97


def _labels() -> list[dict[str, object]]:
    if not LABELS.exists():
        return []
    return [json.loads(line) for line in LABELS.read_text("utf-8").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def outcomes() -> list[tuple[dict[str, object], dict[str, object]]]:
    return [(lab, _parse(str(lab["file"]))) for lab in _labels()]


def _parse(name: str) -> dict[str, object]:
    return parse_bounce((CORPUS / name).read_bytes(), name=name).to_json()


@pytest.mark.parametrize("label", _labels(), ids=lambda lab: str(lab["file"]))
def test_every_file_parses(label: dict[str, object]) -> None:
    report = parse_bounce((CORPUS / str(label["file"])).read_bytes(), name=str(label["file"]))
    assert report.parsed, report.error
    assert report.recipients, "a labelled bounce names at least one recipient"


def test_reason_agreement(outcomes: list[tuple[dict[str, object], dict[str, object]]]) -> None:
    agree = sum(lab["reason"] == got["reason"] for lab, got in outcomes)
    assert agree / len(outcomes) >= REASON_FLOOR


def test_status_agreement(outcomes: list[tuple[dict[str, object], dict[str, object]]]) -> None:
    agree = sum(lab["status"] == (got["status"] or "") for lab, got in outcomes)
    assert agree / len(outcomes) >= STATUS_FLOOR


def test_feedback_reports_are_complaints(
    outcomes: list[tuple[dict[str, object], dict[str, object]]],
) -> None:
    arf = [(lab, got) for lab, got in outcomes if lab["lhost"] == "ARF"]
    assert arf and sum(got["reason"] == "feedback" for _, got in arf) / len(arf) >= 0.7
