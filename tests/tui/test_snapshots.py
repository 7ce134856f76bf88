"""Snapshots of each main screen on real lab scenarios (seed and healthy).

The lab's loopback ports, dates and key ids are scrubbed by `tui.screenshots` before they
are drawn; nothing in a picture depends on the clock. Update with `--snapshot-update`.
"""

from __future__ import annotations

import pytest

from checks.context import Context
from tui.screenshots import OTHER_SCREENS, SCREENS, SIZE, make_app


def _app(lab, name: str):
    return make_app(Context(endpoints=lab.endpoints, inputs=lab.inputs), name)


@pytest.mark.parametrize("screen", list(SCREENS))
def test_seed_screen(snap_compare, seed_lab, screen: str) -> None:
    """Seed: two root causes (Gmail relay key inactive, recipient suppressed); rest healthy."""
    assert snap_compare(_app(seed_lab, "seed"), terminal_size=SIZE, run_before=SCREENS[screen])


@pytest.mark.parametrize("screen", OTHER_SCREENS)
def test_healthy_screen(snap_compare, healthy_lab, screen: str) -> None:
    """Healthy: every layer passes; the bar and the report say no faults were found."""
    assert snap_compare(_app(healthy_lab, "healthy"), terminal_size=SIZE,
                        run_before=SCREENS[screen])
