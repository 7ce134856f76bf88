"""Snapshots of each main screen on real lab scenarios (seed and healthy), and of the modals.

The lab's loopback ports, dates and key ids are scrubbed by `tui.screenshots` before they
are drawn; nothing in a picture depends on the clock. Update with `--snapshot-update`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from checks.context import Context
from tests.tui.conftest import make_app as fake_app
from tests.tui.conftest import settle
from tui.screenshots import SCREENS, SIZE, SMALL, SMALL_SCREENS, make_app, still

#: every screen is shot for the seed; these for the healthy scenario too
HEALTHY_SCREENS = ("walkthrough", "report", "intake", "settings", "help", "suppression",
                   "credentials")
#: screens that change the lab (rotation): each gets a lab of its own
CHANGES_LAB = ("credentials",)


def _app(lab, name: str):
    return make_app(Context(endpoints=lab.endpoints, inputs=lab.inputs), name)


@pytest.fixture(autouse=True)
def keep_keyring() -> Iterator[None]:
    """The credentials pictures seed a private in-memory keyring: put the previous back."""
    import keyring

    before = keyring.get_keyring()
    yield
    keyring.set_keyring(before)


@pytest.mark.parametrize("screen", [s for s in SCREENS if s not in CHANGES_LAB])
def test_seed_screen(snap_compare, seed_lab, screen: str) -> None:
    """Seed: two root causes (Gmail relay key inactive, recipient suppressed); rest healthy."""
    assert snap_compare(_app(seed_lab, "seed"), terminal_size=SIZE, run_before=SCREENS[screen])


@pytest.mark.parametrize("screen", SMALL_SCREENS)
def test_seed_screen_at_80_by_24(snap_compare, seed_lab, screen: str) -> None:
    """The classic terminal: the diagnosis bar and the footer's main keys, ? and q whole."""
    assert snap_compare(_app(seed_lab, "seed"), terminal_size=SMALL, run_before=SCREENS[screen])


@pytest.mark.parametrize("screen", CHANGES_LAB)
def test_seed_screen_on_its_own_lab(snap_compare, fresh_seed_lab, screen: str) -> None:
    """Seed credentials: the stored profile (masked) and the rotation checklist, paused at
    the Gmail step."""
    assert snap_compare(_app(fresh_seed_lab, "seed"), terminal_size=SIZE,
                        run_before=SCREENS[screen])


@pytest.mark.parametrize("screen", [s for s in HEALTHY_SCREENS if s not in CHANGES_LAB])
def test_healthy_screen(snap_compare, healthy_lab, screen: str) -> None:
    """Healthy: every layer passes; the bar and the report say no faults were found."""
    assert snap_compare(_app(healthy_lab, "healthy"), terminal_size=SIZE,
                        run_before=SCREENS[screen])


def test_healthy_credentials(snap_compare, lab_factory) -> None:
    """Healthy credentials: the profile's key is active; rotation needs no room."""
    assert snap_compare(_app(lab_factory("healthy"), "healthy"), terminal_size=SIZE,
                        run_before=SCREENS["credentials"])


def test_question_modal(snap_compare) -> None:
    """The tree's question with its three choices, numbered, over the walkthrough."""

    async def ask(pilot) -> None:
        await pilot.app.ready.wait()
        await pilot.pause()
        still(pilot)

    assert snap_compare(fake_app(path=None), terminal_size=SIZE, run_before=ask)


def test_error_modal(snap_compare) -> None:
    """An unexpected error: its title, the copyable details, Copy and Close buttons."""

    async def fail(pilot) -> None:
        await settle(pilot.app, pilot)
        pilot.app.show_error("Unexpected RuntimeError in stream",
                             "Traceback (most recent call last):\n"
                             '  File "checks/runner.py", line 1, in run_checks\n'
                             "RuntimeError: engine bug for the test")
        await pilot.pause()
        still(pilot)

    assert snap_compare(fake_app(), terminal_size=SIZE, run_before=fail)
