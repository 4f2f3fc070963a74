"""A drill as its TOML file spells it: hypothesis, load, method, rollbacks, guard.

    description = "one line for `chirp chaos list`"
    [timing]      baseline_s, fault_s, recovery_s, recovery_timeout_s
    [load]        the `chirp load` scenario run in the background
    [ledger]      the integrity writer: posts per second, followers per author, checks
    [probe]       which API endpoints the steady-state probe calls every second
    [guard]       stop injecting once error rate or p99 passes these limits
    [requires]    what the running stack must be configured with for the drill to mean anything
    [markers]     detect / recover: conditions on one probe sample (all must hold)
    [[hypothesis]] checks with tolerances on a phase: baseline, during or after
    [[method]]    fault actions, each `type` one of `infra.chaos.actions.ACTIONS`, at `after_s`
    [[rollbacks]] actions that always run, on success, failure, abort and Ctrl-C

Everything is validated before anything runs; `infra.chaos.loader` reports every problem
with the file and the field.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from chirp.core.provider import Fault
from chirp.infra.chaos import actions
from chirp.infra.chaos.metrics import is_metric

Phase = Literal["baseline", "during", "after"]
Op = Literal["<", "<=", ">", ">=", "=="]
Stat = Literal["sum", "max", "min", "mean", "last", "rate", "p99"]
LedgerCheck = Literal["timeline", "feeds", "search"]
Endpoint = Literal["feed", "timeline", "search", "healthz", "profile", "following"]

_MIN_BASELINE_S = 3.0
_ALL_LEDGER_CHECKS: tuple[LedgerCheck, ...] = ("timeline", "feeds", "search")
_DEFAULT_ENDPOINTS: tuple[Endpoint, ...] = ("feed", "timeline", "healthz", "healthz")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """`metric op value` on one probe sample, e.g. `node.1 == 0`."""

    metric: str
    op: Op
    value: float

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, metric: str) -> str:
        return _checked_metric(metric)

    def holds(self, observed: float | None) -> bool:
        """False when there is nothing to compare (no sample value)."""
        if observed is None:
            return False
        return {
            "<": observed < self.value,
            "<=": observed <= self.value,
            ">": observed > self.value,
            ">=": observed >= self.value,
            "==": math.isclose(observed, self.value),
        }[self.op]

    def __str__(self) -> str:
        return f"{self.metric} {self.op} {self.value:g}"


class Check(_Strict):
    """A tolerance on a phase: the metric's phase figure (by `stat`) within min/max."""

    name: str = Field(min_length=1)
    phase: Phase
    metric: str
    stat: Stat | None = Field(default=None, description="how samples combine; per metric")
    max: float | None = None
    min: float | None = None

    @field_validator("metric")
    @classmethod
    def _known_metric(cls, metric: str) -> str:
        return _checked_metric(metric)

    @model_validator(mode="after")
    def _bounded(self) -> Check:
        if self.max is None and self.min is None:
            raise ValueError("give max, min or both")
        return self

    def holds(self, observed: float | None) -> bool:
        if observed is None:
            return False
        return (self.max is None or observed <= self.max) and (
            self.min is None or observed >= self.min
        )

    def bound(self) -> str:
        parts = [f">= {self.min:g}"] if self.min is not None else []
        parts += [f"<= {self.max:g}"] if self.max is not None else []
        return " and ".join(parts)


class Timing(_Strict):
    baseline_s: float = Field(default=10, ge=1, description="steady state before the fault")
    fault_s: float = Field(
        default=15, ge=0, description="the fault window lasts at least this long"
    )
    recovery_s: float = Field(default=15, ge=0, description="observed after the fault window")
    recovery_timeout_s: float = Field(
        default=120, ge=0, description="the after phase runs on until `recover` holds, this long"
    )

    @property
    def nominal_s(self) -> float:
        return self.baseline_s + self.fault_s + self.recovery_s


class LoadSpec(_Strict):
    scenario: str = Field(default="mixed", min_length=1, description="a `chirp load` scenario")


