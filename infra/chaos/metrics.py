"""Probe samples (one a second) and the metrics drills name in conditions and checks.

Metric names:

- counts, per sample: `requests`, `errors`, `refused` (429, or a 503 with the API's JSON
  error: the stack said no cleanly), `status_429`, `status_503`, `degraded` (feeds served
  with `X-Chirp-Degraded: 1`), `search_unavailable` (search's 503 JSON), `answered`,
  `node.<n>` (answers from gateway n), `acked`, `ledger_refused`, `ledger_unknown` (the
  integrity writer's posts), `follows_acked` (the follow ledger's), `db_degraded_reads`,
  `db_degraded_refused` (gateway counters: feed reads served from DynamoDB, and refused
  over the cap) and `degraded_path` (both: every feed read, anyone's, that found the
  breaker open or Redis failing);
- `error_rate` (errors / requests) and `p50_ms`, `p99_ms` of the probe's own requests;
- `requests`, `errors`, `refused`, `error_rate`, `p99_ms` per endpoint with a suffix:
  `error_rate.feed`, `p99_ms.post` (endpoints: feed, timeline, search, healthz, profile,
  following, and the ledgers' writes: post, follow);
- gauges: `lag.<group>` and `max_lag` (consumer lag from the relay's /metrics),
  `feed_hit_rate` (gateways' feed cache counters over the last few seconds),
  `search_fresh` / `feed_fresh` (1 when the last tweet acknowledged before the fault ended
  is searchable / in its follower's feed; only after the restore).

An error is a request with no HTTP answer, a 5xx other than a clean 503, or an unexpected
4xx. Errors are counted in the second the request completes.
"""

from __future__ import annotations

import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

ENDPOINTS = ("feed", "timeline", "search", "healthz", "profile", "following", "post", "follow")
COUNTS = (
    "requests",
    "errors",
    "refused",
    "status_429",
    "status_503",
    "degraded",
    "search_unavailable",
    "answered",
    "acked",
    "ledger_refused",
    "ledger_unknown",
    "follows_acked",
    "db_degraded_reads",
    "db_degraded_refused",
    "degraded_path",
)
_PER_ENDPOINT = ("requests", "errors", "refused", "error_rate", "p99_ms")
_GAUGES = ("max_lag", "feed_hit_rate", "search_fresh", "feed_fresh")
_PATTERNS = (
    re.compile(r"^lag\.[a-z0-9-]+$"),
    re.compile(r"^node\.\d+$"),
    re.compile(rf"^({'|'.join(_PER_ENDPOINT)})\.({'|'.join(ENDPOINTS)})$"),
)
_DEFAULT_STAT = {"error_rate": "rate", "p50_ms": "p50", "p99_ms": "p99"}


def is_metric(name: str) -> bool:
    """Whether drills may name `name` in a condition or check."""
    if name in (*COUNTS, *_GAUGES, "error_rate", "p50_ms", "p99_ms"):
        return True
    return any(p.match(name) for p in _PATTERNS)


@dataclass
class EndpointStats:
    """What one endpoint's requests did within one sample."""

    requests: int = 0
    errors: int = 0
    refused: int = 0
    status_429: int = 0
    status_503: int = 0
    latencies_ms: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "errors": self.errors,
            "refused": self.refused,
            "status_429": self.status_429,
            "status_503": self.status_503,
            "p50_ms": _round(percentile(self.latencies_ms, 50)),
            "p99_ms": _round(percentile(self.latencies_ms, 99)),
        }


