"""The suppression explorer on the real lab (moto plus the lab's SES v2 suppression routes)."""

from __future__ import annotations

import csv
import re

import pytest

from checks.context import Context
from checks.suppression import filter_entries
from tests.tui.conftest import SIZE, drawn, notices, settle
from tests.tui.fake_checks import seed_like_registry
from tui.app import MailpathApp
from tui.screens.modals import ConfirmModal, PathModal
from tui.screens.suppression import MAX_ROWS, AddModal, SuppressionScreen, parse_filter
from tui.widgets.layer_tree import LayerTree


def _app(lab) -> MailpathApp:
    # the walkthrough runs the fake registry: these tests are about the explorer
    return MailpathApp(Context(endpoints=lab.endpoints, inputs=lab.inputs),
                       registry=seed_like_registry())


async def _open(app: MailpathApp, pilot) -> SuppressionScreen:
    await settle(app, pilot)
    await pilot.press("u")
    await _loaded(app, pilot)
    assert isinstance(app.screen, SuppressionScreen)
    return app.screen


async def _loaded(app: MailpathApp, pilot) -> None:
    await app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def _status(screen: SuppressionScreen) -> str:
    return str(screen.query_one("#sup-status").render())


def _answer(screen: SuppressionScreen) -> str:
    return str(screen.query_one("#sup-answer").render())


async def test_100000_entries_stream_in_and_the_screen_answers_keys_meanwhile(
        lab_factory) -> None:
    lab = lab_factory("seed")
    lab.seed_suppressed(100_000)
    app = _app(lab)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        await pilot.press("u")
        screen = app.screen
        assert isinstance(screen, SuppressionScreen)
        await pilot.press("slash", "c", "o", "m", "p", "l", "a", "i", "n", "t")  # while loading
        await _loaded(app, pilot)
        total = len(screen.entries)
        assert total > 100_000  # the synthetic ones and the scenario's own
        expected = filter_entries(screen.entries.values(), reasons=["COMPLAINT"])
        assert len(screen.matches) == len(expected)
        assert f"{total:,} entries loaded · {len(expected):,} matches · {MAX_ROWS:,} shown" \
            in _status(screen)
        assert screen.query_one("#sup-table").row_count == MAX_ROWS
        assert "COMPLAINT" in str(screen.query_one("#sup-reasons").render())


async def test_is_this_address_suppressed_and_why_in_one_step(seed_lab) -> None:
    app = _app(seed_lab)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("f")
        for ch in "pat@recipient.example":
            await pilot.press(ch)
        await pilot.press("enter")
        await _loaded(app, pilot)
        answer = _answer(screen)
        assert "pat@recipient.example" in answer and "COMPLAINT" in answer
        assert "marked a message as spam" in answer
        screen.query_one("#sup-lookup").value = "nobody@example.org"
        await pilot.press("enter")
        await _loaded(app, pilot)
        assert "is not on the us-east-1 account suppression list" in _answer(screen)


async def test_the_walkthrough_fix_button_opens_the_entry(seed_lab) -> None:
    app = _app(seed_lab)
    async with app.run_test(size=SIZE) as pilot:
        await settle(app, pilot)
        app.walkthrough.query_one(LayerTree).select_check("ses.suppression.recipient")
        await pilot.pause()
        await pilot.click("#action-remove_suppression")
        await _loaded(app, pilot)
        screen = app.screen
        assert isinstance(screen, SuppressionScreen)
        # the fake check names bob (the lab suppressed pat): the screen asked about bob
        assert screen.query_one("#sup-lookup").value == "bob@recipient.example"
        assert "bob@recipient.example is not on the us-east-1" in _answer(screen)


async def test_remove_marked_entries_after_confirmation(fresh_seed_lab) -> None:
    lab = fresh_seed_lab
    lab.seed_suppressed(30)
    app = _app(lab)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        before = len(screen.entries)
        screen.query_one("#sup-table").focus()
        await pilot.press("space", "down", "space")
        marked = sorted(screen.marked)
        assert len(marked) == 2 and "2 marked" in _status(screen)
        await pilot.press("d")
        assert isinstance(app.screen, ConfirmModal)
        assert "Remove 2 addresses from the us-east-1 suppression list?" in app.screen.question
        await pilot.press("escape")
        await pilot.pause()
        assert "Nothing was changed." in notices(app) and len(screen.entries) == before
        await pilot.press("d", "y")
        await _loaded(app, pilot)
        assert len(screen.entries) == before - 2
        assert any("2 removed" in n for n in notices(app))
        sesv2 = lab.boto3_client("sesv2")
        listed = sesv2.list_suppressed_destinations(PageSize=1000)
        left = {i["EmailAddress"] for i in listed["SuppressedDestinationSummaries"]}
        assert not set(marked) & left


async def test_add_asks_for_address_and_reason_and_says_what_aws_answered(fresh_seed_lab) -> None:
    app = _app(fresh_seed_lab)
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("a")
        for ch in "new@example.net":
            await pilot.press(ch)
        await pilot.press("enter")
        await _loaded(app, pilot)
        said = " ".join(notices(app))
        # seed's account is in production: added; a sandbox account is refused in words
        assert "new@example.net added to the us-east-1 list (BOUNCE)" in said \
            or "sandbox" in said
        if "added" in said:
            assert "new@example.net" in screen.entries


