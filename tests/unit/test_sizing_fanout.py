"""Fan-out policies on a hand-built graph, on small generated graphs, and against brute force."""

from __future__ import annotations

import numpy as np
import pytest

from chirp.core.errors import ConfigError
from chirp.infra.sizing import (
    FanoutModel,
    FollowerDistribution,
    FollowerGraph,
    GraphSpec,
    Policy,
    PolicyKind,
    compare_policies,
    generate_graph,
    standard_policies,
)
from chirp.infra.sizing.fanout import SECONDS_PER_DAY, weighted_quantiles

PUSH = Policy(PolicyKind.PUSH_ALL)
PULL = Policy(PolicyKind.PULL_ALL)
SEED_HYBRID = Policy(PolicyKind.HYBRID)
RATE = Policy(PolicyKind.RATE)
TINY_MODEL = FanoutModel(feed_max=5, pull_list_max=3, entry_bytes=1, horizon_days=1)


def tiny_graph() -> FollowerGraph:
    """Four users, ids ordered by follower count 0..3; user k is followed by users 0..k-1."""
    indptr = np.array([0, 0, 1, 3, 6])
    return FollowerGraph(
        indptr=indptr,
        follower_counts=np.diff(indptr),
        followers=np.array([0, 0, 1, 0, 1, 2], dtype=np.int32),
        post_rate=np.array([1, 2, 4, 8], dtype=np.float32),
        read_rate=np.array([10, 1, 0.5, 100], dtype=np.float32),
        active=np.array([True, False, True, True]),
    )


@pytest.fixture(scope="module")
def small_graph() -> FollowerGraph:
    spec = GraphSpec(users=5_000, followers=FollowerDistribution(2.0, 20, 4_999), seed=3)
    return generate_graph(spec)


def by_name(results):
    return {r.policy: r for r in results}


def test_tiny_graph_by_hand():
    hybrid = Policy(PolicyKind.HYBRID, small_max=2, celebrity_min=2)
    push, pull, hyb, rate = compare_policies(tiny_graph(), [PUSH, PULL, hybrid, RATE], TINY_MODEL)
    reads = 10 + 1 + 0.5 + 100

    assert push.feed_writes_per_s * SECONDS_PER_DAY == pytest.approx(2 * 1 + 4 * 2 + 8 * 3)
    assert (push.fan_in_p50, push.fan_in_p99, push.fan_in_mean) == (1, 1, 1)
    assert (push.redis_bytes, push.feeds) == (15, 3)  # three feeds capped at 5 entries

    assert pull.feed_writes_per_s == 0
    assert pull.fan_in_mean == pytest.approx((3 * 10 + 2 * 1 + 1 * 0.5) / reads)
    assert (pull.redis_bytes, pull.pulled_authors) == (2 + 3 + 3, 3)

    # user 1 pushes to all; user 2 only to its active follower 0; user 3 is pulled.
    assert hyb.feed_writes_per_s * SECONDS_PER_DAY == pytest.approx(2 + 4)
    # active readers merge user 3; inactive user 1 rebuilds from both followees.
    assert hyb.fan_in_mean == pytest.approx((2 * 10 + 2 * 1 + 2 * 0.5 + 1 * 100) / reads)
    assert (hyb.fan_in_p50, hyb.fan_in_p99) == (1, 2)
    assert (hyb.redis_bytes, hyb.feeds, hyb.pulled_authors) == (5 + 3, 1, 1)

    # push only where the follower reads more than the author posts.
    assert rate.feed_writes_per_s * SECONDS_PER_DAY == pytest.approx(2 + 4 + 8)
    assert rate.fan_in_mean == pytest.approx((1 * 10 + 3 * 1 + 2 * 0.5 + 1 * 100) / reads)
    assert (rate.redis_bytes, rate.feeds, rate.pulled_authors) == (5 + 3 + 3, 1, 2)


def test_graph_is_csr_sorted_by_follower_count(small_graph):
    g = small_graph
    assert g.indptr[0] == 0 and g.indptr[-1] == g.edges
    assert np.all(np.diff(g.follower_counts) >= 0)
    assert g.followers.min() >= 0 and g.followers.max() < g.users
    assert g.edges / g.users == pytest.approx(20, rel=0.35)


