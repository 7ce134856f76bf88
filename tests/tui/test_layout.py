"""Layout as a person reads it at 100×30 and 80×24 (and 60×20, where it degrades without
cutting a key in half): nothing that matters is cut off."""

from __future__ import annotations

from itertools import combinations

from textual.widgets import Button
from textual.widgets._footer import FooterKey

from checks.context import Context
from checks.creds.rotation import (
    GMAIL_GUIDANCE,
    GmailField,
    GmailSettings,
    Question,
    QuestionId,
    StepId,
)
from checks.secrets import Secret
from tests.tui.conftest import SIZE, drawn, make_app, screen_text, settle
from tests.tui.fake_checks import seed_like_registry
from tui.app import MailpathApp
from tui.screens.credentials import GmailModal
from tui.screens.report import ReportScreen
from tui.widgets.key_footer import KeyFooter
from tui.widgets.layer_tree import LayerTree
from tui.widgets.status_bar import HINT, DiagnosisBar

SMALL = (80, 24)
TINY = (60, 20)


def _footer(app: MailpathApp) -> str:
    return screen_text(app).splitlines()[-1]


def _whole_footer(app: MailpathApp) -> str:
    """The footer line, once every key in it is known to be drawn whole: inside the screen,
    none over another or under the palette's key."""
    keys = list(app.screen.query_one(KeyFooter).query(FooterKey))
    for key in keys:
        assert key.region.width > 0 and key.region.right <= app.size.width, key.description
    for one, other in combinations(keys, 2):
        assert not one.region.overlaps(other.region), (one.description, other.description)
    footer = _footer(app)
    for key in keys:
        assert f"{key.key_display} {key.description}" in footer, (key.description, footer)
    return footer


def _in_sight(app: MailpathApp, widget) -> bool:
    """The whole widget is on screen: not cut by its container or the screen's edge."""
    where = app.screen._compositor.full_map.get(widget)
    return where is not None and where.region.intersection(where.clip) == where.region


#: screen -> (keys to open it from the walkthrough, its keys the footer must show at 80×24)
SCREEN_KEYS = {
    "walkthrough": ((), ("n Next step", "p Report", "r Re-run check", "i Intake")),
    "report": (("p",), ("esc Back", "m Save Markdown", "j Save JSON", "i Intake")),
    "suppression": (("u",), ("esc Back", "/ Filter", "f Look up", "d Remove", "i Intake")),
    "credentials": (("k",), ("esc Back", "e Test login", "o Rotate", "i Intake")),
    "settings": (("s",), ("esc Cancel", "^s Save", "i Intake")),
    "intake": (("i",), ("b Bounce", "n Not arriving", "s Check setup", "esc Back")),
}


async def _open(app: MailpathApp, pilot, keys: tuple[str, ...]) -> None:
    await settle(app, pilot)
    await pilot.press(*keys)
    await app.workers.wait_for_complete()
    for _ in range(3):
        await pilot.pause()


async def test_at_80_by_24_every_screen_shows_help_quit_and_its_main_keys_whole(
        seed_lab) -> None:
    for name, (keys, main) in SCREEN_KEYS.items():
        app = MailpathApp(Context(endpoints=seed_lab.endpoints, inputs=seed_lab.inputs),
                          registry=seed_like_registry())
        async with app.run_test(size=SMALL) as pilot:
            await _open(app, pilot, keys)
            assert app.screen.id == name
            footer = _whole_footer(app)
            for key in ("? Help", "q Quit", *main):
                assert key in footer, (name, key, footer)
            if name == "intake":  # `i` would do nothing there: not shown
                assert "i Intake" not in footer
            # a key left out for room is still one command away, by name
            names = {c.title for c in app.get_system_commands(app.screen)}
            left_out = app.screen.query_one(KeyFooter).left_out
            described = {b.action: b.description for b in app.screen.BINDINGS}
            assert {described[a] for a in left_out} <= names, (name, left_out)


