"""The stack's figures over a load run: consumer lag and the feed cache hit rate."""

from __future__ import annotations

from chirp.loadtests.stackmetrics import StackSample, cache_summary, lag_summary


def test_lag_summary_is_the_worst_group_over_time():
    samples = [
        StackSample(0.0, lag={"fanout": 0.0, "trending": 2.0}),
        StackSample(2.0, lag=None),
        StackSample(4.0, lag={"fanout": 40.0, "trending": 1.0}),
    ]
    lag = lag_summary(samples)
    assert (lag["measured"], lag["max"], lag["mean"]) == (True, 40.0, 21.0)
    assert lag["by_group_max"] == {"fanout": 40.0, "trending": 2.0}
    assert len(lag["timeline"]) == 2
    assert lag_summary([StackSample(0.0)])["measured"] is False


def test_cache_hit_rate_over_the_run_and_not_measured_without_metrics():
    samples = [
        StackSample(0.0, cache={"gateway-1": (100.0, 10.0), "gateway-2": (0.0, 0.0)}),
        StackSample(2.0, cache={"gateway-1": (190.0, 20.0), "gateway-2": (45.0, 5.0)}),
    ]
    assert cache_summary(samples) == {"measured": True, "value": 0.9, "hits": 135.0, "misses": 15.0}
    absent = [StackSample(0.0, cache={"gateway-1": (None, None)}), StackSample(2.0)]
    assert cache_summary(absent)["measured"] is False


def test_a_gateway_restart_during_the_run_counts_from_zero_again():
    samples = [
        StackSample(0.0, cache={"gateway-1": (100.0, 0.0)}),
        StackSample(2.0, cache={"gateway-1": (140.0, 10.0)}),
        StackSample(4.0, cache={"gateway-1": (10.0, 0.0)}),  # restarted
    ]
    assert cache_summary(samples) == {
        "measured": True,
        "value": 0.8333,
        "hits": 50.0,
        "misses": 10.0,
    }
