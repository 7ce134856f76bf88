"""The walkthrough: the layer tree with live statuses, the selected check, the diagnosis so far.

A thin worker iterates the engine's events and posts messages; the handlers here own the
state. Every run has an id, and messages from a superseded run are dropped.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import replace
from functools import partial

from textual import on, work
from textual.app import ComposeResult, SystemCommand
from textual.binding import Binding
from textual.containers import Horizontal
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Button, Header, Tree
from textual.worker import Worker

from checks.context import Context
from checks.diagnosis import Diagnosis, diagnose
from checks.model import CheckResult, Layer, Status
from checks.registry import Check, Registry
from checks.runner import CheckFinished, CheckStarted, Event, RunFinished, run_checks
from checks.session import plan
from checks.tree import walk
from tui.errors import Guarded
from tui.messages import ActionRequested, CheckBegan, CheckDone, RunBegan, RunDone
from tui.screens.modals import QuestionModal
from tui.widgets.check_detail import (
    CheckDetail,
    LayerView,
    View,
    action_label,
    copy_text,
    record_text,
)
from tui.widgets.key_footer import KeyFooter
from tui.widgets.layer_tree import PENDING, RUNNING, LayerTree
from tui.widgets.status_bar import DiagnosisBar

#: statuses the guided mode stops at, in the order an expert reads them
NOTEWORTHY = (Status.FAIL, Status.ERROR, Status.WARN)

#: Fix.action -> the screen that applies it (it asks before it changes anything)
SCREEN_ACTIONS = frozenset({"remove_suppression", "rotate_credentials"})


#: where events come from: the engine's runner; screenshots wrap it to hide loopback ports
EventSource = Callable[[list[Check], Context], AsyncIterator[Event]]


def fresh_context(ctx: Context) -> Context:
    """A new run's context: same endpoints, inputs and redactor, an empty per-run cache."""
    return Context(endpoints=ctx.endpoints, inputs=ctx.inputs, redactor=ctx.redactor)


def event_message(run_id: int, event: Event) -> Message:
    """The UI message for one engine event."""
    if isinstance(event, CheckStarted):
        return CheckBegan(run_id, event.check.id)
    if isinstance(event, CheckFinished):
        return CheckDone(run_id, event.result)
    assert isinstance(event, RunFinished)
    return RunDone(run_id, event.results)


def with_needs(check_id: str, checks: Mapping[str, Check]) -> list[Check]:
    """The check and everything it needs, dependencies first."""
    chosen: dict[str, Check] = {}

    def take(cid: str) -> None:
        if cid in checks and cid not in chosen:
            for dep in checks[cid].needs:
                take(dep)
            chosen[cid] = checks[cid]

    take(check_id)
    return list(chosen.values())


