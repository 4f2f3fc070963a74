"""`chirp simulate capacity|fanout|lag`: models past one machine (see the README).

Each command parses options, calls into ``infra.sizing`` and renders: rich tables
for people, ``--json`` for scripts, ``--plot DIR`` for a PNG and a self-contained
HTML page. Expected failures are one line on stderr and exit 1.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer
from rich.markup import escape
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn
from rich.table import Table
from typer.core import TyperCommand
from typer.exceptions import TyperException

from chirp.cli.console import err, fail, out
from chirp.core.errors import ChirpError
from chirp.infra.sizing import (
    SCENARIO_3,
    SEED_LAG_LEVELS,
    Assumptions,
    Autoscale,
    Backpressure,
    FanoutModel,
    FollowerDistribution,
    GraphSpec,
    LagRun,
    LagScenario,
    compare_policies,
    compare_rules,
    compare_with_seed,
    generate_graph,
    inconsistencies,
    load_assumptions,
    load_report,
    plan_capacity,
    pulumi_sizes,
    standard_policies,
    write_pulumi_config,
)
from chirp.infra.sizing.capacity import CapacityPlan
from chirp.infra.sizing.seed_review import SeedFigure

_T = TypeVar("_T")

app = typer.Typer(
    help="Model chirp past one machine: the capacity plan, fan-out policies, Kafka lag.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")]
PlotOption = Annotated[
    Path | None,
    typer.Option(
        "--plot",
        envvar="CHIRP_PLOT_DIR",
        file_okay=False,
        help="Write a PNG and a self-contained HTML page into this directory.",
    ),
]


@contextmanager
def _one_line_errors() -> Iterator[None]:
    try:
        yield
    except ChirpError as error:
        fail(escape(str(error)))


class _OneLineUsageErrors(TyperCommand):
    """An option that cannot be parsed is one line and exit 1 too, not a usage panel."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Any = None, **extra: Any
    ) -> Any:
        try:
            return super().make_context(info_name, args, parent=parent, **extra)
        except TyperException as error:  # bad values, unknown or missing options
            formatter = getattr(error, "format_message", None)
            message = formatter() if callable(formatter) else str(error)
            fail(escape(" ".join(message.split())))


# ---------------------------------------------------------------- capacity


