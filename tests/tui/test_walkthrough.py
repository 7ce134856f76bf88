"""The walkthrough as a person sees it: live statuses, guided steps, re-runs, errors."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from tests.tui.conftest import SIZE, bar_text, make_app, settle, started, tree_lines
from tui.messages import CheckDone, RunBegan
from tui.screens.help import HelpScreen
from tui.screens.modals import ErrorModal, QuestionModal
from tui.widgets.check_detail import CheckDetail
from tui.widgets.layer_tree import LayerTree


async def test_statuses_are_live_while_checks_run() -> None:
    gate = asyncio.Event()
    app = make_app(gate=gate)
    async with app.run_test(size=SIZE) as pilot:
        await started(app)
        for _ in range(5):
            await pilot.pause()
        lines = tree_lines(app)
        assert any("… running Who hosts the recipient domain" in line for line in lines)
        assert "✗ fail    Relay accepts the stored credentials" in "\n".join(lines)
        assert bar_text(app.walkthrough).startswith("Running: 7 of 8 checks done")
        gate.set()
        await settle(app, pilot)
        assert "✓ pass    Recipient MTA" in tree_lines(app)
        assert bar_text(app.walkthrough).startswith("2 root causes: Gmail relay, Amazon SES")


async def test_first_finding_is_shown_when_the_run_ends(app) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        detail = app.walkthrough.query_one(CheckDetail)
        assert detail.view.check_id == "gmail_relay.ses.key_state"  # type: ignore[union-attr]
        await pilot.press("n", "n")  # then the other root cause, then what the first explains
        assert detail.view.check_id == "gmail_relay.smtp.auth"  # type: ignore[union-attr]
        shown = " ".join(str(w.render()) for w in detail.query(".detail-summary"))
        assert "refused the stored credentials (535)" in shown
        evidence = str(detail.query_one(".evidence-text").render())
        assert "535 Authentication Credentials Invalid" in evidence
        assert "[REDACTED]" in evidence


async def test_next_step_visits_root_causes_then_consequences_then_warnings(app) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        seen = [app.walkthrough.selected]
        for _ in range(4):
            await pilot.press("n")
            seen.append(app.walkthrough.selected)
        assert seen == ["gmail_relay.ses.key_state", "ses.suppression.recipient",
                        "gmail_relay.smtp.auth", "dns.dmarc.record", "gmail_relay.ses.key_state"]


async def test_guided_mode_asks_the_trees_question_first() -> None:
    app = make_app(path=None)
    async with app.run_test(size=SIZE) as pilot:
        await started(app)
        await pilot.pause()
        assert isinstance(app.screen, QuestionModal)
        assert "Which path sent this message?" in app.screen.text
        await pilot.press("3")  # the SES API: the relay layer is not on this path
        await settle(app, pilot)
        assert app.walkthrough.ctx.inputs.path == "ses_api"  # type: ignore[union-attr]
        assert not any("Gmail relay" in line for line in tree_lines(app))
        assert bar_text(app.walkthrough).startswith("1 root cause: Amazon SES")


async def test_rerun_one_check_runs_it_with_what_it_needs(app) -> None:
    began: list[RunBegan] = []
    async with app.run_test(size=SIZE, message_hook=_collect(began)) as pilot:
        await settle(app, pilot)
        app.walkthrough.query_one(LayerTree).select_check("gmail_relay.smtp.auth")
        await pilot.pause()
        await pilot.press("r")
        await settle(app, pilot)
        assert began[-1].check_ids == ("gmail_relay.smtp.connect", "gmail_relay.smtp.auth")
        await pilot.press("l")
        await settle(app, pilot)
        assert len(began[-1].check_ids) == 3
        assert bar_text(app.walkthrough).startswith("2 root causes")


async def test_results_of_a_superseded_run_are_dropped(app) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        fresh = app.walkthrough.results["dns.spf.authorises_ses"]
        stale = app.walkthrough.results["gmail_relay.smtp.auth"]
        app.walkthrough.post_message(CheckDone(app.walkthrough.run_id - 1,
                                               _renamed(stale, "dns.spf.authorises_ses")))
        await pilot.pause()
        assert app.walkthrough.results["dns.spf.authorises_ses"] is fresh


async def test_fix_buttons_open_the_screen_that_applies_the_fix(app, monkeypatch) -> None:
    # Recorded, not opened: the fake context has no lab endpoints (tests/tui/test_suppression
    # and test_credentials open these screens on the lab).
    opened: list[tuple[str, object]] = []
    monkeypatch.setattr(type(app), "action_suppression",
                        lambda self, address=None: opened.append(("suppression", address)))
    monkeypatch.setattr(type(app), "action_credentials",
                        lambda self, rotate=False: opened.append(("credentials", rotate)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        tree = app.walkthrough.query_one(LayerTree)
        tree.select_check("ses.suppression.recipient")
        await pilot.pause()
        await pilot.click("#action-remove_suppression")
        tree.select_check("gmail_relay.smtp.auth")
        await pilot.pause()
        await pilot.click("#action-rotate_credentials")
        await pilot.pause()
        assert opened == [("suppression", "bob@recipient.example"), ("credentials", True)]


async def test_unexpected_error_opens_a_copyable_modal_and_the_app_lives(monkeypatch) -> None:
    # Mocked: no real server can make the engine itself raise; this stands for a bug in it.
    async def broken(checks, ctx) -> AsyncIterator[object]:
        raise RuntimeError("engine bug for the test")
        yield  # pragma: no cover

    monkeypatch.setattr("tui.screens.walkthrough.run_checks", broken)
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ErrorModal)
        assert "RuntimeError" in app.screen.title_text
        assert "engine bug for the test" in app.screen.details
        await pilot.press("c")
        assert app.clipboard == app.screen.details
        await pilot.press("escape")
        await pilot.pause()
        assert app.is_running and app.screen is app.walkthrough


async def test_help_shows_the_focused_widgets_help(app) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.walkthrough.query_one(LayerTree).focus()
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.widget_help and "Layer tree" in app.screen.widget_help
        await pilot.press("escape")
        assert app.screen is app.walkthrough


async def test_theme_toggles_between_light_and_dark(app) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("t")
        assert app.theme == "textual-light"
        await pilot.press("t")
        assert app.theme == "textual-dark"


async def test_command_palette_reaches_every_action(app) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        names = {c.title for c in app.get_system_commands(app.screen)}
        for wanted in ("Next step", "Re-run check", "Re-run layer", "Run all", "Copy fix",
                       "Report", "Intake", "Settings", "Suppression", "Credentials", "Help",
                       "Theme", "Quit"):
            assert wanted in names


async def test_copy_fix_puts_the_steps_on_the_clipboard(app) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("c")  # the first root cause is selected: the inactive key
        assert "Rotate the credentials" in app.clipboard
        assert "1. Create a new key" in app.clipboard


async def test_quit_returns_the_diagnosis_exit_code(app) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("q")
    assert app.return_value == 1


def _collect(into: list[RunBegan]):
    def hook(message: object) -> None:
        if isinstance(message, RunBegan):
            into.append(message)

    return hook


def _renamed(result, check_id):
    from dataclasses import replace

    return replace(result, check_id=check_id)


async def test_clicking_a_check_shows_it(app) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.click("#layer-tree", offset=(12, 1))  # second row: the first relay check
        await pilot.pause()
        assert app.walkthrough.selected == "gmail_relay.smtp.connect"
        await pilot.click("#layer-tree", offset=(12, 4))  # the Amazon SES layer row
        await pilot.pause()
        detail = app.walkthrough.query_one(CheckDetail)
        assert "Will SES send it?" in str(detail.query_one(".detail-summary").render())


async def test_rerun_keys_pressed_fast_mid_refresh_use_the_highlighted_check() -> None:
    """`a a a a a r l` at once: each `a` redraws the tree mid-run, yet `r` and `l` act on the
    check highlighted on screen (was: "Select a check or a layer first." while one showed)."""
    gate = asyncio.Event()
    app = make_app(gate=gate)
    began: list[RunBegan] = []
    async with app.run_test(size=SIZE, message_hook=_collect(began)) as pilot:
        gate.set()
        await settle(app, pilot)
        shown = app.walkthrough.query_one(CheckDetail).view.check_id  # type: ignore[union-attr]
        assert shown == "gmail_relay.ses.key_state"
        gate.clear()  # the recipient check now waits: every run stays mid-refresh
        app.clear_notifications()
        await pilot.press("a", "a", "a", "a", "a", "r", "l")
        said = " ".join(n.message for n in app._notifications)
        assert "first" not in said, said  # no "Select a check … first."
        tree = app.walkthrough.query_one(LayerTree)
        assert tree.cursor_node is not None and tree.cursor_node.data == shown
        assert shown in began[-2].check_ids  # r: the highlighted check
        assert "gmail_relay.smtp.auth" in began[-1].check_ids  # l: the highlighted one's layer
        gate.set()
        await settle(app, pilot)
        assert bar_text(app.walkthrough).startswith("2 root causes")
        # the runs `r` and `l` cut short are finished by them: nothing is left waiting
        assert not [line for line in tree_lines(app) if "waiting" in line or "running" in line]
        assert set(app.walkthrough.results) == set(app.walkthrough.checks)
