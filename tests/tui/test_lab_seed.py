"""The TUI on the real seed lab: what `mailpath demo` shows, checked as a person reads it."""

from __future__ import annotations

from checks.context import Context
from tests.tui.conftest import SIZE, bar_text, settle, tree_lines
from tui.app import MailpathApp
from tui.screens.report import ReportScreen


async def test_seed_walkthrough_shows_two_root_causes_and_healthy_layers(seed_lab) -> None:
    app = MailpathApp(Context(endpoints=seed_lab.endpoints, inputs=seed_lab.inputs),
                      scenario_name="seed")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        lines = tree_lines(app)
        layers = [line for line in lines if not line.startswith("  ")]
        assert layers[0].startswith("✗ fail    2/6 Gmail relay")
        assert layers[1].startswith("✗ fail    1/8 Amazon SES")
        assert "✓ pass    DNS" in layers and "✓ pass    Recipient MTA" in layers
        assert bar_text(app.walkthrough).startswith("2 root causes: Gmail relay, Amazon SES")
        assert app.walkthrough.selected == "gmail_relay.ses.key_state"  # the root cause first
        await pilot.press("p")
        assert isinstance(app.screen, ReportScreen)
        causes = [r.check_id for r in app.screen.diagnosis.root_causes]
        assert sorted(causes) == ["gmail_relay.ses.key_state", "ses.suppression.recipient"]
        assert seed_lab.inputs.relay.password.reveal() not in app.screen.markdown
        await pilot.press("escape", "q")
    assert app.return_value == 1


async def test_ses_api_path_blames_only_ses_as_the_cli_does(seed_lab) -> None:
    """`--path ses_api` in the TUI: the relay runs only for facts an SES check needs, so it
    is never a root cause (as `mailpath check --path ses_api`: 1 root cause, Amazon SES)."""
    from dataclasses import replace

    inputs = replace(seed_lab.inputs, path="ses_api")
    app = MailpathApp(Context(endpoints=seed_lab.endpoints, inputs=inputs),
                      scenario_name="seed")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        diagnosis = app.walkthrough.diagnosis()
        assert [r.check_id for r in diagnosis.root_causes] == ["ses.suppression.recipient"]
        assert bar_text(app.walkthrough).startswith("1 root cause: Amazon SES")
        await pilot.press("q")
    assert app.return_value == 1