class WalkthroughScreen(Guarded, Screen[None]):
    """Left the delivery path, right the selected check, below the diagnosis so far."""

    BINDINGS = [
        # most used first: the footer shows what fits; the palette and help list all
        Binding("n", "next_step", "Next step"),
        Binding("p", "report", "Report"),
        Binding("r", "rerun_check", "Re-run check"),
        Binding("c", "copy_fix", "Copy fix"),
        Binding("l", "rerun_layer", "Re-run layer", show=False),
        Binding("a", "rerun_all", "Run all", show=False),
    ]

    def __init__(self, registry: Registry | None = None, source: EventSource | None = None) -> None:
        super().__init__(id="walkthrough")
        self.registry, self.source = registry, source
        self.ctx: Context | None = None
        self.entry = "start"
        self.order: tuple[Layer, ...] = ()
        self.checks: dict[str, Check] = {}
        self.results: dict[str, CheckResult] = {}
        self.running: set[str] = set()
        self.run_id = 0
        self.selected: str | None = None
        #: the user asked for the report while checks ran: it opens when the run ends
        self.report_waiting = False
        #: the inputs changed since the results shown were made (a rotated relay profile):
        #: the bar says so until the next run
        self.stale: str | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        with Horizontal(id="panes"):
            yield LayerTree(id="layer-tree")
            yield CheckDetail(id="detail")
        yield DiagnosisBar(id="diagnosis-bar")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._refresh_bar()

    def waiting(self, text: str) -> None:
        """Say what is being prepared before the first run (the lab starting, checks loading)."""
        self.query_one(DiagnosisBar).say(text)
        self.query_one(CheckDetail).show(None, note=text)

    # ---- starting a diagnosis -------------------------------------------------------------

    def start(self, ctx: Context, entry: str = "start") -> None:
        """Walk the decision tree from `entry`, asking its questions, then run every layer."""
        self.ctx, self.entry = ctx, entry
        answers = {"path": ctx.inputs.path} if ctx.inputs.path else {}
        start_layer = getattr(ctx.inputs.bounce, "entry_layer", None)
        step = walk(entry, answers, start_layer=start_layer)
        if step.question is None:
            self._begin(step.layers)
            return
        question = step.question
        self.app.push_screen(QuestionModal(question.text, question.choices), self._answered)

    def _answered(self, answer: str | None) -> None:
        if self.ctx is None:
            return
        if answer is None:
            self.notify("No path chosen: checking every layer.", severity="warning")
            self._begin(tuple(Layer))
            return
        self.ctx = replace_inputs(self.ctx, path=answer)
        self.start(self.ctx, self.entry)

    def _begin(self, layers: Iterable[Layer], *, keep: bool = False) -> None:
        self.order = tuple(layers)
        checks = plan(self.order, self.registry, path=self.order)
        rank = {layer: n for n, layer in enumerate(self.order)}
        checks.sort(key=lambda c: rank.get(c.layer, len(rank)))
        self.checks = {c.id: c for c in checks}
        self.results.clear()
        kept = self._current() if keep else None
        tree = self.query_one(LayerTree)
        tree.show_plan(checks, self.order)
        # `a`: the same check (or layer) stays highlighted across the redraw, so keys pressed
        # at once (`a a a r l`) act on what the screen shows, not on "nothing selected"
        self.selected = kept if tree.has_node(kept) else None
        if self.selected is not None:
            tree.reselect(self.selected)
        self._refresh_detail()
        self._launch(checks)

    def _launch(self, checks: list[Check]) -> None:
        if self.ctx is None:
            return
        if self.running:  # the run this one supersedes had not finished: what it still
            # owed runs too (with what it needs), so no check is left "waiting" for good
            owed = {c.id for c in checks} | {c for c in self.checks if c not in self.results}
            ids = {chk.id for cid in owed for chk in with_needs(cid, self.checks)}
            checks = [chk for cid, chk in self.checks.items() if cid in ids]
        self.run_id += 1
        self.stale = None
        self.running = {c.id for c in checks}  # at once: a report asked for now must wait
        self.stream(self.run_id, fresh_context(self.ctx), checks)

    @work(exclusive=True, group="diagnosis", exit_on_error=False)
    async def stream(self, run_id: int, ctx: Context, checks: list[Check]) -> None:
        """Thin worker: engine events in, messages out."""
        self.post_message(RunBegan(run_id, tuple(c.id for c in checks)))
        async for event in (self.source or run_checks)(checks, ctx):
            self.post_message(event_message(run_id, event))

    # ---- messages from the worker ---------------------------------------------------------

    def on_run_began(self, message: RunBegan) -> None:
        if message.run_id != self.run_id:
            return
        tree = self.query_one(LayerTree)
        self.running = set(message.check_ids)
        for cid in [*message.check_ids, *[c for c in self.checks if c not in self.results]]:
            self.results.pop(cid, None)
            tree.mark_waiting(cid)
        self._refresh_bar()
        self._refresh_detail()

    def on_check_began(self, message: CheckBegan) -> None:
        if message.run_id == self.run_id:
            self.query_one(LayerTree).mark_running(message.check_id)
            self._refresh_detail()

    def on_check_done(self, message: CheckDone) -> None:
        if message.run_id != self.run_id:
            return
        result = message.result
        self.results[result.check_id] = result
        self.running.discard(result.check_id)
        self.query_one(LayerTree).mark_result(result)
        self._refresh_bar()
        self._refresh_detail()

    def on_run_done(self, message: RunDone) -> None:
        if message.run_id != self.run_id:
            return
        self.running.clear()
        self._refresh_bar()
        if self.selected is None:
            self.action_next_step()
        if self.report_waiting:
            self.report_waiting = False
            self.action_report()

    # ---- what is shown --------------------------------------------------------------------

    def diagnosis(self) -> Diagnosis:
        """The diagnosis of the results so far, in plan order, with the bounce it began from."""
        bounce = self.ctx.inputs.bounce if self.ctx is not None else None
        path = self.ctx.inputs.path if self.ctx is not None else None
        # as `mailpath check`: a path that does not cross every layer is what may be blamed
        blame = None if set(self.order) >= set(Layer) else self.order
        return diagnose((self.results[c] for c in self.checks if c in self.results), bounce,
                        blame, path, self.order)

    def guided_order(self) -> list[str]:
        """Findings as an expert reads them: root causes, then what they explain, then
        checks that could not run, then warnings; each group in tree order."""
        d = self.diagnosis()
        rest = tuple(r for r in d.results if r.status in NOTEWORTHY)  # e.g. explained errors
        rank = {c: n for n, c in enumerate(self.query_one(LayerTree).check_order())}
        ordered: list[str] = []
        for group in (d.root_causes, d.consequences, d.could_not_check, d.warnings, rest):
            fresh = {r.check_id for r in group} - set(ordered)
            ordered += sorted(fresh, key=lambda c: rank.get(c, len(rank)))
        return ordered

    def relay_changed(self, ctx: Context, profile: str) -> None:
        """The relay settings now follow `profile` as stored (a rotation changed it): the
        next run uses them; until then the bar says the results shown used the old ones."""
        self.ctx = ctx
        if self.results or self.running:
            user = ctx.inputs.relay.username if ctx.inputs.relay else "?"
            self.stale = (f"Relay settings changed: profile {profile} now uses {user}; "
                          "these results are from the old ones. Press a to run again.")
        self._refresh_bar()

    def _refresh_bar(self) -> None:
        done = sum(1 for c in self.checks if c in self.results)
        bar = self.query_one(DiagnosisBar)
        bar.show(self.diagnosis(), done, len(self.checks), bool(self.running))
        if self.stale:
            bar.say(self.stale)

    def _refresh_detail(self) -> None:
        self.query_one(CheckDetail).show(self._view(self.selected))

    def _view(self, data: str | None) -> View:
        if data in self.results:
            return self.results[data]
        if data in self.checks:
            state = RUNNING if data in self.running else PENDING
            return (self.checks[data].title, *state)
        layer = self.query_one(LayerTree).layer_of(data)
        if layer is None:
            return None
        ids = [c for c, chk in self.checks.items() if chk.layer is layer]
        return LayerView(layer, tuple(self.results[c] for c in ids if c in self.results), len(ids))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """Screen workers report here, not to the app: hand errors to the app's modal."""
        worker_changed = getattr(self.app, "worker_changed", None)
        if worker_changed is not None:
            worker_changed(event)

    @on(Tree.NodeHighlighted, "#layer-tree")
    def highlighted(self, event: Tree.NodeHighlighted[str]) -> None:
        self.selected = event.node.data
        self._refresh_detail()

    # ---- actions ---------------------------------------------------------------------------

    def _current(self) -> str | None:
        """The node the user has: the selection, else the highlighted row (a redraw may not
        have told us yet)."""
        if self.selected is not None:
            return self.selected
        node = self.query_one(LayerTree).cursor_node
        return node.data if node is not None else None

    def _selected_layer(self) -> Layer | None:
        return self.query_one(LayerTree).layer_of(self._current())

    def action_rerun_check(self) -> None:
        current = self._current()
        if current is None or current not in self.checks:
            self.notify("Select a check first (arrow keys or click).", severity="warning")
            return
        self._launch(with_needs(current, self.checks))

    def action_rerun_layer(self) -> None:
        layer = self._selected_layer()
        if layer is None:
            self.notify("Select a check or a layer first.", severity="warning")
            return
        # only checks the tree draws (a layer drawn for a dependency is not walked whole)
        self._launch([c for c in plan([layer], self.registry) if c.id in self.checks])

    def action_rerun_all(self) -> None:
        if self.ctx is None:
            self.notify("Nothing to run yet: press i to describe the problem.", severity="warning")
            return
        self._begin(self.order, keep=True)

    def action_next_step(self) -> None:
        """Guided mode: go to the next finding, in the order an expert reads them."""
        if self.ctx is not None and not self.ctx.inputs.path and self.entry == "start":
            self.start(self.ctx, self.entry)
            return
        findings = self.guided_order()
        if not findings:
            self.notify(self.diagnosis().headline() if self.results else "Nothing checked yet.")
            return
        after = findings.index(self.selected) + 1 if self.selected in findings else 0
        target = findings[after % len(findings)]
        self.query_one(LayerTree).select_check(target)
        # the cursor may already be on that row (a new run, same tree): no highlight event
        self.selected = target
        self._refresh_detail()

    def action_copy_fix(self) -> None:
        result = self.results.get(self.selected or "")
        if result is None or result.outcome.fix is None:
            self.notify("The selected check has no fix to copy.", severity="warning")
            return
        self.app.copy_to_clipboard(copy_text(result.outcome.fix))
        self.notify("Fix copied to the clipboard")

    def action_report(self) -> None:
        from tui.screens.report import ReportScreen

        if self.running:
            done = sum(1 for c in self.checks if c in self.results)
            self.report_waiting = True
            self.notify(f"Checks still running ({done} of {len(self.checks)} done); the report "
                        "opens when they finish.")
            return
        if not self.results:
            self.notify("Nothing checked yet.", severity="warning")
            return
        self.app.push_screen(ReportScreen(self.diagnosis()))

    @on(Button.Pressed, "#rerun-check")
    def _rerun_check_button(self) -> None:
        self.action_rerun_check()

    @on(Button.Pressed, "#rerun-layer")
    def _rerun_layer_button(self) -> None:
        self.action_rerun_layer()

    @on(Button.Pressed, "#copy-fix")
    def _copy_fix_button(self) -> None:
        self.action_copy_fix()

    @on(Button.Pressed, ".fix-action")
    def _fix_action(self, event: Button.Pressed) -> None:
        result = self.results.get(self.selected or "")
        if result is None or result.outcome.fix is None:
            return
        self.run_fix(result)

    def palette_commands(self) -> Iterable[SystemCommand]:
        """One command per fix mailpath can apply (copy a record, remove a suppression,
        rotate credentials), named with its check."""
        for cid in self.query_one(LayerTree).check_order():
            result = self.results.get(cid)
            fix = result.outcome.fix if result is not None else None
            if result is not None and fix is not None and fix.action:
                yield SystemCommand(f"{action_label(fix.action)} ({result.title})", fix.summary,
                                    partial(self.call_later, self.run_fix, result))

    def run_fix(self, result: CheckResult) -> None:
        """Run the fix's action: copy a record, or open the screen that applies the fix."""
        fix = result.outcome.fix
        assert fix is not None and fix.action is not None
        if fix.action == "copy_record":
            self.app.copy_to_clipboard(record_text(fix))
            self.notify("Record copied to the clipboard")
            return
        if fix.action not in SCREEN_ACTIONS:
            self.notify(f"“{fix.action}” cannot be applied from here; follow the fix steps "
                        "(c copies them).", severity="warning", timeout=8)
            return
        args = {k: str(v) for k, v in (fix.action_args or {}).items()}
        self.post_message(ActionRequested(result.check_id, fix.action, args))


def replace_inputs(ctx: Context, **changes: object) -> Context:
    """The same context with some inputs changed (a new redactor is made from them)."""
    inputs = replace(ctx.inputs, **changes)  # type: ignore[arg-type]
    return Context(endpoints=ctx.endpoints, inputs=inputs, redactor=ctx.redactor)
