"""Live figures of a running stack, read from its Prometheus endpoints.

Gateways expose request latency histograms and feed cache counters; the relay
exposes every consumer group's lag. Nothing here is stored: each call scrapes.
"""

from __future__ import annotations

import urllib.request
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from prometheus_client.parser import text_string_to_metric_families

_FEED_ROUTE = "/api/v1/feed"


@dataclass
class Figures:
    consumer_lag: dict[str, int] = field(default_factory=dict)
    feed_cache_hit_rate: float | None = None
    feed_read_p99_ms: float | None = None
    requests_total: int = 0
    edge_hit_ratio: float | None = None
    """Hits over cacheable lookups at the edge since it started."""

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


Sample = tuple[str, dict[str, str], float]


def scrape(url: str, timeout_s: float = 1.0) -> list[Sample]:
    """Every sample at a /metrics URL; empty when it does not answer."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as answer:
            text = answer.read().decode()
    except OSError:
        return []
    return [
        (s.name, dict(s.labels), float(s.value))
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


def collect(gateway_urls: Iterable[str], relay_url: str) -> Figures:
    gateway_samples = [s for url in gateway_urls for s in scrape(url)]
    figures = Figures()
    for name, labels, value in scrape(relay_url):
        if name == "chirp_consumer_group_lag":
            figures.consumer_lag[labels["group"]] = int(value)
    hits = _total(gateway_samples, "chirp_feed_cache_hits_total")
    misses = _total(gateway_samples, "chirp_feed_cache_misses_total")
    if hits + misses:
        figures.feed_cache_hit_rate = hits / (hits + misses)
    figures.requests_total = int(_total(gateway_samples, "chirp_http_requests_total"))
    figures.feed_read_p99_ms = _p99_ms(gateway_samples, _FEED_ROUTE)
    return figures


def _total(samples: list[Sample], name: str) -> float:
    return sum(value for sample_name, _, value in samples if sample_name == name)


def _p99_ms(samples: list[Sample], route: str) -> float | None:
    """p99 of a route since start, from the merged buckets of every gateway (upper bound)."""
    buckets: dict[float, float] = defaultdict(float)
    for name, labels, value in samples:
        if name == "chirp_http_request_seconds_bucket" and labels.get("route") == route:
            buckets[float(labels["le"])] += value
    if not buckets or buckets[max(buckets)] == 0:
        return None
    total = buckets[max(buckets)]
    for bound in sorted(buckets):
        if buckets[bound] >= 0.99 * total:
            return bound * 1000
    return None
