"""Intake → walkthrough → report, saving reports, and the settings form."""

from __future__ import annotations

import json

from tests.tui.conftest import SIZE, bar_text, make_app, notices, settle, tree_lines
from tui.screens.intake import IntakeScreen
from tui.screens.modals import ConfirmModal, PathModal, QuestionModal
from tui.screens.report import ReportScreen
from tui.screens.settings import SettingsScreen


async def _type(pilot, text: str) -> None:
    for ch in text:
        await pilot.press(ch)


async def test_intake_not_arriving_runs_the_walkthrough_then_the_report() -> None:
    app = make_app(start="intake")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, IntakeScreen)
        await pilot.press("n")
        await pilot.press("tab", "ctrl+a", "ctrl+k")  # keep the sender, clear the recipient
        await _type(pilot, "carol@example.net")
        await pilot.press("enter")
        await pilot.pause()
        # the intake does not know how the message was sent: the walkthrough asks
        assert isinstance(app.screen, QuestionModal)
        assert "Which path sent this message?" in app.screen.text
        await pilot.press("1")  # Gmail "Send mail as"
        await settle(app, pilot)
        assert app.screen is app.walkthrough
        assert app.walkthrough.ctx.inputs.path == "gmail_send_as"  # type: ignore[union-attr]
        inputs = app.walkthrough.ctx.inputs  # type: ignore[union-attr]
        assert inputs.sender == "admin@sender.example"
        assert inputs.recipients == ("carol@example.net",)
        assert bar_text(app.walkthrough).startswith("2 root causes")
        await pilot.press("p")
        assert isinstance(app.screen, ReportScreen)
        assert "**2 root causes: Gmail relay, Amazon SES**" in app.screen.markdown


async def test_intake_rejects_a_bad_address_with_a_message() -> None:
    app = make_app(start="intake")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("n", "tab")
        await _type(pilot, "not-an-address")
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, IntakeScreen)
        assert "“not-an-address” is not an email address (recipient)." in notices(app)


async def test_pasted_bounce_starts_a_diagnosis() -> None:
    app = make_app(start="intake")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        await _type(pilot, "550 5.7.606 Access denied")
        await pilot.click("#go-bounce")
        await pilot.pause()
        assert isinstance(app.screen, QuestionModal)  # a recipient's reply: the path is open
        await pilot.press("2")  # an application over SES SMTP
        await settle(app, pilot)
        assert app.screen is app.walkthrough
        assert app.walkthrough.ctx.inputs.path == "ses_smtp"  # type: ignore[union-attr]
        assert app.walkthrough.results
        # the bounce blames the recipient's server, so the walk starts there
        assert tree_lines(app)[0].endswith("Recipient MTA")


async def test_opening_a_missing_bounce_file_says_so(tmp_path) -> None:
    app = make_app(start="intake")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        app.screen.query_one("#bounce-file").value = str(tmp_path / "nope.eml")
        await pilot.click("#open-file")
        await pilot.pause()
        assert (f"Cannot read {tmp_path / 'nope.eml'}: no such file or directory."
                in notices(app))
        (tmp_path / "b.eml").write_text("Subject: Delivery Status Notification (Failure)\n")
        app.screen.query_one("#bounce-file").focus()
        app.screen.query_one("#bounce-file").value = str(tmp_path / "b.eml")
        await pilot.press("enter")
        await pilot.pause()
        assert "Delivery Status Notification" in app.screen.query_one("#bounce-text").text


async def test_the_bounce_file_field_reads_as_mailpath_bounce_does(tmp_path) -> None:
    """The same bounded reader and limit as the CLI: a big file is read up to the limit and
    says so, random bytes are binary data, /dev/zero is not a regular file."""
    from checks.bounce.source import MAX_BYTES

    big = tmp_path / "big.eml"
    with big.open("wb") as fh:
        fh.write(b"Subject: Delivery Status Notification (Failure)\n\n"
                 + b"550 5.1.1 user unknown\n\n" * 4000)  # text past the 64 KB sample
        fh.truncate(100 * 1024 * 1024)  # 100 MB (the rest reads as zeros, past the sample)
    noise = tmp_path / "noise.bin"
    noise.write_bytes(bytes((i * 197 + 89) % 256 for i in range(70_000)))
    app = make_app(start="intake")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("b")
        field = app.screen.query_one("#bounce-file")

        async def open_file(path: str) -> str:
            app.clear_notifications()
            field.focus()
            field.value = path
            await pilot.press("enter")  # (a click could land on an earlier toast)
            await pilot.pause()
            return " ".join(notices(app))

        said = await open_file(str(big))
        assert "Bounce loaded" in said and "larger than 4 MB" in said and str(big) in said
        text = app.screen.query_one("#bounce-text").text
        assert text.startswith("Subject: Delivery Status") and len(text) <= MAX_BYTES
        said = await open_file(str(noise))
        assert "binary data, not a bounce message" in said and "Bounce loaded" not in said
        said = await open_file("/dev/zero")
        assert "Cannot read /dev/zero: not a regular file." in said


