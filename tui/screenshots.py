"""Regenerate `screenshots/*.svg`: each main screen, from lab scenarios, deterministically.

    python -m tui.screenshots [--out screenshots] [--scenario seed --scenario healthy]

Every screen is shot at 100×30; the first scenario's walkthrough and report also at 80×24
(the classic terminal), named `…-80x24.svg`.

Loopback ports change on every lab start, so results are scrubbed of them before they are
drawn; nothing else in a picture depends on the clock.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import sys
import tempfile
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import replace
from pathlib import Path

from textual.pilot import Pilot
from textual.worker import WorkerFailed

from checks.context import Context
from checks.model import CheckResult, Evidence
from checks.registry import Check
from checks.runner import CheckFinished, Event, RunFinished, run_checks

SIZE = (100, 30)
#: the classic terminal: every key hint must still be whole there
SMALL = (80, 24)
SCENARIOS = ("seed", "healthy")

#: volatile text -> a fixed stand-in (same meaning, stable picture)
SCRUB: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b127\.0\.0\.1[:#]\d+"), "127.0.0.1:5300"),
    (re.compile(r"\blocalhost:\d+"), "localhost:5300"),
    (re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:?\d\d)?"),
     "2026-01-01 00:00:00+00:00"),
    (re.compile(r"\b(AKIA|ASIA)[A-Z0-9]{16}\b"), "AKIAIOSFODNN7EXAMPLE"),
)


def scrub(text: str) -> str:
    for pattern, stand_in in SCRUB:
        text = pattern.sub(stand_in, text)
    return text


def scrub_result(result: CheckResult) -> CheckResult:
    out = result.outcome
    evidence = tuple(Evidence(scrub(e.label), scrub(e.content), e.kind) for e in out.evidence)
    outcome = replace(out, summary=scrub(out.summary), explanation=scrub(out.explanation),
                      evidence=evidence)
    return replace(result, outcome=outcome, duration_ms=0)


async def scrubbed_events(checks: list[Check], ctx: Context) -> AsyncIterator[Event]:
    """The engine's events with loopback ports and durations made constant."""
    async for event in run_checks(checks, ctx):
        if isinstance(event, CheckFinished):
            event = replace(event, result=scrub_result(event.result))
        elif isinstance(event, RunFinished):
            event = RunFinished(tuple(scrub_result(r) for r in event.results))
        yield event


def still(pilot: Pilot[object]) -> None:
    """Nothing timed in the picture: no toasts (they expire), no blinking cursors."""
    pilot.app.clear_notifications()
    for widget in pilot.app.screen.query("Input, TextArea"):
        widget.cursor_blink = False  # type: ignore[attr-defined]


async def settle(pilot: Pilot[object]) -> None:
    """Wait for the diagnosis to finish and the screen to catch up (no wall clock)."""
    ready = getattr(pilot.app, "ready", None)
    if ready is not None:
        await ready.wait()
    while len(pilot.app.workers):
        with contextlib.suppress(WorkerFailed):  # a failed worker shows the error modal
            await pilot.app.workers.wait_for_complete()
    for _ in range(3):
        await pilot.pause()
    still(pilot)


async def _walkthrough(pilot: Pilot[object]) -> None:
    await settle(pilot)


async def _report(pilot: Pilot[object]) -> None:
    await settle(pilot)
    await pilot.press("p")
    await pilot.pause()
    still(pilot)


async def _intake(pilot: Pilot[object]) -> None:
    await settle(pilot)
    await pilot.press("i", "n")
    await pilot.pause()
    still(pilot)


async def _settings(pilot: Pilot[object]) -> None:
    await settle(pilot)
    await pilot.press("s")
    await pilot.pause()
    still(pilot)


async def _help(pilot: Pilot[object]) -> None:
    await settle(pilot)
    await pilot.press("question_mark")
    await pilot.pause()


async def _suppression(pilot: Pilot[object]) -> None:
    await settle(pilot)
    await pilot.press("u")
    await settle(pilot)


