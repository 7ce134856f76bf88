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


#: check -> the checks (of any layer) whose finding can account for its failure (`explains`):
#: when the first runs, these run too, so a failure is never left without its named cause.
EXPLAINERS: dict[str, tuple[str, ...]] = {
    "gmail_relay.smtp.auth": ("gmail_relay.ses.key_state", "gmail_relay.ses.password_shape",
                              "gmail_relay.ses.region", "ses.smtp.credentials"),
    "ses.identity.domain": ("gmail_relay.ses.region",),
}


def plan(layers: Iterable[Layer], registry: Registry | None = None, *,
         path: Iterable[Layer] | None = None) -> list[Check]:
    """The checks of these layers, what they need, and what can explain their failures
    (EXPLAINERS), in dependency-safe order. With `path` (the layers the message went
    through), an explainer of a layer off the path is left out: a relay the message never
    used cannot be why it failed (what a check needs is still taken, for its facts)."""
    reg = registry or load_all_checks()
    known = {c.id: c for c in reg.all()}
    on_path = frozenset(path) if path is not None else frozenset(ALL_LAYERS)
    chosen: dict[str, Check] = {}

    def take(cid: str) -> None:
        if cid in chosen or cid not in known:
            return
        for dep in known[cid].needs:
            take(dep)
        chosen[cid] = known[cid]

    for chk in reg.in_layers(layers):
        take(chk.id)
    for cid in list(chosen):
        for explainer in EXPLAINERS.get(cid, ()):
            if explainer in known and known[explainer].layer in on_path:
                take(explainer)
    return list(chosen.values())


async def events(ctx: Context, layers: Iterable[Layer]) -> AsyncIterator[Event]:
    async for event in run_checks(plan(layers, path=layers_for(ctx)), ctx):
        yield event


def path_scope(ctx: Context, scope: Iterable[Layer] | None = None) -> tuple[Layer, ...] | None:
    """The layers a diagnosis may blame: those asked for (`--layers`), else the path's
    layers when the path does not cross them all (`--path ses_api` has no Gmail relay);
    None for every layer."""
    if scope is not None:
        return tuple(scope)
    on_path = layers_for(ctx)
    return None if set(on_path) == set(ALL_LAYERS) else on_path


async def run_diagnosis(ctx: Context, layers: Iterable[Layer] | None = None, *,
                        scope: Iterable[Layer] | None = None) -> Diagnosis:
    """Run and diagnose; with `scope` (the layers the user asked for), checks of other
    layers give facts only and never decide the diagnosis or the exit code. Without it,
    the path's layers are the scope (`path_scope`): a check off the path that runs because
    one on it needs its facts is context, never a root cause."""
    chosen = tuple(layers) if layers is not None else layers_for(ctx)
    blame = path_scope(ctx, scope)
    async for event in events(ctx, chosen):
        if isinstance(event, RunFinished):
            return diagnose(event.results, ctx.inputs.bounce, blame, ctx.inputs.path, chosen)
    raise AssertionError("run ended without RunFinished")


__all__ = ["ALL_LAYERS", "REGISTRY", "layers_for", "path_scope", "plan", "events",
           "run_diagnosis"]
