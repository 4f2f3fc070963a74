"""Zipf-skewed picks: rank 1 acts most, rank n least, like real users' activity."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Generic, TypeVar

import numpy as np

T = TypeVar("T")

_BATCH = 4096


def zipf_weights(n: int, exponent: float) -> np.ndarray:
    """Probabilities of ranks 1..n under a Zipf law truncated at n (exponent 0 is uniform)."""
    if n < 1:
        raise ValueError("need at least one item to pick from")
    if exponent < 0:
        raise ValueError("the Zipf exponent must be >= 0")
    weights = np.arange(1, n + 1, dtype=np.float64) ** -exponent
    return weights / weights.sum()


class ZipfPicker(Generic[T]):
    """Picks items ranked by position in `items`, with probability proportional to 1/rank^s.

    numpy's own `zipf` is unbounded (exponent > 1 only); a finite population needs the
    truncated law, so picks are drawn in batches from explicit probabilities.
    """

    def __init__(self, items: Sequence[T], exponent: float, seed: int | None = None) -> None:
        self._items = list(items)
        self._p = zipf_weights(len(self._items), exponent)
        self._rng = np.random.default_rng(seed)
        self._batch: list[int] = []

    def __len__(self) -> int:
        return len(self._items)

    def pick(self) -> T:
        if not self._batch:
            self._batch = self._rng.choice(len(self._items), size=_BATCH, p=self._p).tolist()
        return self._items[self._batch.pop()]

    def probability(self, rank: int) -> float:
        """Chance of the item at 1-based `rank`."""
        return float(self._p[rank - 1])
