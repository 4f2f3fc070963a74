import math

import pytest

from chirp.infra.provision.local.live import (
    LagState,
    Scrape,
    api_requests,
    cache_hit_ratio,
    dlq_counts,
    error_ratio,
    group_lags,
    increases,
    lag_state,
    live_figures,
    partition_lags,
    route_figures,
)

INF = math.inf


def histogram(method, route, status, counts):
    """Samples of one chirp_http_request_seconds series: {upper bound: cumulative count}."""
    samples = [
        (
            "chirp_http_request_seconds_bucket",
            {"method": method, "route": route, "status": status, "le": str(le)},
            float(n),
        )
        for le, n in counts.items()
    ]
    total = float(counts[INF])
    labels = {"method": method, "route": route, "status": status}
    samples.append(("chirp_http_requests_total", labels, total))
    return samples


def lag(group, topic, partition, value):
    labels = {"group": group, "topic": topic, "partition": str(partition)}
    return ("chirp_consumer_lag", labels, float(value))


def handled(group, topic, value, name="chirp_worker_events_total"):
    return (name, {"group": group, "topic": topic}, float(value))


# --- rates and ratios from two scrapes -------------------------------------------------


def test_route_figures_use_only_what_happened_between_the_scrapes():
    before = Scrape(
        at=100.0,
        targets={
            "gateway-1": histogram("GET", "/feed", "200", {0.02: 1000, 0.05: 1000, INF: 1000}),
        },
    )
    # 50 more reads in 5 s, all between 20 and 50 ms: the 1,000 fast old ones do not count.
    after = Scrape(
        at=105.0,
        targets={
            "gateway-1": histogram("GET", "/feed", "200", {0.02: 1000, 0.05: 1050, INF: 1050}),
        },
    )
    [feed] = route_figures(before, after)
    assert (feed.method, feed.route) == ("GET", "/feed")
    assert feed.rate_per_s == pytest.approx(10.0)
    assert feed.p50_s == pytest.approx(0.035)
    assert feed.p99_s == pytest.approx(0.0497)
    assert feed.error_ratio == 0.0


def test_route_figures_sum_the_gateways_and_leave_out_probes():
    before = Scrape(
        at=0.0,
        targets={
            "gateway-1": histogram("POST", "/tweets", "201", {0.1: 0, INF: 0})
            + histogram("GET", "/readyz", "200", {0.1: 0, INF: 0}),
            "gateway-2": histogram("POST", "/tweets", "201", {0.1: 0, INF: 0}),
        },
    )
    after = Scrape(
        at=2.0,
        targets={
            "gateway-1": histogram("POST", "/tweets", "201", {0.1: 6, INF: 6})
            + histogram("GET", "/readyz", "200", {0.1: 4, INF: 4}),
            "gateway-2": histogram("POST", "/tweets", "201", {0.1: 4, INF: 4}),
        },
    )
    routes = route_figures(before, after)
    assert [(r.method, r.route) for r in routes] == [("POST", "/tweets")]
    assert routes[0].rate_per_s == pytest.approx(5.0)


def test_a_gateway_missing_from_either_scrape_is_left_out_not_counted_from_zero():
    before = Scrape(at=0.0, targets={"gateway-1": histogram("GET", "/feed", "200", {INF: 10})})
    after = Scrape(
        at=1.0,
        targets={
            "gateway-1": histogram("GET", "/feed", "200", {INF: 12}),
            "gateway-2": histogram("GET", "/feed", "200", {INF: 9000}),
        },
    )
    assert [r.rate_per_s for r in route_figures(before, after)] == [pytest.approx(2.0)]


def test_error_ratio_counts_server_errors_of_api_routes_only():
    before = Scrape(
        at=0.0,
        targets={
            "gateway-1": histogram("GET", "/feed", "200", {INF: 0})
            + histogram("GET", "/feed", "500", {INF: 0})
            + histogram("POST", "/tweets", "429", {INF: 0})
            + histogram("GET", "/readyz", "503", {INF: 0})
        },
    )
    after = Scrape(
        at=1.0,
        targets={
            "gateway-1": histogram("GET", "/feed", "200", {INF: 97})
            + histogram("GET", "/feed", "500", {INF: 1})
            + histogram("POST", "/tweets", "429", {INF: 2})
            + histogram("GET", "/readyz", "503", {INF: 50})
        },
    )
    assert error_ratio(before, after) == pytest.approx(0.01)
    feed = next(r for r in route_figures(before, after) if r.route == "/feed")
    assert feed.error_ratio == pytest.approx(1 / 98)


