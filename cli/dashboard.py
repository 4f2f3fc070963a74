"""`chirp status --watch`: a live dashboard of the running stack, refreshed every second.

Each second it scrapes every gateway, the relay and the workers, keeps the last
ten seconds of scrapes, and shows what `chirp.infra.provision.local.live` makes of them,
with the alerts of chirp's Prometheus when it runs. Ctrl-C ends it. The first frame, from
one scrape, shows the figures since each process started: what `chirp status` prints
(`figures_line`), from the same functions.
"""

from __future__ import annotations

import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from rich.console import Console, Group, RenderableType
from rich.live import Live
from rich.table import Table
from rich.text import Text

from chirp.core.observe import Alert
from chirp.core.settings import Settings
from chirp.infra.provision.local import provider
from chirp.infra.provision.local.figures import Figures, take_scrape
from chirp.infra.provision.local.live import (
    LAG_TARGET,
    LagState,
    LiveFigures,
    PartitionLag,
    RouteFigures,
    Scrape,
    group_lags,
    live_figures,
)

REFRESH_S = 1.0
WINDOW_S = 10.0
"""How far back lag states and DLQ growth look."""
RATE_SPAN_S = 5.0
"""How far back request rates, quantiles and ratios look."""

# The design's p99 targets, by (method, route) as the gateways label routes.
_P99_TARGETS_S = {
    ("POST", "/tweets"): 0.100,
    ("POST", "/api/v1/tweets"): 0.100,
    ("GET", "/feed"): 0.050,
    ("GET", "/api/v1/feed"): 0.050,
}
_ERROR_TARGET = 0.001
_CACHE_TARGET = 0.85
_STATE_STYLE = {
    LagState.OK: "green",
    LagState.WARN: "yellow",
    LagState.ERR: "red",
    LagState.STALL: "bold magenta",
}
_SEVERITY_STYLE = {"warning": "yellow", "critical": "red", "page": "bold magenta"}
_WORST_FIRST = [LagState.STALL, LagState.ERR, LagState.WARN, LagState.OK]
_PARTITIONS_SHOWN = 4


def watch(settings: Settings, console: Console) -> None:
    """Show the dashboard until Ctrl-C, which returns normally."""
    targets = provider.scrape_targets(settings)
    window: deque[Scrape] = deque()
    pool = ThreadPoolExecutor(max_workers=len(targets) + 1, thread_name_prefix="watch")
    try:
        with Live(console=console, auto_refresh=False) as live:
            while True:
                started = time.monotonic()
                alerts = pool.submit(provider.alerts, settings)
                window.append(take_scrape(settings.host, targets, pool))
                while window[-1].at - window[0].at > WINDOW_S:
                    window.popleft()
                live.update(
                    render(
                        live_figures(list(window), RATE_SPAN_S),
                        alerts.result(),
                        _down(settings),
                        answered=len(window[-1].targets),
                        scraped=len(targets),
                    ),
                    refresh=True,
                )
                time.sleep(max(0.0, REFRESH_S - (time.monotonic() - started)))
    except KeyboardInterrupt:
        pass
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def render(
    figures: LiveFigures,
    alerts: list[Alert] | None,
    down: list[str],
    *,
    answered: int,
    scraped: int,
) -> RenderableType:
    """One frame: header, requests, consumer lag, dead letters, alerts."""
    return Group(
        _header(down, answered, scraped),
        _requests(figures),
        _ratios(figures),
        _lags(figures.lags),
        _dead_letters(figures),
        _alerts(alerts),
    )


def _down(settings: Settings) -> list[str]:
    return [c.name for c in provider.components(settings) if provider.running(c) is None]


def _header(down: list[str], answered: int, scraped: int) -> Text:
    line = Text(f"chirp · {datetime.now():%H:%M:%S} · ", style="bold")
    if down:
        line.append(f"down: {', '.join(down)}", style="red")
    else:
        line.append("every component up", style="green")
    line.append(f" · {answered}/{scraped} metrics endpoints answering · Ctrl-C to quit")
    return line


def figures_line(figures: Figures) -> str:
    """`chirp status`'s figures, worded and rounded as the dashboard shows them."""
    lag = ", ".join(f"{group} {lag:,}" for group, lag in figures.consumer_lag.items())
    p99_s = None if figures.feed_read_p99_ms is None else figures.feed_read_p99_ms / 1000
    return (
        f"consumer lag: {lag or '-'}\n"
        f"feed cache hit rate {_percent(figures.feed_cache_hit_rate)}"
        f" · feed read p99 {_ms(p99_s)} ms"
        f" · edge hit ratio {_percent(figures.edge_hit_ratio)}"
        " (since each process started)"
    )


