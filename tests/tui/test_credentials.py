"""The credentials screen on the real lab: stored profile (masked), login test, rotation.

Mocked: only the keyring (an in-memory backend, `memory` fixture) - the user's real keyring
is never touched. IAM (moto) and the SES SMTP relay (aiosmtpd) are the lab's real servers.
"""

from __future__ import annotations

import asyncio
import datetime as dt

from moto.iam.models import AccessKeyLastUsed
from textual.widgets import OptionList

from checks.config import Profile, get_profile, save_profile
from checks.context import Context
from checks.creds import store
from checks.creds.rotation import OutcomeStatus, RotationOptions
from tests.tui.conftest import SIZE, bar_text, drawn, notices, screen_text, settle
from tests.tui.fake_checks import seed_like_registry
from tui.app import MailpathApp
from tui.screens.credentials import STEP_MARKS, CredentialsScreen, GmailModal
from tui.screens.modals import ConfirmModal

PROFILE = "gmail-alias"


async def _no_wait(seconds: float) -> None:
    await asyncio.sleep(0)


FAST = RotationOptions(verify_attempts=3, gmail_poll_seconds=0, smtp_timeout=5, sleep=_no_wait)


def _store_profile(lab) -> None:
    relay = lab.relay
    save_profile(Profile(PROFILE, sender="admin@sender.example", region=lab.scenario.region,
                         relay_host=relay.host, relay_port=relay.port, relay_tls=relay.tls,
                         relay_user=relay.username))
    store.set_secret(PROFILE, relay.password)


async def _open(lab, pilot, app: MailpathApp) -> CredentialsScreen:
    await settle(app, pilot)
    screen = CredentialsScreen(app.base_ctx, options=FAST)
    await app.push_screen(screen)
    await pilot.pause()
    return screen


def _app(lab) -> MailpathApp:
    return MailpathApp(Context(endpoints=lab.endpoints, inputs=lab.inputs),
                       registry=seed_like_registry())


async def test_profiles_are_listed_masked_and_the_login_is_tested(fresh_seed_lab, memory) -> None:
    lab = fresh_seed_lab
    _store_profile(lab)
    app = _app(lab)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(lab, pilot, app)
        shown = str(screen.query_one("#cred-detail").render())
        assert f"relay_user: {lab.relay.username}" in shown
        assert lab.relay.password.reveal() not in shown and "password: " in shown
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = " ".join(notices(app))
        assert "AUTH 535" in said  # the seed's stored key is inactive: SES refuses it
        assert lab.relay.password.reveal() not in said


async def test_rotation_checklist_modals_and_gmail_copy_buttons(fresh_seed_lab, memory) -> None:
    lab = fresh_seed_lab
    _store_profile(lab)
    app = _app(lab)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(lab, pilot, app)
        await pilot.press("o")
        seen: list[str] = []
        for _ in range(2000):  # a bound on turns, not a clock: each turn yields to the loop
            await asyncio.sleep(0.01)
            top = app.screen
            if isinstance(top, GmailModal):
                seen.append("gmail")
                await pilot.click("#copy-password")
                new = top.settings.field("password").value
                assert app.clipboard == new.reveal() != lab.relay.password.reveal()
                assert new.reveal() not in str(top.query_one(".gmail-field").render())
                _gmail_logs_in(lab, str(top.settings.field("username").value))
                await pilot.press("y")
            elif isinstance(top, ConfirmModal):
                seen.append(top.question)
                await pilot.press("y")
            elif not len(app.workers):
                break
        checklist = drawn(screen.query_one("#cred-checklist"))
        assert "gmail" in seen and checklist.count("✓ done") >= 6, (seen, checklist)
        assert any(f"Rotation {OutcomeStatus.COMPLETED.value}" in n for n in notices(app))
        assert get_profile(PROFILE).relay_user != lab.relay.username
        assert lab.relay.password.reveal() not in checklist
        # each step's note is indented under its title, never back at the first column
        lines = [line for line in checklist.splitlines()[1:] if line.strip()]
        marks = tuple(m.split()[0] for m in STEP_MARKS.values())
        assert lines and all(line.startswith(marks) or line.startswith(" " * 11)
                             for line in lines), lines
        # host:port whole on one line of the profile's row
        box = screen.query_one("#cred-profiles").region
        rows = [line[box.x:box.right] for line in screen_text(app).splitlines()[box.y:box.bottom]]
        assert any(line.strip(" ▊▎").endswith(f".com:{lab.relay.port}") for line in rows), rows


def _gmail_logs_in(lab, key_id: str) -> None:
    """Stands for Gmail sending with the new key: IAM's last-used date of it moves on."""
    later = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
    lab.aws.iam.access_keys[key_id].last_used = AccessKeyLastUsed(later, "ses",
                                                                   lab.scenario.region)