def test_error_ratio_and_cache_hit_ratio_are_none_without_traffic():
    idle = Scrape(at=0.0, targets={"gateway-1": []})
    assert error_ratio(idle, Scrape(at=1.0, targets={"gateway-1": []})) is None
    assert cache_hit_ratio(idle, Scrape(at=1.0, targets={"gateway-1": []})) is None


def test_cache_hit_ratio_over_the_window_survives_a_gateway_restart():
    before = Scrape(
        at=0.0,
        targets={
            "gateway-1": [
                ("chirp_feed_cache_hits_total", {}, 900.0),
                ("chirp_feed_cache_misses_total", {}, 100.0),
            ]
        },
    )
    # Restarted in between: 30 hits and 10 misses since.
    after = Scrape(
        at=1.0,
        targets={
            "gateway-1": [
                ("chirp_feed_cache_hits_total", {}, 30.0),
                ("chirp_feed_cache_misses_total", {}, 10.0),
            ]
        },
    )
    assert cache_hit_ratio(before, after) == pytest.approx(0.75)


def test_increases_keep_each_series_labels():
    before = Scrape(at=0.0, targets={"notify": [handled("notify", "like_added", 5)]})
    after = Scrape(
        at=1.0,
        targets={
            "notify": [handled("notify", "like_added", 8), handled("notify", "tweet_created", 2)]
        },
    )
    grown = increases(before, after, "chirp_worker_events_total")
    assert {labels["topic"]: value for labels, value in grown} == {
        "like_added": 3,
        "tweet_created": 2,
    }


# --- consumer lag states ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("lags", "consumed", "state"),
    [
        ([0, 0, 0], 0, LagState.OK),
        ([5, 0, 3], 0, LagState.OK),  # touched 0: caught up inside the window
        ([40, 40, 40], 12, LagState.OK),  # flat but consuming: as fast as produced
        ([900, 500, 1500], 300, LagState.WARN),  # above the 1,000 target, not only growing
        ([3000, 2500, 2000], 1000, LagState.WARN),  # draining, still above target
        ([10, 20, 20, 30], 15, LagState.ERR),  # consuming, but only losing ground
        ([10, 20, 5000], 15, LagState.ERR),  # ERR wins over WARN
        ([7, 7, 7], 0, LagState.STALL),  # work waiting, nothing committed
        ([7, 9, 12000], 0, LagState.STALL),  # STALL wins over ERR and WARN
        ([7, 7], 0, LagState.OK),  # two scrapes are too few to call a stall
        ([1200], 0, LagState.WARN),
        ([], 0, LagState.OK),
    ],
)
def test_lag_state(lags, consumed, state):
    assert lag_state(lags, consumed) is state


def test_lag_state_threshold_is_a_parameter():
    assert lag_state([0, 50, 0], 10, warn_at=10) is LagState.OK
    assert lag_state([0, 0, 50], 10, warn_at=10) is LagState.WARN


def test_partition_lags_follow_each_partition_over_the_window():
    def scrape(at, p0, p1, handled_so_far):
        return Scrape(
            at=at,
            targets={
                "relay": [
                    lag("fanout", "tweet_created", 0, p0),
                    lag("fanout", "tweet_created", 1, p1),
                    lag("trending", "tweet_created", 0, 0),
                ],
                "fanout": [handled("fanout", "tweet_created", handled_so_far)],
            },
        )

    window = [scrape(0.0, 5, 0, 100), scrape(1.0, 8, 0, 100), scrape(2.0, 8, 2, 100)]
    by_key = {(p.group, p.partition): p for p in partition_lags(window)}
    assert by_key["fanout", 0].lag == 8
    assert by_key["fanout", 0].state is LagState.STALL
    assert by_key["fanout", 1].state is LagState.OK
    assert by_key["trending", 0].state is LagState.OK


