"""From a run's results to a diagnosis: every root cause, and what is only a consequence."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, Protocol

from checks.model import CheckResult, Evidence, Layer, Status

EXIT_HEALTHY = 0
EXIT_FAULTS = 1
EXIT_USAGE = 2
EXIT_COULD_NOT_CHECK = 3

#: delivery paths that send through an SMTP relay: with no relay settings the Gmail relay
#: layer cannot be checked, which is worth a warning (on ses_api there is no relay)
RELAY_PATHS = frozenset({"gmail_send_as", "ses_smtp"})


class Intake(Protocol):
    """What the diagnosis started from (a parsed bounce): shown as evidence in reports."""

    def evidence(self) -> Evidence: ...

    def to_json(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Diagnosis:
    root_causes: tuple[CheckResult, ...]
    consequences: tuple[CheckResult, ...]
    warnings: tuple[CheckResult, ...]
    could_not_check: tuple[CheckResult, ...]
    results: tuple[CheckResult, ...]
    intake: Intake | None = None
    #: the layers asked for (None: all); results of other layers only gave facts
    scope: frozenset[Layer] | None = None
    #: failures outside the scope that account for a consequence inside it
    context_causes: tuple[CheckResult, ...] = ()
    #: how the message was sent (Inputs.path), when known
    path: str | None = None
    #: the layers the run set out to check (None: every layer with results); a layer that
    #: only ran checks to explain another's failure is never reported as "not checked"
    planned: frozenset[Layer] | None = None

    def in_scope(self, r: CheckResult) -> bool:
        return self.scope is None or r.layer in self.scope

    def layer_note(self, layer: Layer) -> str:
        """' (context: not requested)' for a layer outside the scope, else ''."""
        return "" if self.scope is None or layer in self.scope else " (context: not requested)"

    @property
    def healthy_layers(self) -> list[Layer]:
        """Layers in scope where checks ran and nothing is wrong (not: every check skipped)."""
        seen = [r.layer for r in self.results if self.in_scope(r) and r.status is not Status.SKIP]
        bad = {r.layer for r in (*self.root_causes, *self.consequences, *self.could_not_check)}
        return [layer for layer in Layer if layer in seen and layer not in bad]

    @property
    def unchecked_layers(self) -> list[Layer]:
        """Layers whose checks were all skipped (e.g. no relay settings given): neither
        healthy nor faulty, just not checked. Those in scope (or planned), and, when the
        scope is only the path's layers (no --layers), a layer off the path whose checks
        ran and were all skipped: nobody asked to leave it out (the path may itself be the
        default a missing relay setting chose), so it is not checked, never silently
        dropped."""
        wanted = self.scope if self.scope is not None else self.planned
        return [layer for layer in Layer if _all_skipped(rows := self.layer_results(layer))
                and (self.off_path(layer) or (layer in wanted if wanted is not None
                                              else _whole_layer(layer, rows)))]

    def off_path(self, layer: Layer) -> bool:
        """The scope is the path's layers (not --layers) and this layer is not one of them."""
        return (self.scope is not None and layer not in self.scope and self.path is not None
                and self.scope == _path_layers(self.path))

    def layer_results(self, layer: Layer) -> list[CheckResult]:
        return [r for r in self.results if r.layer is layer]

    def unchecked_reason(self, layer: Layer) -> CheckResult | None:
        """The skip that left this layer unchecked: the first that is not only a missing fact
        of another skipped check; None when the layer was checked."""
        rows = self.layer_results(layer)
        if not _all_skipped(rows):
            return None
        return next((r for r in rows if not r.summary.startswith("Skipped: ")), rows[0])

    def relay_not_checked(self) -> bool:
        """The path sends through an SMTP relay, but the Gmail relay layer was not checked."""
        return self.path in RELAY_PATHS and Layer.GMAIL_RELAY in self.unchecked_layers

    @property
    def exit_code(self) -> int:
        """Faults win: 1 when any root cause (or cause outside --layers) was found, even if
        other checks could not run; else 3 when a check could not run, or when a layer
        asked for with --layers was not checked at all; else 0."""
        if self.root_causes or self.context_causes:
            return EXIT_FAULTS
        if self.could_not_check or self._asked_but_unchecked() or not self._checked():
            return EXIT_COULD_NOT_CHECK
        return EXIT_HEALTHY

    def _asked_but_unchecked(self) -> bool:
        return self.scope is not None and bool(set(self.unchecked_layers) & self.scope)

    def _checked(self) -> bool:
        """Some check in scope ran (anything but skip), or nothing was run at all."""
        rows = [r for r in self.results if self.in_scope(r)]
        return not rows or not _all_skipped(rows)

    def headline(self) -> str:
        unchecked = ", ".join(layer.display_name for layer in self.unchecked_layers)
        if not self._checked():
            why = "; ".join(f"{layer.display_name}: {_lower(r.summary)}"
                            for layer in self.unchecked_layers
                            if (r := self.unchecked_reason(layer)) is not None)
            return f"Nothing checked ({why})"
        found = self._findings()
        return f"{found}; not checked: {unchecked}" if unchecked else found

    def _findings(self) -> str:
        n, missing = len(self.root_causes), len(self.could_not_check)
        checked = sum(1 for r in self.results if self.in_scope(r))
        could_not = f"{missing} of {checked} checks could not run" if missing else ""
        if not n and self.context_causes:
            outside = ", ".join(dict.fromkeys(r.layer.display_name for r in self.context_causes))
            found = f"No root cause in the layers checked; the faults come from {outside}"
            return f"{found}; {could_not}" if missing else found
        if not n:
            return f"No faults found; {could_not}" if missing else "No faults found"
        layers = ", ".join(dict.fromkeys(r.layer.display_name for r in self.root_causes))
        found = f"{n} root cause{'s' if n != 1 else ''}: {layers}"
        return f"{found}; {could_not}" if missing else found

    def not_checked_json(self) -> list[dict[str, Any]]:
        out = []
        for layer in self.unchecked_layers:
            why = self.unchecked_reason(layer)
            assert why is not None
            out.append({"layer": layer.value, "check": why.check_id, "reason": why.summary,
                        "explanation": why.outcome.explanation,
                        "warning": layer is Layer.GMAIL_RELAY and self.relay_not_checked()})
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "diagnosis": {
                "headline": self.headline(),
                "root_causes": [_cause(r) for r in self.root_causes],
                "consequences": [_cause(r) for r in self.consequences],
                "warnings": [_cause(r) for r in self.warnings],
                "could_not_check": [_cause(r) for r in self.could_not_check],
                "healthy_layers": [layer.value for layer in self.healthy_layers],
                "unchecked_layers": [layer.value for layer in self.unchecked_layers],
                "not_checked": self.not_checked_json(),
                "context_causes": [_cause(r) for r in self.context_causes],
                "layers": [layer.value for layer in Layer if self.scope is None
                           or layer in self.scope],
            },
            "results": [self._result_json(r) for r in self.results],
            "bounce": self.intake.to_json() if self.intake is not None else None,
        }

    def _result_json(self, r: CheckResult) -> dict[str, Any]:
        """A result; `"context": true` when it ran only to give facts to the checked layers."""
        return r.to_json() if self.in_scope(r) else {**r.to_json(), "context": True}