@dataclass
class Sample:
    """One second of the drill as the probe saw it."""

    t: float
    phase: str
    endpoints: dict[str, EndpointStats] = field(default_factory=dict)
    nodes: dict[str, int] = field(default_factory=dict)
    degraded: int = 0
    search_unavailable: int = 0
    acked: int = 0
    ledger_refused: int = 0
    ledger_unknown: int = 0
    follows_acked: int = 0
    lag: dict[str, int] | None = None
    feed_hit_rate: float | None = None
    db_degraded_reads: int = 0
    db_degraded_refused: int = 0
    search_fresh: bool | None = None
    feed_fresh: bool | None = None

    @property
    def degraded_path(self) -> int:
        return self.db_degraded_reads + self.db_degraded_refused

    def endpoint(self, name: str) -> EndpointStats:
        return self.endpoints.setdefault(name, EndpointStats())

    def total(self, attribute: str, only: str | None = None) -> int:
        chosen = [self.endpoints[only]] if only in self.endpoints else []
        stats = chosen if only else list(self.endpoints.values())
        return sum(getattr(s, attribute) for s in stats)

    def latencies(self, only: str | None = None) -> list[float]:
        if only:
            return list(self.endpoints[only].latencies_ms) if only in self.endpoints else []
        return [ms for s in self.endpoints.values() for ms in s.latencies_ms]

    def value(self, metric: str) -> float | None:
        """The metric in this one sample; None when the sample has nothing to say."""
        base, _, suffix = metric.partition(".")
        if base == "lag":
            return None if self.lag is None or suffix not in self.lag else float(self.lag[suffix])
        if base == "node":
            return float(self.nodes.get(suffix, 0))
        if metric == "max_lag":
            return None if not self.lag else float(max(self.lag.values()))
        if metric in ("search_fresh", "feed_fresh"):
            fresh = getattr(self, metric)
            return None if fresh is None else float(fresh)
        if metric == "feed_hit_rate":
            return self.feed_hit_rate
        return _endpoint_metric([self], base, suffix or None)

    def as_dict(self) -> dict[str, Any]:
        every = EndpointStats(
            requests=self.total("requests"),
            errors=self.total("errors"),
            refused=self.total("refused"),
            status_429=self.total("status_429"),
            status_503=self.total("status_503"),
            latencies_ms=self.latencies(),
        )
        return {
            "t": round(self.t, 2),
            "phase": self.phase,
            **every.as_dict(),
            "endpoints": {name: s.as_dict() for name, s in sorted(self.endpoints.items())},
            "nodes": dict(sorted(self.nodes.items())),
            "degraded": self.degraded,
            "search_unavailable": self.search_unavailable,
            "ledger": {
                "acked": self.acked,
                "refused": self.ledger_refused,
                "unknown": self.ledger_unknown,
                "follows_acked": self.follows_acked,
            },
            "consumer_lag": self.lag,
            "feed_hit_rate": _round(self.feed_hit_rate, 4),
            "db_degraded_reads": self.db_degraded_reads,
            "db_degraded_refused": self.db_degraded_refused,
            "search_fresh": self.search_fresh,
            "feed_fresh": self.feed_fresh,
        }


def aggregate(samples: Sequence[Sample], metric: str, stat: str | None = None) -> float | None:
    """The metric over several samples (a phase, a guard window): counts add up, rates and
    percentiles are computed over every request, gauges take their peak unless `stat` says."""
    if not samples:
        return None
    base, _, suffix = metric.partition(".")
    chosen = stat or _DEFAULT_STAT.get(base)
    if chosen is None:
        chosen = "sum" if base in COUNTS or base == "node" else "max"
    if chosen in ("rate", "p50", "p99") and base in ("error_rate", "p50_ms", "p99_ms"):
        return _endpoint_metric(samples, base, suffix or None)
    values = [v for v in (s.value(metric) for s in samples) if v is not None]
    if not values:
        return None
    if chosen == "sum":
        return float(sum(values))
    if chosen == "min":
        return min(values)
    if chosen == "mean":
        return statistics.fmean(values)
    if chosen == "last":
        return values[-1]
    return max(values)


def _endpoint_metric(samples: Iterable[Sample], base: str, only: str | None) -> float | None:
    samples = list(samples)
    if base in ("error_rate", "p50_ms", "p99_ms"):
        if base == "error_rate":
            requests = sum(s.total("requests", only) for s in samples)
            errors = sum(s.total("errors", only) for s in samples)
            return errors / requests if requests else None
        latencies = [ms for s in samples for ms in s.latencies(only)]
        return percentile(latencies, 50 if base == "p50_ms" else 99)
    if base in ("requests", "errors", "refused", "status_429", "status_503"):
        return float(sum(s.total(base, only) for s in samples))
    if base == "answered":
        return float(sum(sum(s.nodes.values()) for s in samples))
    return float(sum(getattr(s, base) for s in samples))


def percentile(values: Sequence[float], q: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, -(-len(ordered) * q // 100))
    return ordered[int(rank) - 1]


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)
