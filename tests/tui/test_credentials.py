"""The credentials screen on the real lab: stored profile (masked), login test, rotation.

Mocked: only the keyring (an in-memory backend, `memory` fixture) - the user's real keyring
is never touched. IAM (moto) and the SES SMTP relay (aiosmtpd) are the lab's real servers.
"""

from __future__ import annotations

import asyncio
import datetime as dt

import pytest
from moto.iam.models import AccessKeyLastUsed
from textual.widgets import OptionList

from checks.config import Profile, get_profile, save_profile
from checks.context import Context
from checks.creds import store
from checks.creds.rotation import OutcomeStatus, RotationOptions
from checks.creds.smtp_password import derive_smtp_password
from checks.secrets import Secret
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
        shown = str(screen.query_one("#cred-detail").content)
        assert f"relay_user: {lab.relay.username}" in shown
        assert lab.relay.password.reveal() not in shown and "password: " in shown
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = " ".join(notices(app))
        assert "✗ login refused: 535" in said  # the seed's stored key is inactive: SES refuses
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
                assert new.reveal() not in screen_text(app)
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
        detail = str(screen.query_one("#cred-detail").content)
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
            if any("login" in n for n in notices(app)):
                break
        said = " ".join(notices(app))
        assert "✓ login accepted: 235" in said and "535" not in said, said


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


# ---- what a user reads: login result, Gmail values, the wait and its cancel ------------------

SIZES = ((80, 24), (60, 20))
ISO = r"\d{4}-\d\d-\d\dT\d\d:\d\d"


async def _turns(pilot, done, bound: int = 2000) -> None:
    """Let the app run until `done()` (a bound on turns, not a clock)."""
    for _ in range(bound):
        if done():
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the app never got there")


@pytest.mark.parametrize("size", SIZES)
async def test_the_login_result_stays_on_screen_and_says_refused_or_accepted(
        fresh_seed_lab, memory, size) -> None:
    """e: the result is a line under the buttons that stays once the toast is gone;
    a refusal reads '✗ login refused: 535 …' (was: 'OK · AUTH 535' in a toast), a
    working password '✓ login accepted: 235 …'."""
    lab = fresh_seed_lab
    _store_profile(lab)
    app = _app(lab)
    async with app.run_test(size=size) as pilot:
        screen = await _open(lab, pilot, app)
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.clear_notifications()  # the toast has gone: the line is still there
        await pilot.pause()
        text, result = screen_text(app), screen.query_one("#cred-result")
        line = " ".join(drawn(result).split())
        assert line.startswith("✗ login refused: 535 Authentication Credentials Invalid")
        assert "✗ login refused: 535" in text, (size, text)  # in sight, not scrolled off
        assert "OK" not in text and "✓" not in text
        assert result.has_class("-bad")
        # the working key: the result says accepted, in its own colour
        working = lab.key("current")
        store.set_secret(PROFILE, Secret(derive_smtp_password(working.secret,
                                                              lab.scenario.region)))
        save_profile(Profile(PROFILE, sender="admin@sender.example",
                             region=lab.scenario.region, relay_host=lab.relay.host,
                             relay_port=lab.relay.port, relay_tls=lab.relay.tls,
                             relay_user=working.access_key_id))
        screen.show_profiles(keep=PROFILE)
        await pilot.pause()
        assert "login refused" not in screen_text(app)  # about the user it had before
        await pilot.click("#cred-test")
        await app.workers.wait_for_complete()
        await pilot.pause()
        app.clear_notifications()
        await pilot.pause()
        text = screen_text(app)
        assert "✓ login accepted: 235" in text and "✗" not in text, (size, text)
        assert result.has_class("-ok") and not result.has_class("-bad")


