"""Live figures from a window of consecutive scrapes of the stack's /metrics endpoints.

Pure: the caller scrapes (about once a second) and keeps the window; this module
turns it into what Prometheus would say over the same seconds: request rates and
latency quantiles per route from histogram deltas, error and cache-hit ratios,
DLQ counts, and a Burrow-style state for every partition's consumer lag.

Counters are per process and restart at zero, so every increase is reset-aware:
a reading lower than the one before means the process restarted, and the new
reading is all the growth since.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

Sample = tuple[str, dict[str, str], float]
"""One sample of a scrape: (sample name, labels, value)."""

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
    rate_per_s: float
    p50_s: float | None
    p99_s: float | None
    error_ratio: float | None


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
    routes: list[RouteFigures] = field(default_factory=list)
    error_ratio: float | None = None
    feed_cache_hit_ratio: float | None = None
    fanout_lag_p99_s: float | None = None
    lags: list[PartitionLag] = field(default_factory=list)
    dlq: list[DlqCount] = field(default_factory=list)


def counter_increase(before: float | None, after: float) -> float:
    """How much a counter grew between two readings; `before` None: the series is new."""
    if before is None or after < before:
        return after
    return after - before


def histogram_quantile(q: float, buckets: Mapping[float, float]) -> float | None:
    """The q-quantile of cumulative bucket counts {upper bound: count}, as Prometheus does it.

    Linear interpolation inside the bucket holding the rank; a rank in the +Inf bucket
    answers the highest finite bound. None when nothing was observed.
    """
    bounds = sorted(buckets)
    if not bounds or not math.isinf(bounds[-1]):
        return None
    counts = list(itertools.accumulate((buckets[b] for b in bounds), max))
    total = counts[-1]
    if total <= 0:
        return None
    rank = q * total
    index = next(i for i, count in enumerate(counts) if count >= rank)
    if math.isinf(bounds[index]):
        return bounds[index - 1] if index > 0 else None
    lower, below = (bounds[index - 1], counts[index - 1]) if index > 0 else (0.0, 0.0)
    inside = counts[index] - below
    if inside <= 0:
        return bounds[index]
    return lower + (bounds[index] - lower) * (rank - below) / inside


def increases(older: Scrape, newer: Scrape, name: str) -> list[tuple[dict[str, str], float]]:
    """Per series of counter `name`, its growth between two scrapes, over targets in both."""
    grown = []
    for target, samples in newer.targets.items():
        if target not in older.targets:
            continue
        before = {_key(labels): v for n, labels, v in older.targets[target] if n == name}
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
    `rate_span_s` older; lag states and DLQ growth from the whole window.
    """
    if len(window) < 2:
        return LiveFigures(window_s=0.0, rate_span_s=0.0, lags=partition_lags(window))
    newest = window[-1]
    start = next(s for s in window if newest.at - s.at <= rate_span_s + 1e-9)
    if start is newest:
        start = window[-2]
    span = newest.at - start.at
    return LiveFigures(
        window_s=newest.at - window[0].at,
        rate_span_s=span,
        routes=route_figures(start, newest),
        error_ratio=error_ratio(start, newest),
        feed_cache_hit_ratio=cache_hit_ratio(start, newest),
        fanout_lag_p99_s=histogram_quantile(
            0.99, _buckets(increases(start, newest, "chirp_fanout_lag_seconds_bucket"))
        ),
        lags=partition_lags(window),
        dlq=dlq_counts(window[0], newest),
    )


def route_figures(older: Scrape, newer: Scrape) -> list[RouteFigures]:
    """Request rate, p50, p99 and 5xx ratio per API route with traffic, busiest first."""
    span = newer.at - older.at
    if span <= 0:
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
            rate_per_s=totals[method, route] / span,
            p50_s=histogram_quantile(0.50, by_bound),
            p99_s=histogram_quantile(0.99, by_bound),
            error_ratio=errors[method, route] / totals[method, route],
        )
        for (method, route), by_bound in buckets.items()
        if totals[method, route] > 0
    ]
    return sorted(figures, key=lambda f: (-f.rate_per_s, f.route, f.method))


def error_ratio(older: Scrape, newer: Scrape) -> float | None:
    """5xx answers over all API answers between two scrapes; None without traffic."""
    total = failed = 0.0
    for labels, grown in increases(older, newer, "chirp_http_requests_total"):
        if labels.get("route") in PROBE_ROUTES:
            continue
        total += grown
        if labels.get("status", "").startswith("5"):
            failed += grown
    return failed / total if total > 0 else None


def cache_hit_ratio(older: Scrape, newer: Scrape) -> float | None:
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
