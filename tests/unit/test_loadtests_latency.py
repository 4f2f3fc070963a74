"""HDR percentile math: exact to the histogram's precision, mergeable across processes."""

from __future__ import annotations

import random

import pytest

from chirp.loadtests.latency import (
    encode,
    mean_us,
    merge_encoded,
    new_histogram,
    percentiles,
    record_ms,
    spectrum,
    values_at,
)


def filled(values_ms):
    histogram = new_histogram()
    for value in values_ms:
        record_ms(histogram, value)
    return histogram


def test_percentiles_of_one_to_a_thousand_ms():
    figures = percentiles(filled(range(1, 1001)))
    assert figures is not None
    assert figures.count == 1000
    # three significant digits: within 0.1 % of the exact order statistic
    assert figures.p50 == pytest.approx(500, rel=1e-3)
    assert figures.p95 == pytest.approx(950, rel=1e-3)
    assert figures.p99 == pytest.approx(990, rel=1e-3)
    assert figures.p999 == pytest.approx(999, rel=1e-3)
    assert figures.max == pytest.approx(1000, rel=1e-3)
    assert figures.mean == pytest.approx(500.5, rel=1e-3)


def test_sub_millisecond_values_keep_their_precision():
    figures = percentiles(filled([0.123, 0.123, 0.456]))
    assert figures is not None
    assert figures.p50 == pytest.approx(0.123, abs=0.001)
    assert figures.max == pytest.approx(0.456, abs=0.001)


def test_the_tail_is_not_rounded_into_buckets():
    # Locust's own stats would round 1234 ms to 1200; HDR keeps it.
    figures = percentiles(filled([10.0] * 999 + [1234.0]))
    assert figures is not None
    assert figures.max == pytest.approx(1234, rel=1e-3)
    assert figures.p999 == pytest.approx(10, rel=1e-3)


def test_nothing_recorded_has_no_percentiles():
    assert percentiles(new_histogram()) is None
    assert spectrum(new_histogram()) == []


def test_out_of_range_values_are_clamped_not_lost():
    figures = percentiles(filled([0.0, -5.0, 10**10]))
    assert figures is not None and figures.count == 3


def test_merging_encoded_histograms_equals_recording_in_one():
    left, right = filled(range(1, 501)), filled(range(501, 1001))
    merged = new_histogram()
    merge_encoded(merged, encode(left))
    merge_encoded(merged, encode(right))
    assert percentiles(merged) == percentiles(filled(range(1, 1001)))


def test_spectrum_is_monotonic_and_ends_at_the_max():
    points = spectrum(filled(range(1, 101)))
    values = [ms for _, ms in points]
    assert values == sorted(values)
    assert points[-1][0] == 100.0 and values[-1] == pytest.approx(100, rel=1e-3)


@pytest.mark.parametrize("coarse", [False, True])
def test_fast_percentiles_equal_hdrh_own(coarse):
    rng = random.Random(5)
    histogram = new_histogram(coarse=coarse)
    for _ in range(5000):
        record_ms(histogram, rng.expovariate(1 / 40))
    asked = [0.0, 1.0, 50.0, 90.0, 99.0, 99.9, 99.99, 100.0]
    assert values_at(histogram, asked) == [histogram.get_value_at_percentile(p) for p in asked]
    assert mean_us(histogram) == pytest.approx(histogram.get_mean_value())