def capacity(
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            envvar="CHIRP_CAPACITY_CONFIG",
            dir_okay=False,
            help="TOML assumptions (see scenarios/capacity/seed.toml); options override it.",
        ),
    ] = None,
    from_report: Annotated[
        Path | None,
        typer.Option(
            "--from-report",
            envvar="CHIRP_CAPACITY_REPORT",
            dir_okay=False,
            help="`chirp bench --json` output or a `chirp load` summary.json: measured "
            "per-process capacities replace the assumed ones.",
        ),
    ] = None,
    emit_pulumi_config: Annotated[
        Path | None,
        typer.Option(
            "--emit-pulumi-config",
            dir_okay=False,
            help="Write the fleet sizes the Pulumi AWS program reads (.json, .yaml or .yml).",
        ),
    ] = None,
    dau: Annotated[
        int | None,
        typer.Option(envvar="CHIRP_CAPACITY_DAU", help="Daily active users (review: 100M)."),
    ] = None,
    tweets_per_user: Annotated[
        float | None, typer.Option(help="Tweets per user per day (review: 5).")
    ] = None,
    reads_per_user: Annotated[
        float | None, typer.Option(help="Feed reads per user per day (review: 50).")
    ] = None,
    peak_factor: Annotated[float | None, typer.Option(help="Peak / average (review: 3).")] = None,
    tweet_bytes: Annotated[int | None, typer.Option(help="Bytes per tweet (review: 500).")] = None,
    feed_entry_bytes: Annotated[
        int | None, typer.Option(help="Bytes per feed entry (review: 8).")
    ] = None,
    feed_length: Annotated[
        int | None, typer.Option(help="Tweet ids kept per feed (review sizing: 100).")
    ] = None,
    follower_exponent: Annotated[
        float | None, typer.Option(help="Power-law exponent of follower counts [2.2].")
    ] = None,
    mean_followers: Annotated[
        float | None, typer.Option(help="Mean followers per account [200].")
    ] = None,
    kafka_retention_days: Annotated[
        float | None, typer.Option(help="Kafka retention (review: 7 days).")
    ] = None,
    kafka_replication: Annotated[
        int | None, typer.Option(help="Kafka replication factor (review: 3).")
    ] = None,
    redis_replicas: Annotated[
        int | None, typer.Option(help="Replicas per Redis shard (review: 1).")
    ] = None,
    kafka_broker_msgs: Annotated[
        float | None, typer.Option(help="Messages/s per Kafka broker (review: 50,000).")
    ] = None,
    redis_node_ops: Annotated[
        float | None, typer.Option(help="Key operations/s per Redis shard [250,000].")
    ] = None,
    fanout_worker_tweets: Annotated[
        float | None, typer.Option(help="Tweets/s per fan-out worker (review: 100).")
    ] = None,
    gateway_rps: Annotated[
        float | None, typer.Option(help="Requests/s per gateway, reads and posts alike [1,000].")
    ] = None,
    settings: Annotated[
        list[str] | None,
        typer.Option(
            "--set",
            metavar="SECTION.FIELD=VALUE",
            help="Any other assumption, e.g. prices.worker_month=70 (repeatable).",
        ),
    ] = None,
    show_all: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Show every design review figure compared, not only the inconsistent ones.",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Capacity plan for the design review's load: rates, storage, memory, fleet, cost, checks."""
    named = {
        "load.dau": dau,
        "load.tweets_per_user_day": tweets_per_user,
        "load.reads_per_user_day": reads_per_user,
        "load.peak_factor": peak_factor,
        "sizes.tweet_bytes": tweet_bytes,
        "sizes.feed_entry_bytes": feed_entry_bytes,
        "sizes.feed_length": feed_length,
        "followers.exponent": follower_exponent,
        "followers.mean": mean_followers,
        "kafka.retention_days": kafka_retention_days,
        "kafka.replication": kafka_replication,
        "caching.replicas_per_shard": redis_replicas,
        "units.kafka_broker_msgs_per_s": kafka_broker_msgs,
        "units.redis_node_ops_per_s": redis_node_ops,
        "units.fanout_worker_tweets_per_s": fanout_worker_tweets,
        "units.gateway_feed_reads_per_s": gateway_rps,
        "units.gateway_posts_per_s": gateway_rps,
    }
    with _one_line_errors():
        assumptions = load_assumptions(config) if config else Assumptions()
        measured = load_report(from_report) if from_report else None
        if measured:
            assumptions = assumptions.with_overrides(measured.overrides())
        overrides: dict[str, Any] = {k: v for k, v in named.items() if v is not None}
        overrides.update(_parse_settings(settings or []))
        assumptions = assumptions.with_overrides(overrides)
        plan = plan_capacity(assumptions)
        figures = compare_with_seed(assumptions, plan)
        if emit_pulumi_config:
            write_pulumi_config(emit_pulumi_config, pulumi_sizes(assumptions, plan))
    if as_json:
        print(
            json.dumps(
                {
                    "assumptions": assumptions.model_dump(),
                    "measured": asdict(measured) if measured else None,
                    "plan": plan.model_dump(),
                    "comparisons": [f.model_dump() for f in figures],
                    "inconsistencies": [f.model_dump() for f in inconsistencies(figures)],
                },
                indent=2,
            )
        )
    else:
        _print_plan(plan, figures if show_all else inconsistencies(figures), show_all)
    if emit_pulumi_config:
        err.print(f"wrote the Pulumi sizes to {emit_pulumi_config}")
    if measured:
        err.print(
            f"unit capacities measured in {measured.source}: {', '.join(measured.overrides())}"
        )


def _parse_settings(items: list[str]) -> dict[str, str]:
    parsed: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ChirpError(f"--set expects SECTION.FIELD=VALUE, got {item!r}")
        parsed[key.strip()] = value.strip()
    return parsed


