"""Can the run's figures be trusted? Not when the load generator itself was the bottleneck.

A generator whose CPU is saturated delays its own requests and timestamps, and one that
missed its schedule did not offer the load it claims; either marks the run unreliable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import psutil

from chirp.loadtests.pacing import ScheduleStats

CPU_SATURATED_PERCENT = 90.0
CPU_SUSTAINED_S = 5  # consecutive one-second samples above the line
LATE_SHARE_LIMIT = 0.01  # of scheduled starts late or dropped
RATE_LIMITED_SHARE_WARN = 0.01
SYSTEM_BUSY_PERCENT = 90.0


def longest_streak(samples: list[float], threshold: float) -> int:
    """The longest run of consecutive samples above `threshold`."""
    longest = current = 0
    for value in samples:
        current = current + 1 if value > threshold else 0
        longest = max(longest, current)
    return longest


class CpuWatch:
    """Samples the CPU of the generator's processes (this one and its workers) each call."""

    def __init__(self, pids: dict[str, int]) -> None:
        self._processes: dict[str, psutil.Process] = {}
        for name, pid in pids.items():
            try:
                process = psutil.Process(pid)
                process.cpu_percent(None)  # the first call only sets the baseline
            except psutil.Error:
                continue
            self._processes[name] = process
        self.samples: dict[str, list[float]] = {name: [] for name in self._processes}
        psutil.cpu_percent(None)
        self.system: list[float] = []

    def sample(self) -> None:
        for name, process in self._processes.items():
            try:
                self.samples[name].append(process.cpu_percent(None))
            except psutil.Error:
                continue
        self.system.append(psutil.cpu_percent(None))

    def last(self) -> float | None:
        """The busiest generator process's latest figure."""
        latest = [s[-1] for s in self.samples.values() if s]
        return max(latest) if latest else None


@dataclass
class Reliability:
    reliable: bool
    reasons: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    generator_cpu: dict[str, Any] = field(default_factory=dict)
    schedule: dict[str, Any] | None = None

    def as_dict(self) -> dict[str, Any]:
        return {
            "reliable": self.reliable,
            "reasons": self.reasons,
            "warnings": self.warnings,
            "generator_cpu": self.generator_cpu,
            "schedule": self.schedule,
        }


def judge_reliability(
    cpu_samples: dict[str, list[float]],
    system_samples: list[float],
    schedule: ScheduleStats | None,
    *,
    requests: int,
    rate_limited: int,
) -> Reliability:
    """Reasons the run cannot be trusted (empty when it can), and softer warnings."""
    reasons: list[str] = []
    warnings: list[str] = []
    streaks = {name: longest_streak(s, CPU_SATURATED_PERCENT) for name, s in cpu_samples.items()}
    for name, streak in streaks.items():
        if streak >= CPU_SUSTAINED_S:
            reasons.append(
                f"generator process {name} ran above {CPU_SATURATED_PERCENT:.0f} % CPU for "
                f"{streak} s in a row; use more generator processes (--workers) or less load"
            )
    schedule_data = None
    if schedule is not None:
        schedule_data = schedule.as_dict()
        missed = schedule.late + schedule.dropped
        if schedule.scheduled and missed / schedule.scheduled > LATE_SHARE_LIMIT:
            reasons.append(
                f"{missed} of {schedule.scheduled} intended starts were late by more than "
                f"{schedule.late_threshold_ms:.0f} ms or dropped; the target rate was not offered "
                "on time (more --users for the pool, or a lower --rate)"
            )
    if requests and rate_limited / requests > RATE_LIMITED_SHARE_WARN:
        warnings.append(
            f"{rate_limited} of {requests} requests were refused with 429 (rate limit or "
            "backpressure); raise CHIRP_REQUESTS_PER_HOUR / CHIRP_TWEETS_PER_HOUR on the stack "
            "or lower zipf_exponent if that is not what you are testing"
        )
    system_mean = sum(system_samples) / len(system_samples) if system_samples else None
    if system_mean is not None and system_mean > SYSTEM_BUSY_PERCENT:
        warnings.append(
            f"the machine's CPU was {system_mean:.0f} % busy on average: the generator shares "
            "its cores with the stack, so latencies include waiting for a CPU on both sides"
        )
    cpu = {
        "threshold_percent": CPU_SATURATED_PERCENT,
        "sustained_s": CPU_SUSTAINED_S,
        "max_percent": {n: round(max(s), 1) if s else None for n, s in cpu_samples.items()},
        "longest_saturated_s": streaks,
        "system_max_percent": round(max(system_samples), 1) if system_samples else None,
        "system_mean_percent": None if system_mean is None else round(system_mean, 1),
    }
    return Reliability(not reasons, reasons, warnings, cpu, schedule_data)


def judge_phase(phase: Any) -> Reliability:
    """`judge_reliability` of a generator phase's result (a `runner.PhaseResult`)."""
    totals = phase.recorder.totals()
    return judge_reliability(
        phase.cpu,
        phase.system_cpu,
        phase.schedule,
        requests=totals.requests,
        rate_limited=totals.rate_limited,
    )
