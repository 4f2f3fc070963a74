"""What every request did, per endpoint and over time; mergeable across generator processes.

Each generator process records into its own `Recorder`; workers `drain()` theirs every
second and the master `merge()`s, so the master ends up with exactly what one process
would have recorded. Latency counts successful requests only; errors and 429s are counted.

With a warm-up, requests started before `judged_from` go to `warmup` instead of
`endpoints`, so the verdicts (taken from `endpoints`) never see the first seconds' spikes;
the timeline keeps every request.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from hdrh.histogram import HdrHistogram

from chirp.loadtests.latency import encode, merge_encoded, new_histogram, record_ms

_MAX_ERROR_KINDS = 20


class RateLimited(Exception):
    """A 429: the stack refused on purpose (rate limit or fan-out backpressure)."""


class UnexpectedStatus(Exception):
    """An answer with a status the journey did not expect."""


class Outcome(StrEnum):
    ok = "ok"
    error = "error"
    rate_limited = "rate_limited"  # 429: rate limit or backpressure, policy rather than fault


@dataclass
class Counts:
    requests: int = 0
    ok: int = 0
    errors: int = 0
    rate_limited: int = 0

    def add(self, outcome: Outcome, times: int = 1) -> None:
        self.requests += times
        if outcome is Outcome.ok:
            self.ok += times
        elif outcome is Outcome.error:
            self.errors += times
        else:
            self.rate_limited += times

    def merge(self, other: dict[str, int]) -> None:
        self.requests += other["requests"]
        self.ok += other["ok"]
        self.errors += other["errors"]
        self.rate_limited += other["rate_limited"]

    def as_dict(self) -> dict[str, int]:
        return {
            "requests": self.requests,
            "ok": self.ok,
            "errors": self.errors,
            "rate_limited": self.rate_limited,
        }


@dataclass
class EndpointStats:
    """One endpoint's counts and two latency histograms.

    `service` is the time the request itself took; `corrected` adds how late it started
    against its intended start (open model), so a stalled stack cannot hide its stall.
    """

    name: str
    counts: Counts = field(default_factory=Counts)
    service: HdrHistogram = field(default_factory=new_histogram)
    corrected: HdrHistogram = field(default_factory=new_histogram)
    error_kinds: Counter[str] = field(default_factory=Counter)


@dataclass
class Bucket:
    """One timeline bucket of one endpoint: counts and a coarse corrected-latency histogram."""

    counts: Counts = field(default_factory=Counts)
    latency: HdrHistogram = field(default_factory=lambda: new_histogram(coarse=True))


class Recorder:
    """Per-endpoint totals and a timeline in buckets of `bucket_s` seconds of wall time.

    `endpoints` holds what started at or after `judged_from` (a wall-clock time; None:
    everything), `warmup` what started before it.
    """

    def __init__(self, bucket_s: float = 1.0, judged_from: float | None = None) -> None:
        self.bucket_s = bucket_s
        self.judged_from = judged_from
        self.endpoints: dict[str, EndpointStats] = {}
        self.warmup: dict[str, EndpointStats] = {}
        self.timeline: dict[tuple[int, str], Bucket] = {}

    def record(
        self,
        name: str,
        outcome: Outcome,
        service_ms: float,
        *,
        late_ms: float = 0.0,
        when: float,
        error_kind: str | None = None,
    ) -> None:
        """One finished request; `when` is its wall-clock start (time.time())."""
        warming = self.judged_from is not None and when < self.judged_from
        stats = _stats(self.warmup if warming else self.endpoints, name)
        stats.counts.add(outcome)
        bucket = self._bucket(when, name)
        bucket.counts.add(outcome)
        if outcome is Outcome.ok:
            record_ms(stats.service, service_ms)
            record_ms(stats.corrected, service_ms + late_ms)
            record_ms(bucket.latency, service_ms + late_ms)
        elif (
            outcome is Outcome.error
            and error_kind
            and (error_kind in stats.error_kinds or len(stats.error_kinds) < _MAX_ERROR_KINDS)
        ):
            stats.error_kinds[error_kind] += 1

    def drain(self) -> dict[str, Any]:
        """Everything recorded since the last drain, as plain data; this recorder starts over."""
        delta = {
            "endpoints": _encode_all(self.endpoints),
            "warmup": _encode_all(self.warmup),
            "timeline": [
                [index, name, b.counts.as_dict(), encode(b.latency)]
                for (index, name), b in self.timeline.items()
            ],
        }
        self.endpoints = {}
        self.warmup = {}
        self.timeline = {}
        return delta

    def merge(self, delta: dict[str, Any]) -> None:
        """Add another recorder's `drain()`."""
        for key, into in (("endpoints", self.endpoints), ("warmup", self.warmup)):
            for name, data in delta.get(key, {}).items():
                stats = _stats(into, name)
                stats.counts.merge(data)
                merge_encoded(stats.service, data["service"])
                merge_encoded(stats.corrected, data["corrected"])
                stats.error_kinds.update(data["error_kinds"])
        for index, name, counts, latency in delta["timeline"]:
            bucket = self.timeline.setdefault((int(index), name), Bucket())
            bucket.counts.merge(counts)
            merge_encoded(bucket.latency, latency)

    def totals(self) -> Counts:
        """Every request, warm-up included."""
        return _sum_counts([*self.endpoints.values(), *self.warmup.values()])

    def judged_totals(self) -> Counts:
        """The requests the verdicts judge: those after the warm-up."""
        return _sum_counts(list(self.endpoints.values()))

    def warmup_totals(self) -> Counts:
        return _sum_counts(list(self.warmup.values()))

    def live(self) -> dict[str, EndpointStats]:
        """Per endpoint, what a live view shows: the judged figures once there are any,
        the warm-up's until then."""
        return {**self.warmup, **self.endpoints}

    def requests_by_endpoint(self) -> dict[str, int]:
        """Requests so far per endpoint, warm-up included."""
        counted: Counter[str] = Counter()
        for stats in (*self.warmup.values(), *self.endpoints.values()):
            counted[stats.name] += stats.counts.requests
        return dict(counted)

    def _bucket(self, when: float, name: str) -> Bucket:
        key = (math.floor(when / self.bucket_s), name)
        bucket = self.timeline.get(key)
        if bucket is None:
            bucket = self.timeline[key] = Bucket()
        return bucket


def _stats(into: dict[str, EndpointStats], name: str) -> EndpointStats:
    stats = into.get(name)
    if stats is None:
        stats = into[name] = EndpointStats(name)
    return stats


def _encode_all(stats: dict[str, EndpointStats]) -> dict[str, Any]:
    return {
        name: {
            **s.counts.as_dict(),
            "service": encode(s.service),
            "corrected": encode(s.corrected),
            "error_kinds": dict(s.error_kinds),
        }
        for name, s in stats.items()
    }


def _sum_counts(stats: list[EndpointStats]) -> Counts:
    total = Counts()
    for one in stats:
        total.merge(one.counts.as_dict())
    return total


def bucket_seconds(duration_s: float, max_buckets: int = 300) -> float:
    """Timeline resolution: 1 s, coarser for long runs so a soak keeps ~`max_buckets` points."""
    return float(max(1, math.ceil(duration_s / max_buckets)))
