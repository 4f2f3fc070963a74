"""Full-precision latency percentiles with HDR histograms (microsecond values, 3 digits).

Locust's own percentiles come from rounded buckets (2 significant digits above 100 ms);
these are exact to 0.1 % from 1 µs to an hour, mergeable across processes, and cheap.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from functools import lru_cache

import numpy as np
from hdrh.histogram import HdrHistogram

LOWEST_US = 1
HIGHEST_US = 3_600_000_000
DIGITS = 3
# Timeline buckets only feed plots: two digits keep hundreds of them small.
COARSE_DIGITS = 2
SPECTRUM = (0.0, 50.0, 75.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99, 100.0)


def min_samples(percentile: float) -> int:
    """Samples a percentile needs before it means anything: 10 / (1 - q), so p50 needs 20,
    p99 1,000 and p99.9 10,000 (ten samples beyond it, not one outlier)."""
    if not 0 <= percentile < 100:
        raise ValueError(f"a percentile is in [0, 100), got {percentile}")
    return math.ceil(round(10 / (1 - percentile / 100), 6))


def enough_samples(percentile: float, count: int) -> bool:
    return count >= min_samples(percentile)


def new_histogram(*, coarse: bool = False) -> HdrHistogram:
    if coarse:
        return HdrHistogram(LOWEST_US, HIGHEST_US, COARSE_DIGITS, word_size=4)
    return HdrHistogram(LOWEST_US, HIGHEST_US, DIGITS)


def record_ms(histogram: HdrHistogram, milliseconds: float) -> None:
    """Record one latency; values beyond the trackable range are clamped, never lost."""
    micros = round(milliseconds * 1000)
    histogram.record_value(min(max(micros, LOWEST_US), HIGHEST_US))


@dataclass(frozen=True)
class _Ladder:
    """Per counts index: the lowest, highest and median value it stands for."""

    lowest: np.ndarray
    highest: np.ndarray
    median: np.ndarray


@lru_cache(maxsize=4)
def _ladder(lowest: int, highest: int, digits: int) -> _Ladder:
    # hdrh walks its counts in Python (half a second per percentile on a full histogram,
    # which would stall every greenlet of a load run); this computes the same answers
    # with numpy from a table built once per histogram layout.
    probe = HdrHistogram(lowest, highest, digits)
    values = [probe.get_value_from_index(i) for i in range(probe.counts_len)]
    low = np.array([probe.get_lowest_equivalent_value(v) for v in values], dtype=np.int64)
    high = np.array([probe.get_highest_equivalent_value(v) for v in values], dtype=np.int64)
    return _Ladder(low, high, low + (high - low + 1) // 2)


def warm_up() -> None:
    """Build the lookup tables now, not in the middle of a run's first live refresh."""
    for histogram in (new_histogram(), new_histogram(coarse=True)):
        _layout(histogram)


def _layout(histogram: HdrHistogram) -> _Ladder:
    return _ladder(
        histogram.lowest_trackable_value,
        histogram.highest_trackable_value,
        histogram.significant_figures,
    )


def values_at(histogram: HdrHistogram, percentiles_: list[float]) -> list[int]:
    """Microseconds at each percentile, exactly as `HdrHistogram.get_value_at_percentile`."""
    counts = np.ctypeslib.as_array(histogram.counts)
    cumulative = np.cumsum(counts, dtype=np.int64)
    total = int(cumulative[-1]) if len(cumulative) else 0
    if total == 0:
        return [0 for _ in percentiles_]
    ladder = _layout(histogram)
    answers = []
    for percentile in percentiles_:
        target = max(int(min(percentile, 100.0) * total / 100 + 0.5), 1)
        index = int(np.searchsorted(cumulative, target, side="left"))
        answers.append(int(ladder.highest[index] if percentile else ladder.lowest[index]))
    return answers


def mean_us(histogram: HdrHistogram) -> float:
    counts = np.ctypeslib.as_array(histogram.counts)
    total = int(counts.sum())
    if total == 0:
        return 0.0
    return float(np.dot(counts.astype(np.float64), _layout(histogram).median) / total)


def value_ms(histogram: HdrHistogram, percentile: float) -> float:
    return round(values_at(histogram, [percentile])[0] / 1000, 3)


@dataclass(frozen=True)
class Percentiles:
    """Latency figures in milliseconds."""

    count: int
    p50: float
    p95: float
    p99: float
    p999: float
    max: float
    mean: float

    def as_dict(self) -> dict[str, float | int]:
        return asdict(self)


def percentiles(histogram: HdrHistogram) -> Percentiles | None:
    """The headline percentiles, or None when nothing was recorded."""
    count = histogram.get_total_count()
    if count == 0:
        return None
    p50, p95, p99, p999 = (round(v / 1000, 3) for v in values_at(histogram, [50, 95, 99, 99.9]))
    return Percentiles(
        count=count,
        p50=p50,
        p95=p95,
        p99=p99,
        p999=p999,
        max=round(histogram.get_max_value() / 1000, 3),
        mean=round(mean_us(histogram) / 1000, 3),
    )


def spectrum(histogram: HdrHistogram) -> list[list[float]]:
    """[percentile, ms] pairs for a percentile-spectrum plot; empty when nothing recorded."""
    if histogram.get_total_count() == 0:
        return []
    values = values_at(histogram, list(SPECTRUM))
    return [[p, round(v / 1000, 3)] for p, v in zip(SPECTRUM, values, strict=True)]


def encode(histogram: HdrHistogram) -> str:
    """A compact text form another process can `merge_encoded` back."""
    encoded = histogram.encode()
    return encoded.decode("ascii") if isinstance(encoded, bytes) else str(encoded)


def merge_encoded(histogram: HdrHistogram, encoded: str) -> None:
    histogram.decode_and_add(encoded)
