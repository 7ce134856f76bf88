"""Helpers for driving the TUI with Pilot against the fake seed-like registry."""

from __future__ import annotations

import asyncio
import contextlib

import pytest
from textual.worker import WorkerFailed

from tests.tui.fake_checks import seed_like_context, seed_like_registry
from tui.app import MailpathApp
from tui.screens.walkthrough import WalkthroughScreen

SIZE = (100, 30)


def make_app(path: str | None = "gmail_send_as", gate: asyncio.Event | None = None,
             **kw: object) -> MailpathApp:
    return MailpathApp(seed_like_context(path), registry=seed_like_registry(gate), **kw)  # type: ignore[arg-type]


async def started(app: MailpathApp) -> None:
    """Wait until the app has its context and checks and has begun (no wall clock)."""
    await app.ready.wait()


async def settle(app: MailpathApp, pilot: object) -> None:
    """Wait until the diagnosis run is over and its messages are handled (no wall clock)."""
    await started(app)
    while len(app.workers):
        with contextlib.suppress(WorkerFailed):  # a failed worker shows the error modal
            await app.workers.wait_for_complete()
    await pilot.pause()  # type: ignore[attr-defined]
    await pilot.pause()  # type: ignore[attr-defined]


def tree_lines(app: MailpathApp) -> list[str]:
    """The layer tree's labels as the user reads them."""
    tree = app.walkthrough.query_one("#layer-tree")
    out = []
    for layer in tree.root.children:  # type: ignore[attr-defined]
        out.append(str(layer.label))
        out += ["  " + str(leaf.label) for leaf in layer.children]
    return out


def bar_text(screen: WalkthroughScreen) -> str:
    return str(screen.query_one("#diagnosis-bar").render())


def drawn(widget: object) -> str:
    """A widget's text as drawn on screen, line by line (whatever it renders with)."""
    from textual.geometry import Region

    size = widget.size  # type: ignore[attr-defined]
    lines = widget.render_lines(Region(0, 0, size.width, size.height))  # type: ignore[attr-defined]
    return "\n".join(line.text.rstrip() for line in lines)


def notices(app: MailpathApp) -> list[str]:
    return [n.message for n in app._notifications]


@pytest.fixture(autouse=True)
def private_config(tmp_path, monkeypatch):
    """Every TUI test saves settings and recent inputs in a tmp dir, never the user's."""
    path = tmp_path / "config" / "config.toml"
    monkeypatch.setenv("MAILPATH_CONFIG", str(path))
    return path


@pytest.fixture
def app() -> MailpathApp:
    return make_app()


def screen_text(app: MailpathApp) -> str:
    """The top screen as the user sees it: its characters, line by line."""
    return "\n".join(strip.text for strip in app.screen._compositor.render_strips())
