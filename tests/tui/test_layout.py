"""Layout as a person reads it at 100×30 and 80×24: nothing that matters is cut off."""

from __future__ import annotations

from checks.context import Context
from tests.tui.conftest import SIZE, make_app, screen_text, settle
from tui.app import MailpathApp
from tui.widgets.layer_tree import LayerTree

SMALL = (80, 24)


def _footer(app: MailpathApp) -> str:
    return screen_text(app).splitlines()[-1]


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


