"""A generated follower graph in CSR form, with per-user posting and reading rates.

Layout: user ids are ordered by follower count, smallest first, so every
follower-count tier (small, middle, celebrity) is one contiguous id range and its
follow edges one contiguous slice of ``followers``. The followers of user ``a``
are ``followers[indptr[a]:indptr[a + 1]]``.

How it is drawn, all vectorized:

- follower counts from :class:`FollowerDistribution` (a truncated power law);
- who follows: each edge picks its follower with probability proportional to a
  log-normal "follow appetite", so following counts are skewed too. The picks use
  a ticket table (each user holds tickets in proportion to appetite) instead of a
  per-edge binary search. This is a configuration model: an account may
  occasionally follow itself or appear twice in one follower list; both are rare
  and left in, since they change no aggregate the models report;
- posting and reading rates per day, log-normal around their means, with a
  dormant share of users who read and post almost never;
- active: read at least once in the activity window (design review: 7 days), drawn from the
  user's read rate as a Poisson process.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from chirp.core.errors import ConfigError
from chirp.infra.sizing.followers import FollowerDistribution

Progress = Callable[[str], None]
"""Called with the name of each stage as it starts."""

MIN_USERS = 100
MAX_USERS = 50_000_000
MAX_EXPECTED_FOLLOWS = 1_000_000_000
_TICKETS_PER_USER = 4
_EDGE_CHUNK = 1 << 23


@dataclass(frozen=True)
class GraphSpec:
    """What to generate: size, follower law, and per-user activity."""

    users: int = 100_000
    followers: FollowerDistribution = field(
        default_factory=lambda: FollowerDistribution(exponent=2.2, mean=20.0)
    )
    following_sigma: float = 1.0
    posts_per_day: float = 5.0
    post_sigma: float = 1.0
    reads_per_day: float = 50.0
    read_sigma: float = 1.0
    dormant_fraction: float = 0.2
    dormant_rate_per_day: float = 0.05
    activity_window_days: float = 7.0
    seed: int = 7

    def __post_init__(self) -> None:
        if not MIN_USERS <= self.users <= MAX_USERS:
            raise ConfigError(f"users must be in [{MIN_USERS}, {MAX_USERS}], got {self.users}")
        _capped_law(self)  # a mean the graph cannot hold fails here, not halfway through
        if self.users * self.followers.mean > MAX_EXPECTED_FOLLOWS:
            raise ConfigError(
                f"{self.users:,} users x {self.followers.mean:g} followers is more than "
                f"{MAX_EXPECTED_FOLLOWS:,} follows; use fewer users or a smaller mean"
            )
        if not 0.0 <= self.dormant_fraction < 1.0:
            raise ConfigError(f"dormant fraction must be in [0, 1), got {self.dormant_fraction}")
        for name in ("posts_per_day", "reads_per_day", "activity_window_days"):
            if getattr(self, name) <= 0:
                raise ConfigError(f"{name.replace('_', ' ')} must be > 0")


@dataclass(frozen=True)
class FollowerGraph:
    """Author-major CSR follow graph plus the per-user figures the policies read."""

    indptr: np.ndarray
    follower_counts: np.ndarray
    followers: np.ndarray
    post_rate: np.ndarray
    read_rate: np.ndarray
    active: np.ndarray

    @property
    def users(self) -> int:
        return len(self.indptr) - 1

    @property
    def edges(self) -> int:
        return len(self.followers)

    def summary(self) -> dict[str, float]:
        """Size and daily activity of the graph, JSON-ready."""
        return {
            "users": self.users,
            "edges": self.edges,
            "mean_followers": self.edges / self.users,
            "max_followers": int(self.follower_counts[-1]),
            "posts_per_s": float(self.post_rate.sum()) / 86_400,
            "reads_per_s": float(self.read_rate.sum()) / 86_400,
            "active_share": float(self.active.mean()),
        }

    def first_author_with_more_than(self, count: float) -> int:
        """Smallest user id whose follower count exceeds ``count`` (ids are sorted by it)."""
        return int(np.searchsorted(self.follower_counts, count, side="right"))

    def first_author_with_at_least(self, count: float) -> int:
        """Smallest user id whose follower count is at least ``count``."""
        return int(np.searchsorted(self.follower_counts, count, side="left"))

    def edge_chunks(self, start: int = 0, stop: int | None = None) -> list[tuple[int, int]]:
        """Author ranges ``[a0, a1)`` over ``[start, stop)`` holding about 8M edges each."""
        stop = self.users if stop is None else stop
        if stop <= start:
            return []
        lo, hi = int(self.indptr[start]), int(self.indptr[stop])
        targets = np.arange(lo + _EDGE_CHUNK, hi, _EDGE_CHUNK)
        cuts = np.searchsorted(self.indptr, targets, side="left").clip(start + 1, stop)
        bounds = np.unique(np.concatenate(([start], cuts, [stop])))
        return [(int(a), int(b)) for a, b in pairwise(bounds)]


def generate_graph(spec: GraphSpec, progress: Progress | None = None) -> FollowerGraph:
    """Draw a follower graph and user activity as ``spec`` describes."""
    report = progress or (lambda _stage: None)
    rng = np.random.default_rng(spec.seed)
    report("follower counts")
    indptr = _follower_counts(spec, rng)
    report("follow edges")
    followers = _pick_followers(spec, rng, int(indptr[-1]))
    report("activity")
    post_rate, read_rate = _rates(spec, rng)
    window = spec.activity_window_days
    active = rng.random(spec.users, dtype=np.float32) < -np.expm1(-read_rate * window)
    return FollowerGraph(indptr, np.diff(indptr), followers, post_rate, read_rate, active)


def _capped_law(spec: GraphSpec) -> FollowerDistribution:
    """The follower law with nobody followed by more than everyone else."""
    law = spec.followers
    return FollowerDistribution(law.exponent, law.mean, min(law.max_followers, spec.users - 1))


def _follower_counts(spec: GraphSpec, rng: np.random.Generator) -> np.ndarray:
    counts = np.sort(_capped_law(spec).sample(rng, spec.users))
    indptr = np.zeros(spec.users + 1, dtype=np.int64)
    np.cumsum(counts, out=indptr[1:])
    return indptr


def _pick_followers(spec: GraphSpec, rng: np.random.Generator, edges: int) -> np.ndarray:
    appetite = rng.lognormal(-(spec.following_sigma**2) / 2, spec.following_sigma, spec.users)
    expected = appetite * (_TICKETS_PER_USER * spec.users / appetite.sum())
    # Stochastic rounding keeps each user's expected ticket count exact.
    tickets = np.floor(expected + rng.random(spec.users)).astype(np.int64)
    table = np.repeat(np.arange(spec.users, dtype=np.int32), tickets)
    followers = np.empty(edges, dtype=np.int32)
    for lo in range(0, edges, _EDGE_CHUNK):
        hi = min(lo + _EDGE_CHUNK, edges)
        followers[lo:hi] = table[rng.integers(0, len(table), hi - lo, dtype=np.int32)]
    return followers


def _rates(spec: GraphSpec, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    post = _lognormal_with_mean(rng, spec.posts_per_day, spec.post_sigma, spec.users)
    read = _lognormal_with_mean(rng, spec.reads_per_day, spec.read_sigma, spec.users)
    dormant = rng.random(spec.users) < spec.dormant_fraction
    post[dormant] = spec.dormant_rate_per_day
    read[dormant] = spec.dormant_rate_per_day
    return post, read


def _lognormal_with_mean(
    rng: np.random.Generator, mean: float, sigma: float, size: int
) -> np.ndarray:
    return rng.lognormal(np.log(mean) - sigma**2 / 2, sigma, size).astype(np.float32)
