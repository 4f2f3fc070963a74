"""Sizing chirp past one machine: capacity plan, fan-out policies, Kafka lag.

Pure models, no I/O except the explicit readers and writers:

    assumptions    the capacity model's inputs (the design review's by default), TOML loading
    measured       per-process capacities from `chirp bench` / `chirp load` reports
    capacity       load, storage, throughput, memory, fleet and cost
    seed_review    the design review's printed figures against the model; its inconsistencies
    pulumi_config  the sizes the Pulumi AWS program reads
    study          one capacity study: assumptions, measured capacities, overrides, the plan
    followers      the follower-count power law shared by capacity and fan-out
    graph          a generated follower graph (CSR) with activity rates
    fanout         push-all, pull-all, hybrid and rate-based fan-out compared
    lag            Kafka consumer lag with autoscaling and backpressure
    plots          PNG and self-contained HTML pictures
"""

from __future__ import annotations

from chirp.infra.sizing.assumptions import (
    Assumptions,
    load_assumptions,
    parse_assumptions,
    parse_overrides,
)
from chirp.infra.sizing.capacity import CapacityPlan, plan_capacity
from chirp.infra.sizing.fanout import (
    FanoutModel,
    Policy,
    PolicyKind,
    PolicyResult,
    compare_policies,
    standard_policies,
)
from chirp.infra.sizing.followers import FollowerDistribution
from chirp.infra.sizing.graph import FollowerGraph, GraphSpec, generate_graph
from chirp.infra.sizing.lag import (
    SCENARIO_3,
    SEED_LAG_LEVELS,
    Autoscale,
    Backpressure,
    LagRun,
    LagScenario,
    closed_form_crossing,
    closed_form_lag,
    compare_rules,
    scenario_from,
    simulate_lag,
)
from chirp.infra.sizing.measured import MeasuredCapacities, load_report, parse_report
from chirp.infra.sizing.pulumi_config import pulumi_sizes, write_pulumi_config
from chirp.infra.sizing.seed_review import SeedFigure, compare_with_seed, inconsistencies
from chirp.infra.sizing.study import CapacityStudy, study_capacity

__all__ = [
    "SCENARIO_3",
    "SEED_LAG_LEVELS",
    "Assumptions",
    "Autoscale",
    "Backpressure",
    "CapacityPlan",
    "CapacityStudy",
    "FanoutModel",
    "FollowerDistribution",
    "FollowerGraph",
    "GraphSpec",
    "LagRun",
    "LagScenario",
    "MeasuredCapacities",
    "Policy",
    "PolicyKind",
    "PolicyResult",
    "SeedFigure",
    "closed_form_crossing",
    "closed_form_lag",
    "compare_policies",
    "compare_rules",
    "compare_with_seed",
    "generate_graph",
    "inconsistencies",
    "load_assumptions",
    "load_report",
    "parse_assumptions",
    "parse_overrides",
    "parse_report",
    "plan_capacity",
    "pulumi_sizes",
    "scenario_from",
    "simulate_lag",
    "standard_policies",
    "study_capacity",
    "write_pulumi_config",
]
