"""The selected check in full: summary, explanation, fix with its actions, and the evidence."""

from __future__ import annotations

from dataclasses import dataclass

from markdown_it import MarkdownIt
from textual.app import ComposeResult
from textual.containers import Horizontal, VerticalScroll
from textual.widget import Widget
from textual.widgets import Button, Label, Markdown, Static

from checks.model import CheckResult, Fix, Layer
from checks.tree import LAYER_NODE, NODES
from tui.errors import Guarded
from tui.widgets.highlight import highlight_evidence
from tui.widgets.layer_tree import layer_text, status_text

#: Fix.action -> button label; actions that change something end in "…" (they ask first)
ACTION_LABELS = {
    "copy_record": "Copy record",
    "remove_suppression": "Remove suppression…",
    "rotate_credentials": "Rotate credentials…",
}


def action_label(action: str) -> str:
    """The button (and command palette) words for a fix action."""
    return ACTION_LABELS.get(action, action.replace("_", " ").capitalize())


class EvidenceView(VerticalScroll, can_focus=True):
    """One piece of evidence, scrollable on its own (keys when focused, or the mouse wheel)
    when it is taller than its box."""

    HELP = ("**Evidence.** The raw record or transcript (secrets redacted). Tab here, then "
            "↑↓, PgUp/PgDn, Home/End scroll it; the mouse wheel does too.")

    def __init__(self, content: object) -> None:
        super().__init__(Static(content, classes="evidence-text"), classes="evidence")  # type: ignore[arg-type]


def plain_parser() -> MarkdownIt:
    """GitHub-like Markdown without linkify: host names in evidence are not links to open."""
    return MarkdownIt("gfm-like").disable("linkify")


@dataclass(frozen=True)
class LayerView:
    """What the pane shows when a layer, not a check, is selected."""

    layer: Layer
    results: tuple[CheckResult, ...]
    total: int


View = CheckResult | LayerView | tuple[str, str, str] | None  # (title, word, glyph) pending


def fix_markdown(fix: Fix) -> str:
    steps = "\n".join(f"{n}. {step}" for n, step in enumerate(fix.steps, 1))
    return f"Fix: **{fix.summary}**\n\n{steps}".strip()


class CheckDetail(Guarded, VerticalScroll):
    """Right-hand pane of the walkthrough; the screen hands it what to show."""

    HELP = (
        "**Check detail.** What the selected check found, why it matters, the raw evidence "
        "(secrets are redacted) and the fix. `r` re-runs the check, `l` its layer, `c` copies "
        "the fix; action buttons apply the fix where mailpath can, asking first."
    )

    def __init__(self, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.view: View = None
        self.note: str | None = None
        self.can_focus = True

    def show(self, view: View, note: str | None = None) -> None:
        self.view, self.note = view, note
        self.refresh(recompose=True)
        self.scroll_home(animate=False)

    def compose(self) -> ComposeResult:
        view = self.view
        if isinstance(view, CheckResult):
            yield from self._result_parts(view)
        elif isinstance(view, LayerView):
            yield from self._layer_parts(view)
        elif view is None:
            yield Static(self.note or "Select a check on the left to see what it found.",
                         classes="hint")
        else:
            title, glyph, word = view
            yield Label(status_text(glyph, word, title), classes="detail-title")

    def _result_parts(self, r: CheckResult) -> list[Widget]:
        out = r.outcome
        parts: list[Widget] = [
            Label(status_text(r.status.glyph, r.status.value, r.title), classes="detail-title"),
            Static(f"{r.layer.title} · {r.check_id}", classes="detail-id"),
            Static(out.summary, classes="detail-summary"),
        ]
        if out.explanation:
            parts.append(Markdown(out.explanation, classes="detail-explanation",
                                  parser_factory=plain_parser))
        if out.fix:
            parts.append(Markdown(fix_markdown(out.fix), classes="detail-fix",
                                  parser_factory=plain_parser))
        if out.fix and out.fix.action:  # the fix's own action on a row of its own: it fits
            parts.append(Horizontal(self._action_button(out.fix.action),
                                    classes="detail-actions"))
        parts.append(Horizontal(*self._buttons(out.fix), classes="detail-actions rerun-row"))
        parts += self._evidence_parts(r)
        return parts

    def _buttons(self, fix: Fix | None) -> list[Button]:
        buttons = [Button("Re-run check", id="rerun-check", compact=True),
                   Button("Re-run layer", id="rerun-layer", compact=True)]
        if fix:
            buttons.append(Button("Copy fix", id="copy-fix", compact=True))
        return buttons

    @staticmethod
    def _action_button(action: str) -> Button:
        return Button(action_label(action), id=f"action-{action}", classes="fix-action",
                      variant="warning", compact=True)

    def _evidence_parts(self, r: CheckResult) -> list[Widget]:
        evidence = r.outcome.evidence
        if not evidence:
            return []
        parts: list[Widget] = [Label("Evidence", classes="detail-heading")]
        for ev in evidence:
            parts.append(Static(f"{ev.label}  [{ev.kind}]", classes="evidence-label", markup=False))
            parts.append(EvidenceView(highlight_evidence(ev.content)))
        return parts

    def _layer_parts(self, view: LayerView) -> list[Widget]:
        statuses = [r.status for r in view.results]
        node = NODES[LAYER_NODE[view.layer]]
        lines = [f"- {r.status.label} {r.title}: {r.summary}" for r in view.results]
        return [
            Label(layer_text(view.layer, statuses, view.total), classes="detail-title"),
            Static(node.title, classes="detail-summary"),
            Markdown("\n".join(lines) or "Not checked yet.", classes="detail-explanation",
                     parser_factory=plain_parser),
            Horizontal(Button("Re-run layer", id="rerun-layer", compact=True),
                       classes="detail-actions"),
        ]


def copy_text(fix: Fix) -> str:
    """The fix as plain text for the clipboard."""
    return fix_markdown(fix).replace("**", "")


def record_text(fix: Fix) -> str:
    """The DNS record(s) a `copy_record` fix names, as a zone-file line for the clipboard."""
    args = fix.action_args
    if "records" in args:
        return args["records"]
    if {"name", "type", "value"} <= args.keys():
        value = f'"{args["value"]}"' if args["type"].upper() == "TXT" else args["value"]
        return f"{args['name'].rstrip('.')}. {args['type']} {value}"
    return "\n".join(fix.steps) or fix.summary
