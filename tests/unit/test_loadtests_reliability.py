"""When the generator was the bottleneck the run is marked unreliable, and says why."""

from __future__ import annotations

from chirp.loadtests.pacing import ScheduleStats
from chirp.loadtests.reliability import judge_reliability, longest_streak


def test_longest_streak_above_a_threshold():
    assert longest_streak([95, 95, 10, 95, 95, 95], 90) == 3
    assert longest_streak([], 90) == 0


def test_a_calm_generator_is_reliable():
    verdict = judge_reliability(
        {"local": [20.0] * 30}, [50.0] * 30, None, requests=100, rate_limited=0
    )
    assert verdict.reliable and not verdict.reasons and not verdict.warnings
    assert verdict.generator_cpu["max_percent"] == {"local": 20.0}


def test_sustained_saturation_makes_it_unreliable_but_a_spike_does_not():
    spike = judge_reliability({"local": [99.0] * 4 + [10.0]}, [], None, requests=1, rate_limited=0)
    assert spike.reliable
    sustained = judge_reliability(
        {"master": [5.0] * 10, "worker-1": [10.0] + [97.0] * 6},
        [],
        None,
        requests=1,
        rate_limited=0,
    )
    assert not sustained.reliable
    assert "worker-1" in sustained.reasons[0] and "6 s" in sustained.reasons[0]


def test_late_or_dropped_starts_make_it_unreliable():
    schedule = ScheduleStats(issued=990, late=5, dropped=10)
    verdict = judge_reliability({}, [], schedule, requests=990, rate_limited=0)
    assert not verdict.reliable
    assert "15 of 1000 intended starts" in verdict.reasons[0]
    assert verdict.schedule is not None and verdict.schedule["scheduled"] == 1000


def test_many_429s_warn_without_making_it_unreliable():
    verdict = judge_reliability({}, [], None, requests=100, rate_limited=30)
    assert verdict.reliable
    assert "CHIRP_REQUESTS_PER_HOUR" in verdict.warnings[0]


def test_a_saturated_machine_is_a_warning():
    verdict = judge_reliability({"local": [10.0] * 5}, [97.0] * 5, None, requests=1, rate_limited=0)
    assert verdict.reliable
    assert "97 % busy" in verdict.warnings[0]
    assert verdict.generator_cpu["system_mean_percent"] == 97.0
