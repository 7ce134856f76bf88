"""Start a Textual app headless and exit right after its first frame is drawn.

    python tests/bench/first_frame.py mailpath|bare

`mailpath` is the real app on its intake screen (no checks run, no network); `bare` is a
minimal Textual app with one label, the yardstick.
"""

from __future__ import annotations

import sys

from textual.app import App, ComposeResult
from textual.widgets import Label


class Bare(App[None]):
    def compose(self) -> ComposeResult:
        yield Label("hello")

    def on_mount(self) -> None:
        self.call_after_refresh(self.exit)


def mailpath_app() -> App[int]:
    from pathlib import Path

    from checks.context import Context
    from tui.app import MailpathApp

    class FirstFrame(MailpathApp):
        CSS_PATH = str(Path(sys.modules[MailpathApp.__module__].__file__ or "").parent
                       / str(MailpathApp.CSS_PATH))

        def on_mount(self) -> None:  # Textual also runs MailpathApp.on_mount (MRO dispatch)
            self.call_after_refresh(self.exit)

    return FirstFrame(Context(), start="intake")


if __name__ == "__main__":
    app: App[object] = mailpath_app() if sys.argv[1:] == ["mailpath"] else Bare()
    app.run(headless=True, size=(100, 30))