@pytest.mark.parametrize("size", SIZES)
async def test_gmail_values_are_never_broken_across_lines(fresh_seed_lab, memory,
                                                          size) -> None:
    """At 80x24 and 60x20 the SMTP server and the username are each whole on one line of
    the Gmail step (was at 60x20: 'email-smtp.us-east-' / '1.amazonaws.com'), and Copy
    copies them whole."""
    lab = fresh_seed_lab
    _store_profile(lab)
    app = _app(lab)
    async with app.run_test(size=size) as pilot:
        await _open(lab, pilot, app)
        await pilot.press("o")
        for _ in range(2000):
            if isinstance(app.screen, GmailModal):
                break
            if isinstance(app.screen, ConfirmModal):
                await pilot.press("y")
            await asyncio.sleep(0.01)
        modal = app.screen
        assert isinstance(modal, GmailModal)
        await pilot.pause()
        host = str(modal.settings.field("server").value)
        user = str(modal.settings.field("username").value)
        for name, value in (("server", host), ("username", user)):
            shown = [w for w in modal.query(".gmail-value") if w.display
                     and str(w.content) == value]
            assert len(shown) == 1, (size, name)
            assert shown[0].region.width >= len(value), (size, name, shown[0].region)
            assert drawn(shown[0]).strip() == value, (size, drawn(shown[0]))
            shown[0].scroll_visible()
            await pilot.pause()
            assert any(line.count(value) for line in screen_text(app).splitlines())
            await pilot.click(f"#copy-{name}")
            assert app.clipboard == value
        assert modal.has_class("-stacked") is (size == (60, 20))
        await pilot.press("escape")  # not yet: the rotation pauses
        await app.workers.wait_for_complete()


async def _fault_relay_app(lab, srv) -> MailpathApp:
    """The app with the relay routed to a server that refuses every login (535)."""
    from dataclasses import replace

    routes = {**lab.endpoints.smtp_routes, f"{lab.relay.host}:{lab.relay.port}": srv.address}
    return MailpathApp(Context(endpoints=replace(lab.endpoints, smtp_routes=routes),
                               inputs=lab.inputs), registry=seed_like_registry())


def _held() -> tuple[asyncio.Event, RotationOptions]:
    """Options whose waits last until the test says (never, here): only a cancel ends them."""
    never = asyncio.Event()

    async def held(seconds: float) -> None:
        await never.wait()

    return never, RotationOptions(verify_attempts=3, verify_first_delay=40,
                                  gmail_poll_seconds=300, gmail_poll_interval=15,
                                  smtp_timeout=5, sleep=held)


def _iam_keys(lab) -> dict[str, str]:
    iam = lab.boto3_client("iam")
    return {k["AccessKeyId"]: k["Status"] for k in
            iam.list_access_keys(UserName="ses-smtp-sender")["AccessKeyMetadata"]}


@pytest.mark.parametrize("size", SIZES)
async def test_the_verify_wait_shows_a_time_and_c_cancels_leaving_nothing_stored(
        fresh_seed_lab, memory, private_config, size) -> None:
    """SES refuses the new key (still propagating): the bar says when the next login is
    ('next login at 08:41:10, in about 40 s'), never an ISO timestamp; c cancels at once
    and the rotation undoes itself: new key deleted, no pending password, no state file,
    the profile as it was."""
    import re

    from checks.creds.rotation import PENDING, state_path
    from checks.lab.faults import FaultServer

    lab = fresh_seed_lab
    _store_profile(lab)
    async with FaultServer.smtp("wrong_name", tls=None) as srv:
        app = await _fault_relay_app(lab, srv)
        _, options = _held()
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            screen = CredentialsScreen(app.base_ctx, options=options)
            await app.push_screen(screen)
            await pilot.pause()
            before = _iam_keys(lab)
            await pilot.press("o")
            for _ in range(2000):
                if screen.waiting is not None:
                    break
                if isinstance(app.screen, ConfirmModal):
                    await pilot.press("y")
                await asyncio.sleep(0.01)
            await pilot.pause()
            text = screen_text(app)
            bar = str(screen.query_one("#cred-status").content)
            assert re.search(r"next login at \d\d:\d\d:\d\d, in about (39|40) s", bar), bar
            assert bar.split(",")[0] in text  # in sight above the footer
            assert not re.search(ISO, text), text
            assert "c Cancel rotation" in screen_text(app).splitlines()[-1]
            assert screen.query_one("#cred-cancel").display
            created = set(_iam_keys(lab)) - set(before)
            assert len(created) == 1  # the new key exists while it waits
            await pilot.press("c")
            await app.workers.wait_for_complete()
            await pilot.pause()
            said = " ".join(notices(app))
            assert "Rotation cancelled" in said and "nothing of this rotation" in said, said
            assert not created & set(_iam_keys(lab))  # the new key is gone again
            assert lab.key("current").access_key_id in _iam_keys(lab)
            assert store.get_secret(PROFILE, PENDING) is None
            assert store.get_secret(PROFILE) == lab.relay.password
            assert not state_path(PROFILE, private_config).exists()
            assert get_profile(PROFILE).relay_user == lab.relay.username
            assert "c Cancel rotation" not in screen_text(app).splitlines()[-1]
            assert not screen.query_one("#cred-status").display
            assert "↺ undone" in drawn(screen.query_one("#cred-checklist"))


