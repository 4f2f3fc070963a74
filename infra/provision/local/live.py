"""Live figures from a window of consecutive scrapes of the stack's /metrics endpoints.

Pure: the caller scrapes (about once a second) and keeps the window; this module
turns it into what Prometheus would say over the same seconds: request rates and
latency quantiles per route from histogram deltas, error and cache-hit ratios,
DLQ counts, and a Burrow-style state for every partition's consumer lag.

A window of one scrape gives the same figures since each process started: that is
what `chirp status` shows, and the first frame of `chirp status --watch`.

Counters are per process and restart at zero, so every increase is reset-aware
(`chirp.core.observe.counter_increase`).
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from chirp.core.observe import Sample, counter_increase, histogram_quantile

LAG_TARGET = 1_000
"""The design's consumer-lag target, in messages."""

PROBE_ROUTES = frozenset({"/healthz", "/readyz", "/metrics"})
"""Load balancer and Prometheus probes: not API traffic."""


@dataclass(frozen=True)
class Scrape:
    """Every answering target's samples at one moment (`at`, monotonic seconds)."""

    at: float
    targets: Mapping[str, list[Sample]]
    """Component name (gateway-1, relay, fanout, ...) to samples; absent: it did not answer."""


class LagState(StrEnum):
    """Burrow-style state of one partition's consumer lag over the window."""

    OK = "OK"
    WARN = "WARN"
    ERR = "ERR"
    STALL = "STALL"


@dataclass(frozen=True)
class RouteFigures:
    method: str
    route: str
    rate_per_s: float | None
    """None since start: when each gateway started is not in the scrape."""
    p50_s: float | None
    p99_s: float | None
    error_ratio: float | None
    requests: float = 0.0


@dataclass(frozen=True)
class PartitionLag:
    group: str
    topic: str
    partition: int
    lag: int
    state: LagState


@dataclass(frozen=True)
class DlqCount:
    group: str
    topic: str
    parked: float
    """Since the worker started."""
    recent: float
    """During the window."""


@dataclass(frozen=True)
class LiveFigures:
    window_s: float
    rate_span_s: float
    """0 with a window of one scrape: the figures are since each process started."""
    routes: list[RouteFigures] = field(default_factory=list)
    requests: float = 0.0
    """API requests answered (probes left out) over the rate span."""
    error_ratio: float | None = None
    feed_cache_hit_ratio: float | None = None
    fanout_lag_p99_s: float | None = None
    lags: list[PartitionLag] = field(default_factory=list)
    dlq: list[DlqCount] = field(default_factory=list)


def increases(older: Scrape | None, newer: Scrape, name: str) -> list[tuple[dict[str, str], float]]:
    """Per series of counter `name`, its growth between two scrapes, over targets in both;
    `older` None: since each target's process started (every reading is all growth)."""
    grown = []
    for target, samples in newer.targets.items():
        if older is not None and target not in older.targets:
            continue
        earlier = older.targets[target] if older is not None else []
        before = {_key(labels): v for n, labels, v in earlier if n == name}
        grown += [
            (labels, counter_increase(before.get(_key(labels)), value))
            for n, labels, value in samples
            if n == name
        ]
    return grown


def lag_state(lags: Sequence[int], consumed: float, warn_at: int = LAG_TARGET) -> LagState:
    """The state of one partition from its lag at each scrape of the window, oldest first.

    `consumed` is what the group handled or parked from the partition's topic during the
    window: the committed offset moves exactly when it handles events, so no growth
    means no commit. Workers count per topic, not per partition.

    - STALL: lag above 0 at every scrape (at least 3) and nothing consumed: the
      committed offset did not move while there was work.
    - ERR: lag above 0 at every scrape (at least 3), never falling, and higher at
      the end than at the start: the consumer loses ground.
    - WARN: the latest lag is above `warn_at` (the design's 1,000 messages).
    - OK: otherwise.
    """
    if not lags:
        return LagState.OK
    busy = len(lags) >= 3 and all(lag > 0 for lag in lags)
    if busy and consumed <= 0:
        return LagState.STALL
    growing = all(b >= a for a, b in itertools.pairwise(lags)) and lags[-1] > lags[0]
    if busy and growing:
        return LagState.ERR
    if lags[-1] > warn_at:
        return LagState.WARN
    return LagState.OK


def live_figures(window: Sequence[Scrape], rate_span_s: float = 5.0) -> LiveFigures:
    """Everything the dashboard shows, from scrapes oldest first.

    Rates, quantiles and ratios come from the newest scrape and the oldest one at most
    `rate_span_s` older (with one scrape: since each process started); lag states and
    DLQ growth from the whole window.
    """
    if not window:
        return LiveFigures(window_s=0.0, rate_span_s=0.0)
    newest = window[-1]
    start = _rate_start(window, rate_span_s)
    return LiveFigures(
        window_s=newest.at - window[0].at,
        rate_span_s=0.0 if start is None else newest.at - start.at,
        routes=route_figures(start, newest),
        requests=api_requests(start, newest),
        error_ratio=error_ratio(start, newest),
        feed_cache_hit_ratio=cache_hit_ratio(start, newest),
        fanout_lag_p99_s=histogram_quantile(
            0.99, _buckets(increases(start, newest, "chirp_fanout_lag_seconds_bucket"))
        ),
        lags=partition_lags(window),
        dlq=dlq_counts(window[0], newest),
    )


