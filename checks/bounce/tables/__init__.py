"""The bounce code tables, loaded once from the JSON files next to this module."""

from __future__ import annotations

import json
import re
from importlib import resources
from typing import Any


def load(name: str) -> Any:
    return json.loads(resources.files(__name__).joinpath(name).read_text("utf-8"))


def compile_phrases(pairs: list[list[Any]]) -> tuple[tuple[str, re.Pattern[str] | None], ...]:
    """[[reason, [regex, ...]], ...] -> ((reason, one alternation), ...) in table order."""
    return tuple((reason, _alternation(rxs)) for reason, rxs in pairs)


def _alternation(rxs: list[str]) -> re.Pattern[str] | None:
    return re.compile("|".join(f"(?:{rx})" for rx in rxs)) if rxs else None
