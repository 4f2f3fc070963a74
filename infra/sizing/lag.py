"""Kafka consumer lag over time, with the design review's autoscaling and 429 backpressure rules.

The model is a fluid queue stepped in fixed time steps: producers offer messages at
a rate, consumers drain at ``consumers x per-consumer rate`` (only as many
consumers as partitions can work), and lag is what is left over, never below zero.
Rates are constant within a step, so lag is piecewise linear and the time it
crosses a level is exact, not rounded to a step.

Rules, both from the review's failure scenario 3:

- autoscaling: when lag passes ``trigger_lag`` (design review: 5,000) multiply consumers
  by ``factor`` (design review: +50 %); they start working ``reaction_s`` after the
  crossing (detection plus start-up; chirp's assumption), never more than one per
  partition. If lag is still above the trigger and growing once they work, the
  rule fires again. After lag has stayed under ``scale_down_below`` for
  ``scale_down_after_s`` the group shrinks back to its starting size (the review's
  "scale down when caught up").
- backpressure: producers are refused (HTTP 429) whatever would take lag past
  ``trigger_lag`` (design review: 100,000), so lag is capped there and the refused
  messages are counted as shed.

``SCENARIO_3`` is the review's: 20,000 messages/s in, 15,000/s out (50 consumers at
300/s each, chirp's split), 100 partitions.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import numpy as np

from chirp.core.errors import ConfigError

SEED_LAG_LEVELS = (1_000.0, 5_000.0, 50_000.0)
"""The review's lag target, alert and critical levels (messages)."""
MAX_STEPS = 1_000_000


@dataclass(frozen=True)
class Autoscale:
    """Add consumers when lag passes a threshold; shrink back once caught up."""

    trigger_lag: float = 5_000.0
    factor: float = 1.5
    reaction_s: float = 60.0
    scale_down_below: float = 1_000.0
    scale_down_after_s: float = 300.0

    def __post_init__(self) -> None:
        if self.factor <= 1:
            raise ConfigError(f"scale factor must be > 1, got {self.factor}")
        if self.trigger_lag <= 0 or self.reaction_s < 0 or self.scale_down_after_s < 0:
            raise ConfigError("autoscale trigger must be > 0 and its delays >= 0")


@dataclass(frozen=True)
class Backpressure:
    """Refuse writes (HTTP 429) that would take lag past a threshold."""

    trigger_lag: float = 100_000.0

    def __post_init__(self) -> None:
        if self.trigger_lag <= 0:
            raise ConfigError(f"backpressure threshold must be > 0, got {self.trigger_lag}")


@dataclass(frozen=True)
class LagScenario:
    """Rates, fleet and rules of one run; ``None`` turns a rule off."""

    producer_per_s: float = 20_000.0
    consumers: int = 50
    per_consumer_per_s: float = 300.0
    partitions: int = 100
    duration_s: float = 600.0
    step_s: float = 1.0
    initial_lag: float = 0.0
    autoscale: Autoscale | None = field(default_factory=Autoscale)
    backpressure: Backpressure | None = field(default_factory=Backpressure)

    def __post_init__(self) -> None:
        if self.consumers < 1 or self.partitions < 1:
            raise ConfigError("consumers and partitions must be >= 1")
        if self.producer_per_s < 0 or self.per_consumer_per_s < 0 or self.initial_lag < 0:
            raise ConfigError("rates and initial lag must be >= 0")
        if self.step_s <= 0 or self.duration_s <= 0:
            raise ConfigError("step and duration must be > 0")
        if self.duration_s / self.step_s > MAX_STEPS:
            raise ConfigError(f"duration / step must be at most {MAX_STEPS:,} steps")

    @property
    def consumer_per_s(self) -> float:
        """What the starting group drains per second (consumers past the partitions idle)."""
        return min(self.consumers, self.partitions) * self.per_consumer_per_s


SCENARIO_3 = LagScenario()


