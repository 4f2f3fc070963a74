"""SLO verdicts: strictly below (or above) the threshold passes; nothing measured, or a
percentile with too few samples behind it, is reported and never a failure."""

from __future__ import annotations

import pytest

from chirp.loadtests.latency import Percentiles
from chirp.loadtests.recorder import Counts
from chirp.loadtests.slo import Verdict, abort_reason, check, exit_code, judge, min_samples
from chirp.scenarios.model import Slo, Threshold


def figures(p50, p99, p999, count=10_000):
    return Percentiles(count=count, p50=p50, p95=p99, p99=p99, p999=p999, max=p999, mean=p50)


def by_name(objectives):
    return {o.name: o for o in objectives}


def test_all_objectives_met():
    objectives = judge(
        Slo(),
        {"POST /tweets": figures(10, 50, 150), "GET /feed": figures(5, 30, 90)},
        requests=10_000,
        errors=5,
        lag_max=10,
        cache_hit_rate=0.95,
    )
    assert {o.verdict for o in objectives} == {Verdict.passed}
    assert exit_code(objectives) == 0
    assert len(objectives) == 9


def test_each_breach_fails_its_objective_only():
    objectives = by_name(
        judge(
            Slo(),
            {"POST /tweets": figures(10, 100, 150), "GET /feed": figures(5, 30, 101)},
            requests=1000,
            errors=1,
            lag_max=1000,
            cache_hit_rate=0.85,
        )
    )
    failed = {name for name, o in objectives.items() if o.verdict is Verdict.failed}
    # thresholds are strict: equal to the limit is a breach
    assert failed == {
        "write_p99_ms",
        "feed_read_p999_ms",
        "error_rate",
        "consumer_lag",
        "feed_cache_hit_rate",
    }
    assert exit_code(list(objectives.values())) == 1


def test_what_was_not_measured_is_reported_not_failed():
    objectives = by_name(
        judge(
            Slo(),
            {"GET /feed": figures(5, 30, 90)},
            requests=0,
            errors=0,
            lag_max=None,
            cache_hit_rate=None,
        )
    )
    for name in ("write_p50_ms", "error_rate", "consumer_lag", "feed_cache_hit_rate"):
        assert objectives[name].verdict is Verdict.not_measured
        assert objectives[name].measured is None
    assert exit_code(list(objectives.values())) == 0


def test_scenario_thresholds_override_the_defaults():
    relaxed = Slo(feed_read_p99_ms=500)
    objectives = by_name(
        judge(
            relaxed,
            {"GET /feed": figures(5, 400, 450)},
            requests=1,
            errors=0,
            lag_max=0,
            cache_hit_rate=1,
        )
    )
    assert objectives["feed_read_p99_ms"].verdict is Verdict.passed
    assert objectives["feed_read_p999_ms"].verdict is Verdict.failed


def test_check_above_and_as_dict():
    objective = check("hit", "hit rate", 0.9, 0.85, comparison=">", unit="ratio")
    assert objective.verdict is Verdict.passed
    assert objective.as_dict()["verdict"] == "PASS"


@pytest.mark.parametrize(
    ("quantile", "needed"), [(0.0, 10), (0.5, 20), (0.95, 200), (0.99, 1_000), (0.999, 10_000)]
)
def test_a_percentile_needs_ten_samples_beyond_it(quantile, needed):
    assert min_samples(quantile) == needed


def test_min_samples_refuses_what_is_not_a_quantile():
    for bad in (1.0, -0.1, 99.0):
        with pytest.raises(ValueError):
            min_samples(bad)


def test_the_guard_sits_exactly_at_the_minimum():
    at, below = (
        check("p99", "p99", 500.0, 50, samples=1_000, needs=1_000),
        check("p99", "p99", 500.0, 50, samples=999, needs=1_000),
    )
    assert at.verdict is Verdict.failed
    assert below.verdict is Verdict.not_enough_samples
    assert below.as_dict()["verdict"] == "NOT_ENOUGH_SAMPLES"
    assert below.measured == 500.0 and below.min_samples == 1_000  # reported, not judged