async def test_the_gmail_wait_shows_local_times_and_the_cancel_button_stops_it_resumable(
        fresh_seed_lab, memory, private_config) -> None:
    """Confirm Gmail uses the new key: the note reads 'since 08:06:16' (was
    '2026-12-04T08:06:16.438093+00:00'), the bar the next check's time; a click on
    Cancel rotation stops it where it is: the profile keeps the new (verified) key, no
    other key is touched, and o resumes the rotation. o and Esc do not cut it short."""
    import re

    from checks.creds.rotation import state_path

    lab = fresh_seed_lab
    _store_profile(lab)
    app = _app(lab)
    _, options = _held()
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        screen = CredentialsScreen(app.base_ctx, options=options)
        await app.push_screen(screen)
        await pilot.pause()
        await pilot.press("o")
        for _ in range(2000):
            if screen.waiting is not None:
                break
            if isinstance(app.screen, ConfirmModal | GmailModal):
                await pilot.press("y")
            await asyncio.sleep(0.01)
        await pilot.pause()
        screen.query_one("#cred-side").scroll_end(animate=False)
        await pilot.pause()
        notes = " ".join(drawn(screen.query_one("#cred-checklist")).split())
        assert re.search(r"no login with the new key since \d\d:\d\d:\d\d yet", notes), notes
        assert not re.search(ISO, screen_text(app))
        bar = str(screen.query_one("#cred-status").content)
        assert re.search(r"next check at \d\d:\d\d:\d\d, in about 1[45] s · c cancels", bar)
        assert bar in screen_text(app)  # one line, in sight above the footer
        # neither o nor Esc ends the running rotation half-way; q first warns
        await pilot.press("o")
        await pilot.press("escape")
        await pilot.press("q")
        await pilot.pause()
        assert app.screen is screen and screen.rotating and screen.waiting is not None
        assert app.is_running
        assert any("A rotation is running" in n for n in notices(app))
        assert any("Press q again to quit anyway" in n for n in notices(app))
        new_user = get_profile(PROFILE).relay_user
        screen.query_one("#cred-side").scroll_home(animate=False)  # back to the buttons
        await pilot.pause()
        await pilot.click("#cred-cancel")
        await app.workers.wait_for_complete()
        await pilot.pause()
        said = " ".join(notices(app))
        assert "Rotation stopped at “Confirm Gmail uses the new key”" in said, said
        assert "o resumes" in said
        assert get_profile(PROFILE).relay_user == new_user != lab.relay.username
        keys = _iam_keys(lab)
        assert keys[new_user] == "Active"
        # the seed's old key was the Inactive one: deleted to make room, and the notice says so
        assert lab.relay.username not in keys
        assert f"the old key {lab.relay.username} was deleted earlier, to make room" in said
        assert keys[lab.key("current").access_key_id] == "Active"  # the other key: untouched
        assert state_path(PROFILE, private_config).exists()  # resumable, steps recorded
        assert "■ stopped" in drawn(screen.query_one("#cred-checklist"))
        assert "o resumes" in str(screen.query_one("#cred-detail").content)
