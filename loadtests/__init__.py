"""Load generation against the stack: journeys, plans, honest latency, verdicts, reports.

What this package exports imports neither Locust nor gevent. `loadtests.journeys`,
`loadtests.runner`, `loadtests.run` and `loadtests.bench` do (through
`loadtests.greenlets.patch_process`): only the load commands import them.
"""

from __future__ import annotations

from chirp.core.errors import PopulationError
from chirp.loadtests.compare import compare
from chirp.loadtests.junit import JUnitCase, write_junit
from chirp.loadtests.latency import Percentiles, percentiles
from chirp.loadtests.outcome import Gates
from chirp.loadtests.pacing import RateProfile, ScheduleStats, UserSchedule
from chirp.loadtests.plan import JourneyPlan, LoadPlan, allocate, plan_scenario
from chirp.loadtests.population import Member, Population, load_population
from chirp.loadtests.recorder import Outcome, Recorder
from chirp.loadtests.slo import Objective, Verdict, judge, min_samples
from chirp.loadtests.summary import build_summary, read_summary, validate
from chirp.loadtests.zipf import ZipfPicker

__all__ = [
    "Gates",
    "JUnitCase",
    "JourneyPlan",
    "LoadPlan",
    "Member",
    "Objective",
    "Outcome",
    "Percentiles",
    "Population",
    "PopulationError",
    "RateProfile",
    "Recorder",
    "ScheduleStats",
    "UserSchedule",
    "Verdict",
    "ZipfPicker",
    "allocate",
    "build_summary",
    "compare",
    "judge",
    "load_population",
    "min_samples",
    "percentiles",
    "plan_scenario",
    "read_summary",
    "validate",
    "write_junit",
]
