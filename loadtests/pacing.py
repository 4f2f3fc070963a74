"""The open model's clock: when each operation is meant to start, and how late it did.

Every virtual user owns a schedule of intended start times at its part of the target
rate (the wrk2 way), so the offered load does not depend on how fast the stack answers.
Latency is then measured from the intended start (coordinated-omission corrected): a
request that could not start on time because the stack was stalled is charged the wait.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import asdict, dataclass
from typing import Any

LATE_MS = 50.0  # a start later than this against its schedule counts as late
_EPSILON_S = 1e-9  # starts are sums of intervals: forgive their rounding at stage ends


class RateProfile:
    """A piecewise-constant arrival rate: `stages` are (until_s, operations per second)."""

    def __init__(self, stages: list[tuple[float, float]]) -> None:
        if not stages:
            raise ValueError("a rate profile needs at least one stage")
        self._ends = [end for end, _ in stages]
        self._rates = [rate for _, rate in stages]
        if any(b <= a for a, b in zip(self._ends, self._ends[1:], strict=False)):
            raise ValueError("stage ends must grow")

    @property
    def end_s(self) -> float:
        return self._ends[-1]

    def rate_at(self, elapsed_s: float) -> float:
        """Operations per second at `elapsed_s` after the start; 0 once the profile is over."""
        index = bisect.bisect_right(self._ends, elapsed_s)
        return self._rates[index] if index < len(self._rates) else 0.0


class UserSchedule:
    """One virtual user's intended start times: `fraction` of the profile's rate, from `start`.

    `phase` (0..1) offsets the first start by that part of an interval, so users sharing a
    rate do not all fire at the same instant.
    """

    def __init__(
        self, profile: RateProfile, fraction: float, start: float, phase: float = 0.0
    ) -> None:
        if fraction <= 0:
            raise ValueError("a user's fraction of the rate must be > 0")
        self.profile = profile
        self.fraction = fraction
        self.start = start
        first_interval = self._interval(0.0)
        self._next: float | None = (
            None if first_interval is None else start + phase * first_interval
        )

    def peek(self) -> float | None:
        """The next intended start (same clock as `start`), or None once the profile is over."""
        return self._next

    def take(self) -> float | None:
        """Claim the next intended start and move on to the one after."""
        intended = self._next
        if intended is not None:
            self._next = self._after(intended)
        return intended

    def missed_by(self, now: float) -> int:
        """How many intended starts before `now` were never taken (counted at the end)."""
        missed, intended = 0, self._next
        while intended is not None and intended < now:
            missed += 1
            intended = self._after(intended)
        return missed

    def _after(self, intended: float) -> float | None:
        interval = self._interval(intended - self.start)
        following = None if interval is None else intended + interval
        if following is None or following - self.start >= self.profile.end_s - _EPSILON_S:
            return None
        return following

    def _interval(self, elapsed_s: float) -> float | None:
        rate = self.profile.rate_at(elapsed_s + _EPSILON_S) * self.fraction
        return None if rate <= 0 else 1.0 / rate


def intended_starts(schedule: UserSchedule, limit: int = 1_000_000) -> list[float]:
    """Every intended start of a fresh schedule, in order (for tests and planning)."""
    starts: list[float] = []
    while len(starts) < limit and (intended := schedule.take()) is not None:
        starts.append(intended)
    return starts


@dataclass
class ScheduleStats:
    """How well the generator kept its schedule; additive across processes."""

    issued: int = 0
    late: int = 0
    dropped: int = 0
    max_late_ms: float = 0.0
    late_threshold_ms: float = LATE_MS

    def started(self, late_ms: float) -> None:
        self.issued += 1
        if late_ms > self.late_threshold_ms:
            self.late += 1
        self.max_late_ms = max(self.max_late_ms, late_ms)

    @property
    def scheduled(self) -> int:
        return self.issued + self.dropped

    def merge(self, other: dict[str, Any]) -> None:
        self.issued += int(other["issued"])
        self.late += int(other["late"])
        self.dropped += int(other["dropped"])
        self.max_late_ms = max(self.max_late_ms, float(other["max_late_ms"]))

    def drain(self) -> dict[str, Any]:
        data = asdict(self)
        self.issued = self.late = self.dropped = 0
        self.max_late_ms = 0.0
        return data

    def as_dict(self) -> dict[str, Any]:
        return {
            **asdict(self),
            "max_late_ms": round(self.max_late_ms, 3),
            "scheduled": self.scheduled,
        }


def pool_size(rate: float, share: float, per_user_interval_s: float = 0.5) -> int:
    """Virtual users a journey needs so each starts one operation per ~`per_user_interval_s`.

    Half a second between a user's starts leaves ten times the feed SLO's p99 before one
    slow answer makes that user's next start late.
    """
    return max(1, math.ceil(rate * share * per_user_interval_s))
