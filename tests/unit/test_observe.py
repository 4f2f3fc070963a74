"""The one reading of Prometheus figures: exposition text parsed by prometheus_client,
series picked by label, counter growth through restarts, histogram_quantile as PromQL
computes it, and alerts as Prometheus's API words them."""

from __future__ import annotations

import math

import pytest

from chirp.core.observe import (
    Alert,
    Sample,
    bucket_increase,
    buckets,
    by_label,
    counter_growth,
    counter_increase,
    fill_summary,
    histogram_quantile,
    parse,
    select,
    total,
)

INF = math.inf

# What a gateway and the relay answer on /metrics (prometheus_client 0.2x text format).
GATEWAY = """\
# HELP chirp_http_request_seconds Request latency by route
# TYPE chirp_http_request_seconds histogram
chirp_http_request_seconds_bucket{le="0.01",method="GET",route="/api/v1/feed",status="200"} 3.0
chirp_http_request_seconds_bucket{le="0.05",method="GET",route="/api/v1/feed",status="200"} 8.0
chirp_http_request_seconds_bucket{le="0.1",method="GET",route="/api/v1/feed",status="200"} 10.0
chirp_http_request_seconds_bucket{le="+Inf",method="GET",route="/api/v1/feed",status="200"} 10.0
chirp_http_request_seconds_count{method="GET",route="/api/v1/feed",status="200"} 10.0
chirp_http_request_seconds_sum{method="GET",route="/api/v1/feed",status="200"} 0.302
chirp_http_request_seconds_bucket{le="0.01",method="GET",route="/api/v1/feed",status="500"} 0.0
chirp_http_request_seconds_bucket{le="0.05",method="GET",route="/api/v1/feed",status="500"} 0.0
chirp_http_request_seconds_bucket{le="0.1",method="GET",route="/api/v1/feed",status="500"} 0.0
chirp_http_request_seconds_bucket{le="+Inf",method="GET",route="/api/v1/feed",status="500"} 2.0
chirp_http_request_seconds_count{method="GET",route="/api/v1/feed",status="500"} 2.0
chirp_http_request_seconds_sum{method="GET",route="/api/v1/feed",status="500"} 1.5
chirp_http_request_seconds_bucket{le="0.01",method="GET",route="/healthz",status="200"} 1.0
chirp_http_request_seconds_bucket{le="0.05",method="GET",route="/healthz",status="200"} 1.0
chirp_http_request_seconds_bucket{le="0.1",method="GET",route="/healthz",status="200"} 1.0
chirp_http_request_seconds_bucket{le="+Inf",method="GET",route="/healthz",status="200"} 1.0
chirp_http_request_seconds_count{method="GET",route="/healthz",status="200"} 1.0
chirp_http_request_seconds_sum{method="GET",route="/healthz",status="200"} 0.001
# HELP chirp_http_request_seconds_created Request latency by route
# TYPE chirp_http_request_seconds_created gauge
chirp_http_request_seconds_created{method="GET",route="/api/v1/feed",status="200"} 1.79650097e+09
# HELP chirp_http_requests_total Requests by route
# TYPE chirp_http_requests_total counter
chirp_http_requests_total{method="GET",route="/api/v1/feed",status="200"} 10.0
chirp_http_requests_total{method="GET",route="/api/v1/feed",status="500"} 2.0
chirp_http_requests_total{method="GET",route="/healthz",status="200"} 1.0
# HELP chirp_http_requests_created Requests by route
# TYPE chirp_http_requests_created gauge
chirp_http_requests_created{method="GET",route="/api/v1/feed",status="200"} 1.79650097e+09
# HELP chirp_feed_cache_hits_total Feed reads served from the cache
# TYPE chirp_feed_cache_hits_total counter
chirp_feed_cache_hits_total 90.0
# HELP chirp_feed_cache_misses_total Feed reads the cache did not have
# TYPE chirp_feed_cache_misses_total counter
chirp_feed_cache_misses_total 10.0
"""

