"""What the stack says about itself during a run, read from its Prometheus endpoints.

Consumer lag comes from the relay's `chirp_consumer_group_lag{group}`; the feed cache hit
rate from the gateways' `chirp_feed_cache_{hits,misses}_total`. A metric that is absent or
an endpoint that does not answer is "not measured", never a failure of the run.
Scraping and counter arithmetic are `chirp.core.observe`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from chirp.core.observe import by_label, counter_growth, scrape, total
from chirp.core.settings import Settings

LAG = "chirp_consumer_group_lag"
CACHE_HITS = "chirp_feed_cache_hits_total"
CACHE_MISSES = "chirp_feed_cache_misses_total"
FANOUT_DELIVERIES = "chirp_fanout_deliveries_total"
RELAY_OFFSET = 0  # worker metrics ports, in order: relay, fanout, search-indexer, ...
FANOUT_OFFSET = 1


@dataclass
class StackSample:
    """One scrape of the stack, `t` seconds into the run."""

    t: float
    lag: dict[str, float] | None = None
    cache: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)


class StackProbe:
    """Scrapes the relay and every gateway of one stack."""

    def __init__(self, settings: Settings, gateways: int) -> None:
        host = settings.host
        base = settings.worker_metrics_base_port
        self.relay_url = f"http://{host}:{base + RELAY_OFFSET}/metrics"
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
        for name, url in self.gateway_urls.items():
            gateway = scrape(url)
            if gateway is not None:
                taken.cache[name] = (total(gateway, CACHE_HITS), total(gateway, CACHE_MISSES))
        self.samples.append(taken)
        return taken


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
        hit_growth, miss_growth = counter_growth(hit_series), counter_growth(miss_series)
        if hit_growth is None or miss_growth is None:
            continue
        measured = True
        hits += hit_growth
        misses += miss_growth
    looked = hits + misses
    value = round(hits / looked, 4) if measured and looked > 0 else None
    return {"measured": value is not None, "value": value, "hits": hits, "misses": misses}
