"""One diagnosis from inputs to result: pick the checks for the layers, run them, diagnose.

Both front ends (the headless CLI and the TUI) go through here.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence

from checks.context import Context
from checks.diagnosis import Diagnosis, diagnose
from checks.model import Layer
from checks.registry import REGISTRY, Check, Registry, load_all_checks
from checks.runner import Event, RunFinished, run_checks
from checks.tree import walk

ALL_LAYERS: tuple[Layer, ...] = tuple(Layer)


def layers_for(ctx: Context, requested: Sequence[Layer] | None = None) -> tuple[Layer, ...]:
    """The layers to check, in the order the decision tree walks them."""
    if requested:
        return tuple(requested)
    answers = {"path": ctx.inputs.path} if ctx.inputs.path else {"path": "gmail_send_as"}
    start = getattr(ctx.inputs.bounce, "entry_layer", None)
    return walk("start", answers, start_layer=start).layers


def plan(layers: Iterable[Layer], registry: Registry | None = None) -> list[Check]:
    """The checks of these layers (plus what they need), in dependency-safe order."""
    reg = registry or load_all_checks()
    return reg.in_layers(layers)


async def events(ctx: Context, layers: Iterable[Layer]) -> AsyncIterator[Event]:
    async for event in run_checks(plan(layers), ctx):
        yield event


async def run_diagnosis(ctx: Context, layers: Iterable[Layer] | None = None) -> Diagnosis:
    chosen = tuple(layers) if layers is not None else layers_for(ctx)
    async for event in events(ctx, chosen):
        if isinstance(event, RunFinished):
            return diagnose(event.results, ctx.inputs.bounce)
    raise AssertionError("run ended without RunFinished")


__all__ = ["ALL_LAYERS", "REGISTRY", "layers_for", "plan", "events", "run_diagnosis"]