async def test_at_60_by_20_keys_are_left_out_whole_and_help_and_quit_stay(seed_lab) -> None:
    for name, (keys, main) in SCREEN_KEYS.items():
        app = MailpathApp(Context(endpoints=seed_lab.endpoints, inputs=seed_lab.inputs),
                          registry=seed_like_registry())
        async with app.run_test(size=TINY) as pilot:
            await _open(app, pilot, keys)
            footer = _whole_footer(app)
            for key in ("? Help", "q Quit", main[0]):
                assert key in footer, (name, key, footer)
            if name != "settings":  # (its five keys fit even here)
                assert app.screen.query_one(KeyFooter).left_out, name  # something had to go


async def test_the_footer_refits_when_the_terminal_is_resized() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        assert "c Copy fix" in _whole_footer(app)
        for size, copy_fix in ((TINY, False), (SMALL, False), (SIZE, True)):
            await pilot.resize_terminal(*size)
            for _ in range(3):
                await pilot.pause()
            footer = _whole_footer(app)
            assert "q Quit" in footer and ("c Copy fix" in footer) is copy_fix, (size, footer)


async def test_footer_keys_work_with_the_mouse_at_80_by_24() -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)

        def key(description: str) -> FooterKey:
            return next(k for k in app.screen.query(FooterKey) if k.description == description)

        await pilot.click(key("Report"))
        await pilot.pause()
        assert isinstance(app.screen, ReportScreen)
        await pilot.click(key("Back"))
        await pilot.pause()
        assert app.screen is app.walkthrough
        await pilot.click(key("Quit"))
        await pilot.pause()
    assert app.return_value == 1  # faults found


async def test_the_bar_keeps_its_key_hint_whole_at_every_width() -> None:
    """The fake story's line (two root causes, a warning, 8 checks) is 87 columns: at 80 it
    drops the count, at 60 the hint takes a line of its own; nothing is cut."""
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        bar = app.walkthrough.query_one(DiagnosisBar)
        found = "2 root causes: Gmail relay, Amazon SES · 1 warning"
        for size, lines in ((SIZE, [f"{found} · 8 checks · {HINT}"]),
                            (SMALL, [f"{found} · {HINT}"]), (TINY, [found, HINT])):
            await pilot.resize_terminal(*size)
            await pilot.pause()
            await pilot.pause()
            assert [line.strip() for line in drawn(bar).splitlines()] == lines, size
            assert all(line in screen_text(app) for line in lines), size
            assert bar.region.right <= size[0]


async def test_the_gmail_dialog_keeps_its_buttons_in_sight_at_80_by_24() -> None:
    """The Gmail step's text is taller than 24 rows allow: it scrolls, its buttons stay."""
    fields = (GmailField("server", "SMTP Server", "email-smtp.us-east-1.amazonaws.com"),
              GmailField("port", "Port", "587"),
              GmailField("username", "Username", "AKIAIOSFODNN7EXAMPLE"),
              GmailField("password", "Password", Secret("x" * 44)))
    question = Question(QuestionId.GMAIL_UPDATED, StepId.UPDATE_GMAIL, "Is Gmail updated?")
    for size in (SMALL, TINY):
        app = make_app()
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            answers: list[bool | None] = []
            app.push_screen(GmailModal(GmailSettings(fields, GMAIL_GUIDANCE), question),
                            answers.append)
            await pilot.pause()
            await pilot.pause()
            done = app.screen.query_one("#gmail-done", Button)
            assert _in_sight(app, done) and _in_sight(app, app.screen.query_one("#gmail-later"))
            await pilot.click(done)
            await pilot.pause()
            assert answers == [True], size


async def test_intake_tabs_keep_their_keys_on_a_narrow_terminal() -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        await pilot.press("i")
        await pilot.pause()
        assert "b · I have a bounce  n · Mail is not arriving  s · Check my setup" in \
            screen_text(app)
        await pilot.resize_terminal(*TINY)
        await pilot.pause()
        await pilot.pause()
        assert "b · Bounce  n · Not arriving  s · Setup" in screen_text(app)
        await pilot.press("s")  # the keys still choose the tabs
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "setup-sender"