@dataclass(frozen=True)
class LagRun:
    """One simulated run: the series at step boundaries and what they add up to."""

    name: str
    times: np.ndarray
    lag: np.ndarray
    consumers: np.ndarray
    crossings: dict[float, float | None]
    max_lag: float
    final_lag: float
    shed_messages: float
    backpressure_s: float
    scale_events: list[tuple[float, int]]
    caught_up_at: float | None

    def summary(self) -> dict[str, object]:
        """Everything but the series, JSON-ready."""
        return {
            "name": self.name,
            "crossings_s": {f"{level:g}": t for level, t in self.crossings.items()},
            "max_lag": self.max_lag,
            "final_lag": self.final_lag,
            "shed_messages": self.shed_messages,
            "backpressure_s": self.backpressure_s,
            "peak_consumers": int(self.consumers.max()),
            "scale_events": [{"at_s": t, "consumers": c} for t, c in self.scale_events],
            "caught_up_at_s": self.caught_up_at,
        }

    def to_json(self, series: bool = False) -> dict[str, object]:
        """The summary, with the time series of lag and consumers when ``series``."""
        doc = self.summary()
        if series:
            doc["series"] = {
                "t": self.times.tolist(),
                "lag": self.lag.tolist(),
                "consumers": self.consumers.tolist(),
            }
        return doc


def scenario_from(
    base: LagScenario,
    *,
    producer_per_s: float | None = None,
    consumer_per_s: float | None = None,
    consumers: int | None = None,
    partitions: int | None = None,
    duration_s: float | None = None,
    step_s: float | None = None,
    initial_lag: float | None = None,
    autoscale: Autoscale | None = None,
    backpressure: Backpressure | None = None,
) -> LagScenario:
    """``base`` with the figures given changed; ``consumer_per_s`` is what the starting
    consumers drain together, shared among those that have a partition."""
    count = base.consumers if consumers is None else consumers
    parts = base.partitions if partitions is None else partitions
    drain = base.consumer_per_s if consumer_per_s is None else consumer_per_s
    return LagScenario(
        producer_per_s=base.producer_per_s if producer_per_s is None else producer_per_s,
        consumers=count,
        per_consumer_per_s=drain / max(1, min(count, parts)),
        partitions=parts,
        duration_s=base.duration_s if duration_s is None else duration_s,
        step_s=base.step_s if step_s is None else step_s,
        initial_lag=base.initial_lag if initial_lag is None else initial_lag,
        autoscale=autoscale,
        backpressure=backpressure,
    )


def simulate_lag(scenario: LagScenario, name: str = "run") -> LagRun:
    """Step ``scenario`` through its duration."""
    return _Simulation(scenario).run(name)


def compare_rules(scenario: LagScenario) -> list[LagRun]:
    """The scenario with no rule, autoscaling only, backpressure only, and both."""
    auto = scenario.autoscale or Autoscale()
    back = scenario.backpressure or Backpressure()
    growth = f"+{auto.factor - 1:.0%} consumers"
    variants = [
        ("no rules", replace(scenario, autoscale=None, backpressure=None)),
        (growth, replace(scenario, autoscale=auto, backpressure=None)),
        ("429 backpressure", replace(scenario, autoscale=None, backpressure=back)),
        (f"{growth} + 429", replace(scenario, autoscale=auto, backpressure=back)),
    ]
    return [simulate_lag(s, name) for name, s in variants]


def closed_form_lag(producer: float, consumer: float, t: float, initial: float = 0.0) -> float:
    """Lag after ``t`` seconds at constant rates with no rules."""
    return max(0.0, initial + (producer - consumer) * t)


def closed_form_crossing(
    level: float, producer: float, consumer: float, initial: float = 0.0
) -> float | None:
    """When lag first reaches ``level`` at constant rates; ``None`` if it never does."""
    if initial >= level:
        return 0.0
    if producer <= consumer:
        return None
    return (level - initial) / (producer - consumer)


