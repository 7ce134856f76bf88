"""From a run's results to a diagnosis: every root cause, and what is only a consequence."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from checks.model import CheckResult, Evidence, Layer, Status

EXIT_HEALTHY = 0
EXIT_FAULTS = 1
EXIT_USAGE = 2
EXIT_COULD_NOT_CHECK = 3


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

    def in_scope(self, r: CheckResult) -> bool:
        return self.scope is None or r.layer in self.scope

    def layer_note(self, layer: Layer) -> str:
        """' (context: not requested)' for a layer outside the scope, else ''."""
        return "" if self.scope is None or layer in self.scope else " (context: not requested)"

    @property
    def healthy_layers(self) -> list[Layer]:
        seen = [r.layer for r in self.results if self.in_scope(r)]
        bad = {r.layer for r in (*self.root_causes, *self.consequences, *self.could_not_check)}
        return [layer for layer in Layer if layer in seen and layer not in bad]

    @property
    def exit_code(self) -> int:
        if self.root_causes or self.context_causes:
            return EXIT_FAULTS
        if self.could_not_check:
            return EXIT_COULD_NOT_CHECK
        return EXIT_HEALTHY

    def headline(self) -> str:
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

    def to_json(self) -> dict[str, Any]:
        return {
            "diagnosis": {
                "headline": self.headline(),
                "root_causes": [_cause(r) for r in self.root_causes],
                "consequences": [_cause(r) for r in self.consequences],
                "warnings": [_cause(r) for r in self.warnings],
                "could_not_check": [_cause(r) for r in self.could_not_check],
                "healthy_layers": [layer.value for layer in self.healthy_layers],
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


def _cause(r: CheckResult) -> dict[str, Any]:
    return {
        "layer": r.layer.value,
        "check": r.check_id,
        "status": r.status.value,
        "summary": r.summary,
        "fix": r.outcome.fix.to_json() if r.outcome.fix else None,
    }


def diagnose(results: Iterable[CheckResult], intake: Intake | None = None,
             scope: Iterable[Layer] | None = None) -> Diagnosis:
    """Failures that another failure explains are consequences; the rest are root causes.

    With `scope`, only results of those layers are diagnosed; the others (run for their
    facts) can still explain a failure in scope, and are then its `context_causes`."""
    order = list(Layer)
    results = tuple(sorted(results, key=lambda r: order.index(r.layer)))  # stable within a layer
    layers = frozenset(scope) if scope is not None else None
    inside = [r for r in results if layers is None or r.layer in layers]
    problems = [r for r in results if r.status in (Status.FAIL, Status.WARN)]
    explained = {cid for r in problems for cid in r.outcome.explains}
    fails = [r for r in inside if r.status is Status.FAIL]
    consequences = tuple(r for r in inside if r.status in (Status.FAIL, Status.WARN)
                         and r.check_id in explained)
    return Diagnosis(
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
    )


def _context_causes(problems: list[CheckResult], consequences: tuple[CheckResult, ...],
                    scope: frozenset[Layer] | None) -> tuple[CheckResult, ...]:
    """Failures outside the scope that explain a consequence inside it."""
    if scope is None:
        return ()
    wanted = {r.check_id for r in consequences}
    return tuple(r for r in problems if r.layer not in scope and r.status is Status.FAIL
                 and wanted & set(r.outcome.explains))