async def test_footers_keep_the_main_keys_and_the_palette_lists_the_rest() -> None:
    for size in (SIZE, SMALL):
        app = make_app()
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            footer = _footer(app)
            for key in ("n Next step", "p Report", "r Re-run check", "? Help", "i Intake"):
                assert key in footer, (size, footer)
            names = {c.title for c in app.get_system_commands(app.screen)}
            assert {"Re-run layer", "Run all", "Settings", "Suppression", "Credentials",
                    "Theme"} <= names
            await pilot.press("p")
            await pilot.pause()
            assert "i Intake" in _footer(app), (size, _footer(app))


async def test_at_80_columns_layer_counts_show_and_titles_have_room() -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        shown = screen_text(app)
        assert "2/3 Gmail relay" in shown and "1/2 Amazon SES" in shown
        assert "Who hosts the recipient domain" in shown  # 30 characters, whole
        tree = app.walkthrough.query_one(LayerTree)
        assert tree.size.width >= 40


async def test_report_headings_wrap_instead_of_running_off_the_edge(seed_lab) -> None:
    for size in (SIZE, SMALL):
        app = MailpathApp(Context(endpoints=seed_lab.endpoints, inputs=seed_lab.inputs))
        async with app.run_test(size=size) as pilot:
            await settle(app, pilot)
            await pilot.press("p")
            for _ in range(5):
                await pilot.pause()
            words = " ".join(screen_text(app).split())
            assert "is Inactive (user ses-smtp-sender)" in words, (size, words)


async def test_help_keeps_each_key_on_one_line() -> None:
    app = make_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        box = app.screen.query_one(".help-dialog")
        lines: list[str] = []
        while True:  # read it all, a screenful at a time
            lines += screen_text(app).splitlines()
            if box.scroll_y >= box.max_scroll_y:
                break
            box.scroll_page_down(animate=False)
            await pilot.pause()
        for key, does in (("r", "re-run the selected check"), ("l", "layer"),
                          ("a", "run everything again")):
            assert any(f"│ {key} " in line and does in line for line in lines), (key, lines)


def test_a_long_host_keeps_its_port_whole() -> None:
    from tui.screens.credentials import fit_endpoint

    host = "email-smtp.us-east-1.amazonaws.com"
    assert fit_endpoint(host, "587", 60) == f"{host}:587"
    shortened = fit_endpoint(host, "587", 30)
    assert len(shortened) == 30 and shortened.startswith("…") and shortened.endswith(
        "us-east-1.amazonaws.com:587")




async def test_in_a_text_field_the_footer_shows_the_help_and_quit_keys_that_work() -> None:
    """On the intake's file field and text area `?` and `q` type: the footer shows F1 and
    ^q there (was: `? Help`, and `q Quit` gone), and F1 opens help with the intake's own
    section; the help's footer shows how to close it, not the screen's keys below."""
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        await pilot.press("i")
        await pilot.pause()
        footer = _whole_footer(app)
        assert "? Help" in footer and "q Quit" in footer, footer
        await pilot.press("b")  # the text area has the focus
        await pilot.pause()
        footer = _whole_footer(app)
        assert "F1 Help" in footer and "^q Quit" in footer and "? Help" not in footer, footer
        await pilot.press("tab")
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "bounce-file"
        footer = _whole_footer(app)
        assert "F1 Help" in footer and "^q Quit" in footer and "? Help" not in footer, footer
        await pilot.press("question_mark", "q")
        assert app.focused.value == "?q"  # typed, as the footer now says
        await pilot.press("f1")
        await pilot.pause()
        assert app.screen.__class__.__name__ == "HelpScreen"
        assert "Intake: what happened?" in " ".join(screen_text(app).split())
        footer = _footer(app)
        assert "esc Close" in footer and "Next step" not in footer, footer
        assert "Re-run" not in footer and "Report" not in footer
        await pilot.press("escape")
        await pilot.pause()
        assert app.focused is not None and app.focused.id == "bounce-file"
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert app.return_value is not None  # ctrl+q quit from inside the text field


async def test_while_help_is_open_the_footer_shows_how_to_close_it() -> None:
    app = make_app()
    async with app.run_test(size=SMALL) as pilot:
        await settle(app, pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        footer = _whole_footer(app)
        assert "esc Close" in footer and "n Next step" not in footer, footer
        await pilot.press("escape")
        await pilot.pause()
        assert "n Next step" in _whole_footer(app)
