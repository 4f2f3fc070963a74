"""The state one generator process shares among its virtual users during a run.

Locust creates user instances itself, so what they share (the population and its Zipf
pickers, the recorder, the open-model schedules) lives here, one per process, set up by
`configure()` before users start and reset at each phase.
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

from chirp.loadtests.content import DEFAULT_HASHTAGS, TweetPool
from chirp.loadtests.pacing import RateProfile, ScheduleStats, UserSchedule
from chirp.loadtests.plan import LoadPlan
from chirp.loadtests.population import Member, Population, load_population
from chirp.loadtests.recorder import Recorder
from chirp.loadtests.zipf import ZipfPicker


class RunContext:
    """Pickers over the population, the recorder and the schedules of this process."""

    def __init__(self, plan: LoadPlan, population: Population, seed: int) -> None:
        self.plan = plan
        self.population = population
        s = plan.zipf_exponent
        order = list(population.users)
        random.Random(seed).shuffle(order)
        # Readers' activity is unrelated to fame; authors and visited profiles follow fame.
        self.readers: ZipfPicker[Member] = ZipfPicker(order, s, seed)
        self.authors: ZipfPicker[Member] = ZipfPicker(population.by_followers(), s, seed + 1)
        self.profiles: ZipfPicker[Member] = ZipfPicker(population.by_followers(), s, seed + 2)
        self.celebrities: ZipfPicker[Member] = ZipfPicker(
            population.celebrity_members(), 1.0, seed + 3
        )
        self.hashtags: ZipfPicker[str] = ZipfPicker(
            population.hashtags or list(DEFAULT_HASHTAGS), 1.0, seed + 4
        )
        self.rng = random.Random(seed + 5)
        self.tweets = TweetPool()
        self.profile = RateProfile(plan.rate_stages) if plan.rate_stages else None
        self.user_fraction: float | None = None
        self.phase = 0
        self.recorder = Recorder(plan.bucket_s)
        self.schedule_stats = ScheduleStats()
        self.schedules: list[UserSchedule] = []
        self.started = time.perf_counter()

    @property
    def open_model(self) -> bool:
        return self.profile is not None

    def start_phase(
        self,
        phase: int,
        rate_stages: list[tuple[float, float]] | None = None,
        user_fraction: float | None = None,
    ) -> None:
        """Forget what earlier phases recorded; open-model schedules count from now.

        `rate_stages` makes this phase open-model at those rates (each user taking
        `user_fraction` of them) whatever the plan says; without it the plan's model holds."""
        self.phase = phase
        if rate_stages:
            self.profile = RateProfile(rate_stages)
        else:
            plan_stages = self.plan.rate_stages
            self.profile = RateProfile(plan_stages) if plan_stages else None
        self.user_fraction = user_fraction
        warmup = self.plan.warmup_s
        self.recorder = Recorder(self.plan.bucket_s, time.time() + warmup if warmup else None)
        self.schedule_stats = ScheduleStats()
        self.schedules = []
        self.started = time.perf_counter()

    def new_schedule(self, fraction: float) -> UserSchedule:
        """A schedule for a user starting now, at its `fraction` of the target rate."""
        assert self.profile is not None, "schedules exist only in the open model"
        now = time.perf_counter()
        schedule = UserSchedule(
            self.profile,
            fraction,
            start=self.started,
            phase=self.rng.random(),
        )
        # A user spawned after the start begins with its next slot, not a backlog.
        while (intended := schedule.peek()) is not None and intended < now:
            schedule.take()
        self.schedules.append(schedule)
        return schedule

    def close_schedules(self) -> None:
        """Count intended starts the run ended before anyone took (dropped)."""
        end_s = self.profile.end_s if self.profile else self.plan.duration_s
        now = min(time.perf_counter(), self.started + end_s)
        self.schedule_stats.dropped += sum(s.missed_by(now) for s in self.schedules)
        self.schedules = []


_current: RunContext | None = None


def configure(plan: LoadPlan, population: Population | None = None) -> RunContext:
    """Set up this process's context; each process gets its own random stream."""
    global _current
    loaded = population or load_population(Path(plan.population_path))
    _current = RunContext(plan, loaded, plan.seed + os.getpid())
    return _current


def current() -> RunContext:
    if _current is None:
        raise RuntimeError("the load context is not configured; run through `chirp load`")
    return _current
