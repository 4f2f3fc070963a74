"""Fan-out policies compared on a generated follower graph: write cost against read cost.

A policy decides, for every follow edge (author -> follower), whether the author's
tweets are pushed into the follower's feed at write time or pulled and merged at
read time. For each policy the model reports:

- feed writes/s: feed insertions per second over all pushed edges;
- read fan-in: sources merged per feed read (the feed itself counts one, every
  pulled followee one more), as the p50 and p99 over reads, not over users;
- Redis memory: feeds of users who receive pushes (entries accumulate over the
  horizon up to the feed cap) plus a recent-tweets list for every pulled author.

Policies:

- ``push-all``: every edge is pushed; fan-in is 1.
- ``pull-all``: nothing is pushed; a read merges every followee.
- ``hybrid`` (the review's): authors below ``small_max`` followers push to everyone;
  from ``small_max`` to ``celebrity_min`` push to followers active in the window;
  above ``celebrity_min`` are pulled. Inactive users' feeds are dropped, so their
  next read rebuilds from every followee.
- ``rate``: per edge, push when the follower reads more often than
  ``rate_factor`` times the author posts.

Everything runs over whole arrays, in a single pass over the edges that serves
every policy at once. The graph's ids are sorted by follower count, so each hybrid
tier is a contiguous slice of edges: walking the slices from the celebrities down,
running per-follower sums are snapshotted at every tier boundary. Each edge also
falls into a bin by its read/post ratio, so one set of per-(follower, bin) sums
serves every rate factor. A run at 10^7 users and 2 x 10^8 follows peaks near 2.2 GiB.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from itertools import pairwise
from typing import Any

import numpy as np
import numpy.typing as npt

from chirp.core.errors import ConfigError
from chirp.infra.sizing.graph import FollowerGraph, Progress

SECONDS_PER_DAY = 86_400.0
SEED_SMALL_MAX = 1_000
SEED_CELEBRITY_MIN = 100_000
HYBRID_SWEEP = (100, 1_000, 10_000, 1_000_000)
RATE_SWEEP = (0.25, 4.0, 16.0)


class PolicyKind(StrEnum):
    """The four families of fan-out rule."""

    PUSH_ALL = "push-all"
    PULL_ALL = "pull-all"
    HYBRID = "hybrid"
    RATE = "rate"


@dataclass(frozen=True)
class Policy:
    """One fan-out rule; ``sweep`` marks the points of a threshold sweep."""

    kind: PolicyKind
    small_max: int = SEED_SMALL_MAX
    celebrity_min: int = SEED_CELEBRITY_MIN
    rate_factor: float = 1.0
    sweep: bool = False

    def __post_init__(self) -> None:
        if self.kind is PolicyKind.HYBRID and not 1 <= self.small_max <= self.celebrity_min:
            raise ConfigError(
                f"hybrid thresholds need 1 <= small_max <= celebrity_min, got "
                f"{self.small_max}/{self.celebrity_min}"
            )
        if self.kind is PolicyKind.RATE and self.rate_factor <= 0:
            raise ConfigError(f"rate factor must be > 0, got {self.rate_factor}")

    @property
    def name(self) -> str:
        if self.kind is PolicyKind.HYBRID:
            return f"hybrid {_short(self.small_max)}/{_short(self.celebrity_min)}"
        if self.kind is PolicyKind.RATE:
            return f"rate x{self.rate_factor:g}"
        return str(self.kind)


@dataclass(frozen=True)
class FanoutModel:
    """Redis sizing rules; defaults are the design review's 8-byte ids and CHIRP_FEED_MAX."""

    feed_max: int = 800
    pull_list_max: int = 100
    entry_bytes: int = 8
    horizon_days: float = 7.0


@dataclass(frozen=True)
class PolicyResult:
    """What one policy costs on one graph; rates per second, memory in bytes."""

    policy: str
    kind: str
    sweep: bool
    feed_writes_per_s: float
    fan_in_p50: int
    fan_in_p99: int
    fan_in_mean: float
    redis_bytes: float
    feeds: int
    pulled_authors: int


