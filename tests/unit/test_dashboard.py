import re

from rich.console import Console

from chirp.cli.dashboard import figures_line, render
from chirp.core.observe import Alert, parse
from chirp.infra.provision.local.figures import figures_of
from chirp.infra.provision.local.live import (
    DlqCount,
    LagState,
    LiveFigures,
    PartitionLag,
    RouteFigures,
    Scrape,
    live_figures,
)

BUSY = LiveFigures(
    window_s=10.0,
    rate_span_s=5.0,
    routes=[
        RouteFigures("GET", "/feed", 120.0, 0.004, 0.061, 0.0, requests=600),
        RouteFigures("POST", "/tweets", 15.5, 0.012, 0.048, 0.01, requests=77.5),
    ],
    error_ratio=0.0012,
    feed_cache_hit_ratio=0.91,
    fanout_lag_p99_s=0.25,
    lags=[
        PartitionLag("fanout", "tweet_created", 0, 0, LagState.OK),
        PartitionLag("fanout", "tweet_created", 1, 0, LagState.OK),
        PartitionLag("notify", "like_added", 3, 42, LagState.STALL),
        PartitionLag("notify", "like_added", 4, 1500, LagState.WARN),
    ],
    dlq=[DlqCount("notify", "like_added", 7, 2)],
)
FIRING = Alert(
    name="ConsumerLagAboveTarget",
    state="firing",
    severity="warning",
    summary="notify is 1542 messages behind (target < 1,000)",
    labels={"group": "notify"},
    active_at="2026-01-01T10:00:00.123456789Z",
    value=1542.0,
)


def text_of(renderable) -> str:
    console = Console(record=True, width=200, color_system=None)
    console.print(renderable)
    return console.export_text()


def test_a_busy_frame_shows_routes_lag_states_dead_letters_and_alerts():
    text = text_of(render(BUSY, [FIRING], [], answered=8, scraped=8))
    assert "every component up" in text
    assert "8/8 metrics endpoints" in text
    assert "/feed" in text and "req/s" in text and "120.0" in text and "61.0" in text
    assert "API error rate 0.12%" in text
    assert "feed cache hit rate 91.00%" in text
    assert "fan-out lag p99 250.0 ms" in text
    assert "fanout" in text and "2 partitions, all caught up" in text
    # The group shows its worst partition's state, and the partitions that are not OK.
    assert "STALL" in text and "like_added[3] 42" in text and "like_added[4] 1,500" in text
    assert "+2" in text
    assert "ConsumerLagAboveTarget" in text and "notify is 1542 messages behind" in text


def test_an_idle_frame_says_so_and_names_what_is_down():
    idle = LiveFigures(window_s=0.0, rate_span_s=0.0)
    text = text_of(render(idle, None, ["trending", "prometheus"], answered=7, scraped=8))
    assert "down: trending, prometheus" in text
    assert "no API traffic" in text
    assert "the relay does not answer" in text
    assert "none parked" in text
    assert "Prometheus is not running" in text


def test_no_alerts_reads_none_firing():
    text = text_of(render(BUSY, [], [], answered=8, scraped=8))
    assert "alerts: none firing" in text


# One state of the stack, as two gateways and the relay answer /metrics.
GATEWAY = """\
# TYPE chirp_http_request_seconds histogram
chirp_http_request_seconds_bucket{le="0.01",method="GET",route="/api/v1/feed",status="200"} 50.0
chirp_http_request_seconds_bucket{le="0.05",method="GET",route="/api/v1/feed",status="200"} {late}
chirp_http_request_seconds_bucket{le="0.1",method="GET",route="/api/v1/feed",status="200"} 100.0
chirp_http_request_seconds_bucket{le="+Inf",method="GET",route="/api/v1/feed",status="200"} 100.0
chirp_http_request_seconds_count{method="GET",route="/api/v1/feed",status="200"} 100.0
chirp_http_request_seconds_sum{method="GET",route="/api/v1/feed",status="200"} 1.9
# TYPE chirp_http_requests_total counter
chirp_http_requests_total{method="GET",route="/api/v1/feed",status="200"} 100.0
# TYPE chirp_feed_cache_hits_total counter
chirp_feed_cache_hits_total 91.0
# TYPE chirp_feed_cache_misses_total counter
chirp_feed_cache_misses_total 9.0
"""
RELAY = """\
# TYPE chirp_consumer_lag gauge
chirp_consumer_lag{group="fanout",partition="0",topic="tweet_created"} 700.0
chirp_consumer_lag{group="fanout",partition="1",topic="tweet_created"} 842.0
# TYPE chirp_consumer_group_lag gauge
chirp_consumer_group_lag{group="fanout"} 1542.0
"""
STATE = Scrape(
    at=10.0,
    targets={
        "gateway-1": parse(GATEWAY.replace("{late}", "98.0")),
        "gateway-2": parse(GATEWAY.replace("{late}", "99.0")),
        "relay": parse(RELAY),
    },
)


def test_status_and_the_watch_show_the_same_figures_for_the_same_scrape():
    status = figures_line(figures_of(STATE))
    watch = text_of(render(live_figures([STATE]), [], [], answered=3, scraped=3))
    # Feed read p99: 200 reads, rank 198 in (50, 100] ms with 3 inside: 66.7 ms. Status
    # once printed the bucket's bound (≤100 ms) where the watch interpolated.
    assert "feed read p99 66.7 ms" in status
    [feed_row] = [line for line in watch.splitlines() if "/api/v1/feed" in line]
    assert re.search(r"\b66\.7\b", feed_row), feed_row
    assert re.search(r"│\s+200 │", feed_row), feed_row  # no rate since start: the count
    # Feed cache hit rate, worded and rounded alike.
    assert "feed cache hit rate 91.00%" in status and "feed cache hit rate 91.00%" in watch
    # Consumer lag: the same group total from the same partition gauges.
    assert "consumer lag: fanout 1,542" in status
    [lag_row] = [line for line in watch.splitlines() if line.startswith("│ fanout")]
    assert "1,542" in lag_row
    # And both say what span the figures cover.
    assert "since each process started" in status and "since each process started" in watch