def _print_plan(plan: CapacityPlan, figures: list[SeedFigure], show_all: bool) -> None:
    load = Table(title="Load", title_justify="left")
    for column in ("", "average", "peak", "plan"):
        load.add_column(column, justify="right")
    for name, r in (("writes/s", plan.load.writes_per_s), ("reads/s", plan.load.reads_per_s)):
        load.add_row(name, _n(r.average), _n(r.peak), _n(r.plan))
    out.print(load)
    out.print(_two_columns("Storage, Kafka and fan-out", _flow_rows(plan)))
    fleet = Table(title="Memory, fleet and monthly cost", title_justify="left")
    for column in ("component", "sized by", "units", "USD/month"):
        fleet.add_column(column, justify="right" if column != "component" else "left")
    for row in _fleet_rows(plan):
        fleet.add_row(*row)
    out.print(fleet)
    out.print(_figures_table(figures, show_all))


def _flow_rows(plan: CapacityPlan) -> list[tuple[str, str]]:
    storage, kafka, fan = plan.storage, plan.kafka, plan.fanout
    per_tweet = (fan.deliveries_per_tweet, fan.deliveries_per_tweet_push_all)
    sizes = (storage.per_day_bytes, storage.per_month_bytes, storage.per_year_bytes)
    return [
        ("storage per day / month / year", " / ".join(_bytes(b) for b in sizes)),
        ("Kafka messages in/s (plan)", _n(kafka.messages_in_per_s)),
        ("Kafka bytes in/s", _bytes(kafka.bytes_in_per_s) + "/s"),
        ("Kafka replica writes/s", _n(kafka.replica_writes_per_s)),
        ("Kafka consumer reads/s", _n(kafka.consumer_reads_per_s)),
        ("Kafka retained", _bytes(kafka.retained_bytes)),
        ("feed insertions per tweet (hybrid / push-all)", _pair(*per_tweet, "{:,.1f}")),
        (
            "fan-out feed writes/s (hybrid / push-all)",
            _pair(fan.feed_writes_per_s, fan.feed_writes_per_s_push_all),
        ),
        ("celebrity timelines merged per read", f"{fan.celebrity_merges_per_read:,.1f}"),
        ("DynamoDB WCU (table + GSIs) / RCU", _pair(plan.dynamodb.wcu, plan.dynamodb.rcu)),
        *_edge_rows(plan),
    ]


def _edge_rows(plan: CapacityPlan) -> list[tuple[str, str]]:
    edge = plan.edge
    if edge is None:
        return []
    return [
        ("edge media views/s (plan)", _n(edge.media_views_per_s)),
        ("edge egress", _bytes(edge.egress_bytes_per_s) + "/s"),
        (
            "origin behind the edge: requests/s, egress",
            f"{_n(edge.origin_requests_per_s)}, {_bytes(edge.origin_egress_bytes_per_s)}/s",
        ),
    ]


def _figures_table(figures: list[SeedFigure], show_all: bool) -> Table:
    title = "Design review figures compared" if show_all else "Inconsistencies in the design review"
    table = Table(title=title, title_justify="left", show_lines=True)
    for column in ("figure", "review", "derived", "basis", "why"):
        table.add_column(column, justify="right" if column in ("review", "derived") else "left")
    for f in figures:
        mark = "" if f.ok else "[red]✗[/] "
        table.add_row(
            f"{mark}{escape(f.figure)}",
            f"{_exact(f.seed)} {f.unit}",
            f"{_exact(f.derived)} {f.unit}",
            "review" if f.basis == "seed" else f.basis,
            escape(f.why),
        )
    return table


