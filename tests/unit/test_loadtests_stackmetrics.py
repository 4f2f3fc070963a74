"""Reading the stack's Prometheus figures: counters across restarts, histogram quantiles."""

from __future__ import annotations

import pytest

from chirp.loadtests.stackmetrics import (
    StackSample,
    buckets,
    by_label,
    cache_summary,
    counter_increase,
    histogram_quantile,
    lag_summary,
    parse,
    total,
)

EXPOSITION = """\
# HELP chirp_consumer_group_lag Total lag of a consumer group
# TYPE chirp_consumer_group_lag gauge
chirp_consumer_group_lag{group="fanout"} 12.0
chirp_consumer_group_lag{group="trending"} 3.0
# HELP chirp_feed_cache_hits_total Feed cache hits
# TYPE chirp_feed_cache_hits_total counter
chirp_feed_cache_hits_total 90.0
# HELP chirp_fanout_lag_seconds Fan-out lag
# TYPE chirp_fanout_lag_seconds histogram
chirp_fanout_lag_seconds_bucket{le="0.1"} 5.0
chirp_fanout_lag_seconds_bucket{le="1.0"} 9.0
chirp_fanout_lag_seconds_bucket{le="+Inf"} 10.0
chirp_fanout_lag_seconds_count 10.0
chirp_fanout_lag_seconds_sum 3.0
"""


def test_parse_and_pick_samples():
    samples = parse(EXPOSITION)
    assert by_label(samples, "chirp_consumer_group_lag", "group") == {
        "fanout": 12.0,
        "trending": 3.0,
    }
    assert total(samples, "chirp_feed_cache_hits_total") == 90.0
    assert total(samples, "chirp_feed_cache_misses_total") is None
    assert buckets(samples, "chirp_fanout_lag_seconds") == [
        (0.1, 5.0),
        (1.0, 9.0),
        (float("inf"), 10.0),
    ]


def test_counter_increase_survives_a_restart_and_gaps():
    assert counter_increase([10, 15, None, 20]) == 10
    assert counter_increase([10, 15, 3, 8]) == 5 + 3 + 5  # reset to 0 after 15
    assert counter_increase([None, 7]) is None


def test_histogram_quantile_between_two_scrapes():
    start = [(0.1, 5.0), (1.0, 9.0), (float("inf"), 10.0)]
    end = [(0.1, 15.0), (1.0, 29.0), (float("inf"), 30.0)]
    # 20 observed: 10 under 0.1 s, 10 between 0.1 and 1 s
    assert histogram_quantile(0.5, start, end) == pytest.approx(0.1)
    assert histogram_quantile(0.75, start, end) == pytest.approx(0.55)
    assert histogram_quantile(0.5, end, end) is None
    assert histogram_quantile(0.5, None, None) is None


def test_the_top_bucket_answers_its_lower_bound():
    assert histogram_quantile(0.99, None, [(1.0, 1.0), (float("inf"), 10.0)]) == 1.0


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