def test_a_short_run_judges_p50_and_p99_but_not_p999():
    objectives = by_name(
        judge(
            Slo(),
            {"GET /feed": figures(5, 131, 400, count=1_200)},
            requests=1_200,
            errors=0,
            lag_max=None,
            cache_hit_rate=None,
        )
    )
    assert objectives["feed_read_p50_ms"].verdict is Verdict.passed
    assert objectives["feed_read_p99_ms"].verdict is Verdict.failed
    assert objectives["feed_read_p999_ms"].verdict is Verdict.not_enough_samples
    assert objectives["feed_read_p999_ms"].min_samples == 10_000


def test_too_few_samples_never_fails_the_run():
    objectives = judge(
        Slo(),
        {"GET /feed": figures(500, 900, 999, count=19), "POST /tweets": figures(1, 2, 3, 92)},
        requests=111,
        errors=0,
        lag_max=0,
        cache_hit_rate=1,
    )
    latency = [o for o in objectives if o.unit == "ms"]
    assert {o.verdict for o in latency} == {Verdict.not_enough_samples, Verdict.passed}
    assert by_name(objectives)["feed_read_p50_ms"].verdict is Verdict.not_enough_samples
    assert exit_code(objectives) == 0


FEED_LIMITS = Threshold(endpoint="GET /feed", p95_ms=80, p99_ms=150, error_rate=0.01)


def test_thresholds_add_objectives_per_endpoint():
    objectives = by_name(
        judge(
            Slo(),
            {"GET /feed": figures(5, 160, 200, count=2_000)},
            requests=2_000,
            errors=0,
            lag_max=0,
            cache_hit_rate=1,
            thresholds=[FEED_LIMITS],
            counts={"GET /feed": Counts(requests=2_000, ok=1_970, errors=30)},
        )
    )
    assert objectives["GET /feed p95_ms"].verdict is Verdict.failed  # figures' p95 is the p99
    assert objectives["GET /feed p99_ms"].verdict is Verdict.failed
    assert objectives["GET /feed p99_ms"].endpoint == "GET /feed"
    assert objectives["GET /feed error_rate"].measured == 0.015
    assert objectives["GET /feed error_rate"].verdict is Verdict.failed


def test_a_threshold_on_an_endpoint_nothing_requested_is_not_measured():
    objectives = judge(
        Slo(),
        {},
        requests=0,
        errors=0,
        lag_max=None,
        cache_hit_rate=None,
        thresholds=[Threshold(endpoint="GET /search", p99_ms=100, error_rate=0.05)],
    )
    search = [o for o in objectives if o.endpoint == "GET /search"]
    assert [o.verdict for o in search] == [Verdict.not_measured, Verdict.not_measured]


def test_abort_needs_abort_on_fail_a_breach_and_enough_samples():
    slow = {"GET /feed": figures(5, 400, 500, count=1_500)}
    quiet = {"GET /feed": Counts(requests=1_500, ok=1_500)}
    assert abort_reason([FEED_LIMITS], slow, quiet) is None  # breached, but not abort_on_fail
    aborting = Threshold(endpoint="GET /feed", p99_ms=150, abort_on_fail=True)
    reason = abort_reason([aborting], slow, quiet)
    assert reason is not None and "GET /feed p99 400 ms" in reason and "150 ms" in reason
    few = {"GET /feed": figures(5, 400, 500, count=999)}
    assert abort_reason([aborting], few, quiet) is None  # p99 on 999 samples is no evidence
    assert abort_reason([aborting], {"GET /feed": figures(5, 100, 500)}, quiet) is None


def test_abort_on_an_error_rate_needs_ten_over_the_rate_requests():
    aborting = Threshold(endpoint="POST /tweets", error_rate=0.01, abort_on_fail=True)
    failing = {"POST /tweets": Counts(requests=999, ok=949, errors=50)}
    assert abort_reason([aborting], {}, failing) is None
    failing["POST /tweets"] = Counts(requests=1_000, ok=950, errors=50)
    reason = abort_reason([aborting], {}, failing)
    assert reason is not None and "5.00%" in reason and "1000 requests" in reason
