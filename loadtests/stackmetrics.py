"""What the stack says about itself during a run, read from its Prometheus endpoints.

Consumer lag comes from the relay's `chirp_consumer_group_lag{group}`; the feed cache hit
rate from the gateways' `chirp_feed_cache_{hits,misses}_total`; fan-out figures from the
fanout worker. A metric that is absent or an endpoint that does not answer is "not
measured", never a failure of the run.
"""

from __future__ import annotations

import itertools
import math
import urllib.error
import urllib.request
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from chirp.core.settings import Settings

LAG = "chirp_consumer_group_lag"
CACHE_HITS = "chirp_feed_cache_hits_total"
CACHE_MISSES = "chirp_feed_cache_misses_total"
FANOUT_DELIVERIES = "chirp_fanout_deliveries_total"
FANOUT_LAG = "chirp_fanout_lag_seconds"
RELAY_OFFSET = 0  # worker metrics ports, in order: relay, fanout, search-indexer, ...
FANOUT_OFFSET = 1

Sample = tuple[str, dict[str, str], float]


def parse(text: str) -> list[Sample]:
    """(sample name, labels, value) of every sample in a Prometheus text exposition."""
    return [
        (s.name, dict(s.labels), float(s.value))
        for family in text_string_to_metric_families(text)
        for s in family.samples
    ]


def total(samples: list[Sample], name: str) -> float | None:
    """The sum of `name` over all its label sets, or None when absent."""
    values = [value for sample, _, value in samples if sample == name]
    return sum(values) if values else None


def by_label(samples: list[Sample], name: str, label: str) -> dict[str, float]:
    summed: dict[str, float] = defaultdict(float)
    for sample, labels, value in samples:
        if sample == name and label in labels:
            summed[labels[label]] += value
    return dict(summed)


def buckets(samples: list[Sample], histogram: str) -> list[tuple[float, float]] | None:
    """Cumulative (upper bound, count) pairs of a histogram, summed over label sets."""
    summed = by_label(samples, f"{histogram}_bucket", "le")
    if not summed:
        return None
    return sorted((float(le), count) for le, count in summed.items())


def scrape(url: str, timeout_s: float = 1.0) -> list[Sample] | None:
    """The samples at `url`, or None when it does not answer."""
    try:
        with urllib.request.urlopen(url, timeout=timeout_s) as answer:
            return parse(answer.read().decode("utf-8", errors="replace"))
    except (OSError, urllib.error.URLError, ValueError):
        return None


@dataclass
class StackSample:
    """One scrape of the stack, `t` seconds into the run."""

    t: float
    lag: dict[str, float] | None = None
    cache: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)
    fanout_deliveries: float | None = None
    fanout_lag_buckets: list[tuple[float, float]] | None = None


class StackProbe:
    """Scrapes the relay, the fanout worker and every gateway of one stack."""

    def __init__(self, settings: Settings, gateways: int) -> None:
        host = settings.host
        base = settings.worker_metrics_base_port
        self.relay_url = f"http://{host}:{base + RELAY_OFFSET}/metrics"
        self.fanout_url = f"http://{host}:{base + FANOUT_OFFSET}/metrics"
        self.gateway_urls = {
            f"gateway-{i + 1}": f"http://{host}:{settings.gateway_base_port + i}/metrics"
            for i in range(gateways)
        }
        self.samples: list[StackSample] = []

    def sample(self, t: float) -> StackSample:
        taken = StackSample(t)
        relay = scrape(self.relay_url)
        if relay is not None:
            taken.lag = by_label(relay, LAG, "group") or None
        fanout = scrape(self.fanout_url)
        if fanout is not None:
            taken.fanout_deliveries = total(fanout, FANOUT_DELIVERIES)
            taken.fanout_lag_buckets = buckets(fanout, FANOUT_LAG)
        for name, url in self.gateway_urls.items():
            gateway = scrape(url)
            if gateway is not None:
                taken.cache[name] = (total(gateway, CACHE_HITS), total(gateway, CACHE_MISSES))
        self.samples.append(taken)
        return taken


def counter_increase(values: list[float | None]) -> float | None:
    """How much a counter grew over a series of readings, surviving restarts (resets)."""
    seen = [v for v in values if v is not None]
    if len(seen) < 2:
        return None
    grown = 0.0
    for before, after in itertools.pairwise(seen):
        grown += after - before if after >= before else after
    return grown


def histogram_quantile(
    q: float, start: list[tuple[float, float]] | None, end: list[tuple[float, float]] | None
) -> float | None:
    """The q-quantile of what a histogram observed between two scrapes (Prometheus' way)."""
    if not end:
        return None
    before = dict(start or [])
    delta = [(le, count - before.get(le, 0.0)) for le, count in end]
    observed = delta[-1][1]
    if observed <= 0:
        return None
    rank = q * observed
    lower_bound, lower_count = 0.0, 0.0
    for le, count in delta:
        if count >= rank:
            if math.isinf(le):
                return lower_bound
            width = count - lower_count
            share = (rank - lower_count) / width if width > 0 else 1.0
            return lower_bound + (le - lower_bound) * share
        lower_bound, lower_count = le, count
    return lower_bound


def lag_summary(samples: list[StackSample]) -> dict[str, Any]:
    """Largest and mean total lag per consumer group over the run, and its timeline."""
    seen = [s for s in samples if s.lag is not None]
    if not seen:
        return {"measured": False, "max": None, "mean": None, "by_group_max": {}, "timeline": []}
    groups = sorted({g for s in seen for g in s.lag or {}})
    by_group_max = {g: max((s.lag or {}).get(g, 0.0) for s in seen) for g in groups}
    worst = [max((s.lag or {}).values(), default=0.0) for s in seen]
    return {
        "measured": True,
        "max": max(worst),
        "mean": round(sum(worst) / len(worst), 1),
        "by_group_max": by_group_max,
        "timeline": [{"t": round(s.t, 2), "by_group": dict(s.lag or {})} for s in seen],
    }


def cache_summary(samples: list[StackSample]) -> dict[str, Any]:
    """Feed cache hits / (hits + misses) over the run, summed over the gateways."""
    hits = misses = 0.0
    measured = False
    gateways = sorted({name for s in samples for name in s.cache})
    for name in gateways:
        hit_series = [s.cache[name][0] if name in s.cache else None for s in samples]
        miss_series = [s.cache[name][1] if name in s.cache else None for s in samples]
        hit_growth, miss_growth = counter_increase(hit_series), counter_increase(miss_series)
        if hit_growth is None or miss_growth is None:
            continue
        measured = True
        hits += hit_growth
        misses += miss_growth
    looked = hits + misses
    value = round(hits / looked, 4) if measured and looked > 0 else None
    return {"measured": value is not None, "value": value, "hits": hits, "misses": misses}
