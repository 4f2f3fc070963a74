"""Counter growth and histogram quantiles, computed the way PromQL computes `increase` and
`histogram_quantile`: counters restart at zero with their process, and a quantile is
interpolated linearly inside the bucket that holds its rank."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping


def counter_increase(before: float | None, after: float) -> float:
    """How much a counter grew between two readings. `before` None: the series is new, so
    all of `after` is growth; a reading lower than the one before means the process
    restarted, and the new reading is all the growth since."""
    if before is None or after < before:
        return after
    return after - before


def counter_growth(readings: Iterable[float | None]) -> float | None:
    """How much a counter grew over readings oldest first, through restarts; a None is a
    scrape that got no answer. None with fewer than two readings."""
    seen = [r for r in readings if r is not None]
    if len(seen) < 2:
        return None
    return sum(counter_increase(a, b) for a, b in itertools.pairwise(seen))


def bucket_increase(start: Mapping[float, float], end: Mapping[float, float]) -> dict[float, float]:
    """Each bucket's growth between two readings of one histogram (`increase(x_bucket)`)."""
    return {le: counter_increase(start.get(le), count) for le, count in end.items()}


def histogram_quantile(q: float, buckets: Mapping[float, float]) -> float | None:
    """The q-quantile (0 ≤ q ≤ 1) of cumulative bucket counts {upper bound: count}, as
    PromQL's histogram_quantile answers it; None where PromQL answers NaN.

    Counts are made monotonic first (a bucket never holds less than the one below it).
    The rank q * observations is found in the first bucket whose count reaches it and
    interpolated linearly inside it, the lowest bucket starting at 0 (unless its bound is
    not above 0, which then is the answer). A rank in the +Inf bucket answers the highest
    finite bound. NaN: no +Inf bucket, fewer than two buckets, or nothing observed.
    """
    if not 0.0 <= q <= 1.0:
        raise ValueError(f"a quantile lies in [0, 1], not {q}")
    bounds = sorted(buckets)
    if len(bounds) < 2 or not math.isinf(bounds[-1]):
        return None
    counts = list(itertools.accumulate((buckets[b] for b in bounds), max))
    observed = counts[-1]
    if observed <= 0:
        return None
    rank = q * observed
    index = next((i for i, n in enumerate(counts[:-1]) if n >= rank), len(counts) - 1)
    if index == len(counts) - 1:
        return bounds[-2]
    if index == 0 and bounds[0] <= 0:
        return bounds[0]
    start, below = (bounds[index - 1], counts[index - 1]) if index > 0 else (0.0, 0.0)
    inside = counts[index] - below
    if inside <= 0:
        return None  # only q = 0 over an empty lowest bucket: PromQL divides 0 by 0
    return start + (bounds[index] - start) * (rank - below) / inside
