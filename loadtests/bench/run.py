"""`run_bench`: the fixed benchmark, phase by phase, every figure a ratio to a same-shape ceiling.

    ceiling (authenticated no-op) → saturation per operation → open loop at 25/50/75 %
    of each saturation → exact lags at 50 % of the post rate → fan-out drained from a
    backlog → the fan-out's and the post's own store work by bare clients

The HTTP phases run Locust's master with local worker processes, users picked
uniformly, so one Python process is not what gets measured and the per-user limits
shape the result as little as the population allows.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from chirp.core import runstate
from chirp.core.components import WORKER_NAMES
from chirp.core.provider import Provider
from chirp.core.settings import Settings
from chirp.loadtests import ceilings
from chirp.loadtests.bench import drain, goals, probes
from chirp.loadtests.bench.http import CEILING, OPERATIONS, HttpPhases, Operation, PhaseFigures
from chirp.loadtests.latency import enough_samples, min_samples
from chirp.loadtests.plan import JourneyPlan, LoadPlan
from chirp.loadtests.population import load_population, population_path
from chirp.loadtests.run import base_url, check_stack

FRACTIONS = (0.25, 0.5, 0.75)
HEADLINE_FRACTION = 0.5
JUDGED_PERCENTILE = 99.0


@dataclass(frozen=True)
class BenchConfig:
    """How long each phase runs; `quick` trades sample counts for time."""

    quick: bool = False
    users: int = 48
    saturation_s: float = 15.0
    open_s: float = 15.0
    open_max_s: float = 40.0
    fractions: tuple[float, ...] = FRACTIONS
    lag_min_s: float = 15.0
    drain_deliveries: int = 50_000
    edge_s: float = 20.0

    @classmethod
    def preset(cls, quick: bool) -> BenchConfig:
        if quick:
            return cls(quick=True, saturation_s=6.0, open_s=8.0, open_max_s=8.0,
                       fractions=(HEADLINE_FRACTION,), lag_min_s=10.0, edge_s=8.0)  # fmt: skip
        return cls()

    def open_duration(self, rate: float, fraction: float) -> float:
        """Long enough for the headline phase to judge p99 when the time allows."""
        if fraction != HEADLINE_FRACTION or rate <= 0:
            return self.open_s
        wanted = 1.1 * min_samples(JUDGED_PERCENTILE) / rate
        return min(self.open_max_s, max(self.open_s, wanted))

    def lag_duration(self, rate: float) -> float:
        if rate <= 0:
            return self.lag_min_s
        wanted = 1.1 * min_samples(JUDGED_PERCENTILE) / rate
        return min(self.open_max_s, max(self.lag_min_s, wanted))


class BenchProgress(Protocol):
    def phase(self, name: str, total: float) -> Callable[[float], None]:
        """A new phase of `total` units (seconds); returns its updater (units done)."""
        ...


def run_bench(
    settings: Settings,
    work_dir: Path,
    config: BenchConfig,
    progress: BenchProgress,
    *,
    workers: int | None = None,
    provider: Provider,
) -> dict[str, Any]:
    """Run every phase; return the figures as one JSON-able dict (schema chirp.bench/v2).
    `provider` runs the stack: the edge phase reads the edge's counters through it."""
    population_file = population_path(settings.run_dir)
    population = load_population(population_file)
    check_stack(settings)
    workers = workers or max(1, os.cpu_count() or 1)
    work_dir.mkdir(parents=True, exist_ok=True)
    base = base_url(settings)
    plan = _plan(base, population_file, config)

    from chirp.loadtests.runner import Generator

    with Generator(plan, workers=workers, work_dir=work_dir, population=population) as generator:
        phases = HttpPhases(generator, config.users, config.saturation_s)
        ceiling = _saturate(phases, CEILING, config, progress)
        saturation = {op.name: _saturate(phases, op, config, progress) for op in OPERATIONS}
        open_loop = {
            op.name: _open_loops(phases, op, saturation[op.name], config, progress)
            for op in OPERATIONS
        }
        mode = generator.mode
    post_rate = (saturation["post"].ok_rps or 0.0) * HEADLINE_FRACTION
    lags = _lags(settings, base, population.users, post_rate, config, progress)
    fanout_workers = WORKER_NAMES.count("fanout")
    backlog = drain.backlog_authors(population.users, settings.push_threshold)
    update = progress.phase("fan-out drain", 3)
    drained = drain.measure_drain(
        settings,
        base,
        backlog,
        faults=provider.faults(),
        deliveries=config.drain_deliveries,
        workers=fanout_workers,
        on_progress=lambda _: update(1),
    )
    update(3)
    update = progress.phase("store ceilings", 2)
    mean_followers = max(1, round(drained.expected_deliveries / max(drained.posts, 1)) - 1)
    fanout_ceiling = ceilings.fanout_ceiling(
        settings, followers=mean_followers, processes=fanout_workers
    )
    update(1)
    post_ceiling = ceilings.post_ceiling(
        settings, concurrency=saturation["post"].users, processes=runstate.gateway_count(settings)
    )
    update(2)
    update = progress.phase("edge", config.edge_s)
    edge = _edge(provider, population, config, update)
    return _assemble(
        settings=settings,
        config=config,
        mode=mode,
        workers=workers,
        ceiling=ceiling,
        saturation=saturation,
        open_loop=open_loop,
        lags=lags,
        drained=drained,
        fanout_ceiling=fanout_ceiling,
        post_ceiling=post_ceiling,
        edge=edge,
    )


