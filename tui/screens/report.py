"""The diagnosis as a report: read it, save it as Markdown or JSON, copy it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from rich.console import Group
from rich.padding import Padding
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, Label, Markdown
from textual.widgets.markdown import MarkdownBlock, MarkdownFence

from checks.diagnosis import Diagnosis
from checks.report import to_json, to_markdown
from tui.errors import Guarded
from tui.screens.modals import ConfirmModal, PathModal
from tui.widgets.check_detail import plain_parser
from tui.widgets.key_footer import KeyFooter

#: format -> (default file name, renderer)
FORMATS: dict[str, tuple[str, Callable[[Diagnosis], str]]] = {
    "markdown": ("mailpath-report.md", to_markdown),
    "json": ("mailpath-report.json", to_json),
}


def write_report(path: Path, text: str) -> str | None:
    """Write the file; returns a plain-words error, or None when it worked."""
    try:
        path.write_text(text, encoding="utf-8")
    except IsADirectoryError:
        return f"{path} is a folder; give a file name."
    except FileNotFoundError:
        return f"The folder {path.parent} does not exist."
    except PermissionError:
        return f"No permission to write {path}."
    except OSError as exc:
        return f"Could not write {path}: {exc.strerror or exc}"
    return None


def hanging(code: str) -> Group:
    """A block's lines, each wrapping at the edge with its continuation indented as far as
    the line itself (a bounce's `tree entry: recipient` stays under its recipient)."""
    rows = []
    for line in code.rstrip("\n").split("\n"):
        body = line.lstrip(" ")
        rows.append(Padding(Text(body), (0, 0, 0, len(line) - len(body))))
    return Group(*rows)


class WrappedFence(MarkdownFence):
    """A code block that wraps like the rest of the report (Textual's scrolls sideways,
    cutting what does not fit at the edge of the screen)."""

    def set_content(self, content: Content) -> None:
        self._content = content
        for label in self.query("#code-content").results(Label):
            label.update(hanging(self.code))

    def compose(self) -> ComposeResult:
        yield Label(hanging(self.code), id="code-content", expand=True)


class ReportMarkdown(Markdown):
    """The report's Markdown: its blocks wrap (see WrappedFence)."""

    BLOCKS: dict[str, type[MarkdownBlock]] = {**Markdown.BLOCKS, "fence": WrappedFence,
                                              "code_block": WrappedFence}


class ReportScreen(Guarded, Screen[None]):
    """Root causes first, then consequences, healthy layers and the evidence."""

    BINDINGS = [
        Binding("escape", "app.pop_screen", "Back"),
        Binding("m", "save('markdown')", "Save Markdown"),
        Binding("j", "save('json')", "Save JSON"),
        Binding("c", "copy", "Copy"),
    ]

    def __init__(self, diagnosis: Diagnosis, folder: Path | None = None) -> None:
        super().__init__(id="report")
        self.diagnosis = diagnosis
        self.markdown = to_markdown(diagnosis)
        #: where a saved report goes by default (shown in full in the save dialog)
        self.folder = (folder or Path.cwd()).absolute()

    def compose(self) -> ComposeResult:
        yield Header()
        with VerticalScroll(id="report-body"):
            yield ReportMarkdown(id="report-markdown", parser_factory=plain_parser)
        yield KeyFooter()

    async def on_mount(self) -> None:
        """The screen is up at once (keys come here); the Markdown fills in behind a
        loading indicator."""
        body = self.query_one("#report-body")
        body.focus()
        body.loading = True
        self.call_after_refresh(self._fill)

    async def _fill(self) -> None:
        await self.query_one("#report-markdown", ReportMarkdown).update(self.markdown)
        self.query_one("#report-body").loading = False

    def action_copy(self) -> None:
        self.app.copy_to_clipboard(self.markdown)
        self.notify("Report copied to the clipboard as Markdown")

    def action_save(self, fmt: str, folder: Path | None = None) -> None:
        name, _ = FORMATS[fmt]
        prompt = f"Save the report as {'JSON' if fmt == 'json' else 'Markdown'} to:"
        self.app.push_screen(PathModal(prompt, str((folder or self.folder) / name)),
                             lambda p: self._chosen(p, fmt))

    def _chosen(self, path: Path | None, fmt: str) -> None:
        if path is None:
            return
        if path.is_dir():  # said at once (never "overwrite?" first), and asked again there
            self.notify(f"{path} is a folder; give a file name (the dialog suggests one in "
                        "that folder).", severity="error", timeout=8)
            self.action_save(fmt, path)
            return
        if not path.exists():
            self._write(path, fmt)
            return
        ask = ConfirmModal(f"Overwrite {path.name}?",
                           f"{path} already exists; its contents will be replaced.",
                           verb="Overwrite")
        self.app.push_screen(ask, lambda ok: self._write(path, fmt) if ok else None)

    def _write(self, path: Path, fmt: str) -> None:
        text = FORMATS[fmt][1](self.diagnosis)
        error = write_report(path, text)
        if error:
            self.notify(error, severity="error", timeout=8)
        else:
            self.notify(f"Saved {path}")
