"""The follow ledger's judgement: pure logic over recorded follows and following lists."""

from __future__ import annotations

import pytest

from chirp.infra.chaos.follows import FollowCast, cast_size
from chirp.infra.chaos.integrity import Member
from chirp.infra.chaos.ledger import (
    FollowWrite,
    Outcome,
    classify_follows,
    follow_outcome,
    write_outage_s,
)


def follow(seq: int, outcome: Outcome, t: float, fan: str = "f1", star: str = "s1") -> FollowWrite:
    return FollowWrite(seq=seq, fan_id=fan, star_id=star, outcome=outcome, t=t)


@pytest.mark.parametrize(
    ("status", "outcome"),
    [
        (204, Outcome.acknowledged),
        (429, Outcome.refused),
        (503, Outcome.refused),
        (500, Outcome.unknown),
        (None, Outcome.unknown),
        (404, Outcome.rejected),
        (200, Outcome.unknown),
    ],
)
def test_follow_outcome_of_each_answer(status, outcome):
    assert follow_outcome(status) is outcome


def test_acknowledged_follow_missing_from_the_list_is_lost():
    writes = [
        follow(0, Outcome.acknowledged, 1.0, star="s1"),
        follow(1, Outcome.acknowledged, 2.0, star="s2"),
    ]
    report = classify_follows(writes, {"f1": {"s1"}})
    assert report.lost == ["f1->s2"]
    assert not report.complete
    assert report.acknowledged == 2


def test_unknown_follows_found_count_as_stored_and_are_never_lost():
    writes = [
        follow(0, Outcome.unknown, 1.0, star="s1"),
        follow(1, Outcome.unknown, 2.0, star="s2"),
    ]
    report = classify_follows(writes, {"f1": {"s1"}})
    assert report.lost == []
    assert report.unknown == 2
    assert report.unknown_stored == 1


def test_write_outage_runs_from_first_failure_to_first_success_after_the_last():
    writes = [
        follow(0, Outcome.acknowledged, 1.0),
        follow(1, Outcome.unknown, 2.0),
        follow(2, Outcome.acknowledged, 2.5),
        follow(3, Outcome.refused, 4.0),
        follow(4, Outcome.acknowledged, 6.5),
        follow(5, Outcome.acknowledged, 7.0),
    ]
    assert write_outage_s(writes) == 4.5
    assert classify_follows(writes, {}).write_outage_s == 4.5


def test_no_failure_means_no_outage_and_an_unhealed_one_runs_to_the_last_attempt():
    assert write_outage_s([follow(0, Outcome.acknowledged, 1.0)]) is None
    writes = [
        follow(0, Outcome.acknowledged, 1.0),
        follow(1, Outcome.unknown, 3.0),
        follow(2, Outcome.unknown, 5.0),
    ]
    assert write_outage_s(writes) == 2.0


@pytest.mark.parametrize("needed", [1, 2, 10, 99, 400])
def test_the_cast_covers_every_pair_needed(needed):
    fans, stars = cast_size(needed)
    assert fans * stars >= needed
    assert fans + stars <= 2 * needed + 1


def test_pairs_change_star_fastest_and_repeat_none():
    members = [Member(str(n), f"u{n}", "t") for n in range(5)]
    cast = FollowCast(fans=members[:2], stars=members[2:])
    pairs = [(f.user_id, s.user_id) for f, s in cast.pairs()]
    assert pairs[:3] == [("0", "2"), ("0", "3"), ("0", "4")]
    assert len(set(pairs)) == len(pairs) == 6
