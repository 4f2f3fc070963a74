"""One capacity study: the assumptions (a file, a measured report, overrides), the plan
made from them and the design review's figures held against it."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from chirp.infra.sizing.assumptions import Assumptions, load_assumptions
from chirp.infra.sizing.capacity import CapacityPlan, plan_capacity
from chirp.infra.sizing.measured import MeasuredCapacities, load_report
from chirp.infra.sizing.seed_review import SeedFigure, compare_with_seed, inconsistencies


@dataclass(frozen=True)
class CapacityStudy:
    assumptions: Assumptions
    measured: MeasuredCapacities | None
    plan: CapacityPlan
    figures: list[SeedFigure]

    @property
    def inconsistencies(self) -> list[SeedFigure]:
        """The design review's figures that do not follow from its own assumptions."""
        return inconsistencies(self.figures)

    def to_json(self) -> dict[str, Any]:
        return {
            "assumptions": self.assumptions.model_dump(),
            "measured": asdict(self.measured) if self.measured else None,
            "plan": self.plan.model_dump(),
            "comparisons": [f.model_dump() for f in self.figures],
            "inconsistencies": [f.model_dump() for f in self.inconsistencies],
        }


def study_capacity(
    config: Path | None = None,
    report: Path | None = None,
    overrides: dict[str, Any] | None = None,
) -> CapacityStudy:
    """Assumptions from `config` (else the defaults), measured capacities from `report`,
    then `overrides` (``{"section.field": value}``) on top; the plan and the review."""
    assumptions = load_assumptions(config) if config else Assumptions()
    measured = load_report(report) if report else None
    if measured:
        assumptions = assumptions.with_overrides(measured.overrides())
    assumptions = assumptions.with_overrides(overrides or {})
    plan = plan_capacity(assumptions)
    return CapacityStudy(assumptions, measured, plan, compare_with_seed(assumptions, plan))
