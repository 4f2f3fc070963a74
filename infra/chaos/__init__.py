"""Failure drills under load (`chirp chaos`): drills are data, faults are registered actions,
every run writes a journal.

- `model`: the drill file's shape (hypothesis, load, ledger, probe, guard, method, rollbacks)
- `loader`: find and validate drills, every problem with its file and field
- `actions`: fault actions registered by type as `validate_x` / `run_x` pairs
- `faults`: the provider interface those actions go through, and the local provider
- `probes`, `metrics`: the steady-state probe sampled every second, and its metrics
- `integrity`, `ledger`: the integrity writer, its verification, and the pure judgement
- `loadproc`: `chirp load` as a background child process
- `preflight`: is the stack fit for the drill (before anything runs)
- `engine`: `run_drill`, the whole run; `verdict`: checks and the verdict;
  `journal`, `summary`: journal.json and summary.md
"""

from __future__ import annotations

from chirp.core.errors import DrillCannotRun, DrillError
from chirp.infra.chaos.actions import ACTIONS, ActionType
from chirp.infra.chaos.engine import DrillEvent, DrillResult, run_drill
from chirp.infra.chaos.ledger import LedgerReport, Observation, Outcome, Write, classify, outcome_of
from chirp.infra.chaos.loader import available, load_drill, parse_drill
from chirp.infra.chaos.model import ActionSpec, Check, Condition, Drill

__all__ = [
    "ACTIONS",
    "ActionSpec",
    "ActionType",
    "Check",
    "Condition",
    "Drill",
    "DrillCannotRun",
    "DrillError",
    "DrillEvent",
    "DrillResult",
    "LedgerReport",
    "Observation",
    "Outcome",
    "Write",
    "available",
    "classify",
    "load_drill",
    "outcome_of",
    "parse_drill",
    "run_drill",
]