def _requests(figures: LiveFigures) -> RenderableType:
    title = f"requests, {_span(figures)}"
    if not figures.routes:
        return Text(f"{title}: no API traffic", style="dim")
    table = Table(title=title, title_justify="left")
    # Since start there is no rate (when each gateway started is not scraped): the count.
    counted = figures.rate_span_s <= 0
    for column in (
        "method",
        "route",
        "requests" if counted else "req/s",
        "p50 ms",
        "p99 ms",
        "5xx",
    ):
        table.add_column(column, justify="left" if column in ("method", "route") else "right")
    for route in figures.routes:
        target = _P99_TARGETS_S.get((route.method, route.route))
        late = target is not None and route.p99_s is not None and route.p99_s > target
        table.add_row(
            route.method,
            route.route,
            _amount(route, counted),
            _ms(route.p50_s),
            Text(_ms(route.p99_s), style="red" if late else ""),
            _percent(route.error_ratio),
        )
    return table


def _ratios(figures: LiveFigures) -> Text:
    line = Text()
    errors, hits = figures.error_ratio, figures.feed_cache_hit_ratio
    line.append("API error rate ")
    line.append(_percent(errors), style="red" if errors and errors > _ERROR_TARGET else "")
    line.append(" (target < 0.1%) · feed cache hit rate ")
    line.append(_percent(hits), style="red" if hits is not None and hits < _CACHE_TARGET else "")
    line.append(" (target > 85%) · fan-out lag p99 ")
    line.append(_ms(figures.fanout_lag_p99_s) + " ms")
    if figures.rate_span_s <= 0:
        line.append(f" ({_span(figures)})", style="dim")
    return line


def _lags(lags: list[PartitionLag]) -> RenderableType:
    if not lags:
        return Text("consumer lag: the relay does not answer", style="red")
    table = Table(
        title=f"consumer lag (WARN over {LAG_TARGET:,}; ERR only growing; STALL not consuming)",
        title_justify="left",
    )
    for column in ("group", "lag", "state", "partitions"):
        table.add_column(column, justify="right" if column == "lag" else "left")
    groups: dict[str, list[PartitionLag]] = {}
    for partition in lags:
        groups.setdefault(partition.group, []).append(partition)
    for group, total in group_lags(lags).items():
        partitions = groups[group]
        worst = min((p.state for p in partitions), key=_WORST_FIRST.index)
        table.add_row(
            group,
            f"{total:,}",
            Text(worst.value, style=_STATE_STYLE[worst]),
            _partitions(partitions),
        )
    return table


def _partitions(partitions: list[PartitionLag]) -> Text:
    notable = sorted(
        (p for p in partitions if p.lag > 0 or p.state is not LagState.OK),
        key=lambda p: (_WORST_FIRST.index(p.state), -p.lag),
    )
    if not notable:
        return Text(f"{len(partitions)} partitions, all caught up", style="dim")
    text = Text()
    for p in notable[:_PARTITIONS_SHOWN]:
        text.append(f"{p.topic}[{p.partition}] {p.lag:,} ")
        text.append(p.state.value, style=_STATE_STYLE[p.state])
        text.append("  ")
    if len(notable) > _PARTITIONS_SHOWN:
        text.append(f"+{len(notable) - _PARTITIONS_SHOWN} more", style="dim")
    return text


def _dead_letters(figures: LiveFigures) -> RenderableType:
    parked = [d for d in figures.dlq if d.parked > 0]
    if not parked:
        return Text("dead letters: none parked", style="dim")
    table = Table(title="dead letters (since each worker started)", title_justify="left")
    for column in ("group", "topic", "parked", f"last {figures.window_s:.0f} s"):
        table.add_column(column, justify="left" if column in ("group", "topic") else "right")
    for d in parked:
        table.add_row(
            d.group,
            d.topic,
            f"{d.parked:,.0f}",
            Text(f"+{d.recent:,.0f}", style="red" if d.recent else "dim"),
        )
    return table


def _alerts(alerts: list[Alert] | None) -> RenderableType:
    if alerts is None:
        return Text("alerts: Prometheus is not running (chirp up --prometheus)", style="dim")
    if not alerts:
        return Text("alerts: none firing", style="green")
    table = Table(title="alerts", title_justify="left")
    for column in ("severity", "alert", "state", "since", "summary"):
        table.add_column(column)
    ordered = sorted(alerts, key=lambda a: (a.state != "firing", a.name))
    for alert in ordered:
        table.add_row(
            Text(alert.severity, style=_SEVERITY_STYLE.get(alert.severity, "")),
            alert.name,
            Text(alert.state, style="bold" if alert.state == "firing" else "dim"),
            _since(alert.active_at),
            alert.summary,
        )
    return table


def _since(active_at: str | None) -> str:
    if not active_at:
        return "-"
    try:
        started = datetime.fromisoformat(active_at.replace("Z", "+00:00"))
    except ValueError:
        return "-"
    return f"{started.astimezone():%H:%M:%S}"


def _amount(route: RouteFigures, counted: bool) -> str:
    if counted or route.rate_per_s is None:
        return f"{route.requests:,.0f}"
    return f"{route.rate_per_s:.1f}"


def _span(figures: LiveFigures) -> str:
    if figures.rate_span_s <= 0:
        return "since each process started"
    return f"last {figures.rate_span_s:.0f} s"


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.1f}"


def _percent(ratio: float | None) -> str:
    return "-" if ratio is None else f"{ratio:.2%}"