def test_a_dead_worker_with_lag_is_a_stall():
    window = [
        Scrape(at=float(t), targets={"relay": [lag("notify", "like_added", 3, 42)]})
        for t in range(3)
    ]
    [only] = partition_lags(window)
    assert only.state is LagState.STALL


def test_parked_events_count_as_progress():
    window = [
        Scrape(
            at=float(t),
            targets={
                "relay": [lag("notify", "like_added", 0, 4)],
                "notify": [handled("notify", "like_added", t, name="chirp_worker_dlq_total")],
            },
        )
        for t in range(3)
    ]
    assert partition_lags(window)[0].state is LagState.OK


# --- DLQ and the whole window ----------------------------------------------------------


def test_dlq_counts_since_start_and_during_the_window():
    older = Scrape(
        at=0.0, targets={"notify": [handled("notify", "like_added", 3, "chirp_worker_dlq_total")]}
    )
    newer = Scrape(
        at=9.0, targets={"notify": [handled("notify", "like_added", 5, "chirp_worker_dlq_total")]}
    )
    [count] = dlq_counts(older, newer)
    assert (count.group, count.topic, count.parked, count.recent) == ("notify", "like_added", 5, 2)


def test_live_figures_take_rates_from_the_last_seconds_and_states_from_the_window():
    window = [
        Scrape(
            at=float(t),
            targets={
                "gateway-1": histogram("GET", "/feed", "200", {0.05: 10 * t, INF: 10 * t}),
                "relay": [lag("fanout", "tweet_created", 0, 100 * (t + 1))],
                "fanout": [handled("fanout", "tweet_created", t)],
            },
        )
        for t in range(10)
    ]
    figures = live_figures(window, rate_span_s=3.0)
    assert figures.window_s == 9.0
    assert figures.rate_span_s == 3.0
    assert figures.routes[0].rate_per_s == pytest.approx(10.0)
    assert figures.lags[0].lag == 1000
    assert figures.lags[0].state is LagState.ERR


def test_live_figures_of_a_single_scrape_show_lag_but_no_rates():
    figures = live_figures([Scrape(at=0.0, targets={"relay": [lag("fanout", "t", 0, 2000)]})])
    assert figures.routes == []
    assert figures.error_ratio is None
    assert [p.state for p in figures.lags] == [LagState.WARN]


# --- one scrape: since each process started --------------------------------------------


def test_one_scrape_gives_the_figures_since_each_process_started():
    only = Scrape(
        at=50.0,
        targets={
            "gateway-1": histogram("GET", "/feed", "200", {0.02: 30, 0.05: 40, INF: 40})
            + histogram("GET", "/readyz", "200", {0.02: 900, INF: 900})
            + [
                ("chirp_feed_cache_hits_total", {}, 30.0),
                ("chirp_feed_cache_misses_total", {}, 10.0),
            ],
            "relay": [lag("fanout", "tweet_created", 0, 5), lag("fanout", "tweet_created", 1, 6)],
        },
    )
    figures = live_figures([only])
    assert figures.rate_span_s == 0.0 and figures.window_s == 0.0
    [feed] = figures.routes
    assert feed.rate_per_s is None and feed.requests == 40
    assert feed.p50_s == pytest.approx(0.02 * 20 / 30)
    assert figures.requests == 40  # the load balancer's probes are not API traffic
    assert figures.feed_cache_hit_ratio == pytest.approx(0.75)
    assert group_lags(figures.lags) == {"fanout": 11}


def test_two_scrapes_count_only_what_happened_between():
    before = Scrape(at=0.0, targets={"gateway-1": histogram("GET", "/feed", "200", {INF: 10})})
    after = Scrape(at=2.0, targets={"gateway-1": histogram("GET", "/feed", "200", {INF: 16})})
    assert api_requests(before, after) == 6
    assert api_requests(None, after) == 16
    assert live_figures([before, after]).routes[0].rate_per_s == pytest.approx(3.0)
    assert live_figures([]).routes == []