def _fleet_rows(plan: CapacityPlan) -> list[tuple[str, str, str, str]]:
    cost, fleet, r = plan.monthly_cost, plan.fleet, plan.redis
    workers = ", ".join(f"{name} {count}" for name, count in fleet.workers.items())
    rows = [
        ("gateways", "feed reads + posts", _n(fleet.gateways), _n(cost["gateways"])),
        ("workers", f"fan-out by {plan.fanout.sized_by}", workers, _n(cost["workers"])),
        (
            "Kafka brokers",
            f"partitions {plan.kafka.partitions}",
            _n(fleet.kafka_brokers),
            _n(cost["kafka"]),
        ),
    ]
    for name, c in (("feed", r.feed), ("tweet_cache", r.tweet_cache), ("trending", r.trending)):
        rows.append(
            (
                f"Redis {name.replace('_', ' ')}",
                f"{_bytes(c.data_bytes)}, {_n(c.ops_per_s)} ops/s",
                f"{c.nodes} {c.node_class} ({c.shards} shard{'s' * (c.shards != 1)} "
                f"x {1 + c.replicas_per_shard})",
                _n(cost[f"redis_{name}"]),
            )
        )
    rows += [
        ("DynamoDB", f"{plan.dynamodb.partitions:,} partitions", "on demand", _n(cost["dynamodb"])),
        (
            "RDS read replicas",
            f"{_n(plan.postgres_queries_per_s)} queries/s",
            _n(fleet.rds_read_replicas),
            _n(cost["rds"]),
        ),
        (
            "OpenSearch data nodes",
            _bytes(plan.opensearch_bytes),
            _n(fleet.opensearch_data_nodes),
            _n(cost["opensearch"]),
        ),
        ("[bold]total[/]", "", "", f"[bold]{_n(cost['total'])}[/]"),
    ]
    return rows


# ---------------------------------------------------------------- fanout


