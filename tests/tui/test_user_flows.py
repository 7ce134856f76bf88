"""Flows a person goes through, checked by what the screen says: the report during a run,
"check my setup", long evidence, narrow terminals, confirmations, the palette, the demo's
private state."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from rich.text import Text
from textual import events

from checks.config import Profile, save_profile
from checks.context import Context
from checks.creds import store
from tests.tui.conftest import (
    SIZE,
    bar_text,
    make_app,
    notices,
    screen_text,
    settle,
    started,
    tree_lines,
)
from tui.app import MailpathApp
from tui.screens.credentials import CredentialsScreen
from tui.screens.intake import IntakeScreen
from tui.screens.modals import ConfirmModal, PathModal, QuestionModal
from tui.screens.report import ReportScreen
from tui.widgets.check_detail import CheckDetail, EvidenceView
from tui.widgets.layer_tree import LayerTree

SMALL = (80, 24)


def _drawn(app: MailpathApp) -> list[str]:
    return app.walkthrough.query_one(LayerTree).check_order()


async def _type(pilot, text: str) -> None:
    for ch in text:
        await pilot.press(ch)


# ---- the report never claims health while checks run -------------------------------------


async def test_report_asked_for_during_a_run_opens_when_the_run_ends() -> None:
    gate = asyncio.Event()  # holds the recipient check, so the run is mid-way
    app = make_app(gate=gate)
    async with app.run_test(size=SIZE) as pilot:
        await started(app)
        await pilot.press("a", "p")
        await pilot.pause()
        assert not isinstance(app.screen, ReportScreen)
        assert any(n.startswith("Checks still running") for n in notices(app))
        assert "No faults found" not in screen_text(app)
        gate.set()
        await settle(app, pilot)
        assert isinstance(app.screen, ReportScreen)
        assert "**2 root causes: Gmail relay, Amazon SES**" in app.screen.markdown


async def test_report_of_the_spf_scenario_is_never_healthy_mid_run(lab_factory) -> None:
    lab = lab_factory("dns-spf-missing-amazonses")
    app = MailpathApp(Context(endpoints=lab.endpoints, inputs=lab.inputs))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("a", "p")
        await settle(app, pilot)
        assert isinstance(app.screen, ReportScreen)
        assert "No faults found" not in app.screen.markdown
        assert app.screen.diagnosis.root_causes
        assert "dns" not in [layer.value for layer in app.screen.diagnosis.healthy_layers]


# ---- check my setup ------------------------------------------------------------------------


async def test_check_my_setup_walks_the_relay_and_draws_every_check_that_ran(seed_lab) -> None:
    app = MailpathApp(Context(endpoints=seed_lab.endpoints, inputs=seed_lab.inputs))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("i", "s", "enter")
        await settle(app, pilot)
        assert app.screen is app.walkthrough
        layers = [line for line in tree_lines(app) if not line.startswith("  ")]
        assert layers[0].startswith("✗ fail    2/6 Gmail relay")
        assert set(app.walkthrough.results) <= set(_drawn(app))
        assert bar_text(app.walkthrough).startswith("2 root causes: Gmail relay, Amazon SES")
        # the second run selects its first root cause too (same row as before the run)
        assert "IAM key behind the SMTP username" in screen_text(app)
        assert "Select a check on the left" not in screen_text(app)


async def test_check_my_setup_uses_the_relay_profile_named(seed_lab, memory) -> None:
    relay = seed_lab.relay
    save_profile(Profile("alias", relay_host=relay.host, relay_port=relay.port,
                         relay_tls=relay.tls, relay_user=relay.username))
    store.set_secret("alias", relay.password)
    inputs = seed_lab.inputs.__class__(sender=seed_lab.inputs.sender,
                                       recipients=seed_lab.inputs.recipients)
    app = MailpathApp(Context(endpoints=seed_lab.endpoints, inputs=inputs), start="intake")
    async with app.run_test(size=SIZE) as pilot:
        await started(app)
        await pilot.press("s")
        assert "Relay profile (alias)" in screen_text(app)
        app.screen.query_one("#setup-profile").value = "nope"
        app.screen.query_one("#setup-profile").focus()
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, IntakeScreen)
        assert any("no profile 'nope'" in n for n in notices(app))
        app.screen.query_one("#setup-profile").value = "alias"
        await pilot.press("enter")
        await settle(app, pilot)
        assert app.walkthrough.ctx.inputs.relay.username == relay.username  # type: ignore[union-attr]
        first = tree_lines(app)[0]
        assert first.startswith("✗ fail") and first.endswith("Gmail relay")
        assert relay.password.reveal() not in screen_text(app)


async def test_a_check_from_a_layer_not_walked_is_drawn_under_its_layer() -> None:
    from checks.model import Layer

    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        checks = list(app.walkthrough.checks.values())
        app.walkthrough.query_one(LayerTree).show_plan(checks, (Layer.SES,))  # only SES walked
        await pilot.pause()
        layers = [line for line in tree_lines(app) if not line.startswith("  ")]
        assert layers[0].endswith("Amazon SES") and len(layers) == 4
        assert set(_drawn(app)) == {c.id for c in checks}


# ---- evidence, buttons, narrow terminals ---------------------------------------------------


async def test_long_evidence_scrolls_to_its_last_line_by_keyboard_and_mouse(seed_lab) -> None:
    app = MailpathApp(Context(endpoints=seed_lab.endpoints, inputs=seed_lab.inputs))
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.walkthrough.query_one(LayerTree).select_check("gmail_relay.smtp.auth")
        await pilot.pause()
        box = app.walkthrough.query(EvidenceView).first()
        text = str(box.query_one(".evidence-text").render())
        last = next(line for line in text.splitlines() if line.startswith("S: 535"))
        assert last not in screen_text(app)  # below the box's fold at first
        box.focus()
        await pilot.press("end")
        await pilot.pause()
        detail = app.walkthrough.query_one(CheckDetail)
        detail.scroll_to_widget(box, animate=False)
        await pilot.pause()
        assert last.strip() in screen_text(app)
        await pilot.press("home")
        await pilot.pause()
        assert box.scroll_y == 0
        for _ in range(5):  # the mouse wheel over the evidence scrolls it
            await pilot._post_mouse_events([events.MouseScrollDown], widget=box, offset=(2, 1))
        assert box.scroll_y > 0


async def test_every_button_fits_at_80_by_24() -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        tree = app.walkthrough.query_one(LayerTree)
        for cid in ("ses.suppression.recipient", "gmail_relay.smtp.auth", "dns.dmarc.record"):
            tree.select_check(cid)
            await pilot.pause()
            detail = app.walkthrough.query_one(CheckDetail)
            right = detail.content_region.right
            for button in detail.query("Button"):
                detail.scroll_to_widget(button, animate=False)
                await pilot.pause()
                label = Text.from_markup(str(button.label)).plain
                assert button.region.right <= right, (cid, label)
                assert label in screen_text(app), (cid, label)


async def test_walkthrough_and_report_at_80_by_24() -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        shown = screen_text(app)
        assert "2 root causes: Gmail relay, Amazon SES" in shown
        assert "✗ fail    2/3 Gmail relay" in shown
        await pilot.press("p")
        await pilot.pause()
        assert "mailpath diagnosis" in screen_text(app)


async def test_light_theme_keeps_every_status_word() -> None:
    app = make_app(theme="textual-light")
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert app.theme == "textual-light" and not app.current_theme.dark
        shown = screen_text(app)
        for word in ("✗ fail", "✓ pass", "! warn"):
            assert word in shown


# ---- confirmations, palette, report --------------------------------------------------------


async def test_confirmation_focuses_cancel_so_enter_keeps_the_file(tmp_path) -> None:
    target = tmp_path / "r.md"
    target.write_text("keep me")
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("p", "m")
        app.screen.query_one("#path").value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        assert app.focused is not None and app.focused.id == "no"
        await pilot.press("enter")
        await pilot.pause()
        assert target.read_text() == "keep me"


async def test_report_keys_reach_the_report_at_once_and_paths_are_absolute() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("p", "j")  # no pause: the report screen is up at once
        await pilot.pause()
        assert isinstance(app.screen, PathModal)
        shown = app.screen.query_one("#path").value
        assert Path(shown).is_absolute() and shown == str(Path.cwd() / "mailpath-report.json")


async def test_report_from_a_bounce_keeps_the_bounce(tmp_path) -> None:
    app = make_app(start="intake")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        await _type(pilot, "550 5.7.606 Access denied")
        await pilot.click("#go-bounce")
        await pilot.pause()
        assert isinstance(app.screen, QuestionModal)
        await pilot.press("1")
        await settle(app, pilot)
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, ReportScreen)
        assert "## Started from" in app.screen.markdown
        await pilot.press("j")
        app.screen.query_one("#path").value = str(tmp_path / "r.json")
        await pilot.press("enter")
        await pilot.pause()
        saved = json.loads((tmp_path / "r.json").read_text())
        assert saved["bounce"] is not None and saved["bounce"]["replycode"] in ("550", 550)


async def test_palette_has_each_command_once_with_readable_keys_and_the_fixes() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        commands = list(app.get_system_commands(app.screen))
        titles = [c.title for c in commands]
        assert len(titles) == len(set(titles)), titles
        helps = " ".join(c.help for c in commands)
        assert "question_mark" not in helps and "Key: ?, F1" in helps
        for wanted in ("Remove suppression… (Recipient not on the suppression list)",
                       "Rotate credentials… (Relay accepts the stored credentials)",
                       "Copy record (DMARC record present)"):
            assert wanted in titles


async def test_recent_inputs_are_offered_next_time(private_config) -> None:
    app = make_app(start="intake")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("n", "tab", "ctrl+a", "ctrl+k")
        await _type(pilot, "carol@example.net")
        await pilot.press("enter")
        await pilot.pause()
        await pilot.press("escape")  # the path question
        await settle(app, pilot)
    recent = json.loads((private_config.parent / "recent.json").read_text())
    assert recent["recipients"][0] == "carol@example.net"
    app = MailpathApp(Context(), registry=make_app().registry, start="intake")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("n")
        assert app.screen.query_one("#na-recipient").value == "carol@example.net"
        assert "carol@example.net" in screen_text(app)


# ---- the demo's private state ----------------------------------------------------------------


async def test_demo_keeps_settings_and_secrets_private(tmp_path, monkeypatch) -> None:
    import keyring

    from tui.commands.demo import lab_context

    monkeypatch.delenv("MAILPATH_CONFIG")
    config = tmp_path / "demo" / "config.toml"
    before = keyring.get_keyring()
    try:
        async with lab_context("seed", config) as ctx:
            backend = keyring.get_keyring()
            assert type(backend).__name__ == "PrivateKeyring"
            app = MailpathApp(ctx, config=config, registry=make_app().registry)
            async with app.run_test(size=SIZE) as pilot:
                await settle(app, pilot)
                await pilot.press("k")
                await pilot.pause()
                assert isinstance(app.screen, CredentialsScreen)
                shown = screen_text(app)
                assert "gmail-alias" in shown and ctx.inputs.relay.username in shown
                assert ctx.inputs.relay.password.reveal() not in shown
                await pilot.press("escape", "s", "ctrl+s")
                await pilot.pause()
                assert any(str(config) in n for n in notices(app))
            assert "[profiles.gmail-alias]" in config.read_text()
            assert "[profiles.tui]" in config.read_text()
    finally:
        keyring.set_keyring(before)


async def test_quitting_mid_run_never_reports_healthy() -> None:
    gate = asyncio.Event()
    app = make_app(gate=gate)
    async with app.run_test(size=SIZE) as pilot:
        await started(app)
        await pilot.press("q")
    gate.set()
    assert app.return_value == 3  # some checks could not run