def standard_policies(
    small_max: int = SEED_SMALL_MAX,
    celebrity_min: int = SEED_CELEBRITY_MIN,
    rate_factor: float = 1.0,
    sweep: bool = True,
) -> list[Policy]:
    """push-all, pull-all, a hybrid, a rate policy and, with ``sweep``, their sweeps.

    The hybrid sweep moves the celebrity threshold (the push-to-all threshold
    follows it down below 1,000); the rate sweep moves the factor.
    """
    main = [
        Policy(PolicyKind.PUSH_ALL),
        Policy(PolicyKind.PULL_ALL),
        Policy(PolicyKind.HYBRID, small_max, celebrity_min),
        Policy(PolicyKind.RATE, rate_factor=rate_factor),
    ]
    if not sweep:
        return main
    extra = [Policy(PolicyKind.HYBRID, min(small_max, t), t, sweep=True) for t in HYBRID_SWEEP]
    extra += [Policy(PolicyKind.RATE, rate_factor=f, sweep=True) for f in RATE_SWEEP]
    names = {p.name for p in main}
    return main + [p for p in extra if p.name not in names]


def compare_policies(
    graph: FollowerGraph,
    policies: list[Policy],
    model: FanoutModel | None = None,
    progress: Progress | None = None,
) -> list[PolicyResult]:
    """Evaluate every policy on ``graph``; results come back in the order given."""
    model = model or FanoutModel()
    report = progress or (lambda _stage: None)
    report("edge sums")
    sums = _EdgeSums.build(graph, policies)
    report("policies")
    return [_evaluate(p, graph, sums, model) for p in policies]


@dataclass
class _EdgeSums:
    """Per-user sums over followees that every policy is evaluated from, in one edge pass.

    ``count_from[a]`` / ``in_rate_from[a]``: followees with id >= ``a`` (so with at
    least that author's follower count) and their summed posts per day; kept for
    every hybrid tier boundary. ``pulled_count[j]`` / ``pulled_in_rate[j]``: the
    same over followees pulled under ``factors[j]`` of the rate policy.
    """

    count_from: dict[int, np.ndarray]
    in_rate_from: dict[int, np.ndarray]
    active_followers: np.ndarray
    factors: list[float]
    pulled_count: list[np.ndarray]
    pulled_in_rate: list[np.ndarray]
    pushed_per_day: list[float]
    min_ratio: np.ndarray

    @classmethod
    def build(cls, graph: FollowerGraph, policies: list[Policy]) -> _EdgeSums:
        factors = sorted({p.rate_factor for p in policies if p.kind is PolicyKind.RATE})
        hybrids = [p for p in policies if p.kind is PolicyKind.HYBRID]
        kept = {0} | {graph.first_author_with_more_than(p.celebrity_min) for p in hybrids}
        first_middle = min(
            (graph.first_author_with_at_least(p.small_max) for p in hybrids), default=graph.users
        )
        acc = _BinnedAccumulator(graph, np.asarray(factors, dtype=np.float32))
        count_from: dict[int, np.ndarray] = {}
        in_rate_from: dict[int, np.ndarray] = {}
        active_followers = np.zeros(graph.users, dtype=np.float32)
        cuts = [*sorted(kept | {first_middle}), graph.users]
        # Walk the tiers from the celebrities down, snapshotting the running sums.
        for lo, hi in reversed(list(pairwise(cuts))):
            for a0, a1 in graph.edge_chunks(lo, hi):
                followers = acc.add(a0, a1)
                if a0 >= first_middle:
                    lengths = graph.follower_counts[a0:a1]
                    active_followers[a0:a1] = _segment_sum(graph.active[followers], lengths)
            if lo in kept:
                count_from[lo], in_rate_from[lo] = acc.totals()
        pulled_count, pulled_in_rate = acc.cumulative_bins(len(factors))
        posts_per_bin = acc.in_rate.reshape(graph.users, -1).sum(axis=0, dtype=np.float64)
        pushed = [float(posts_per_bin[j + 1 :].sum()) for j in range(len(factors))]
        return cls(
            count_from,
            in_rate_from,
            active_followers,
            factors,
            pulled_count,
            pulled_in_rate,
            pushed,
            acc.min_ratio,
        )


