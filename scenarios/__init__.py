"""Named load profiles (`scenarios/*.toml`) and their loader; see `scenarios.model`."""

from __future__ import annotations

from chirp.core.errors import ScenarioError
from chirp.scenarios.loader import available, load_scenario, parse_scenario
from chirp.scenarios.model import ENDPOINTS, Journey, Load, Scenario, Slo, Stage, Threshold

__all__ = [
    "ENDPOINTS",
    "Journey",
    "Load",
    "Scenario",
    "ScenarioError",
    "Slo",
    "Stage",
    "Threshold",
    "available",
    "load_scenario",
    "parse_scenario",
]
