"""The simulation's capacity plan becomes AWS sizes: the plan's own peak factor sets the floor."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from typer.testing import CliRunner

from chirp.cli.simulate import app
from chirp.infra.provision.aws.plan_sizing import SCHEMA, from_capacity_plan
from chirp.infra.provision.aws.sizing import load_sizing
from chirp.infra.sizing import pulumi_config


def plan(peak_factor: float | None) -> dict:
    load = {"plan_writes_per_s": 2000.0}
    if peak_factor is not None:
        load["peak_factor"] = peak_factor
    return {
        "schema": SCHEMA,
        "load": load,
        "gateways": {"count": 12},
        "workers": {"fanout": {"count": 40}},
    }


def test_the_schema_is_the_one_the_simulation_writes():
    assert SCHEMA == pulumi_config.SCHEMA == "chirp.sizing/v1"


@pytest.mark.parametrize(("factor", "fanout_min"), [(None, 14), (3, 14), (2, 20), (8, 5)])
def test_min_tasks_are_the_peak_counts_over_the_plans_peak_factor(factor, fanout_min):
    sizing, _ = from_capacity_plan(plan(factor), zones=3)
    assert sizing["workers"]["fanout"] == {"max_tasks": 40, "min_tasks": fanout_min}
    assert sizing["gateway"]["min_tasks"] == max(3, math.ceil(12 / (factor or 3)))


@pytest.mark.parametrize("factor", [0.5, "three", True])
def test_a_bad_peak_factor_is_refused(factor):
    with pytest.raises(ValueError, match=r"load\.peak_factor"):
        from_capacity_plan(plan(factor))


def test_peak_factor_flows_from_the_command_line_to_the_aws_minimum(tmp_path: Path):
    minimums = {}
    for factor in ("2", "6"):
        target = tmp_path / f"sizes-{factor}.json"
        args = ["capacity", "--json", "--peak-factor", factor, "--emit-pulumi-config", str(target)]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
        sizing = load_sizing(target)
        fanout = sizing.workers["fanout"]
        assert fanout.min_tasks == max(1, math.ceil(fanout.max_tasks / int(factor)))
        minimums[factor] = fanout.min_tasks / fanout.max_tasks
    assert minimums["6"] < minimums["2"]