def group_lags(lags: Sequence[PartitionLag]) -> dict[str, int]:
    """Each consumer group's lag: the sum over its partitions, groups in order."""
    totals: dict[str, int] = defaultdict(int)
    for partition in lags:
        totals[partition.group] += partition.lag
    return dict(sorted(totals.items()))


def route_figures(older: Scrape | None, newer: Scrape) -> list[RouteFigures]:
    """Request rate, p50, p99 and 5xx ratio per API route with traffic, busiest first;
    `older` None: since each gateway started, without a rate."""
    span = None if older is None else newer.at - older.at
    if span is not None and span <= 0:
        return []
    buckets: dict[tuple[str, str], dict[float, float]] = defaultdict(lambda: defaultdict(float))
    for labels, grown in increases(older, newer, "chirp_http_request_seconds_bucket"):
        if labels.get("route") not in PROBE_ROUTES:
            buckets[labels["method"], labels["route"]][float(labels["le"])] += grown
    totals: dict[tuple[str, str], float] = defaultdict(float)
    errors: dict[tuple[str, str], float] = defaultdict(float)
    for labels, grown in increases(older, newer, "chirp_http_requests_total"):
        key = (labels.get("method", "?"), labels.get("route", "?"))
        totals[key] += grown
        if labels.get("status", "").startswith("5"):
            errors[key] += grown
    figures = [
        RouteFigures(
            method=method,
            route=route,
            rate_per_s=None if span is None else totals[method, route] / span,
            p50_s=histogram_quantile(0.50, by_bound),
            p99_s=histogram_quantile(0.99, by_bound),
            error_ratio=errors[method, route] / totals[method, route],
            requests=totals[method, route],
        )
        for (method, route), by_bound in buckets.items()
        if totals[method, route] > 0
    ]
    return sorted(figures, key=lambda f: (-f.requests, f.route, f.method))


def api_requests(older: Scrape | None, newer: Scrape) -> float:
    """API answers (probes left out) between two scrapes, or since each gateway started."""
    return sum(
        grown
        for labels, grown in increases(older, newer, "chirp_http_requests_total")
        if labels.get("route") not in PROBE_ROUTES
    )


def error_ratio(older: Scrape | None, newer: Scrape) -> float | None:
    """5xx answers over all API answers between two scrapes; None without traffic."""
    total = failed = 0.0
    for labels, grown in increases(older, newer, "chirp_http_requests_total"):
        if labels.get("route") in PROBE_ROUTES:
            continue
        total += grown
        if labels.get("status", "").startswith("5"):
            failed += grown
    return failed / total if total > 0 else None


def cache_hit_ratio(older: Scrape | None, newer: Scrape) -> float | None:
    """Feed cache hits over feed reads between two scrapes; None without reads."""
    hits = sum(g for _, g in increases(older, newer, "chirp_feed_cache_hits_total"))
    misses = sum(g for _, g in increases(older, newer, "chirp_feed_cache_misses_total"))
    return hits / (hits + misses) if hits + misses > 0 else None


def partition_lags(window: Sequence[Scrape]) -> list[PartitionLag]:
    """Every partition's latest lag (from the relay's gauges) and its state over the window."""
    series: dict[tuple[str, str, int], list[int]] = defaultdict(list)
    for scrape in window:
        for labels, value in _gauge(scrape.targets.values(), "chirp_consumer_lag"):
            key = (labels["group"], labels["topic"], int(labels["partition"]))
            series[key].append(int(value))
    consumed = _consumed(window[0], window[-1]) if len(window) >= 2 else {}
    return [
        PartitionLag(
            group, topic, partition, lags[-1], lag_state(lags, consumed.get((group, topic), 0.0))
        )
        for (group, topic, partition), lags in sorted(series.items())
    ]


def dlq_counts(older: Scrape, newer: Scrape) -> list[DlqCount]:
    """Events each group parked on its DLQ, per topic: since its worker started, and lately."""
    parked: dict[tuple[str, str], float] = defaultdict(float)
    for labels, value in _gauge(newer.targets.values(), "chirp_worker_dlq_total"):
        parked[labels["group"], labels["topic"]] += value
    recent: dict[tuple[str, str], float] = defaultdict(float)
    for labels, grown in increases(older, newer, "chirp_worker_dlq_total"):
        recent[labels["group"], labels["topic"]] += grown
    return [DlqCount(g, t, parked[g, t], recent[g, t]) for g, t in sorted(parked)]


def _consumed(older: Scrape, newer: Scrape) -> dict[tuple[str, str], float]:
    consumed: dict[tuple[str, str], float] = defaultdict(float)
    for name in ("chirp_worker_events_total", "chirp_worker_dlq_total"):
        for labels, grown in increases(older, newer, name):
            consumed[labels["group"], labels["topic"]] += grown
    return consumed


def _gauge(targets: Iterable[list[Sample]], name: str) -> list[tuple[dict[str, str], float]]:
    return [(labels, value) for samples in targets for n, labels, value in samples if n == name]


def _buckets(grown: list[tuple[dict[str, str], float]]) -> dict[float, float]:
    merged: dict[float, float] = defaultdict(float)
    for labels, value in grown:
        merged[float(labels["le"])] += value
    return merged


def _key(labels: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple(sorted(labels.items()))


def _rate_start(window: Sequence[Scrape], rate_span_s: float) -> Scrape | None:
    """The oldest scrape at most `rate_span_s` before the newest, never the newest itself;
    None when the window holds only the newest."""
    if len(window) < 2:
        return None
    newest = window[-1]
    start = next(s for s in window if newest.at - s.at <= rate_span_s + 1e-9)
    return window[-2] if start is newest else start