RELAY = """\
# HELP chirp_consumer_lag Messages not yet processed
# TYPE chirp_consumer_lag gauge
chirp_consumer_lag{group="fanout",partition="0",topic="tweet_created"} 3.0
chirp_consumer_lag{group="fanout",partition="1",topic="tweet_created"} 4.0
chirp_consumer_lag{group="notify",partition="0",topic="like_added"} 1500.0
# HELP chirp_consumer_group_lag Total lag of a consumer group
# TYPE chirp_consumer_group_lag gauge
chirp_consumer_group_lag{group="fanout"} 7.0
chirp_consumer_group_lag{group="notify"} 1500.0
"""


# --- parsing and picking ---------------------------------------------------------------


def test_parse_keeps_each_sample_with_its_own_name_and_labels():
    samples = parse(GATEWAY)
    assert Sample("chirp_feed_cache_hits_total", {}, 90.0) in samples
    # The parser names counters' samples `_total` and histograms' `_bucket`, `_count`, `_sum`.
    assert {s.name for s in samples} >= {
        "chirp_http_request_seconds_bucket",
        "chirp_http_request_seconds_count",
        "chirp_http_requests_total",
    }
    [feed_500] = select(samples, "chirp_http_requests_total", route="/api/v1/feed", status="500")
    assert feed_500.value == 2.0 and feed_500.labels["method"] == "GET"


def test_a_sample_unpacks_like_the_tuples_callers_use():
    name, labels, value = parse(RELAY)[0]
    assert (name, labels["group"], value) == ("chirp_consumer_lag", "fanout", 3.0)


def test_total_sums_matching_series_and_is_none_when_absent():
    samples = parse(GATEWAY)
    assert total(samples, "chirp_http_requests_total") == 13.0
    assert total(samples, "chirp_http_requests_total", route="/api/v1/feed") == 12.0
    assert total(samples, "chirp_feed_cache_misses_total") == 10.0
    assert total(samples, "chirp_no_such_metric") is None
    assert total(samples, "chirp_http_requests_total", route="/nowhere") is None


def test_by_label_sums_per_label_value():
    samples = parse(RELAY)
    assert by_label(samples, "chirp_consumer_lag", "group") == {"fanout": 7.0, "notify": 1500.0}
    assert by_label(samples, "chirp_consumer_group_lag", "group") == {
        "fanout": 7.0,
        "notify": 1500.0,
    }
    assert by_label(samples, "chirp_consumer_lag", "partition", group="fanout") == {
        "0": 3.0,
        "1": 4.0,
    }
    assert by_label(samples, "chirp_consumer_lag", "no_such_label") == {}


def test_buckets_sum_a_histogram_over_its_series_by_bound():
    samples = parse(GATEWAY)
    assert buckets(samples, "chirp_http_request_seconds", route="/api/v1/feed") == {
        0.01: 3.0,
        0.05: 8.0,
        0.1: 10.0,
        INF: 12.0,
    }
    assert buckets(samples, "chirp_http_request_seconds")[0.01] == 4.0
    assert buckets(samples, "chirp_no_such_histogram") == {}


def test_garbage_is_refused_by_the_parser():
    with pytest.raises(ValueError):
        parse('chirp_x{le="0.1" 1.0\n')


# --- counters --------------------------------------------------------------------------


def test_counter_increase_is_the_difference_and_survives_a_restart():
    assert counter_increase(10, 25) == 15
    assert counter_increase(None, 7) == 7  # a series born between the scrapes
    assert counter_increase(500, 3) == 3  # the process restarted: all of 3 is new


def test_counter_growth_over_a_series_survives_restarts_and_gaps():
    assert counter_growth([10, 15, None, 20]) == 10
    assert counter_growth([10, 15, 3, 8]) == 5 + 3 + 5  # reset to 0 after 15
    assert counter_growth([None, 7]) is None
    assert counter_growth([]) is None


def test_bucket_increase_is_each_buckets_growth():
    start = {0.1: 5.0, 1.0: 9.0, INF: 10.0}
    end = {0.1: 15.0, 1.0: 29.0, INF: 30.0, 5.0: 1.0}
    assert bucket_increase(start, end) == {0.1: 10.0, 1.0: 20.0, INF: 20.0, 5.0: 1.0}