def _edge(
    provider: Provider, population: Any, config: BenchConfig, update: Callable[[float], None]
) -> dict[str, Any] | None:
    """The edge phase, or None on a stack that runs no edge."""
    from chirp.loadtests.bench.edge import measure_edge

    settings = provider.settings
    if not probes.get_json(settings.edge_base_url, "/healthz"):
        return None
    figures = measure_edge(
        settings,
        settings.edge_base_url,
        population,
        config.edge_s,
        counters=provider.edge_counters,
    )
    update(config.edge_s)
    return figures


def _plan(base: str, population_file: Path, config: BenchConfig) -> LoadPlan:
    journeys = [CEILING.journey, *(op.journey for op in OPERATIONS)]
    return LoadPlan(
        host=base,
        population_path=str(population_file),
        model="closed",
        duration_s=config.saturation_s,
        journeys=[JourneyPlan(j, 0, 1.0) for j in journeys],
        user_stages=[(config.saturation_s, config.users, float(config.users))],
        think_time_s=(0.0, 0.0),
        zipf_exponent=0.0,
        bucket_s=1.0,
        feed_scroll_share=0.0,
        reply_share=0.0,
    )


def _ticker(update: Callable[[float], None]) -> Callable[[Any], None]:
    return lambda tick: update(tick.elapsed_s)


def _saturate(
    phases: HttpPhases, op: Operation, config: BenchConfig, progress: BenchProgress
) -> PhaseFigures:
    update = progress.phase(f"{op.name} saturation", config.saturation_s)
    figures = phases.saturate(op, _ticker(update))
    update(config.saturation_s)
    return figures


def _open_loops(
    phases: HttpPhases,
    op: Operation,
    saturation: PhaseFigures,
    config: BenchConfig,
    progress: BenchProgress,
) -> dict[float, PhaseFigures]:
    if not saturation.ok_rps:
        return {}
    runs = {}
    for fraction in config.fractions:
        rate = saturation.ok_rps * fraction
        seconds = config.open_duration(rate, fraction)
        update = progress.phase(f"{op.name} at {fraction:.0%}", seconds)
        runs[fraction] = phases.open_loop(op, rate, seconds, _ticker(update))
        update(seconds)
    return runs