async def test_export_writes_every_match_as_csv(seed_lab, tmp_path) -> None:
    app = _app(seed_lab)
    out = tmp_path / "list.csv"
    async with app.run_test(size=SIZE) as pilot:
        screen = await _open(app, pilot)
        await pilot.press("x")
        assert isinstance(app.screen, PathModal)
        app.screen.query_one("#path").value = str(out)
        await pilot.press("enter")
        await pilot.pause()
        rows = list(csv.DictReader(out.open()))
        assert len(rows) == len(screen.matches) > 0
        assert f"{len(rows):,} entries written to {out}" in notices(app)


def test_filter_words() -> None:
    f, error = parse_filter("bulk @example.net complaint since:2026-01-01")
    assert error is None and f.text == "bulk" and f.domain == "example.net"
    assert f.reasons == ("COMPLAINT",) and f.since is not None
    assert parse_filter("since:yesterday")[1] == "“since:yesterday”: dates are YYYY-MM-DD."


async def test_removing_the_entry_the_side_panel_shows_refreshes_the_panel(
        fresh_seed_lab) -> None:
    """u, d, y: the table empties and the panel no longer shows the removed entry (was:
    'pat@… suppressed in us-east-1 for a COMPLAINT' after '1 removed')."""
    app = _app(fresh_seed_lab)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _open(app, pilot)
        assert screen.query_one("#sup-table").has_focus
        assert "pat@recipient.example" in _answer(screen) and "COMPLAINT" in _answer(screen)
        await pilot.press("d", "y")
        await _loaded(app, pilot)
        assert any("1 removed" in n for n in notices(app))
        answer = _answer(screen)
        assert "not suppressed" in answer and "COMPLAINT" not in answer, answer
        # looking it up again (f, Enter) says the same as AWS does
        await pilot.press("f")
        screen.query_one("#sup-lookup").value = "pat@recipient.example"
        await pilot.press("enter")
        await _loaded(app, pilot)
        assert "is not on the us-east-1" in _answer(screen)


async def test_add_refuses_a_non_address_in_words(seed_lab) -> None:
    app = _app(seed_lab)
    async with app.run_test(size=SIZE) as pilot:
        await _open(app, pilot)
        await pilot.press("a")
        for ch in "not-an-address":
            await pilot.press(ch)
        await pilot.press("enter")
        await pilot.pause()
        assert any("“not-an-address” is not an email address" in n for n in notices(app))
        assert isinstance(app.screen, AddModal)  # still asking


async def test_the_table_keeps_reason_and_date_readable_at_80_and_60_columns(
        lab_factory) -> None:
    lab = lab_factory("seed")
    lab.seed_suppressed(5)
    for size in ((80, 24), (60, 20)):
        app = _app(lab)
        async with app.run_test(size=size) as pilot:
            screen = await _open(app, pilot)
            table = screen.query_one("#sup-table")
            lines = drawn(table).splitlines()
            assert "Reason" in lines[0] and "Last update" in lines[0], (size, lines[0])
            entry = screen.entries[str(table.coordinate_to_cell_key((0, 0)).row_key.value)]
            assert entry.reason in lines[1] and f"{entry.last_update:%Y-%m-%d}" in lines[1], \
                (size, lines[1])
            assert table.region.width >= size[0] // 2  # the table has room, the panel too
            answer = screen.query_one("#sup-answer")
            assert answer.region.width > 0 and answer.region.height > 0
            assert entry.email in _answer(screen)  # the whole address is in the panel


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_dates_stay_whole_beside_a_long_address_even_scrolled_sideways(
        lab_factory, size) -> None:
    """A very long address: every row shows its reason and its whole day (2026-08-28, was
    cut to '2026-0' at 80 columns); the address is what is cut, with an ellipsis, and →
    does not scroll reason and date away; the side panel has the address whole."""
    lab = lab_factory("seed")
    lab.seed_suppressed(3)
    long = ("firstname.lastname+newsletter-signup-2026@marketing.very-long-subsidiary-name."
            "recipient.example")
    lab.boto3_client("sesv2").put_suppressed_destination(EmailAddress=long, Reason="BOUNCE")
    app = _app(lab)
    async with app.run_test(size=size) as pilot:
        screen = await _open(app, pilot)
        table = screen.query_one("#sup-table")

        def rows_read() -> list[str]:
            lines = drawn(table).splitlines()
            assert "Reason" in lines[0] and "Last update" in lines[0], (size, lines[0])
            return lines

        for moves in (0, 40):  # as opened, then scrolled sideways as far as it goes
            for _ in range(moves):
                await pilot.press("right")
            await pilot.pause()
            lines = rows_read()
            for index in range(table.row_count):
                key = table.coordinate_to_cell_key((index, 0)).row_key.value
                entry = screen.entries[str(key)]
                line = lines[1 + index]
                assert re.search(rf"{entry.reason}\s+{entry.last_update:%Y-%m-%d}(\s|$)",
                                 line), (size, moves, line)
            assert long not in "\n".join(lines)  # the address is the part that is cut
            assert any(line.rstrip().endswith("…") and long[:8] in line for line in lines)
        await pilot.press("home")
        for _ in range(table.row_count):
            if str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value) == long:
                break
            await pilot.press("down")
        await pilot.pause()
        assert long in _answer(screen)  # whole in the panel
