"""How many followers an account has: a truncated power law shared by every sizing model.

Follower counts follow a continuous Pareto law on ``[x_min, max_followers]`` with
density proportional to ``x ** -exponent``. People think in mean followers, not in
``x_min``, so the distribution is given by its exponent and its mean and ``x_min``
is solved for. The capacity model uses the closed-form moments below; the fan-out
model samples counts from the same law, so both commands describe the same world.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from chirp.core.errors import ConfigError

_BISECTION_STEPS = 200


@dataclass(frozen=True)
class FollowerDistribution:
    """A power law of follower counts with a given exponent and mean, capped at a maximum."""

    exponent: float = 2.2
    mean: float = 200.0
    max_followers: float = 100_000_000.0

    def __post_init__(self) -> None:
        if not 1.0 < self.exponent < 10.0:
            raise ConfigError(f"follower exponent must be in (1, 10), got {self.exponent}")
        if not 0.0 < self.mean < self.max_followers / 2:
            raise ConfigError(
                f"mean followers must be in (0, max_followers/2 = {self.max_followers / 2:g}),"
                f" got {self.mean}"
            )

    @property
    def x_min(self) -> float:
        """The smallest follower count of the law, solved so that its mean is ``mean``."""
        return _solve_x_min(self.exponent, self.mean, self.max_followers)

    def edges_share_above(self, threshold: float) -> float:
        """Share of all follow edges that point at accounts with more than ``threshold``."""
        return self.partial_mean(threshold, self.max_followers) / self.mean

    def partial_mean(self, low: float, high: float) -> float:
        """E[X; low < X <= high]: the mean number of followers contributed by that band."""
        return _partial_mean(self.exponent, self.x_min, self.max_followers, low, high)

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """Draw ``size`` integer follower counts (int64), by inverse transform."""
        a = 1.0 - self.exponent
        x0, x1 = self.x_min, self.max_followers
        u = rng.random(size)
        x = (x0**a - u * (x0**a - x1**a)) ** (1.0 / a)
        return np.rint(x).astype(np.int64)


def _partial_mean(exponent: float, x0: float, x1: float, low: float, high: float) -> float:
    lo, hi = max(low, x0), min(high, x1)
    if hi <= lo:
        return 0.0
    a = 1.0 - exponent
    norm = (exponent - 1.0) / (x0**a - x1**a)
    if math.isclose(exponent, 2.0):
        return norm * math.log(hi / lo)
    b = 2.0 - exponent
    return norm * (hi**b - lo**b) / b


def _solve_x_min(exponent: float, mean: float, x1: float) -> float:
    # The mean grows monotonically with x_min, so bisect on a log scale.
    lo, hi = 1e-9, mean
    for _ in range(_BISECTION_STEPS):
        mid = math.sqrt(lo * hi)
        if _partial_mean(exponent, mid, x1, mid, x1) < mean:
            lo = mid
        else:
            hi = mid
        if hi / lo < 1.0 + 1e-12:
            break
    return math.sqrt(lo * hi)
