"""The diagnosis bar below the walkthrough: "Running: 7 of 21 checks done · so far: …".

The bar picks the longest wording that fits its width: the full line at 100 columns, the same
without the check count when that is too long, and at last the headline wrapped with the key
hint on a line of its own, so the hint is never cut.
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.cells import cell_len
from textual import events
from textual.widgets import Static

from checks.diagnosis import Diagnosis

#: what to press once a diagnosis is done (shown whole, or on a line of its own)
HINT = "p: report, n: next step"


def summary_lines(diagnosis: Diagnosis, done: int, total: int, running: bool) -> list[str]:
    """The bar's wordings for `diagnosis` of the `done` results so far, longest first; the
    last may need more than one line. No clock and no durations, so screenshots stay
    stable."""
    if not total:
        return ["Nothing checked yet. Press i to describe the problem."]
    headline = diagnosis.headline()
    if running:
        return [f"Running: {done} of {total} checks done · so far: {headline}",
                f"Running: {done} of {total} done · so far: {headline}"]
    warns = len(diagnosis.warnings)
    found = headline + (f" · {warns} warning{'s' if warns != 1 else ''}" if warns else "")
    return [f"{found} · {total} checks · {HINT}", f"{found} · {HINT}", f"{found}\n{HINT}"]


def fit(wordings: Sequence[str], width: int) -> str:
    """The first wording whose every line fits `width` cells, else the last one (it wraps)."""
    for text in wordings:
        if all(cell_len(line) <= width for line in text.splitlines()):
            return text
    return wordings[-1]


class DiagnosisBar(Static):
    """The diagnosis so far, updated as each check finishes; as long as the width allows."""

    #: what the bar may say, longest first (set by show and say)
    wordings: tuple[str, ...] = ("",)

    def show(self, diagnosis: Diagnosis, done: int, total: int, running: bool) -> None:
        self.set_class(bool(diagnosis.root_causes), "-faults")
        self.say(*summary_lines(diagnosis, done, total, running))

    def say(self, *wordings: str) -> None:
        """Show the longest of `wordings` (longest first) that fits; the last one wraps."""
        self.wordings = wordings or ("",)
        self._fit()

    def on_resize(self, event: events.Resize) -> None:
        self._fit()

    def _fit(self) -> None:
        width = self.content_size.width
        self.update(fit(self.wordings, width) if width else self.wordings[0])
