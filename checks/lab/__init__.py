"""The local lab: stand-ins for AWS, DNS, SMTP and HTTPS on loopback, driven by scenario files.

Public API: `start_lab` / `open_lab` (context managers giving a `Lab`), `load_scenario`,
`list_scenarios`, `ScenarioError`. Importing this package is cheap; moto and aiosmtpd load
only when a lab starts.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from checks.lab.scenario import Scenario, ScenarioError, list_scenarios, load_scenario

if TYPE_CHECKING:
    from checks.lab.lab import Lab, open_lab, start_lab

__all__ = ["Lab", "Scenario", "ScenarioError", "list_scenarios", "load_scenario", "open_lab",
           "start_lab"]


def __getattr__(name: str) -> Any:
    if name in ("Lab", "start_lab", "open_lab"):
        from checks.lab import lab

        return getattr(lab, name)
    raise AttributeError(name)
