"""The benchmark's HTTP phases: a saturation run and open-loop runs per operation.

Saturation is a closed loop at full speed (no think time): the highest rate the stack
holds is what it completes. If more than 1 % of the answers are errors, the stack is
past what it sustains, so the phase runs again with half the users.

Open loop is a constant arrival rate at a fraction of that saturation: each virtual user
owns a schedule of intended starts and latency counts from the intended start, so a
stalled stack is charged its stall (coordinated omission corrected).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from chirp.loadtests.latency import Percentiles, percentiles
from chirp.loadtests.reliability import Reliability, judge_phase

ERROR_SHARE_LIMIT = 0.01
MIN_SATURATION_USERS = 6
RAMP_S = 2.0  # users start within a second or so; the steady rate is counted after
OPEN_USER_INTERVAL_S = 1.0  # one start per user per second: late only past 1 s answers
_MAX_SPAWN_RATE = 100.0


@dataclass(frozen=True)
class Operation:
    """One benchmarked operation: its journey and the endpoint it is recorded under."""

    name: str
    journey: str
    endpoint: str


CEILING = Operation("ceiling", "ceiling", "GET /ping")
OPERATIONS = (
    Operation("feed_read", "feed", "GET /feed"),
    Operation("user_timeline", "timeline", "GET /users/{id}/tweets"),
    Operation("post", "post", "POST /tweets"),
    Operation("search", "search", "GET /search"),
)


@dataclass
class PhaseFigures:
    """What one phase measured of its operation."""

    operation: str
    model: str  # "closed" or "open"
    users: int
    target_rps: float | None
    ok_rps: float | None
    requests: int
    errors: int
    rate_limited: int
    service: Percentiles | None
    corrected: Percentiles | None
    reliability: Reliability
    elapsed_s: float

    @property
    def error_share(self) -> float:
        return self.errors / self.requests if self.requests else 0.0

    def as_dict(self) -> dict[str, Any]:
        latency = self.corrected if self.model == "open" else self.service
        return {
            "model": self.model,
            "users": self.users,
            "target_rps": None if self.target_rps is None else round(self.target_rps, 2),
            "ok_rps": None if self.ok_rps is None else round(self.ok_rps, 2),
            "requests": self.requests,
            "errors": self.errors,
            "rate_limited": self.rate_limited,
            "latency_ms": None if latency is None else latency.as_dict(),
            "latency_is": "from the intended start (CO corrected)"
            if self.model == "open"
            else "service time of a closed loop at full speed (queueing, not a user's wait)",
            "elapsed_s": round(self.elapsed_s, 3),
            "reliable": self.reliability.reliable,
            "reasons": self.reliability.reasons,
            "warnings": self.reliability.warnings,
            "generator_cpu_max_percent": self.reliability.generator_cpu.get("max_percent"),
            "schedule": self.reliability.schedule,
        }


class HttpPhases:
    """Runs phases on one started `Generator`."""

    def __init__(self, generator: Any, users: int, saturation_s: float) -> None:
        self.generator = generator
        self.users = users
        self.saturation_s = saturation_s

    def saturate(self, operation: Operation, on_tick: Callable[[Any], None]) -> PhaseFigures:
        """The highest rate held with < 1 % errors: full speed, halving users past it."""
        users = self.users
        while True:
            stages = [(self.saturation_s, users, float(users))]
            result = self.generator.run_phase(stages, journeys=[operation.journey], on_tick=on_tick)
            figures = _figures(operation, result, "closed", users, None)
            if figures.error_share < ERROR_SHARE_LIMIT or users // 2 < MIN_SATURATION_USERS:
                return figures
            users //= 2

    def open_loop(
        self,
        operation: Operation,
        rate: float,
        duration_s: float,
        on_tick: Callable[[Any], None],
    ) -> PhaseFigures:
        """`rate` arrivals per second for `duration_s`, latency from the intended start."""
        pool = max(4, math.ceil(rate * OPEN_USER_INTERVAL_S))
        stages = [(duration_s, pool, min(float(pool), _MAX_SPAWN_RATE))]
        result = self.generator.run_phase(
            stages,
            journeys=[operation.journey],
            on_tick=on_tick,
            rate_stages=[(duration_s, rate)],
            user_fraction=1.0 / pool,
        )
        return _figures(operation, result, "open", pool, rate)


def _figures(
    operation: Operation, result: Any, model: str, users: int, target: float | None
) -> PhaseFigures:
    recorder = result.recorder
    stats = recorder.endpoints.get(operation.endpoint)
    totals = recorder.totals()
    reliability = judge_phase(result)
    if totals.requests and totals.rate_limited / totals.requests > ERROR_SHARE_LIMIT:
        reliability.reliable = False
        reliability.reasons.append(
            f"{totals.rate_limited} of {totals.requests} answers were 429: the stack's own "
            "limits capped this figure (run the stack with `chirp up --profile bench`)"
        )
    return PhaseFigures(
        operation=operation.name,
        model=model,
        users=users,
        target_rps=target,
        ok_rps=steady_ok_rps(recorder, operation.endpoint, result.started_at, result.finished_at),
        requests=totals.requests,
        errors=totals.errors,
        rate_limited=totals.rate_limited,
        service=None if stats is None else percentiles(stats.service),
        corrected=None if stats is None else percentiles(stats.corrected),
        reliability=reliability,
        elapsed_s=result.finished_at - result.started_at,
    )


def steady_ok_rps(
    recorder: Any, endpoint: str, started_at: float, finished_at: float
) -> float | None:
    """Successful requests per second in the steady part of a phase: whole timeline
    seconds after the users' ramp-up and before the stop."""
    if endpoint not in recorder.endpoints:
        return None
    seconds = range(math.ceil(started_at + RAMP_S), math.floor(finished_at))
    if len(seconds) < 1:
        ok = recorder.endpoints[endpoint].counts.ok
        return float(ok / max(finished_at - started_at, 1e-9))
    ok = sum(
        bucket.counts.ok
        for (index, name), bucket in recorder.timeline.items()
        if name == endpoint and index in seconds
    )
    return ok / len(seconds)
