from rich.console import Console

from chirp.cli.dashboard import render
from chirp.infra.provision.local.live import (
    DlqCount,
    LagState,
    LiveFigures,
    PartitionLag,
    RouteFigures,
)
from chirp.infra.provision.local.prometheus import Alert

BUSY = LiveFigures(
    window_s=10.0,
    rate_span_s=5.0,
    routes=[
        RouteFigures("GET", "/feed", 120.0, 0.004, 0.061, 0.0),
        RouteFigures("POST", "/tweets", 15.5, 0.012, 0.048, 0.01),
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
    assert "/feed" in text and "120.0" in text and "61.0" in text
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