# --- histogram_quantile, as PromQL ----------------------------------------------------


def test_the_quantile_interpolates_inside_the_bucket_holding_its_rank():
    # 100 observations, all between 100 and 200 ms.
    between = {0.05: 0, 0.1: 0, 0.2: 100, INF: 100}
    assert histogram_quantile(0.5, between) == pytest.approx(0.15)
    assert histogram_quantile(0.99, between) == pytest.approx(0.199)
    # The gateway above: ranks 9.9 of 10 in (0.05, 0.1].
    feed = buckets(parse(GATEWAY), "chirp_http_request_seconds", route="/api/v1/feed", status="200")
    assert histogram_quantile(0.99, feed) == pytest.approx(0.0975)


def test_the_lowest_bucket_starts_at_zero():
    assert histogram_quantile(0.5, {0.01: 10, INF: 10}) == pytest.approx(0.005)


def test_a_rank_in_the_inf_bucket_answers_the_highest_finite_bound():
    assert histogram_quantile(0.99, {0.01: 10, 1.0: 10, INF: 20}) == 1.0
    assert histogram_quantile(0.99, {1.0: 1.0, INF: 10.0}) == 1.0


def test_a_lowest_bound_not_above_zero_is_the_answer():
    assert histogram_quantile(0.5, {-1.0: 5, 0.0: 8, 1.0: 10, INF: 10}) == -1.0


def test_bucket_counts_are_made_monotonic_first():
    # 0.3 reads lower than 0.2 (a scrape between two bucket updates): it counts as 6, so
    # rank 7 lies in (0.3, 0.4] with 4 observations inside, not 6.
    read = {0.1: 2, 0.2: 6, 0.3: 4, 0.4: 10, INF: 10}
    assert histogram_quantile(0.7, read) == pytest.approx(0.325)


def test_nan_in_promql_is_none_here():
    assert histogram_quantile(0.99, {0.1: 0, INF: 0}) is None  # nothing observed
    assert histogram_quantile(0.99, {0.1: 5}) is None  # no +Inf bucket
    assert histogram_quantile(0.99, {INF: 5}) is None  # fewer than two buckets
    assert histogram_quantile(0.99, {}) is None


def test_a_quantile_outside_zero_to_one_is_refused():
    with pytest.raises(ValueError):
        histogram_quantile(99, {0.1: 1, INF: 1})


def test_the_quantile_of_an_increase_uses_only_what_was_observed_between():
    start = {0.1: 5.0, 1.0: 9.0, INF: 10.0}
    end = {0.1: 15.0, 1.0: 29.0, INF: 30.0}
    # 20 observed: 10 under 0.1 s, 10 between 0.1 and 1 s
    assert histogram_quantile(0.5, bucket_increase(start, end)) == pytest.approx(0.1)
    assert histogram_quantile(0.75, bucket_increase(start, end)) == pytest.approx(0.55)
    assert histogram_quantile(0.5, bucket_increase(end, end)) is None


# --- alerts ----------------------------------------------------------------------------


def test_an_alert_from_the_api_keeps_its_labels_apart_from_name_and_severity():
    raw = {
        "labels": {"alertname": "ConsumerLagAboveTarget", "severity": "warning", "group": "x"},
        "annotations": {"summary": "x is 1542 messages behind"},
        "state": "firing",
        "activeAt": "2026-01-01T10:00:00Z",
        "value": "1.542e+03",
    }
    alert = Alert.from_api(raw)
    assert (alert.name, alert.severity, alert.state) == (
        "ConsumerLagAboveTarget",
        "warning",
        "firing",
    )
    assert alert.labels == {"group": "x"} and alert.value == 1542.0
    assert Alert.from_api({"labels": {}, "value": "n/a"}).value is None


def test_a_summary_template_gets_its_labels_and_an_ellipsis_for_the_value():
    template = "{{ $labels.group }} is {{ $value }} messages behind"
    assert fill_summary(template, {"group": "fanout"}) == "fanout is … messages behind"
    assert fill_summary(template, {}) == "? is … messages behind"
