"""The delivery path as a tree: one branch per layer, one leaf per check, status live."""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from checks.model import CheckResult, Layer, Status
from checks.registry import Check
from tui.errors import Guarded

#: what a check shows before it has a result
PENDING, RUNNING = ("·", "waiting"), ("…", "running")

#: every status word takes this many columns, so titles line up ("running" is the longest)
WORD_WIDTH = max(len(w) for w in (*(s.value for s in Status), PENDING[1], RUNNING[1]))

#: Rich style per status word; the glyph and word carry the meaning, colour only helps
STYLES = {"pass": "bold green", "warn": "bold yellow", "fail": "bold red",
          "error": "bold magenta", "skip": "dim", "waiting": "dim", "running": "bold cyan"}

#: most serious first: a layer shows the worst status of its checks (skip only if all skip)
SEVERITY = (Status.FAIL, Status.ERROR, Status.WARN, Status.PASS, Status.SKIP)


def status_text(glyph: str, word: str, title: str) -> Text:
    """Glyph and word (never colour alone), then the title."""
    text = Text()
    text.append(f"{glyph} {word:<{WORD_WIDTH}}", style=STYLES.get(word, ""))
    text.append(" " + title)
    return text


def layer_text(layer: Layer, statuses: list[Status], total: int) -> Text:
    """The layer's title with its worst status, the count first so a narrow pane cuts the
    title, not the count: e.g. "✗ fail    1/6 Gmail relay" (1 of its 6 checks fails)."""
    worst = next((s for s in SEVERITY if s in statuses), None)
    if worst is None:
        return status_text(*(RUNNING if total else PENDING), layer.title)
    bad = sum(1 for s in statuses if s is worst)
    head = f"{bad}/{total} " if worst is not Status.PASS else ""
    if len(statuses) < total:
        return status_text(*RUNNING, head + layer.title)
    return status_text(worst.glyph, worst.value, head + layer.title)


class LayerTree(Guarded, Tree[str]):
    """Gmail relay → SES → DNS → recipient MTA; node data is a check id or a layer value."""

    HELP = (
        "**Layer tree.** Every check of the delivery path with its status as glyph and word: "
        "✓ pass, ! warn, ✗ fail, ? error (could not check), – skip. Arrow keys or the mouse "
        "select a check; its details show on the right."
    )

    def __init__(self, **kw: object) -> None:
        super().__init__("Delivery path", **kw)  # type: ignore[arg-type]
        self.show_root = False
        self.guide_depth = 2  # narrow guides leave room for titles at 80 columns
        self._leaves: dict[str, TreeNode[str]] = {}
        self._layers: dict[Layer, TreeNode[str]] = {}
        self._checks: dict[str, Check] = {}
        self._status: dict[str, Status] = {}

    def show_plan(self, checks: Iterable[Check], order: Iterable[Layer]) -> None:
        """Draw every check as waiting, grouped by layer: the walk's layers in its order,
        then any other layer some of these checks belong to (a walked check needs them)."""
        self.clear()
        for table in (self._leaves, self._layers, self._status):
            table.clear()
        self._checks = {c.id: c for c in checks}
        walked = list(dict.fromkeys(order))
        for layer in walked + [layer for layer in Layer if layer not in walked]:
            self._add_layer(layer)

    def check_order(self) -> list[str]:
        """The check ids as drawn, top to bottom."""
        return list(self._leaves)

    def _add_layer(self, layer: Layer) -> None:
        members = [c for c in self._checks.values() if c.layer is layer]
        if not members:
            return
        node = self.root.add(layer_text(layer, [], 0), data=layer.value, expand=True)
        self._layers[layer] = node
        for chk in members:
            self._leaves[chk.id] = node.add_leaf(status_text(*PENDING, chk.title), data=chk.id)

    def mark_waiting(self, check_id: str) -> None:
        self._status.pop(check_id, None)
        if check_id in self._checks:
            self._relabel(check_id, status_text(*PENDING, self._checks[check_id].title))

    def mark_running(self, check_id: str) -> None:
        self._status.pop(check_id, None)
        self._relabel(check_id, status_text(*RUNNING, self._checks[check_id].title))

    def mark_result(self, result: CheckResult) -> None:
        self._status[result.check_id] = result.status
        status = result.status
        self._relabel(result.check_id, status_text(status.glyph, status.value, result.title))

    def _relabel(self, check_id: str, label: Text) -> None:
        leaf = self._leaves.get(check_id)
        if leaf is None:
            return
        leaf.set_label(label)
        layer = self._checks[check_id].layer
        ids = [c.id for c in self._checks.values() if c.layer is layer]
        statuses = [self._status[i] for i in ids if i in self._status]
        self._layers[layer].set_label(layer_text(layer, statuses, len(ids)))

    def select_check(self, check_id: str) -> None:
        """Move the cursor to a check (and so show it in the detail pane)."""
        leaf = self._leaves.get(check_id)
        if leaf is not None:
            self.move_cursor(leaf)

    def has_node(self, node_data: str | None) -> bool:
        """Is there a row (a check or a layer) with this data?"""
        return node_data in self._leaves or any(
            layer.value == node_data for layer in self._layers)

    def reselect(self, node_data: str) -> None:
        """Put the cursor back on this check or layer once the redrawn tree has its rows."""
        node = self._leaves.get(node_data) or next(
            (n for layer, n in self._layers.items() if layer.value == node_data), None)
        if node is not None:
            self.call_after_refresh(self.move_cursor, node)

    def layer_of(self, node_data: str | None) -> Layer | None:
        if node_data is None:
            return None
        if node_data in self._checks:
            return self._checks[node_data].layer
        return Layer(node_data) if node_data in Layer._value2member_map_ else None