class _BinnedAccumulator:
    """Per (follower, rate bin) edge counts and post rates, added a slice of authors at a time.

    Bin ``j`` holds edges whose read/post ratio lies in ``(factors[j-1], factors[j]]``;
    the last bin holds edges pushed under every factor.
    """

    def __init__(self, graph: FollowerGraph, factors: np.ndarray) -> None:
        self.graph = graph
        self.factors = factors
        self.bins = len(factors) + 1
        size = graph.users * self.bins
        # float32/int32 halve the footprint at 10^7 users; counts stay exact below 2^31.
        self.count = np.zeros(size, dtype=np.int32)
        self.in_rate = np.zeros(size, dtype=np.float32)
        self.min_ratio = np.full(graph.users, np.inf, dtype=np.float32)
        self._key_type: type[np.signedinteger[Any]] = np.int32 if size < 2**31 else np.int64

    def add(self, a0: int, a1: int) -> np.ndarray:
        """Add the edges of authors ``[a0, a1)``; return their followers."""
        followers, posts = _edges(self.graph, a0, a1)
        key: npt.NDArray[np.signedinteger[Any]] = followers.astype(self._key_type, copy=False)
        if self.bins > 1:
            ratio = self.graph.read_rate[followers] / posts
            self.min_ratio[a0:a1] = _segment_min(ratio, self.graph.follower_counts[a0:a1])
            # The bin is how many factors the ratio exceeds: cheaper than a search.
            which = np.zeros(len(ratio), dtype=np.int8)
            for factor in self.factors:
                which += ratio > factor
            key = np.multiply(key, self.bins, dtype=self._key_type)
            key += which
        # Unbuffered adds into the accumulators: no accumulator-sized temporary per slice.
        np.add.at(self.count, key, np.ones(len(key), dtype=np.int32))
        np.add.at(self.in_rate, key, posts)
        return followers

    def totals(self) -> tuple[np.ndarray, np.ndarray]:
        """Per-user sums over every bin so far, as float32."""
        shape = (self.graph.users, self.bins)
        return (
            self.count.reshape(shape).sum(axis=1).astype(np.float32),
            self.in_rate.reshape(shape).sum(axis=1, dtype=np.float32),
        )

    def cumulative_bins(self, upto: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
        """Per-user sums over bins ``0..j`` for each ``j < upto``: what factor j pulls."""
        count_bins = self.count.reshape(self.graph.users, self.bins)
        rate_bins = self.in_rate.reshape(self.graph.users, self.bins)
        counts, rates = [], []
        count = np.zeros(self.graph.users, dtype=np.float32)
        rate = np.zeros(self.graph.users, dtype=np.float32)
        for j in range(upto):
            count = np.add(count, count_bins[:, j], dtype=np.float32)
            rate = np.add(rate, rate_bins[:, j], dtype=np.float32)
            counts.append(count)
            rates.append(rate)
        return counts, rates


def _evaluate(
    policy: Policy,
    graph: FollowerGraph,
    sums: _EdgeSums,
    model: FanoutModel,
) -> PolicyResult:
    counts = graph.follower_counts
    followees = sums.count_from[0]
    all_in = sums.in_rate_from[0]
    if policy.kind is PolicyKind.PUSH_ALL:
        pushed_per_day = float(np.dot(graph.post_rate, counts))
        fan_in = np.ones(graph.users, dtype=np.int64)
        feed_in, feed_edges = all_in, followees
        pulled_authors = np.zeros(graph.users, dtype=bool)
    elif policy.kind is PolicyKind.PULL_ALL:
        pushed_per_day = 0.0
        fan_in = followees.astype(np.int64)
        feed_in = feed_edges = np.zeros(graph.users, dtype=np.float32)
        pulled_authors = counts > 0
    elif policy.kind is PolicyKind.HYBRID:
        small = graph.first_author_with_at_least(policy.small_max)
        celeb = graph.first_author_with_more_than(policy.celebrity_min)
        pushed_per_day = float(
            np.dot(graph.post_rate[:small], counts[:small])
            + np.dot(graph.post_rate[small:celeb], sums.active_followers[small:celeb])
        )
        # Active readers merge the pulled celebrities; inactive ones rebuild from all.
        fan_in = np.where(graph.active, 1 + sums.count_from[celeb], followees).astype(np.int64)
        feed_in = np.where(graph.active, all_in - sums.in_rate_from[celeb], 0.0)
        feed_edges = np.where(graph.active, followees - sums.count_from[celeb], 0.0)
        pulled_authors = np.arange(graph.users) >= celeb
    else:
        j = sums.factors.index(policy.rate_factor)
        pushed_per_day = sums.pushed_per_day[j]
        fan_in = (1 + sums.pulled_count[j]).astype(np.int64)
        feed_in = np.maximum(all_in - sums.pulled_in_rate[j], 0.0)
        feed_edges = followees - sums.pulled_count[j]
        pulled_authors = sums.min_ratio <= policy.rate_factor
    p50, p99 = weighted_quantiles(fan_in, graph.read_rate, (0.50, 0.99))
    # Edge counts are exact in float32; post-rate sums are not, so feeds are found by count.
    has_feed = feed_edges > 0
    feed_entries = np.minimum(model.feed_max, feed_in[has_feed] * model.horizon_days)
    list_entries = np.minimum(model.pull_list_max, graph.post_rate * model.horizon_days)
    entries = float(feed_entries.sum()) + float(list_entries[pulled_authors].sum())
    return PolicyResult(
        policy=policy.name,
        kind=str(policy.kind),
        sweep=policy.sweep,
        feed_writes_per_s=pushed_per_day / SECONDS_PER_DAY,
        fan_in_p50=p50,
        fan_in_p99=p99,
        fan_in_mean=float(np.average(fan_in, weights=graph.read_rate)),
        redis_bytes=entries * model.entry_bytes,
        feeds=int(np.count_nonzero(has_feed)),
        pulled_authors=int(np.count_nonzero(pulled_authors)),
    )


def weighted_quantiles(
    values: np.ndarray, weights: np.ndarray, quantiles: tuple[float, ...]
) -> list[int]:
    """Quantiles of non-negative integer ``values`` where each counts ``weights`` times."""
    mass = np.cumsum(np.bincount(values, weights=weights))
    if mass[-1] <= 0:
        return [0 for _ in quantiles]
    return [int(np.searchsorted(mass, q * mass[-1], side="left")) for q in quantiles]


def _edges(graph: FollowerGraph, a0: int, a1: int) -> tuple[np.ndarray, np.ndarray]:
    """Followers of authors ``[a0, a1)`` and, edge by edge, the author's posts per day."""
    e0, e1 = int(graph.indptr[a0]), int(graph.indptr[a1])
    posts = np.repeat(graph.post_rate[a0:a1], graph.follower_counts[a0:a1])
    return graph.followers[e0:e1], posts


def _segment_sum(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    totals = np.concatenate(([0], np.cumsum(values, dtype=np.int64)))
    ends = np.cumsum(lengths)
    return (totals[ends] - totals[ends - lengths]).astype(np.float32)


def _segment_min(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    out = np.full(len(lengths), np.inf, dtype=np.float32)
    nonempty = lengths > 0
    if values.size:
        starts = (np.cumsum(lengths) - lengths)[nonempty]
        out[nonempty] = np.minimum.reduceat(values, starts)
    return out


def _short(n: int) -> str:
    for size, suffix in ((1_000_000, "M"), (1_000, "K")):
        if n >= size and n % size == 0:
            return f"{n // size}{suffix}"
    return str(n)
