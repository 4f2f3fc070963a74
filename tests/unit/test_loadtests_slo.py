"""SLO verdicts: strictly below (or above) the threshold passes; nothing measured is no fail."""

from __future__ import annotations

from loadtests.latency import Percentiles
from loadtests.slo import Verdict, check, exit_code, judge
from scenarios.model import Slo


def figures(p50, p99, p999, count=1000):
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
