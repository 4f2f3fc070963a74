"""The bench's pure parts: the sample guard, durations, the drain's arithmetic, goals."""

from __future__ import annotations

import math

import pytest

from chirp.loadtests.bench import goals
from chirp.loadtests.bench.drain import BACKLOG_AUTHORS, Drain, backlog_authors, posts_for
from chirp.loadtests.bench.run import BenchConfig
from chirp.loadtests.latency import enough_samples, min_samples
from chirp.loadtests.population import Member


def member(user_id: int, followers: int) -> Member:
    return Member(user_id=str(user_id), username=f"u{user_id}", token="t", followers=followers)


@pytest.mark.parametrize(
    ("percentile", "needed"), [(50, 20), (95, 200), (99, 1000), (99.9, 10_000)]
)
def test_a_percentile_needs_ten_samples_beyond_it(percentile, needed):
    assert min_samples(percentile) == needed
    assert enough_samples(percentile, needed)
    assert not enough_samples(percentile, needed - 1)


def test_the_headline_phase_runs_long_enough_to_judge_p99_within_its_cap():
    config = BenchConfig()
    assert config.open_duration(rate=50.0, fraction=0.5) == pytest.approx(22.0)
    assert config.open_duration(rate=10.0, fraction=0.5) == config.open_max_s
    assert config.open_duration(rate=500.0, fraction=0.5) == config.open_s
    assert config.open_duration(rate=50.0, fraction=0.25) == config.open_s
    assert BenchConfig.preset(quick=True).fractions == (0.5,)


def test_the_backlog_takes_push_tier_authors_until_the_deliveries_are_reached():
    authors = backlog_authors([member(1, 0), member(2, 9), member(3, 4), member(4, 5000)], 1000)
    assert [m.user_id for m in authors] == ["2", "3"]
    assert posts_for(authors, 25) == 3  # deliveries 10 + 5 + 10, cycling over the authors
    assert posts_for(authors, 26) == 4
    assert posts_for([], 25) == 0


def test_drained_capacity_is_per_fan_out_worker():
    drained = Drain(posts=10, refused=0, expected_deliveries=1000, deliveries=1000.0,
                    drain_s=0.5, wall_s=2.2, workers=2)  # fmt: skip
    assert drained.per_s_per_worker == pytest.approx(1000)
    assert drained.as_dict()["capacity_per_s_per_worker"] == 1000.0


def test_a_drain_that_never_moved_measures_nothing():
    assert Drain(3, 0, 30, 0.0, 0.0, math.nan, 1).per_s_per_worker is None
    assert Drain(1, 0, 2, 2.0, 0.0, 0.0, 1).per_s_per_worker is None


def test_the_backlog_keeps_only_the_most_followed_authors():
    many = [member(i, 10 + i) for i in range(1, BACKLOG_AUTHORS + 20)]
    chosen = backlog_authors(many, 1000)
    assert len(chosen) == BACKLOG_AUTHORS
    assert min(m.followers for m in chosen) > max(m.followers for m in many if m not in chosen)


def test_goals_pass_fail_and_stay_unjudged_without_enough_samples():
    figures = {
        "feed_read_ratio": 0.6,
        "feed_read_p99_ms": 80.0,
        "post_p99_ms": 20.0,
        "fanout_capacity_per_s": None,
    }
    results = {
        g["figure"]: g
        for g in goals.judge_goals(figures, {"post_p99_ms": "too few"}, {"feed_read_ratio"})
    }
    assert results["feed_read_ratio"]["verdict"] == "PASS"
    assert results["feed_read_ratio"]["reliable"] is False
    assert results["feed_read_p99_ms"]["verdict"] == "FAIL"
    assert results["post_p99_ms"]["verdict"] == "NOT_ENOUGH_SAMPLES"
    assert results["fanout_capacity_per_s"]["verdict"] == "NOT_MEASURED"
    assert goals.exit_code(list(results.values()), reliable=True, allow_unreliable=False) == 1


def test_an_unreliable_run_fails_unless_allowed():
    passed = [{"verdict": "PASS"}, {"verdict": "NOT_ENOUGH_SAMPLES"}]
    assert goals.exit_code(passed, reliable=True, allow_unreliable=False) == 0
    assert goals.exit_code(passed, reliable=False, allow_unreliable=False) == 1
    assert goals.exit_code(passed, reliable=False, allow_unreliable=True) == 0


def test_every_goal_and_ratio_has_a_definition():
    assert {g.figure for g in goals.GOALS} <= set(goals.DEFINITIONS)


def test_bench_junit_has_a_case_per_goal_and_one_for_reliability(tmp_path):
    from xml.etree import ElementTree

    from chirp.loadtests.junit import write_junit

    results = goals.judge_goals(
        {"feed_read_ratio": 0.6, "feed_read_p99_ms": 80.0}, {"post_p99_ms": "too few"}, set()
    )
    path = tmp_path / "bench.xml"
    write_junit(path, "chirp bench", goals.junit_cases(results, ["post_rps"], False))

    cases = {c.get("name"): c for c in ElementTree.parse(path).getroot().iter("testcase")}
    assert set(cases) == {g.figure for g in goals.GOALS} | {"reliable"}
    assert cases["feed_read_ratio"].find("failure") is None
    assert cases["feed_read_p99_ms"].find("failure") is not None
    assert cases["post_p99_ms"].find("skipped") is not None
    assert cases["fanout_capacity_per_s"].find("skipped") is not None  # not measured
    assert "post_rps" in cases["reliable"].find("failure").get("message")