class _Simulation:
    def __init__(self, s: LagScenario) -> None:
        self.s = s
        self.consumers = min(s.consumers, s.partitions)
        self.lag = s.initial_lag
        self.pending: tuple[float, int] | None = None
        self.below_since: float | None = None
        self.events: list[tuple[float, int]] = []
        self.crossings: dict[float, float | None] = {
            level: (0.0 if s.initial_lag >= level else None) for level in SEED_LAG_LEVELS
        }
        self.shed = 0.0
        self.backpressure_s = 0.0
        self.caught_up_at: float | None = None

    def run(self, name: str) -> LagRun:
        steps = math.ceil(self.s.duration_s / self.s.step_s - 1e-9)
        times = np.arange(steps + 1) * self.s.step_s
        lag = np.empty(steps + 1)
        consumers = np.empty(steps + 1, dtype=np.int64)
        lag[0], consumers[0] = self.lag, self.consumers
        for k in range(steps):
            self._step(float(times[k]))
            lag[k + 1], consumers[k + 1] = self.lag, self.consumers
        return LagRun(
            name=name,
            times=times,
            lag=lag,
            consumers=consumers,
            crossings=self.crossings,
            max_lag=float(lag.max()),
            final_lag=float(lag[-1]),
            shed_messages=self.shed,
            backpressure_s=self.backpressure_s,
            scale_events=self.events,
            caught_up_at=self.caught_up_at,
        )

    def _step(self, t: float) -> None:
        s, dt = self.s, self.s.step_s
        self._apply_pending(t)
        capacity = self.consumers * s.per_consumer_per_s
        admitted = self._admitted(capacity)
        after = max(0.0, self.lag + (admitted - capacity) * dt)
        slope = admitted - capacity
        self._record_crossings(t, self.lag, after, slope)
        if self.lag > 0 and after == 0 and self.caught_up_at is None:
            self.caught_up_at = t + self.lag / -slope
        self.shed += (s.producer_per_s - admitted) * dt
        if admitted < s.producer_per_s:
            self.backpressure_s += dt
        before, self.lag = self.lag, after
        self._autoscale(t, before, slope)

    def _admitted(self, capacity: float) -> float:
        rule, offered = self.s.backpressure, self.s.producer_per_s
        if rule is None:
            return offered
        # Accept only what keeps lag at or under the threshold by the end of the step.
        room = (rule.trigger_lag - self.lag) / self.s.step_s + capacity
        return min(offered, max(0.0, room))

    def _record_crossings(self, t: float, before: float, after: float, slope: float) -> None:
        for level, when in self.crossings.items():
            if when is None and before < level <= after:
                self.crossings[level] = t + (level - before) / slope

    def _apply_pending(self, t: float) -> None:
        if self.pending and t >= self.pending[0] - 1e-9:
            self.consumers = self.pending[1]
            self.events.append((t, self.consumers))
            self.pending = None

    def _autoscale(self, t: float, before: float, slope: float) -> None:
        rule = self.s.autoscale
        if rule is None:
            return
        now = t + self.s.step_s
        ceiling = self.s.partitions
        # Scale up while lag is above the trigger and still growing, from when it crossed.
        growing = self.lag > before
        if (
            self.lag > rule.trigger_lag
            and growing
            and self.pending is None
            and self.consumers < ceiling
        ):
            seen = t + (rule.trigger_lag - before) / slope if before <= rule.trigger_lag else now
            target = min(ceiling, math.ceil(self.consumers * rule.factor))
            self.pending = (seen + rule.reaction_s, target)
        start = min(self.s.consumers, ceiling)
        if self.consumers > start and self.lag < rule.scale_down_below:
            self.below_since = self.below_since if self.below_since is not None else now
            if now - self.below_since >= rule.scale_down_after_s - 1e-9:
                self.consumers, self.below_since = start, None
                self.events.append((now, start))
        else:
            self.below_since = None
