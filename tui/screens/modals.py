"""Small modal screens: a copyable error, a question with choices, a confirmation, a path."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Label, OptionList, Static, TextArea
from textual.widgets.option_list import Option

from tui.errors import Guarded


class ErrorModal(Guarded, ModalScreen[None]):
    """An unexpected error, shown with its details so the user can copy them into a report."""

    BINDINGS = [Binding("escape", "close", "Close", priority=True),
                Binding("c", "copy", "Copy details")]

    def __init__(self, title: str, details: str) -> None:
        super().__init__(classes="modal")
        self.title_text, self.details = title, details

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog error-dialog"):
            yield Label(f"✗ {self.title_text}", classes="dialog-title")
            yield Static("mailpath kept running. Copy the details below into a bug report.")
            yield TextArea(self.details, read_only=True, id="error-details")
            with Horizontal(classes="dialog-buttons"):
                yield Button("Copy details", id="copy", variant="primary")
                yield Button("Close", id="close")

    @on(Button.Pressed, "#copy")
    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.details)
        self.notify("Error details copied to the clipboard")

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        self.dismiss(None)


class QuestionModal(Guarded, ModalScreen[str | None]):
    """One question of the decision tree; dismisses with the chosen answer id."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, text: str, choices: Mapping[str, str]) -> None:
        super().__init__(classes="modal")
        self.text, self.choices = text, dict(choices)

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.text, classes="dialog-title")
            options = [Option(f"{n}. {label}", id=key) for n, (key, label)
                       in enumerate(self.choices.items(), 1)]
            yield OptionList(*options, id="choices")
            yield Static("↑↓ and Enter, a number, or click.  Esc cancels.", classes="hint")

    def on_key(self, event: object) -> None:
        key = getattr(event, "key", "")
        if key.isdigit() and 0 < int(key) <= len(self.choices):
            self.dismiss(list(self.choices)[int(key) - 1])

    @on(OptionList.OptionSelected, "#choices")
    def chosen(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ConfirmModal(Guarded, ModalScreen[bool]):
    """Asks before a destructive action, saying exactly what will happen."""

    BINDINGS = [Binding("escape", "cancel", "Cancel"), Binding("y", "confirm", "Yes")]

    def __init__(self, question: str, consequence: str, *, verb: str = "Yes") -> None:
        super().__init__(classes="modal")
        self.question, self.consequence, self.verb = question, consequence, verb

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.question, classes="dialog-title")
            yield Static(self.consequence)
            with Horizontal(classes="dialog-buttons"):
                yield Button(f"{self.verb} (y)", id="yes", variant="error")
                yield Button("Cancel (Esc)", id="no")

    def on_mount(self) -> None:
        """Enter on the first focus must never destroy anything: Cancel has it."""
        self.query_one("#no", Button).focus()

    @on(Button.Pressed, "#yes")
    def action_confirm(self) -> None:
        self.dismiss(True)

    @on(Button.Pressed, "#no")
    def action_cancel(self) -> None:
        self.dismiss(False)


class PathModal(Guarded, ModalScreen[Path | None]):
    """Asks for a file path; dismisses with it (user-expanded) or None."""

    BINDINGS = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, prompt: str, default: str) -> None:
        super().__init__(classes="modal")
        self.prompt, self.default = prompt, default

    def compose(self) -> ComposeResult:
        with Vertical(classes="dialog"):
            yield Label(self.prompt, classes="dialog-title")
            yield Input(self.default, id="path")
            yield Static("Enter saves, Esc cancels.", classes="hint")

    @on(Input.Submitted, "#path")
    def submitted(self, event: Input.Submitted) -> None:
        text = event.value.strip()
        if not text:
            self.notify("Type a file path first", severity="warning")
            return
        self.dismiss(Path(text).expanduser())

    def action_cancel(self) -> None:
        self.dismiss(None)
