"""A generator process's context: phases switch between closed and open model."""

from __future__ import annotations

import itertools

from chirp.loadtests.context import configure
from chirp.loadtests.pacing import intended_starts
from chirp.loadtests.plan import JourneyPlan, LoadPlan
from chirp.loadtests.population import Member, Population


def closed_plan() -> LoadPlan:
    return LoadPlan(
        host="http://127.0.0.1:1",
        population_path="unused",
        model="closed",
        duration_s=10.0,
        journeys=[JourneyPlan("feed", 0, 1.0)],
        user_stages=[(10.0, 4, 4.0)],
    )


def population() -> Population:
    return Population(users=[Member(user_id="1", username="a", token="t")])


def test_a_phase_with_rates_is_open_model_at_its_users_fraction():
    ctx = configure(closed_plan(), population())
    assert not ctx.open_model
    ctx.start_phase(1, [(2.0, 20.0)], user_fraction=0.25)
    assert ctx.open_model
    starts = intended_starts(ctx.new_schedule(ctx.user_fraction or 0))
    gaps = {round(b - a, 6) for a, b in itertools.pairwise(starts)}
    assert gaps == {0.2}  # 20/s shared by four users: one each 0.2 s
    assert starts[-1] - starts[0] < 2.0


def test_the_next_phase_without_rates_is_closed_again():
    ctx = configure(closed_plan(), population())
    ctx.start_phase(1, [(2.0, 20.0)], user_fraction=0.25)
    ctx.start_phase(2)
    assert not ctx.open_model
    assert ctx.user_fraction is None
