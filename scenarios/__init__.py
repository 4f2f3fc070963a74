"""Named load profiles (`scenarios/*.toml`) and their loader; see `scenarios.model`."""

from __future__ import annotations

from scenarios.loader import ScenarioError, available, load_scenario, parse_scenario
from scenarios.model import Journey, Load, Scenario, Slo, Stage

__all__ = [
    "Journey",
    "Load",
    "Scenario",
    "ScenarioError",
    "Slo",
    "Stage",
    "available",
    "load_scenario",
    "parse_scenario",
]