def fanout(
    users: Annotated[
        int,
        typer.Option(
            envvar="CHIRP_FANOUT_USERS", help="Users in the generated graph (10^4 to 10^7)."
        ),
    ] = 1_000_000,
    exponent: Annotated[float, typer.Option(help="Power-law exponent of follower counts.")] = 2.2,
    mean_followers: Annotated[
        float, typer.Option(help="Mean followers (= mean followees) per user.")
    ] = 20.0,
    posts_per_day: Annotated[float, typer.Option(help="Mean posts per user per day.")] = 5.0,
    reads_per_day: Annotated[float, typer.Option(help="Mean feed reads per user per day.")] = 50.0,
    dormant_share: Annotated[
        float, typer.Option(help="Share of users who read and post about once in 20 days.")
    ] = 0.2,
    activity_days: Annotated[
        float, typer.Option(help="Window that makes a follower active (review: 7 days).")
    ] = 7.0,
    small_max: Annotated[int, typer.Option(help="Hybrid: below this, push to all.")] = 1_000,
    celebrity_min: Annotated[int, typer.Option(help="Hybrid: above this, pull.")] = 100_000,
    rate_factor: Annotated[
        float,
        typer.Option(help="Rate policy: push when reads/day > factor x the author's posts/day."),
    ] = 1.0,
    sweep: Annotated[bool, typer.Option(help="Also sweep the thresholds.")] = True,
    feed_max: Annotated[int, typer.Option(help="Entries kept per feed (FEED_MAX).")] = 800,
    entry_bytes: Annotated[int, typer.Option(help="Bytes per feed entry (review: 8).")] = 8,
    horizon_days: Annotated[
        float, typer.Option(help="Days of tweets a feed accumulates, up to FEED_MAX.")
    ] = 7.0,
    seed: Annotated[int, typer.Option(help="Random seed of the graph.")] = 7,
    plot: PlotOption = None,
    as_json: JsonOption = False,
) -> None:
    """Compare push-all, pull-all, the review's hybrid and a rate-based fan-out on a graph."""
    started = time.perf_counter()
    with _one_line_errors():
        if entry_bytes < 1 or feed_max < 1 or horizon_days <= 0:
            raise ChirpError("entry bytes and feed max must be >= 1, horizon days > 0")
        spec = GraphSpec(
            users=users,
            followers=FollowerDistribution(exponent, mean_followers),
            posts_per_day=posts_per_day,
            reads_per_day=reads_per_day,
            dormant_fraction=dormant_share,
            activity_window_days=activity_days,
            seed=seed,
        )
        policies = standard_policies(small_max, celebrity_min, rate_factor, sweep)
        model = FanoutModel(feed_max=feed_max, entry_bytes=entry_bytes, horizon_days=horizon_days)
        with _stages(5) as advance:
            graph = generate_graph(spec, advance)
            results = compare_policies(graph, policies, model, advance)
    seconds = time.perf_counter() - started
    counts = graph.follower_counts
    summary = {
        "users": graph.users,
        "edges": graph.edges,
        "mean_followers": graph.edges / graph.users,
        "max_followers": int(counts[-1]),
        "posts_per_s": float(graph.post_rate.sum()) / 86_400,
        "reads_per_s": float(graph.read_rate.sum()) / 86_400,
        "active_share": float(graph.active.mean()),
        "seconds": seconds,
    }
    rows = [asdict(r) for r in results]
    if plot:
        with _one_line_errors():
            paths = _fanout_plot(plot, results, summary)
        err.print(f"wrote {paths[0]} and {paths[1]}")
    if as_json:
        print(json.dumps({"graph": summary, "model": asdict(model), "results": rows}, indent=2))
        return
    out.print(
        f"{graph.users:,} users, {graph.edges:,} follows (max {int(counts[-1]):,} followers), "
        f"{summary['posts_per_s']:,.1f} posts/s, {summary['reads_per_s']:,.1f} reads/s, "
        f"{summary['active_share']:.0%} active; {seconds:.1f}s"
    )
    table = Table(title="Fan-out policies", title_justify="left")
    for column in (
        "policy",
        "feed writes/s",
        "per post",
        "fan-in p50",
        "p99",
        "mean",
        "Redis",
        "feeds",
        "pulled authors",
    ):
        table.add_column(column, justify="left" if column == "policy" else "right")
    for r in results:
        name = f"[dim]{r.policy}[/]" if r.sweep else f"[bold]{r.policy}[/]"
        table.add_row(
            name,
            _n(r.feed_writes_per_s),
            f"{r.feed_writes_per_s / max(summary['posts_per_s'], 1e-12):,.1f}",
            str(r.fan_in_p50),
            str(r.fan_in_p99),
            f"{r.fan_in_mean:,.2f}",
            _bytes(r.redis_bytes),
            _n(r.feeds),
            _n(r.pulled_authors),
        )
    out.print(table)


def _fanout_plot(directory: Path, results: list[Any], summary: dict[str, Any]) -> tuple[Path, Path]:
    from chirp.infra.sizing import plots

    title = f"Fan-out policies on {summary['users']:,} users, {summary['edges']:,} follows"
    png = plots.fanout_png(results, title)
    return plots.write_picture(directory, "fanout", title, png, [asdict(r) for r in results])


# ---------------------------------------------------------------- lag


class Preset(StrEnum):
    scenario3 = "scenario3"


