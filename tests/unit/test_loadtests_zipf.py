"""The Zipf picker: skewed toward the first ranks, bounded, uniform at exponent 0."""

from __future__ import annotations

from collections import Counter

import pytest

from chirp.loadtests.zipf import ZipfPicker, zipf_weights


def test_weights_follow_one_over_rank_to_the_s():
    p = zipf_weights(4, 1.0)
    assert p.sum() == pytest.approx(1.0)
    assert p[0] / p[1] == pytest.approx(2.0)
    assert p[0] / p[3] == pytest.approx(4.0)


def test_exponent_zero_is_uniform():
    assert zipf_weights(5, 0.0).tolist() == pytest.approx([0.2] * 5)


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="at least one"):
        zipf_weights(0, 1.0)
    with pytest.raises(ValueError, match=">= 0"):
        zipf_weights(3, -1.0)


def test_picks_are_skewed_toward_rank_one_and_stay_in_the_population():
    items = [f"user{i}" for i in range(100)]
    picker = ZipfPicker(items, 1.1, seed=7)
    picks = Counter(picker.pick() for _ in range(20_000))
    assert set(picks) <= set(items)
    assert picks["user0"] > picks["user1"] > picks["user9"] > picks["user99"]
    # rank 1's share is close to its probability
    assert picks["user0"] / 20_000 == pytest.approx(picker.probability(1), abs=0.02)


def test_a_seed_makes_the_sequence_repeatable():
    first = ZipfPicker(list(range(50)), 1.2, seed=3)
    second = ZipfPicker(list(range(50)), 1.2, seed=3)
    assert [first.pick() for _ in range(100)] == [second.pick() for _ in range(100)]


def test_a_population_of_one_always_picks_it():
    assert {ZipfPicker(["only"], 2.0).pick() for _ in range(10)} == {"only"}