def test_generation_is_deterministic():
    spec = GraphSpec(users=1_000, seed=11)
    a, b = generate_graph(spec), generate_graph(spec)
    assert np.array_equal(a.followers, b.followers)
    assert np.array_equal(a.read_rate, b.read_rate)


def test_policy_orderings(small_graph):
    results = by_name(
        compare_policies(small_graph, standard_policies(small_max=10, celebrity_min=100))
    )
    push, pull = results["push-all"], results["pull-all"]
    hybrid, rate = results["hybrid 10/100"], results["rate x1"]
    assert push.feed_writes_per_s >= hybrid.feed_writes_per_s >= pull.feed_writes_per_s == 0
    assert push.feed_writes_per_s >= rate.feed_writes_per_s
    assert pull.fan_in_p50 >= push.fan_in_p50 == 1
    assert pull.fan_in_p99 >= hybrid.fan_in_p99 >= push.fan_in_p99 == 1
    assert push.redis_bytes >= hybrid.redis_bytes


def test_pull_all_fan_in_is_the_followee_count(small_graph):
    g = small_graph
    (pull,) = compare_policies(g, [PULL])
    followees = np.bincount(g.followers, minlength=g.users)
    assert pull.fan_in_mean == pytest.approx(np.average(followees, weights=g.read_rate), rel=1e-5)


def test_push_all_writes_every_edge(small_graph):
    g = small_graph
    (push,) = compare_policies(g, [PUSH])
    expected = float(np.dot(g.post_rate.astype(float), g.follower_counts)) / SECONDS_PER_DAY
    assert push.feed_writes_per_s == pytest.approx(expected, rel=1e-6)


def test_hybrid_with_nobody_above_the_thresholds_is_push_all(small_graph):
    everyone_small = Policy(PolicyKind.HYBRID, small_max=10**7, celebrity_min=10**7)
    push, hybrid = compare_policies(small_graph, [PUSH, everyone_small])
    assert hybrid.feed_writes_per_s == pytest.approx(push.feed_writes_per_s)


def test_sweeps_move_monotonically(small_graph):
    hybrids = [Policy(PolicyKind.HYBRID, min(1_000, t), t) for t in (10, 100, 1_000, 10_000)]
    rates = [Policy(PolicyKind.RATE, rate_factor=f) for f in (0.25, 1, 4, 16)]
    results = compare_policies(small_graph, hybrids + rates)
    hybrid_writes = [r.feed_writes_per_s for r in results[:4]]
    rate_writes = [r.feed_writes_per_s for r in results[4:]]
    rate_fan_in = [r.fan_in_mean for r in results[4:]]
    assert hybrid_writes == sorted(hybrid_writes)
    assert rate_writes == sorted(rate_writes, reverse=True)
    assert rate_fan_in == sorted(rate_fan_in)


def test_rate_policy_matches_brute_force(small_graph):
    g = small_graph
    factor = 2.0
    (rate,) = compare_policies(g, [Policy(PolicyKind.RATE, rate_factor=factor)])
    authors = np.repeat(np.arange(g.users), g.follower_counts)
    post = g.post_rate[authors].astype(np.float64)
    pushed = g.read_rate[g.followers] / g.post_rate[authors] > np.float32(factor)
    pulled_per_user = np.bincount(g.followers[~pushed], minlength=g.users)
    assert rate.feed_writes_per_s == pytest.approx(post[pushed].sum() / SECONDS_PER_DAY)
    assert rate.fan_in_mean == pytest.approx(
        np.average(1 + pulled_per_user, weights=g.read_rate), rel=1e-6
    )
    assert rate.pulled_authors == len(np.unique(authors[~pushed]))


def test_weighted_quantiles():
    values = np.array([1, 2, 3, 10])
    weights = np.array([1.0, 1.0, 1.0, 97.0])
    assert weighted_quantiles(values, weights, (0.01, 0.02, 0.5, 0.99)) == [1, 2, 10, 10]


@pytest.mark.parametrize("users", [10, 10**9])
def test_graph_size_is_bounded(users):
    with pytest.raises(ConfigError):
        GraphSpec(users=users)


def test_hybrid_thresholds_must_be_ordered():
    with pytest.raises(ConfigError):
        Policy(PolicyKind.HYBRID, small_max=1_000, celebrity_min=10)