class LedgerSpec(_Strict):
    rate: float = Field(default=5, gt=0, le=50, description="posts per second")
    followers: int = Field(default=2, ge=1, le=10, description="followers per author")
    checks: list[LedgerCheck] = Field(default_factory=lambda: list(_ALL_LEDGER_CHECKS))
    verify_timeout_s: float = Field(default=180, gt=0, description="generous: polls, no timing")
    follows_rate: float = Field(
        default=0, ge=0, le=20, description="follows per second by the follow ledger; 0: none"
    )
    repair_feeds: bool = Field(
        default=False,
        description="feed entries still missing after the first verification round are "
        "repaired by the stack's feed regeneration, then verified again",
    )


class ProbeSpec(_Strict):
    endpoints: list[Endpoint] = Field(
        default_factory=lambda: list(_DEFAULT_ENDPOINTS), min_length=1
    )
    timeout_s: float = Field(default=5, gt=0, le=60)


class Guard(_Strict):
    max_error_rate: float = Field(default=0.5, gt=0, le=1)
    max_p99_ms: float = Field(default=10_000, gt=0)
    window_s: int = Field(default=5, ge=1, le=60)


class Requires(_Strict):
    backpressure_lag_at_most: int | None = Field(
        default=None, ge=0, description="CHIRP_BACKPRESSURE_LAG the stack must run with"
    )


class Markers(_Strict):
    detect: list[Condition] = Field(default_factory=list)
    recover: list[Condition] = Field(default_factory=list)


class ActionSpec(BaseModel):
    """One fault action: `type` names it; its own fields are checked by `validate_<type>`."""

    model_config = ConfigDict(extra="allow", frozen=True)

    type: str
    after_s: float = Field(default=0, ge=0, description="method only: seconds after it starts")
    note: str = ""

    @field_validator("type")
    @classmethod
    def _registered(cls, name: str) -> str:
        if name not in actions.ACTIONS:
            raise ValueError(
                f"unknown action type {name!r}; choose from {', '.join(sorted(actions.ACTIONS))}"
            )
        return name

    @model_validator(mode="after")
    def _params_valid(self, info: ValidationInfo) -> ActionSpec:
        components = (info.context or {}).get("components")
        problems = actions.ACTIONS[self.type].validate(self.params, components)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.model_extra or {})

    def describe(self) -> str:
        return actions.ACTIONS[self.type].describe(self.params)


class Drill(_Strict):
    """One failure drill, validated whole."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    description: str = Field(min_length=1)
    source: Path | None = None
    timing: Timing = Timing()
    load: LoadSpec = LoadSpec()
    ledger: LedgerSpec = LedgerSpec()
    probe: ProbeSpec = ProbeSpec()
    guard: Guard = Guard()
    requires: Requires = Requires()
    markers: Markers = Markers()
    hypothesis: list[Check] = Field(default_factory=list)
    method: list[ActionSpec] = Field(min_length=1)
    rollbacks: list[ActionSpec] = Field(default_factory=list)

    @model_validator(mode="after")
    def _method_in_order(self) -> Drill:
        times = [a.after_s for a in self.method]
        if times != sorted(times):
            raise ValueError("method actions must be listed in order of after_s")
        return self

    def timed(self, total_s: float | None) -> Drill:
        """This drill stretched or shrunk so baseline + fault + recovery last `total_s`."""
        if total_s is None:
            return self
        factor = total_s / self.timing.nominal_s
        timing = self.timing.model_copy(
            update={
                "baseline_s": max(_MIN_BASELINE_S, self.timing.baseline_s * factor),
                "fault_s": self.timing.fault_s * factor,
                "recovery_s": self.timing.recovery_s * factor,
            }
        )
        method = [a.model_copy(update={"after_s": a.after_s * factor}) for a in self.method]
        return self.model_copy(update={"timing": timing, "method": method})

    @property
    def faults_needed(self) -> frozenset[Fault]:
        """The provider faults its method and rollbacks act through."""
        return frozenset(
            fault
            for action in (*self.method, *self.rollbacks)
            for fault in actions.ACTIONS[action.type].needs
        )

    @property
    def planned_s(self) -> float:
        """Baseline, fault window and recovery as planned (the after phase may run longer)."""
        return (
            self.timing.baseline_s
            + max(self.timing.fault_s, self.method[-1].after_s)
            + (self.timing.recovery_s)
        )


def _checked_metric(metric: str) -> str:
    if not is_metric(metric):
        raise ValueError(f"unknown metric {metric!r} (see infra.chaos.metrics)")
    return metric