def _lags(
    settings: Settings,
    base: str,
    members: list[Any],
    rate: float,
    config: BenchConfig,
    progress: BenchProgress,
) -> tuple[probes.LagSamples, float, float]:
    seconds = config.lag_duration(rate)
    update = progress.phase("fan-out and index lags", seconds)
    authors = probes.probe_authors(base, members, wanted=200)
    if not authors or rate <= 0:
        return probes.LagSamples(), rate, seconds
    samples = probes.measure_lags(
        settings, base, authors, rate=rate, duration_s=seconds, on_progress=update
    )
    update(seconds)
    return samples, rate, seconds


def _assemble(
    *,
    settings: Settings,
    config: BenchConfig,
    mode: str,
    workers: int,
    ceiling: PhaseFigures,
    saturation: dict[str, PhaseFigures],
    open_loop: dict[str, dict[float, PhaseFigures]],
    lags: tuple[probes.LagSamples, float, float],
    drained: drain.Drain,
    fanout_ceiling: ceilings.Ceiling,
    post_ceiling: ceilings.Ceiling,
    edge: dict[str, Any] | None,
) -> dict[str, Any]:
    figures: dict[str, Any] = {}
    not_judged: dict[str, str] = {}
    unreliable: set[str] = set()
    ceiling_rps = ceiling.ok_rps
    if not ceiling.reliability.reliable:
        unreliable.add("ceiling_rps")
    figures["ceiling_rps"] = _round(ceiling_rps)
    operations: dict[str, Any] = {}
    for op in OPERATIONS:
        sat = saturation[op.name]
        runs = open_loop[op.name]
        figures[f"{op.name}_rps"] = _round(sat.ok_rps)
        ratio_key = "post_ratio_to_ceiling" if op.name == "post" else f"{op.name}_ratio"
        figures[ratio_key] = _ratio(sat.ok_rps, ceiling_rps)
        if not sat.reliability.reliable:
            unreliable |= {f"{op.name}_rps", ratio_key}
        headline = runs.get(HEADLINE_FRACTION)
        _headline_latency(op.name, headline, figures, not_judged, unreliable)
        operations[op.name] = {
            "endpoint": op.endpoint,
            "saturation": sat.as_dict(),
            "open_loop": [{"fraction": f, **run.as_dict()} for f, run in sorted(runs.items())],
        }
    figures["post_ceiling_per_s"] = _round(post_ceiling.per_s)
    figures["post_store_ratio"] = _ratio(saturation["post"].ok_rps, post_ceiling.per_s)
    capacity = drained.per_s_per_worker
    figures["fanout_capacity_per_s"] = _round(capacity)
    figures["fanout_ceiling_per_s"] = _round(fanout_ceiling.per_s)
    figures["fanout_ratio"] = _ratio(capacity, fanout_ceiling.per_s)
    if drained.expected_deliveries < config.drain_deliveries:
        reason = (
            f"backlog of {drained.expected_deliveries} deliveries, fewer than "
            f"{config.drain_deliveries}"
        )
        not_judged["fanout_capacity_per_s"] = not_judged["fanout_ratio"] = reason
    samples, lag_rate, lag_s = lags
    _lag_figures("fanout_lag", samples.fanout_ms, figures, not_judged)
    _lag_figures("index_lag", samples.index_ms, figures, not_judged)
    _edge_figures(edge, figures, not_judged, unreliable)
    goal_results = goals.judge_goals(figures, not_judged, unreliable)
    reliable = not unreliable
    return {
        "schema_version": goals.SCHEMA_VERSION,
        "quick": config.quick,
        "profile": _profile(settings),
        "generator": mode,
        "generator_processes": workers,
        "gateway_processes": runstate.gateway_count(settings),
        "fanout_worker_processes": drained.workers,
        "users_per_saturation_phase": config.users,
        **figures,
        "fanout_lag_missed": samples.fanout_missed,
        "index_lag_missed": samples.index_missed,
        "lag_probe": {
            "rate_per_s": round(lag_rate, 2),
            "duration_s": round(lag_s, 1),
            "posted": samples.posted,
            "refused": samples.refused,
            "poll_ms": {"fanout": probes.FANOUT_POLL_S * 1000, "index": probes.INDEX_POLL_S * 1000},
        },
        "not_judged": not_judged,
        "unreliable": sorted(unreliable),
        "reliable": reliable,
        "ceilings": {
            "http": {
                "rps": _round(ceiling_rps),
                "definition": goals.DEFINITIONS["ceiling_rps"],
                "phase": ceiling.as_dict(),
            },
            "fanout": {**fanout_ceiling.as_dict(), "definition": fanout_ceiling.definition},
            "post": {**post_ceiling.as_dict(), "definition": post_ceiling.definition},
        },
        "operations": operations,
        "drain": drained.as_dict(),
        "edge": edge,
        "goals": goal_results,
        "definitions": goals.DEFINITIONS,
    }


