"""Checks by id: what each needs, which layer it belongs to, and the function that runs it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from checks.context import Context
from checks.model import CheckResult, Layer, Outcome, Status

#: The fact a check skipped for want of a fact carries: the check that ended as error at the
#: start of the chain (so a check that needs the skipped one skips too, naming it).
UNSETTLED = "unsettled_dependency"


class MissingFact(LookupError):
    """A check needed a fact that an earlier check did not produce; the check is skipped.

    `root` is the check that ended as error when `check_id` itself was only skipped for it."""

    def __init__(self, check_id: str, key: str, status: Status | None,
                 root: str | None = None) -> None:
        self.check_id, self.key, self.status = check_id, key, status
        self.root = root or (check_id if status is Status.ERROR else None)
        why = f"it ended as {status.value}" if status else "it did not run"
        if root and root != check_id:
            why = f"it was skipped: {root} ended as error"
        super().__init__(f"needs {key!r} from {check_id}, but {why}")


class CheckError(Exception):
    """A check could not be carried out; the message says why in plain words."""

    def __init__(self, message: str, *, explanation: str = "", evidence: tuple[Any, ...] = ()):
        super().__init__(message)
        self.explanation = explanation
        self.evidence = evidence


class Deps:
    """The finished results of the checks a check declared it needs."""

    def __init__(self, results: Mapping[str, CheckResult]) -> None:
        self._results = results

    def result(self, check_id: str) -> CheckResult | None:
        return self._results.get(check_id)

    def status(self, check_id: str) -> Status | None:
        r = self._results.get(check_id)
        return r.status if r else None

    def fact(self, check_id: str, key: str) -> Any:
        r = self._results.get(check_id)
        if r is None or key not in r.facts:
            raise MissingFact(check_id, key, r.status if r else None,
                              r.facts.get(UNSETTLED) if r else None)
        return r.facts[key]

    def get(self, check_id: str, key: str, default: Any = None) -> Any:
        """The fact, or `default` whatever the reason it is absent (see `known`)."""
        r = self._results.get(check_id)
        return r.facts.get(key, default) if r else default

    def known(self, check_id: str, key: str, default: Any = None) -> Any:
        """The fact, or `default` when the dependency ran and settled without it (passed,
        failed, or skipped for its own reasons). A dependency that ended as error, or was
        skipped because one of its own did, raises MissingFact (the check is skipped, naming
        it): a lookup that failed is not a fact, and its default must not read as one."""
        r = self._results.get(check_id)
        if r is None or key in r.facts:
            return self.get(check_id, key, default)
        root = r.facts.get(UNSETTLED)
        if r.status is Status.ERROR or root:
            raise MissingFact(check_id, key, r.status, root)
        return default

    def unsettled(self, check_id: str) -> str | None:
        """The check that ended as error behind this dependency (itself, or the one it was
        skipped for); None when it settled."""
        r = self._results.get(check_id)
        if r is None:
            return None
        return check_id if r.status is Status.ERROR else r.facts.get(UNSETTLED)


CheckFn = Callable[[Context, Deps], Awaitable[Outcome]]
#: Started with the run, before any dependency is done: fills `ctx.memo` with lookups the
#: check will ask for (so it need not wait for them after its dependencies); never a result.
PrefetchFn = Callable[[Context], Awaitable[None]]


@dataclass(frozen=True)
class Check:
    id: str
    layer: Layer
    title: str
    fn: CheckFn
    needs: tuple[str, ...] = ()
    timeout: float | None = None  # None: the context's default
    prefetch: PrefetchFn | None = None


class Registry:
    def __init__(self) -> None:
        self._checks: dict[str, Check] = {}

    def add(self, chk: Check) -> None:
        if chk.id in self._checks:
            raise ValueError(f"check {chk.id} registered twice")
        self._checks[chk.id] = chk

    def get(self, check_id: str) -> Check:
        return self._checks[check_id]

    def all(self) -> list[Check]:
        return list(self._checks.values())

    def in_layers(self, layers: Iterable[Layer]) -> list[Check]:
        """The checks of these layers plus everything they need, in registration order."""
        wanted = set(layers)
        chosen: dict[str, Check] = {}

        def take(chk: Check) -> None:
            if chk.id in chosen:
                return
            for dep in chk.needs:
                take(self._checks[dep])
            chosen[chk.id] = chk

        for chk in self._checks.values():
            if chk.layer in wanted:
                take(chk)
        return list(chosen.values())


REGISTRY = Registry()


def check(
    check_id: str,
    layer: Layer,
    title: str,
    *,
    needs: tuple[str, ...] = (),
    timeout: float | None = None,
    prefetch: PrefetchFn | None = None,
    registry: Registry = REGISTRY,
) -> Callable[[CheckFn], CheckFn]:
    """Register an async check function under a stable dotted id."""

    def register(fn: CheckFn) -> CheckFn:
        registry.add(Check(check_id, layer, title, fn, needs, timeout, prefetch))
        return fn

    return register


def load_all_checks() -> Registry:
    """Import every layer module so its checks register themselves."""
    import checks.layers  # noqa: F401

    return REGISTRY
