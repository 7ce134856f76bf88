"""One line with the diagnosis so far: "Running 7 of 21 · 1 root cause so far: Gmail relay"."""

from __future__ import annotations

from collections.abc import Sequence

from textual.widgets import Static

from checks.diagnosis import diagnose
from checks.model import CheckResult


def summary_line(results: Sequence[CheckResult], total: int, running: bool) -> str:
    """The status bar's words; no clock and no durations, so screenshots stay stable."""
    if not total:
        return "Nothing checked yet. Press i to describe the problem."
    diagnosis = diagnose(results)
    headline = diagnosis.headline()
    if running:
        return f"Running: {len(results)} of {total} checks done · so far: {headline}"
    warns = len(diagnosis.warnings)
    extra = f" · {warns} warning{'s' if warns != 1 else ''}" if warns else ""
    return f"{headline}{extra} · {total} checks · p: report, n: next step"


class DiagnosisBar(Static):
    """The diagnosis so far, updated as each check finishes."""

    def show(self, results: Sequence[CheckResult], total: int, running: bool) -> None:
        self.set_class(bool(diagnose(results).root_causes), "-faults")
        self.update(summary_line(results, total, running))