def lag(
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
    plot: PlotOption = None,
    as_json: JsonOption = False,
) -> None:
    """Kafka consumer lag over time: no rules, +50% consumers, 429 backpressure, both."""
    with _one_line_errors():
        base = SCENARIO_3 if preset is Preset.scenario3 else LagScenario()
        count = _given(consumers, base.consumers)
        parts = _given(partitions, base.partitions)
        drain = _given(consumer_rate, base.consumer_per_s)
        scenario = LagScenario(
            producer_per_s=_given(producer_rate, base.producer_per_s),
            consumers=count,
            per_consumer_per_s=drain / max(1, min(count, parts)),
            partitions=parts,
            duration_s=_given(duration, base.duration_s),
            step_s=_given(step, base.step_s),
            initial_lag=_given(initial_lag, base.initial_lag),
            autoscale=Autoscale(
                scale_at, scale_factor, reaction, scale_down_below, scale_down_after
            ),
            backpressure=Backpressure(backpressure_at),
        )
        runs = compare_rules(scenario)
        if plot:
            paths = _lag_plot(plot, runs, scenario)
    if plot:
        err.print(f"wrote {paths[0]} and {paths[1]}")
    if as_json:
        doc = {"scenario": asdict(scenario), "runs": [_run_json(r, series) for r in runs]}
        print(json.dumps(doc, indent=2))
        return
    growth = scenario.producer_per_s - scenario.consumer_per_s
    out.print(
        f"{_n(scenario.producer_per_s)}/s in, {_n(scenario.consumer_per_s)}/s out with "
        f"{min(scenario.consumers, scenario.partitions)} consumers: without rules lag "
        f"{'grows' if growth > 0 else 'shrinks'} {_n(abs(growth))}/s"
    )
    table = Table(title="Consumer lag", title_justify="left")
    levels = [f"> {level:,.0f} at" for level in SEED_LAG_LEVELS]
    for column in ("rules", *levels, "max lag", "caught up at", "429 shed", "consumers"):
        table.add_column(column, justify="left" if column == "rules" else "right")
    for run in runs:
        crossings = [_seconds(run.crossings[level]) for level in SEED_LAG_LEVELS]
        table.add_row(
            run.name,
            *crossings,
            _n(run.max_lag),
            _seconds(run.caught_up_at),
            _n(run.shed_messages),
            _n(int(run.consumers.max())),
        )
    out.print(table)


def _given(value: _T | None, default: _T) -> _T:
    return default if value is None else value


def _run_json(run: LagRun, series: bool) -> dict[str, Any]:
    doc = run.summary()
    if series:
        doc["series"] = {
            "t": run.times.tolist(),
            "lag": run.lag.tolist(),
            "consumers": run.consumers.tolist(),
        }
    return doc


def _lag_plot(directory: Path, runs: list[LagRun], scenario: LagScenario) -> tuple[Path, Path]:
    from chirp.infra.sizing import plots

    title = (
        f"Consumer lag: {scenario.producer_per_s:,.0f}/s in, {scenario.consumer_per_s:,.0f}/s out"
    )
    rows = [{k: v for k, v in r.summary().items() if k != "scale_events"} for r in runs]
    return plots.write_picture(directory, "lag", title, plots.lag_png(runs, title), rows)


app.command(cls=_OneLineUsageErrors)(capacity)
app.command(cls=_OneLineUsageErrors)(fanout)
app.command(cls=_OneLineUsageErrors)(lag)


# ---------------------------------------------------------------- rendering helpers


@contextmanager
def _stages(total: int) -> Iterator[Any]:
    """A progress bar on stderr advanced once per named stage."""
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description:<16}"),
        BarColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("starting", total=total)

        def advance(stage: str) -> None:
            progress.update(task, description=stage, advance=1)

        yield advance


def _two_columns(title: str, rows: list[tuple[str, str]]) -> Table:
    table = Table(title=title, title_justify="left", show_header=False)
    table.add_column("what")
    table.add_column("value", justify="right")
    for row in rows:
        table.add_row(*row)
    return table


def _n(x: float | int) -> str:
    return f"{x:,.0f}" if abs(x) >= 10 else f"{x:,.2f}".rstrip("0").rstrip(".")


def _pair(a: float, b: float, template: str = "{:,.0f}") -> str:
    return f"{template.format(a)} / {template.format(b)}"


def _exact(x: float) -> str:
    """Whole numbers as such, others to two decimals: the review's figures are compared exactly."""
    whole = abs(x - round(x)) <= 1e-9 * max(1.0, abs(x))
    return f"{x:,.0f}" if whole else f"{x:,.2f}"


def _bytes(b: float) -> str:
    for unit, size in (("PB", 1e15), ("TB", 1e12), ("GB", 1e9), ("MB", 1e6), ("KB", 1e3)):
        if b >= size:
            return f"{b / size:,.2f} {unit}"
    return f"{b:,.0f} B"


def _seconds(t: float | None) -> str:
    return "never" if t is None else f"{t:,.1f}s"
