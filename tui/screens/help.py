"""Help: the keys, and what the widget that had the focus is for."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Markdown

from tui.errors import Guarded
from tui.widgets.key_footer import KeyFooter

GENERAL = """\
# mailpath

mailpath walks the delivery path (Gmail relay → Amazon SES → DNS → recipient MTA), runs
every check live and ends with **every** root cause, each with its evidence and its fix.

| key | does |
|---|---|
| `n` | next step: root causes first, then what they explain, checks that could not run, warnings |
| `r` | re-run the selected check (with what it needs) |
| `l` | re-run the selected check's layer |
| `a` | run everything again |
| `c` | copy the selected fix |
| `Tab` | tree → detail → its buttons → each evidence box; `↑↓` `PgUp/PgDn` scroll the focused one |
| `p` | the report (save as Markdown `m` or JSON `j`) |
| `i` | intake: describe a new problem |
| `s` | settings |
| `u` | the SES suppression list |
| `k` | stored credentials: login test, rotation |
| `t` | light or dark theme |
| `ctrl+p` | command palette: every action by name |
| `?` `F1` | this help · `Esc` closes it (in a text field `?` types: use `F1`) |
| `q` `ctrl+q` | quit (in a text field `q` types: use `ctrl+q`) |

Statuses: ✓ pass · ! warn · ✗ fail · ? error (could not check) · – skip.
"""


class HelpScreen(Guarded, ModalScreen[None]):
    """General help, with the focused widget's own help on top when it has some."""

    BINDINGS = [Binding("escape,q,question_mark,f1", "dismiss", "Close")]
    #: its own footer: the keys of the screen below do nothing while help is open
    DEFAULT_CSS = "HelpScreen KeyFooter { dock: bottom; }"

    def __init__(self, widget_help: str | None = None) -> None:
        super().__init__(classes="modal")
        self.widget_help = widget_help

    def compose(self) -> ComposeResult:
        text = f"{self.widget_help}\n\n---\n\n{GENERAL}" if self.widget_help else GENERAL
        with VerticalScroll(classes="dialog help-dialog"):
            yield Markdown(text, id="help-text")
        yield KeyFooter()