def _headline_latency(
    name: str,
    run: PhaseFigures | None,
    figures: dict[str, Any],
    not_judged: dict[str, str],
    unreliable: set[str],
) -> None:
    latency = run.corrected if run is not None else None
    keys = {p: f"{name}_{p}_ms" for p in ("p50", "p99", "p999")}
    figures[f"{name}_latency_samples"] = 0 if latency is None else latency.count
    for label, key in keys.items():
        value = None if latency is None else getattr(latency, label)
        percentile = {"p50": 50.0, "p99": 99.0, "p999": 99.9}[label]
        if latency is not None and not enough_samples(percentile, latency.count):
            not_judged[key] = _too_few(percentile, latency.count)
        figures[key] = value
    if run is not None and not run.reliability.reliable:
        unreliable |= set(keys.values())


def _lag_figures(
    name: str, values: list[float], figures: dict[str, Any], not_judged: dict[str, str]
) -> None:
    import numpy as np

    figures[f"{name}_samples"] = len(values)
    for label, percentile in (("p50", 50.0), ("p99", 99.0)):
        key = f"{name}_{label}_ms"
        figures[key] = round(float(np.percentile(values, percentile)), 3) if values else None
        if values and not enough_samples(percentile, len(values)):
            not_judged[key] = _too_few(percentile, len(values))


def _edge_figures(
    edge: dict[str, Any] | None,
    figures: dict[str, Any],
    not_judged: dict[str, str],
    unreliable: set[str],
) -> None:
    latency = (edge or {}).get("latency_ms") or {}
    figures["edge_hit_ratio"] = None if edge is None else edge["hit_ratio"]
    figures["edge_p99_ms"] = latency.get("p99")
    figures["edge_origin_saved"] = None if edge is None else edge["origin_saved"]
    if edge is not None and not edge["p99_enough_samples"]:
        not_judged["edge_p99_ms"] = _too_few(99.0, edge["requests"])
    if edge is not None and not edge["reliable"]:
        unreliable |= {"edge_hit_ratio", "edge_p99_ms"}


def _too_few(percentile: float, count: int) -> str:
    return f"not enough samples: {count} < {min_samples(percentile)} for p{percentile:g}"


def _profile(settings: Settings) -> dict[str, Any]:
    """The profile the stack's processes run with, and the guards it sets."""
    effective = runstate.with_recorded_shape(settings)
    return {
        "name": runstate.recorded_profile(settings),
        "tweets_per_hour": effective.tweets_per_hour,
        "requests_per_hour": effective.requests_per_hour,
        "backpressure_lag": effective.backpressure_lag,
    }


def _ratio(part: float | None, whole: float | None) -> float | None:
    return None if part is None or not whole else round(part / whole, 4)


def _round(value: float | None) -> float | None:
    return None if value is None or math.isnan(value) else round(value, 2)