def _whole_layer(layer: Layer, rows: list[CheckResult]) -> bool:
    """Every registered check of the layer has a result: the layer was walked, not only
    visited by a check that explains another layer's failure (or still running)."""
    from checks.registry import load_all_checks

    ids = {c.id for c in load_all_checks().all() if c.layer is layer}
    return ids <= {r.check_id for r in rows}


def _path_layers(path: str) -> frozenset[Layer]:
    """The layers the decision tree walks for a send path (what session.path_scope uses)."""
    from checks.tree import walk

    return frozenset(walk("start", {"path": path}).layers)


def _all_skipped(rows: Iterable[CheckResult]) -> bool:
    """True for a non-empty set of results that are all skips."""
    seen = False
    for r in rows:
        if r.status is not Status.SKIP:
            return False
        seen = True
    return seen


def _cause(r: CheckResult) -> dict[str, Any]:
    return {
        "layer": r.layer.value,
        "check": r.check_id,
        "status": r.status.value,
        "summary": r.summary,
        "fix": r.outcome.fix.to_json() if r.outcome.fix else None,
    }


def diagnose(results: Iterable[CheckResult], intake: Intake | None = None,
             scope: Iterable[Layer] | None = None, path: str | None = None,
             planned: Iterable[Layer] | None = None) -> Diagnosis:
    """Failures that another failure explains are consequences; the rest are root causes.

    With `scope`, only results of those layers are diagnosed; the others (run for their
    facts) can still explain a failure in scope, and are then its `context_causes`.
    With `path` (how the message was sent) a relay path whose Gmail relay layer was not
    checked (no relay settings) gets that layer's first skip as a warning. `planned`: the
    layers the run set out to check (see Diagnosis.planned)."""
    order = list(Layer)
    results = tuple(sorted(results, key=lambda r: order.index(r.layer)))  # stable within a layer
    layers = frozenset(scope) if scope is not None else None
    inside = [r for r in results if layers is None or r.layer in layers]
    problems = [r for r in results if r.status in (Status.FAIL, Status.WARN)]
    explained = {cid for r in problems for cid in r.outcome.explains}
    fails = [r for r in inside if r.status is Status.FAIL]
    consequences = tuple(r for r in inside if r.status in (Status.FAIL, Status.WARN)
                         and r.check_id in explained)
    diagnosis = Diagnosis(
        root_causes=tuple(r for r in fails if r.check_id not in explained),
        consequences=consequences,
        warnings=tuple(
            r for r in inside if r.status is Status.WARN and r.check_id not in explained
        ),
        could_not_check=tuple(
            r for r in inside if r.status is Status.ERROR and r.check_id not in explained
        ),
        results=results,
        intake=intake,
        scope=layers,
        context_causes=_context_causes(problems, consequences, layers),
        path=path,
        planned=frozenset(planned) if planned is not None else None,
    )
    if diagnosis.relay_not_checked():
        why = diagnosis.unchecked_reason(Layer.GMAIL_RELAY)
        assert why is not None
        diagnosis = replace(diagnosis, warnings=(why, *diagnosis.warnings))
    return diagnosis


def _context_causes(problems: list[CheckResult], consequences: tuple[CheckResult, ...],
                    scope: frozenset[Layer] | None) -> tuple[CheckResult, ...]:
    """Failures outside the scope that explain a consequence inside it."""
    if scope is None:
        return ()
    wanted = {r.check_id for r in consequences}
    return tuple(r for r in problems if r.layer not in scope and r.status is Status.FAIL
                 and wanted & set(r.outcome.explains))


def _lower(text: str) -> str:
    """'No relay settings given' → 'no relay settings given' (inside a sentence)."""
    return text[:1].lower() + text[1:]
