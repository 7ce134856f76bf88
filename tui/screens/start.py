"""The first frame: a light screen that says what is being prepared (the lab starting).

It has no footer on purpose: the footer builds one widget per key, and the first frame
should come as fast as a bare Textual app's. The walkthrough replaces it once the context
is ready.
"""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Center, Middle
from textual.screen import Screen
from textual.widgets import Header, Static

from tui.errors import Guarded


class StartScreen(Guarded, Screen[None]):
    """"Starting the local lab…" until the app has its context."""

    def __init__(self, text: str) -> None:
        super().__init__(id="start")
        self.text = text

    def compose(self) -> ComposeResult:
        yield Header()
        with Middle(), Center():
            yield Static(self.text, id="start-note")
            yield Static("q quits", classes="hint")

    def note(self, text: str) -> None:
        self.text = text
        self.query_one("#start-note", Static).update(text)
