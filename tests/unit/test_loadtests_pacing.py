"""The open model's intended-start schedule, and how lateness is counted."""

from __future__ import annotations

import pytest

from chirp.loadtests.latency import percentiles
from chirp.loadtests.pacing import (
    RateProfile,
    ScheduleStats,
    UserSchedule,
    intended_starts,
    pool_size,
)
from chirp.loadtests.recorder import Outcome, Recorder
from chirp.loadtests.slo import Verdict, judge
from chirp.scenarios.model import Slo


def test_a_constant_rate_spaces_starts_evenly_from_the_start():
    # 10/s for 1 s, this user carrying half: 5 starts, 0.2 s apart
    starts = intended_starts(UserSchedule(RateProfile([(1.0, 10.0)]), 0.5, start=100.0))
    assert starts == pytest.approx([100.0, 100.2, 100.4, 100.6, 100.8])


def test_the_phase_shifts_the_first_start_within_one_interval():
    starts = intended_starts(UserSchedule(RateProfile([(1.0, 4.0)]), 1.0, start=0.0, phase=0.5))
    assert starts == pytest.approx([0.125, 0.375, 0.625, 0.875])


def test_the_rate_follows_the_stage_table():
    profile = RateProfile([(2.0, 10.0), (4.0, 1.0)])
    assert (profile.rate_at(0), profile.rate_at(1.99), profile.rate_at(2.0)) == (10.0, 10.0, 1.0)
    assert profile.rate_at(4.0) == 0.0 and profile.end_s == 4.0
    starts = intended_starts(UserSchedule(profile, 1.0, start=0.0))
    assert len([s for s in starts if s < 2.0]) == 20
    assert starts[20:] == pytest.approx([2.0, 3.0])


def test_users_sharing_a_rate_offer_it_together():
    profile = RateProfile([(10.0, 30.0)])
    users = [UserSchedule(profile, 1 / 3, start=0.0, phase=i / 3) for i in range(3)]
    assert sum(len(intended_starts(u)) for u in users) == 300


def test_starts_never_taken_count_as_dropped():
    schedule = UserSchedule(RateProfile([(1.0, 10.0)]), 1.0, start=0.0)
    schedule.take()
    schedule.take()
    assert schedule.missed_by(0.55) == 4  # 0.2, 0.3, 0.4, 0.5
    assert schedule.missed_by(99.0) == 8  # everything left
    assert schedule.peek() == pytest.approx(0.2)  # counting does not consume


def test_bad_profiles_are_refused():
    with pytest.raises(ValueError):
        RateProfile([])
    with pytest.raises(ValueError):
        RateProfile([(2.0, 1.0), (1.0, 1.0)])
    with pytest.raises(ValueError):
        UserSchedule(RateProfile([(1.0, 1.0)]), 0.0, start=0.0)


def test_schedule_stats_count_late_starts_and_merge():
    stats = ScheduleStats(late_threshold_ms=50)
    for late in (0.0, 10.0, 50.0, 51.0, 300.0):
        stats.started(late)
    assert (stats.issued, stats.late, stats.max_late_ms) == (5, 2, 300.0)
    other = ScheduleStats()
    other.merge(stats.drain())
    other.dropped += 3
    assert (other.issued, other.late, other.scheduled) == (5, 2, 8)
    assert stats.issued == 0  # drained


def test_pool_size_leaves_half_a_second_per_user():
    assert pool_size(100, 0.6) == 30
    assert pool_size(1, 0.01) == 1


def stalled_run(stall_from: float, stall_until: float) -> Recorder:
    """One user at 10/s for 2 s against a stack that answers in 5 ms, except that nothing
    answers between `stall_from` and `stall_until`; each start as a journey makes it (the
    next intended start, or later if the previous request is still out)."""
    schedule = UserSchedule(RateProfile([(2.0, 10.0)]), 1.0, start=0.0)
    recorder, clock = Recorder(), 0.0
    while (intended := schedule.take()) is not None:
        started = max(clock, intended)
        answered = stall_until if stall_from <= started < stall_until else started
        clock = answered + 0.005
        recorder.record(
            "GET /feed",
            Outcome.ok,
            (clock - started) * 1000,
            late_ms=(started - intended) * 1000,
            when=1000.0 + started,
        )
    return recorder


def test_a_stall_is_charged_to_every_request_it_held_back():
    feed = stalled_run(0.5, 1.5).endpoints["GET /feed"]
    service, corrected = percentiles(feed.service), percentiles(feed.corrected)
    assert service is not None and corrected is not None
    assert service.count == corrected.count == 20
    # Service time sees one slow request; the nine held behind it look fast (coordinated
    # omission). From their intended starts they waited 905, 810, ... 140, 45 ms.
    assert service.p95 < 10 and round(service.max) == 1005
    assert corrected.p50 >= 50 and corrected.p95 >= 900
    assert round(corrected.max) == 1005


def test_the_verdict_judges_the_corrected_latency():
    feed = stalled_run(0.5, 1.5).endpoints["GET /feed"]
    kwargs = {"requests": 20, "errors": 0, "lag_max": 0, "cache_hit_rate": 1}
    on_service = judge(Slo(), {"GET /feed": percentiles(feed.service)}, **kwargs)
    on_corrected = judge(Slo(), {"GET /feed": percentiles(feed.corrected)}, **kwargs)
    p50 = {o.name: o for o in on_service}["feed_read_p50_ms"]
    assert p50.verdict is Verdict.passed  # what an uncorrected report would say
    p50 = {o.name: o for o in on_corrected}["feed_read_p50_ms"]
    assert p50.verdict is Verdict.failed and p50.samples == 20
