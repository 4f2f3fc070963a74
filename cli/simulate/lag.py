"""`chirp simulate lag`: Kafka consumer lag over time under autoscaling and backpressure."""

from __future__ import annotations

import json
from dataclasses import asdict
from enum import StrEnum
from typing import Annotated

import typer
from rich.table import Table

from chirp.cli.console import err, out
from chirp.cli.simulate._format import n, seconds
from chirp.cli.simulate._shared import JsonOption, PlotOption, one_line_errors
from chirp.infra.sizing import (
    SCENARIO_3,
    SEED_LAG_LEVELS,
    Autoscale,
    Backpressure,
    LagRun,
    LagScenario,
    compare_rules,
    scenario_from,
)


class Preset(StrEnum):
    scenario3 = "scenario3"


def lag(
    *,
    preset: Annotated[
        Preset,
        typer.Option(help="Starting point: the review's failure scenario 3 (20K/s in, 15K/s out)."),
    ] = Preset.scenario3,
    producer_rate: Annotated[float | None, typer.Option(help="Messages/s produced.")] = None,
    consumer_rate: Annotated[
        float | None, typer.Option(help="Messages/s the starting consumers drain together.")
    ] = None,
    consumers: Annotated[int | None, typer.Option(help="Starting consumers.")] = None,
    partitions: Annotated[
        int | None, typer.Option(help="Partitions: the most consumers that can work.")
    ] = None,
    duration: Annotated[float | None, typer.Option(help="Seconds to simulate.")] = None,
    step: Annotated[float | None, typer.Option(help="Seconds per step.")] = None,
    initial_lag: Annotated[float | None, typer.Option(help="Lag at the start.")] = None,
    scale_at: Annotated[float, typer.Option(help="Autoscale trigger lag (review: 5,000).")] = 5_000,
    scale_factor: Annotated[float, typer.Option(help="Consumers x this (review: 1.5).")] = 1.5,
    reaction: Annotated[float, typer.Option(help="Seconds until added consumers work.")] = 60,
    scale_down_below: Annotated[float, typer.Option(help="Scale back under this lag.")] = 1_000,
    scale_down_after: Annotated[float, typer.Option(help="...after this many seconds.")] = 300,
    backpressure_at: Annotated[
        float, typer.Option(help="429 anything past this lag (review: 100,000).")
    ] = 100_000,
    series: Annotated[bool, typer.Option(help="Include the time series in --json.")] = False,
    plot: PlotOption,
    as_json: JsonOption = False,
) -> None:
    """Kafka consumer lag over time: no rules, +50% consumers, 429 backpressure, both."""
    with one_line_errors():
        scenario = scenario_from(
            SCENARIO_3 if preset is Preset.scenario3 else LagScenario(),
            producer_per_s=producer_rate,
            consumer_per_s=consumer_rate,
            consumers=consumers,
            partitions=partitions,
            duration_s=duration,
            step_s=step,
            initial_lag=initial_lag,
            autoscale=Autoscale(
                scale_at, scale_factor, reaction, scale_down_below, scale_down_after
            ),
            backpressure=Backpressure(backpressure_at),
        )
        runs = compare_rules(scenario)
        if plot:
            from chirp.infra.sizing import plots

            paths = plots.write_lag(plot, runs, scenario)
    if plot:
        err.print(f"wrote {paths[0]} and {paths[1]}")
    if as_json:
        doc = {"scenario": asdict(scenario), "runs": [r.to_json(series) for r in runs]}
        print(json.dumps(doc, indent=2))
        return
    growth = scenario.producer_per_s - scenario.consumer_per_s
    out.print(
        f"{n(scenario.producer_per_s)}/s in, {n(scenario.consumer_per_s)}/s out with "
        f"{min(scenario.consumers, scenario.partitions)} consumers: without rules lag "
        f"{'grows' if growth > 0 else 'shrinks'} {n(abs(growth))}/s"
    )
    out.print(_runs_table(runs))


def _runs_table(runs: list[LagRun]) -> Table:
    table = Table(title="Consumer lag", title_justify="left")
    levels = [f"> {level:,.0f} at" for level in SEED_LAG_LEVELS]
    for column in ("rules", *levels, "max lag", "caught up at", "429 shed", "consumers"):
        table.add_column(column, justify="left" if column == "rules" else "right")
    for run in runs:
        table.add_row(
            run.name,
            *[seconds(run.crossings[level]) for level in SEED_LAG_LEVELS],
            n(run.max_lag),
            seconds(run.caught_up_at),
            n(run.shed_messages),
            n(int(run.consumers.max())),
        )
    return table