async def test_report_saves_markdown_and_asks_before_overwriting(tmp_path) -> None:
    app = make_app()
    target = tmp_path / "r.md"
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("p", "m")
        assert isinstance(app.screen, PathModal)
        app.screen.query_one("#path").value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert target.read_text().startswith("# mailpath diagnosis")
        target.write_text("keep me")
        await pilot.press("m")
        app.screen.query_one("#path").value = str(target)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmModal)
        await pilot.press("escape")
        await pilot.pause()
        assert target.read_text() == "keep me"


async def test_report_saves_json_and_reports_a_missing_folder(tmp_path) -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("p", "j")
        app.screen.query_one("#path").value = str(tmp_path / "r.json")
        await pilot.press("enter")
        await pilot.pause()
        data = json.loads((tmp_path / "r.json").read_text())
        assert len(data["diagnosis"]["root_causes"]) == 2
        await pilot.press("j")
        app.screen.query_one("#path").value = str(tmp_path / "no" / "r.json")
        await pilot.press("enter")
        await pilot.pause()
        assert f"The folder {tmp_path / 'no'} does not exist." in notices(app)


async def test_settings_reject_bad_values_and_apply_good_ones() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("s")
        assert isinstance(app.screen, SettingsScreen)
        app.screen.query_one("#region").value = "mars-1"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, SettingsScreen)
        assert "“mars-1” is not an AWS region name such as us-east-1." in notices(app)
        app.screen.query_one("#region").value = "eu-west-1"
        app.screen.query_one("#nameserver").value = "127.0.0.1:5353"
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert app.screen is app.walkthrough
        assert app.base_ctx.endpoints.aws_region == "eu-west-1"
        assert app.base_ctx.endpoints.nameservers == (("127.0.0.1", 5353),)


async def test_saving_to_a_folder_says_so_at_once_and_suggests_a_file_in_it(tmp_path) -> None:
    """p, j, a folder's path: "… is a folder" straight away (was: "Overwrite …?" first)."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("p", "j")
        app.screen.query_one("#path").value = str(tmp_path)
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, ConfirmModal)
        assert any(f"{tmp_path} is a folder; give a file name" in n for n in notices(app))
        assert isinstance(app.screen, PathModal)  # asked again, a file in that folder offered
        assert app.screen.query_one("#path").value == str(tmp_path / "mailpath-report.json")
        await pilot.press("enter")
        await pilot.pause()
        assert json.loads((tmp_path / "mailpath-report.json").read_text())["diagnosis"]


async def test_the_bounce_a_report_started_from_wraps_at_80_by_24() -> None:
    """Intake → the SES bounce file → Diagnose → path 3 → p: the 'Started from' block wraps
    (was: cut at the edge, 'tree entry:' without its value, the diagnostic half shown)."""
    from checks.bounce import parse_bounce
    from tests.tui.conftest import screen_text

    bounce_file = "/work/shared/corpus/bounces/lhost-amazonses-01.eml"
    app = make_app(start="intake")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        await pilot.press("b", "tab")
        app.focused.value = bounce_file
        await pilot.press("enter")
        await pilot.pause()
        await pilot.click("#go-bounce")
        await pilot.pause()
        assert isinstance(app.screen, QuestionModal)
        await pilot.press("3")
        await settle(app, pilot)
        await pilot.press("p")
        for _ in range(5):
            await pilot.pause()
        lines = screen_text(app).splitlines()
        assert all(len(line) <= 80 for line in lines)
        words = " ".join(" ".join(lines).split())
        with open(bounce_file, encoding="utf-8", errors="replace") as f:
            bounce = parse_bounce(f.read())
        shown = " ".join(bounce.evidence().content.split())
        start = shown.index("tree entry:")
        assert shown[start:start + 60] in words, words  # the value and the diagnostic follow
        assert "Access denied' (delivery attempts: 0)" in words