async def test_a_rotation_step_that_changes_the_profile_refreshes_list_detail_and_login(
        fresh_seed_lab, memory) -> None:
    """`o`, `y`, `y` (Gmail updated) and the new key is current: the list, the detail and `e`
    use the stored profile now, not the one listed before the rotation (was: old key, 535)."""
    lab = fresh_seed_lab
    _store_profile(lab)
    app = _app(lab)
    never = asyncio.Event()

    async def held(seconds: float) -> None:  # the rotation stays at "Confirm Gmail uses it"
        await never.wait()

    polling = RotationOptions(verify_attempts=3, gmail_poll_seconds=30, gmail_poll_interval=15,
                              smtp_timeout=5, sleep=held)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        screen = CredentialsScreen(app.base_ctx, options=polling)
        await app.push_screen(screen)
        await pilot.pause()
        await pilot.press("o")
        answered = 0
        for _ in range(2000):  # a bound on turns, not a clock
            await asyncio.sleep(0.01)
            if isinstance(app.screen, ConfirmModal | GmailModal) and answered < 2:
                answered += 1
                await pilot.press("y")
            elif answered == 2 and "checking again" in " ".join(
                    drawn(screen.query_one("#cred-checklist")).split()):
                break
        await pilot.pause()
        new_user = get_profile(PROFILE).relay_user
        assert new_user and new_user != lab.relay.username
        assert app.screen is screen and len(screen.workers)  # the rotation is still running
        detail = str(screen.query_one("#cred-detail").render())
        listing = screen.query_one("#cred-profiles", OptionList)
        listed = " ".join(str(listing.get_option_at_index(i).prompt)
                          for i in range(listing.option_count))
        assert f"relay_user: {new_user}" in detail, detail
        assert lab.relay.username not in detail
        assert new_user in listed and lab.relay.username not in listed
        app.clear_notifications()
        await pilot.press("e")
        for _ in range(2000):
            await asyncio.sleep(0.01)
            if any("AUTH" in n for n in notices(app)):
                break
        said = " ".join(notices(app))
        assert "AUTH 235" in said and "AUTH 535" not in said, said


async def test_after_a_rotation_run_all_tests_the_new_key(fresh_seed_lab, memory,
                                                          private_config) -> None:
    """The demo's walk: k, o, y (make room), y (Gmail updated), y (delete the old key), Esc,
    a: the relay checks use the rotated profile as stored, so they pass (was: the old,
    deleted key again, "not a key of this AWS account")."""
    from tui.demo_home import DEMO_PROFILE, seed_profile
    from tui.widgets.layer_tree import LayerTree

    lab = fresh_seed_lab
    ctx = Context(endpoints=lab.endpoints, inputs=lab.inputs)
    seed_profile(ctx, private_config)  # as `mailpath demo` stores the scenario's relay
    app = MailpathApp(ctx, config=private_config)  # the real checks
    app.rotation_options = FAST
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert app.walkthrough.results["gmail_relay.ses.key_state"].status.value == "fail"
        await pilot.press("k")
        await pilot.pause()
        await pilot.press("o")
        for _ in range(2000):  # a bound on turns, not a clock
            await asyncio.sleep(0.01)
            top = app.screen
            if isinstance(top, GmailModal):
                _gmail_logs_in(lab, str(top.settings.field("username").value))
                await pilot.press("y")
            elif isinstance(top, ConfirmModal):
                await pilot.press("y")
            elif isinstance(top, CredentialsScreen) and not len(top.workers) and \
                    top.rotation is not None:
                break
        new_user = get_profile(DEMO_PROFILE, private_config).relay_user
        assert new_user != lab.relay.username
        assert any("Rotation completed" in n for n in notices(app)), notices(app)
        assert any("walkthrough now uses" in n for n in notices(app)), notices(app)
        await pilot.press("escape")
        await pilot.pause()
        assert "Relay settings changed" in bar_text(app.walkthrough)
        await pilot.press("a")
        await settle(app, pilot)
        results = app.walkthrough.results
        assert app.walkthrough.ctx.inputs.relay.username == new_user
        assert results["gmail_relay.ses.key_state"].status.value == "pass", \
            results["gmail_relay.ses.key_state"].summary
        assert results["gmail_relay.smtp.auth"].status.value == "pass"
        assert "Relay settings changed" not in bar_text(app.walkthrough)
        tree = " ".join(str(n.label) for n in app.walkthrough.query_one(LayerTree).root.children)
        assert "1 root cause" in bar_text(app.walkthrough), (bar_text(app.walkthrough), tree)
