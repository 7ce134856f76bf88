"""Errors outside workers: a handler or an action that raises opens the error modal."""

from __future__ import annotations

from tests.tui.conftest import SIZE, make_app, settle
from tui.screens.modals import ErrorModal
from tui.screens.walkthrough import WalkthroughScreen


def _raise(*_args: object) -> None:
    raise ValueError("handler bug for the test")


async def test_a_message_handler_that_raises_opens_the_modal_and_the_app_lives(
        monkeypatch) -> None:
    # Mocked: a bug in a handler cannot come from a server; this stands for one.
    monkeypatch.setattr(WalkthroughScreen, "on_run_done", _raise)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ErrorModal)
        assert "ValueError in WalkthroughScreen handling RunDone" in app.screen.title_text
        assert "handler bug for the test" in app.screen.details
        await pilot.press("escape")
        await pilot.press("p")  # the walkthrough still answers keys
        await pilot.pause()
        assert app.is_running and type(app.screen).__name__ == "ReportScreen"


async def test_an_action_that_raises_opens_the_modal_each_time(monkeypatch) -> None:
    monkeypatch.setattr(WalkthroughScreen, "action_copy_fix", _raise)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        for _ in range(2):
            await pilot.press("c")
            await pilot.pause()
            assert isinstance(app.screen, ErrorModal)
            assert "ValueError" in app.screen.title_text
            await pilot.press("escape")
            await pilot.pause()
        assert app.screen is app.walkthrough
        await pilot.press("q")
    assert app.return_value == 1
