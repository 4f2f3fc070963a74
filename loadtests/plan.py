"""A run's plan: a scenario resolved into per-journey users and rates, as plain data.

The plan is what every generator process (the master and each worker) builds its Locust
user classes from, so it travels as JSON and holds no live objects.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from chirp.loadtests.pacing import pool_size
from chirp.loadtests.recorder import bucket_seconds
from chirp.scenarios.model import Journey, Scenario

_MAX_SPAWN_RATE = 100.0
SCENARIO_VARIABLE = "CHIRP_LOAD_SCENARIO"
"""Names the scenario the shipped locustfile runs under plain Locust."""


@dataclass(frozen=True)
class JourneyPlan:
    """One journey's user class: `users` fixed virtual users (0: by `weight`), and in the
    open model each user's `fraction` of the total arrival rate."""

    journey: str
    users: int
    weight: float
    fraction: float = 0.0


@dataclass(frozen=True)
class LoadPlan:
    host: str
    population_path: str
    model: str
    duration_s: float
    journeys: list[JourneyPlan]
    # Stage tables: (until_s, users, spawn_rate) drives Locust; (until_s, rate) the open model.
    user_stages: list[tuple[float, int, float]]
    rate_stages: list[tuple[float, float]] = field(default_factory=list)
    think_time_s: tuple[float, float] = (0.5, 1.5)
    zipf_exponent: float = 1.1
    focus_hashtag: str | None = None
    focus_share: float = 0.0
    bucket_s: float = 1.0
    seed: int = 0
    # Shares of feed reads that scroll one page on, and of posts that reply: 0 in the
    # benchmark, so one operation is exactly one request of one shape.
    feed_scroll_share: float = 0.1
    reply_share: float = 0.2
    warmup_s: float = 0.0  # what starts this long after a phase starts is judged apart

    @property
    def peak_users(self) -> int:
        return max(users for _, users, _ in self.user_stages)

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> LoadPlan:
        data: dict[str, Any] = json.loads(text)
        data["journeys"] = [JourneyPlan(**j) for j in data["journeys"]]
        data["user_stages"] = [tuple(s) for s in data["user_stages"]]
        data["rate_stages"] = [tuple(s) for s in data["rate_stages"]]
        data["think_time_s"] = tuple(data["think_time_s"])
        return cls(**data)

    def write(self, path: Path) -> Path:
        path.write_text(self.to_json(), encoding="utf-8")
        return path


def allocate(total: int, shares: dict[str, float]) -> dict[str, int]:
    """Split `total` users over journeys by share (largest remainder), at least one each
    while there are enough users; with fewer users than journeys the largest shares win."""
    ranked = sorted(shares, key=lambda j: (-shares[j], j))
    if total < len(ranked):
        return {j: (1 if i < total else 0) for i, j in enumerate(ranked)}
    counts = dict.fromkeys(ranked, 1)
    spare = total - len(ranked)
    weight = sum(shares.values())
    exact = {j: spare * shares[j] / weight for j in ranked}
    for j in ranked:
        counts[j] += math.floor(exact[j])
    left = total - sum(counts.values())
    by_remainder = sorted(ranked, key=lambda j: (-(exact[j] - math.floor(exact[j])), j))
    for j in by_remainder[:left]:
        counts[j] += 1
    return counts


def plan_scenario(
    scenario: Scenario, *, host: str, population_path: Path, seed: int = 0
) -> LoadPlan:
    """Resolve `scenario` into users per journey, stage tables and each user's rate."""
    shares = {str(j): s for j, s in scenario.shares.items()}
    if scenario.model == "open":
        return _open_plan(scenario, shares, host, population_path, seed)
    return _closed_plan(scenario, shares, host, population_path, seed)


def _closed_plan(
    scenario: Scenario, shares: dict[str, float], host: str, population: Path, seed: int
) -> LoadPlan:
    if scenario.stages:
        stages = [(s.until_s, int(s.users or 1), float(s.spawn_rate or 1)) for s in scenario.stages]
        # Users change from stage to stage: Locust spreads them by weight.
        journeys = [JourneyPlan(j, 0, share) for j, share in shares.items()]
    else:
        users = int(scenario.load.users or 1)
        stages = [(scenario.total_s, users, float(scenario.load.spawn_rate or users))]
        counts = allocate(users, shares)
        journeys = [JourneyPlan(j, n, shares[j]) for j, n in counts.items() if n > 0]
        stages = [(scenario.total_s, sum(j.users for j in journeys), stages[0][2])]
    return _plan(scenario, host, population, seed, "closed", journeys, stages, [])


def _open_plan(
    scenario: Scenario, shares: dict[str, float], host: str, population: Path, seed: int
) -> LoadPlan:
    if scenario.stages:
        rate_stages = [(s.until_s, float(s.rate or 0)) for s in scenario.stages]
    else:
        rate_stages = [(scenario.total_s, float(scenario.load.rate or 0))]
    peak = max(rate for _, rate in rate_stages)
    if scenario.load.users is not None:
        counts = allocate(max(scenario.load.users, len(shares)), shares)
    else:
        counts = {j: pool_size(peak, share) for j, share in shares.items()}
    journeys = [
        JourneyPlan(j, counts[j], shares[j], fraction=shares[j] / counts[j]) for j in shares
    ]
    users = sum(counts.values())
    # The pool starts within about a second; each user's schedule begins when it does.
    user_stages = [(scenario.total_s, users, min(float(users), _MAX_SPAWN_RATE))]
    return _plan(scenario, host, population, seed, "open", journeys, user_stages, rate_stages)


def _plan(
    scenario: Scenario,
    host: str,
    population: Path,
    seed: int,
    model: str,
    journeys: list[JourneyPlan],
    user_stages: list[tuple[float, int, float]],
    rate_stages: list[tuple[float, float]],
) -> LoadPlan:
    load = scenario.load
    return LoadPlan(
        host=host,
        population_path=str(population),
        model=model,
        duration_s=scenario.total_s,
        journeys=journeys,
        user_stages=user_stages,
        rate_stages=rate_stages,
        think_time_s=load.think_time_s,
        zipf_exponent=load.zipf_exponent,
        focus_hashtag=load.focus_hashtag,
        focus_share=load.focus_share,
        bucket_s=bucket_seconds(scenario.total_s),
        seed=seed,
        warmup_s=scenario.warmup,
    )


__all__ = ["Journey", "JourneyPlan", "LoadPlan", "allocate", "plan_scenario"]