async def _credentials(pilot: Pilot[object]) -> None:
    """The scenario's relay stored as a profile (private keyring and settings), then a
    rotation run against the lab up to the Gmail step, paused there: the checklist."""
    from checks.config import config_path
    from tui.demo_home import private_state
    from tui.screens.credentials import GmailModal
    from tui.screens.modals import ConfirmModal

    await settle(pilot)
    private_state(pilot.app.base_ctx, config_path())  # type: ignore[attr-defined]
    await pilot.press("k")
    await pilot.pause()
    await pilot.press("o")
    for _ in range(3000):  # a bound on turns, not a clock
        await asyncio.sleep(0.01)
        top = pilot.app.screen
        if isinstance(top, ConfirmModal):
            await pilot.press("y")
        elif isinstance(top, GmailModal):
            await pilot.press("escape")  # "not yet": the rotation pauses, old key kept
        elif not len(pilot.app.workers):
            break
    await settle(pilot)
    scrub_screen(pilot)


def scrub_screen(pilot: Pilot[object]) -> None:
    """Key ids the lab made this run, made constant on screen."""
    from textual.widgets import OptionList, Static

    from tui.screens.credentials import CredentialsScreen

    screen = pilot.app.screen
    if isinstance(screen, CredentialsScreen):  # its rows and steps are drawn, not plain text
        screen.shown = scrub
        screen.show_profiles(keep=screen._current_name())
    for widget in screen.query(Static):
        if isinstance(widget.content, str):
            widget.update(scrub(widget.content))
    for options in screen.query(OptionList):
        for index in range(options.option_count):
            prompt = options.get_option_at_index(index).prompt
            if isinstance(prompt, str):
                options.replace_option_prompt_at_index(index, scrub(prompt))


#: screen name -> what to do after the app starts to show that screen
SCREENS: dict[str, Callable[[Pilot[object]], Awaitable[None]]] = {
    "walkthrough": _walkthrough,
    "report": _report,
    "intake": _intake,
    "settings": _settings,
    "help": _help,
    "suppression": _suppression,
    "credentials": _credentials,
}
#: the screens shot for scenarios other than the first
OTHER_SCREENS = ("walkthrough", "report", "suppression", "credentials")
#: the first scenario's screens shot at 80×24 too
SMALL_SCREENS = ("walkthrough", "report")


def make_app(ctx: Context, scenario: str) -> object:
    from tui.app import MailpathApp

    return MailpathApp(ctx, scenario_name=scenario, source=scrubbed_events)


async def shoot(ctx: Context, scenario: str, screen: str, out: Path,
                size: tuple[int, int] = SIZE) -> Path:
    app = make_app(ctx, scenario)
    async with app.run_test(size=size) as pilot:  # type: ignore[attr-defined]
        await SCREENS[screen](pilot)
        suffix = "" if size == SIZE else f"-{size[0]}x{size[1]}"
        path = out / f"{scenario}-{screen}{suffix}.svg"
        app.save_screenshot(str(path))  # type: ignore[attr-defined]
    return path


def _scenario_shots(name: str, screens: Sequence[str], out: Path,
                    small: Sequence[str] = ()) -> list[Path]:
    from checks.lab import load_scenario, start_lab

    with start_lab(load_scenario(name)) as lab:
        ctx = Context(endpoints=lab.endpoints, inputs=lab.inputs)
        # the small ones first: the credentials shot rotates the lab's keys
        shots = [asyncio.run(shoot(ctx, name, s, out, SMALL)) for s in small]
        return shots + [asyncio.run(shoot(ctx, name, s, out)) for s in screens]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tui.screenshots", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("screenshots"))
    parser.add_argument("--scenario", action="append", help="default: seed and healthy")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    # pictures must not show the user's own profiles or recent inputs
    os.environ["MAILPATH_CONFIG"] = str(Path(tempfile.mkdtemp()) / "config.toml")
    for name in args.scenario or SCENARIOS:
        first = name == SCENARIOS[0]
        screens = list(SCREENS) if first else list(OTHER_SCREENS)
        for path in _scenario_shots(name, screens, args.out, SMALL_SCREENS if first else ()):
            print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())
