"""The footer fitted to the terminal's width: a key that does not fit is left out whole, the
least important first, instead of being cut in half at the right edge.

What stays longest: `? Help`, `q Quit` and the screen's `esc` key (how to learn every key,
how to leave, how to go back), then the screen's first two other keys (its main ones: screens
list their keys most used first), then the app's other keys (`i Intake`), then the screen's
further keys from the first to the last. Keys left out stay in the command palette (its key
is always shown) and in the help.
"""

from __future__ import annotations

from rich.cells import cell_len
from textual import events
from textual.app import ComposeResult
from textual.dom import DOMNode
from textual.widgets import Footer
from textual.widgets._footer import FooterKey  # (not exported; Footer makes them)

#: the app's actions the footer keeps whatever the width (and a screen's `esc` key)
ESSENTIAL = ("help", "quit")
BACK = "escape"
#: how many of a screen's (or a focused widget's) first keys count as its main keys
MAIN_KEYS = 2
#: action -> its keys, the one to show first: `?` and `q`, unless the focused widget takes
#: them (a text field types them), then F1 and ctrl+q, which work there too
SHOWN_KEYS = {"help": ("question_mark", "f1"), "quit": ("q", "ctrl+q")}


def key_width(key: FooterKey, compact: bool) -> int:
    """Cells a key takes in the footer (Textual's FooterKey padding and margins)."""
    shown, words = cell_len(key.key_display), cell_len(key.description)
    if not words:
        return shown + (1 if compact else 0)
    return shown + words + (2 if compact else 3)


def palette_width(key: FooterKey) -> int:
    """Cells the command palette's key takes: its words, its left border and right padding
    (a margin instead when the footer is compact)."""
    return cell_len(key.key_display) + cell_len(key.description) + 3


class KeyFooter(Footer):
    """Textual's footer, showing only the keys that fit whole (see the module doc)."""

    def __init__(self) -> None:
        super().__init__()
        #: the width the keys were last chosen for
        self.fitted_width = 0
        #: the actions of the keys left out at that width (for tests and the curious)
        self.left_out: tuple[str, ...] = ()

    def compose(self) -> ComposeResult:
        widgets = [self._shown_key(w) if isinstance(w, FooterKey) else w
                   for w in super().compose()]
        palette = [w for w in widgets if isinstance(w, FooterKey)
                   and w.has_class("-command-palette")]
        keys = [w for w in widgets if isinstance(w, FooterKey) and w not in palette]
        width = self.size.width or self.app.size.width
        budget = width - sum(palette_width(p) for p in palette)
        ranks = self._ranks()
        kept: set[int] = set()
        used = 0
        for key in sorted(keys, key=lambda k: ranks.get((k.action, k.key), 0)):
            size = key_width(key, self.compact)
            if used + size > budget and ranks.get((key.action, key.key), 0) > 0:
                break
            kept.add(id(key))
            used += size
        self.fitted_width = width
        self.left_out = tuple(k.action for k in keys if id(k) not in kept)
        yield from (w for w in widgets if not isinstance(w, FooterKey) or id(w) in kept
                    or w in palette)

    def _shown_key(self, key: FooterKey) -> FooterKey:
        """The key the footer shows for an action with several: the first of SHOWN_KEYS
        that works where the focus is (Textual shows whichever comes first)."""
        if key.action not in SHOWN_KEYS or key.has_class("-command-palette"):
            return key
        active = self.screen.active_bindings
        for wanted in SHOWN_KEYS[key.action]:
            found = active.get(wanted)
            if found is None or found.binding.action != key.action or not found.binding.show:
                continue
            if wanted == key.key:
                return key
            shown = FooterKey(wanted, self.app.get_key_display(found.binding), key.description,
                              key.action, disabled=not found.enabled,
                              tooltip=found.tooltip or key.description)
            return shown.data_bind(compact=Footer.compact)
        return key

    def _ranks(self) -> dict[tuple[str, str], int]:
        """(action, key) -> how soon the key goes when room is short (0: never)."""
        ranks: dict[tuple[str, str], int] = {}
        positions: dict[DOMNode, list[str]] = {}
        for key, active in self.screen.active_bindings.items():
            binding, node = active.binding, active.node
            if not binding.show:
                continue
            if key == BACK:
                ranks[(binding.action, key)] = 0
                continue
            if node is self.app:
                ranks[(binding.action, key)] = 0 if binding.action in ESSENTIAL else 2
                continue
            actions = positions.setdefault(node, [])
            if binding.action not in actions:
                actions.append(binding.action)
            position = actions.index(binding.action)
            # the main keys, then (after the app's others) the rest in the order listed
            ranks[(binding.action, key)] = 1 if position < MAIN_KEYS else 3 + position - MAIN_KEYS
        return ranks

    def on_resize(self, event: events.Resize) -> None:
        if self._bindings_ready and event.size.width != self.fitted_width:
            self.call_after_refresh(self.recompose)
