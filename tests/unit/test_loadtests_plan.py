"""A scenario resolved into users per journey, stage tables and per-user rates."""

from __future__ import annotations

from pathlib import Path

import pytest

from chirp.loadtests.plan import LoadPlan, allocate, plan_scenario
from chirp.scenarios import load_scenario

HOST = "http://127.0.0.1:8080"


def plan(name, **overrides):
    scenario = load_scenario(name).with_overrides(**overrides)
    return plan_scenario(scenario, host=HOST, population_path=Path("p.json"))


def test_allocate_gives_every_journey_a_user_when_it_can():
    shares = {"feed": 0.6, "timeline": 0.2, "post": 0.1, "search": 0.1}
    counts = allocate(10, shares)
    assert sum(counts.values()) == 10
    assert min(counts.values()) >= 1
    assert counts["feed"] == max(counts.values())


def test_allocate_with_fewer_users_than_journeys_favours_the_largest():
    assert allocate(2, {"a": 0.5, "b": 0.3, "c": 0.2}) == {"a": 1, "b": 1, "c": 0}


def test_closed_flat_plan_fixes_users_per_journey():
    mixed = plan("mixed")
    assert mixed.model == "closed" and not mixed.rate_stages
    assert sum(j.users for j in mixed.journeys) == mixed.peak_users == 40
    assert {j.journey for j in mixed.journeys} >= {"feed", "post", "search", "trending"}


def test_the_plan_carries_the_warm_up():
    assert plan("smoke").warmup_s == 10
    assert plan("mixed", duration_s=12).warmup_s == 6  # the default: at most half the run


def test_open_plan_splits_the_rate_over_its_users():
    timeline = plan("timeline-mix", duration_s=30)
    assert timeline.model == "open"
    assert timeline.rate_stages == [(30.0, 60.0)]
    for journey in timeline.journeys:
        # users x fraction = the journey's share of the arrivals
        share = {"feed": 0.6, "timeline": 0.3, "post": 0.1}[journey.journey]
        assert journey.users * journey.fraction == pytest.approx(share)


def test_open_stages_keep_their_shape():
    burst = plan("write-burst")
    assert [rate for _, rate in burst.rate_stages] == [20.0, 140.0, 20.0]
    assert burst.user_stages[0][0] == burst.duration_s == 80.0


def test_the_plan_travels_as_json():
    original = plan("trending-spike")
    assert LoadPlan.from_json(original.to_json()) == original
