"""Kafka lag: the closed form at constant rates, the seed's scenario 3, and the two rules."""

from __future__ import annotations

import numpy as np
import pytest

from chirp.core.errors import ConfigError
from chirp.infra.sizing import (
    SCENARIO_3,
    Autoscale,
    Backpressure,
    LagScenario,
    closed_form_crossing,
    closed_form_lag,
    compare_rules,
    simulate_lag,
)

NO_RULES = LagScenario(autoscale=None, backpressure=None)


def test_scenario_3_is_the_seed_rates():
    assert SCENARIO_3.producer_per_s == 20_000
    assert SCENARIO_3.consumer_per_s == 15_000


def test_lag_grows_5000_per_second_in_scenario_3():
    run = simulate_lag(NO_RULES)
    assert np.allclose(np.diff(run.lag), 5_000)
    expected = [closed_form_lag(20_000, 15_000, t) for t in run.times]
    assert np.allclose(run.lag, expected)


def test_crossing_times_match_the_closed_form():
    run = simulate_lag(NO_RULES)
    assert run.crossings == {
        1_000.0: pytest.approx(0.2),
        5_000.0: pytest.approx(1.0),
        50_000.0: pytest.approx(10.0),
    }
    for level, when in run.crossings.items():
        assert when == pytest.approx(closed_form_crossing(level, 20_000, 15_000))


def test_a_coarse_step_still_crosses_at_the_exact_time():
    run = simulate_lag(LagScenario(autoscale=None, backpressure=None, step_s=7.0))
    assert run.crossings[50_000.0] == pytest.approx(10.0)


def test_draining_backlog_matches_the_closed_form():
    scenario = LagScenario(
        producer_per_s=10_000,
        per_consumer_per_s=300,
        initial_lag=60_000,
        duration_s=30,
        autoscale=None,
        backpressure=None,
    )
    run = simulate_lag(scenario)
    expected = [closed_form_lag(10_000, 15_000, t, initial=60_000) for t in run.times]
    assert np.allclose(run.lag, expected)
    assert run.caught_up_at == pytest.approx(12.0)
    assert closed_form_crossing(1_000, 10_000, 15_000, 0) is None


def test_backpressure_caps_lag_and_counts_what_it_sheds():
    run = simulate_lag(LagScenario(autoscale=None, backpressure=Backpressure(100_000)))
    assert run.max_lag == pytest.approx(100_000)
    # Lag reaches the cap after 20 s; from then on the 5,000/s excess is refused.
    assert run.shed_messages == pytest.approx(5_000 * (600 - 20))
    assert run.backpressure_s == pytest.approx(580)


def test_autoscaling_adds_half_again_after_the_reaction_delay():
    run = simulate_lag(
        LagScenario(autoscale=Autoscale(reaction_s=60), backpressure=None, duration_s=300)
    )
    assert run.scale_events[0] == (pytest.approx(61.0), 75)
    assert run.max_lag == pytest.approx(5_000 * 61)
    # 75 x 300 = 22,500/s drains the backlog at 2,500/s.
    assert run.caught_up_at == pytest.approx(61 + 5_000 * 61 / 2_500)


def test_autoscaling_stops_at_one_consumer_per_partition():
    run = simulate_lag(
        LagScenario(partitions=60, per_consumer_per_s=300, backpressure=None, producer_per_s=40_000)
    )
    assert run.consumers.max() == 60


def test_scaling_back_down_after_catching_up():
    run = simulate_lag(LagScenario(backpressure=None, duration_s=600))
    consumers = [c for _, c in run.scale_events]
    assert consumers[:2] == [75, 50]  # the seed's "scale down when caught up"


def test_compare_rules_shows_each_rule_helping():
    none, scaled, shed, both = compare_rules(SCENARIO_3)
    assert [r.name for r in (none, scaled, shed, both)] == [
        "no rules",
        "+50% consumers",
        "429 backpressure",
        "+50% consumers + 429",
    ]
    assert none.max_lag > scaled.max_lag > both.max_lag
    assert shed.max_lag == pytest.approx(100_000) and both.max_lag <= 100_000 + 1e-6
    assert none.caught_up_at is None and scaled.caught_up_at is not None
    assert both.shed_messages < shed.shed_messages


@pytest.mark.parametrize(
    "bad",
    [
        {"consumers": 0},
        {"producer_per_s": -1},
        {"step_s": 0},
        {"duration_s": 1e9, "step_s": 1},
    ],
)
def test_invalid_scenarios_are_refused(bad):
    with pytest.raises(ConfigError):
        LagScenario(**bad)


def test_invalid_rules_are_refused():
    with pytest.raises(ConfigError):
        Autoscale(factor=1.0)
    with pytest.raises(ConfigError):
        Backpressure(trigger_lag=0)
