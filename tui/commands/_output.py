"""Shared by the headless commands: run a diagnosis and print it as text or JSON."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence

from checks.context import Context
from checks.model import Layer


def diagnose_and_print(ctx: Context, layers: Sequence[Layer] | None, *, as_json: bool) -> int:
    """Run the diagnosis; stdout gets only the report (data), stderr the progress."""
    from checks import report, session

    chosen = session.layers_for(ctx, layers)
    if not as_json:
        print(f"Checking {', '.join(layer.display_name for layer in chosen)}…", file=sys.stderr)
    diagnosis = asyncio.run(session.run_diagnosis(ctx, chosen, scope=layers))
    sys.stdout.write(report.to_json(diagnosis) + "\n" if as_json else report.to_text(diagnosis))
    return diagnosis.exit_code


def parse_layers(text: str | None) -> list[Layer] | None:
    """`--layers dns,ses` → [Layer.DNS, Layer.SES]; None for all layers."""
    from tui.cli import UsageError

    if not text:
        return None
    try:
        return [Layer(part.strip()) for part in text.split(",") if part.strip()]
    except ValueError:
        names = ", ".join(layer.value for layer in Layer)
        raise UsageError(f"unknown layer in --layers {text!r}; choose from {names}") from None
