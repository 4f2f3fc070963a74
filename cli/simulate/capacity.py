"""`chirp simulate capacity`: the capacity plan and the design review's figures checked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from chirp.cli.console import err, out
from chirp.cli.options import from_setting
from chirp.cli.simulate._format import exact, n, pair, size, two_columns
from chirp.cli.simulate._shared import JsonOption, one_line_errors
from chirp.infra.sizing import (
    CapacityPlan,
    CapacityStudy,
    SeedFigure,
    parse_overrides,
    pulumi_sizes,
    study_capacity,
    write_pulumi_config,
)

_BASIS = {"seed": "review", "chirp": "chirp"}
"""How the table names each basis (`--json` keeps the short names)."""


def capacity(
    *,
    config: Annotated[
        Path | None,
        from_setting(
            "capacity_config",
            "--config",
            dir_okay=False,
            help="TOML assumptions (see scenarios/capacity/seed.toml); options override it.",
        ),
    ],
    from_report: Annotated[
        Path | None,
        from_setting(
            "capacity_report",
            "--from-report",
            dir_okay=False,
            help="`chirp bench --json` output or a `chirp load` summary.json: measured "
            "per-process capacities replace the assumed ones.",
        ),
    ],
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
        from_setting("capacity_dau", "--dau", help="Daily active users (review: 100M)."),
    ],
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
    with one_line_errors():
        overrides: dict[str, Any] = {k: v for k, v in named.items() if v is not None}
        overrides.update(parse_overrides(settings or []))
        study = study_capacity(config, from_report, overrides)
        if emit_pulumi_config:
            sizes = pulumi_sizes(study.assumptions, study.plan)
            write_pulumi_config(emit_pulumi_config, sizes)
    if as_json:
        print(json.dumps(study.to_json(), indent=2))
    else:
        _print_plan(study, show_all)
    if emit_pulumi_config:
        err.print(f"wrote the Pulumi sizes to {emit_pulumi_config}")
    if study.measured:
        measured = study.measured
        err.print(
            f"unit capacities measured in {measured.source}: {', '.join(measured.overrides())}"
        )


def _print_plan(study: CapacityStudy, show_all: bool) -> None:
    plan = study.plan
    load = Table(title="Load", title_justify="left")
    for column in ("", "average", "peak", "plan"):
        load.add_column(column, justify="right")
    for name, r in (("writes/s", plan.load.writes_per_s), ("reads/s", plan.load.reads_per_s)):
        load.add_row(name, n(r.average), n(r.peak), n(r.plan))
    out.print(load)
    out.print(two_columns("Storage, Kafka and fan-out", _flow_rows(plan)))
    fleet = Table(title="Memory, fleet and monthly cost", title_justify="left")
    for column in ("component", "sized by", "units", "USD/month"):
        fleet.add_column(column, justify="right" if column != "component" else "left")
    for row in _fleet_rows(plan):
        fleet.add_row(*row)
    out.print(fleet)
    figures = study.figures if show_all else study.inconsistencies
    out.print(_figures_table(figures, show_all))


def _flow_rows(plan: CapacityPlan) -> list[tuple[str, str]]:
    storage, kafka, fan = plan.storage, plan.kafka, plan.fanout
    per_tweet = (fan.deliveries_per_tweet, fan.deliveries_per_tweet_push_all)
    sizes = (storage.per_day_bytes, storage.per_month_bytes, storage.per_year_bytes)
    return [
        ("storage per day / month / year", " / ".join(size(b) for b in sizes)),
        ("Kafka messages in/s (plan)", n(kafka.messages_in_per_s)),
        ("Kafka bytes in/s", size(kafka.bytes_in_per_s) + "/s"),
        ("Kafka replica writes/s", n(kafka.replica_writes_per_s)),
        ("Kafka consumer reads/s", n(kafka.consumer_reads_per_s)),
        ("Kafka retained", size(kafka.retained_bytes)),
        ("feed insertions per tweet (hybrid / push-all)", pair(*per_tweet, "{:,.1f}")),
        (
            "fan-out feed writes/s (hybrid / push-all)",
            pair(fan.feed_writes_per_s, fan.feed_writes_per_s_push_all),
        ),
        ("celebrity timelines merged per read", f"{fan.celebrity_merges_per_read:,.1f}"),
        ("DynamoDB WCU (table + GSIs) / RCU", pair(plan.dynamodb.wcu, plan.dynamodb.rcu)),
        *_edge_rows(plan),
    ]


def _edge_rows(plan: CapacityPlan) -> list[tuple[str, str]]:
    edge = plan.edge
    if edge is None:
        return []
    return [
        ("edge media views/s (plan)", n(edge.media_views_per_s)),
        ("edge egress", size(edge.egress_bytes_per_s) + "/s"),
        (
            "origin behind the edge: requests/s, egress",
            f"{n(edge.origin_requests_per_s)}, {size(edge.origin_egress_bytes_per_s)}/s",
        ),
    ]


def _figures_table(figures: list[SeedFigure], show_all: bool) -> Table:
    title = "Design review figures compared" if show_all else "Inconsistencies in the design review"
    table = Table(title=title, title_justify="left", show_lines=True)
    for column in ("figure", "review", "derived", "basis", "why"):
        numeric = column in ("review", "derived")
        table.add_column(column, justify="right" if numeric else "left")
    for f in figures:
        mark = "" if f.ok else "[red]✗[/] "
        table.add_row(
            f"{mark}{escape(f.figure)}",
            f"{exact(f.seed)} {f.unit}",
            f"{exact(f.derived)} {f.unit}",
            _BASIS[f.basis],
            escape(f.why),
        )
    return table


def _fleet_rows(plan: CapacityPlan) -> list[tuple[str, str, str, str]]:
    cost, fleet, r = plan.monthly_cost, plan.fleet, plan.redis
    workers = ", ".join(f"{name} {count}" for name, count in fleet.workers.items())
    rows = [
        ("gateways", "feed reads + posts", n(fleet.gateways), n(cost["gateways"])),
        ("workers", f"fan-out by {plan.fanout.sized_by}", workers, n(cost["workers"])),
        (
            "Kafka brokers",
            f"partitions {plan.kafka.partitions}",
            n(fleet.kafka_brokers),
            n(cost["kafka"]),
        ),
    ]
    for name, c in (("feed", r.feed), ("tweet_cache", r.tweet_cache), ("trending", r.trending)):
        rows.append(
            (
                f"Redis {name.replace('_', ' ')}",
                f"{size(c.data_bytes)}, {n(c.ops_per_s)} ops/s",
                f"{c.nodes} {c.node_class} ({c.shards} shard{'s' * (c.shards != 1)} "
                f"x {1 + c.replicas_per_shard})",
                n(cost[f"redis_{name}"]),
            )
        )
    rows += [
        ("DynamoDB", f"{plan.dynamodb.partitions:,} partitions", "on demand", n(cost["dynamodb"])),
        (
            "RDS read replicas",
            f"{n(plan.postgres_queries_per_s)} queries/s",
            n(fleet.rds_read_replicas),
            n(cost["rds"]),
        ),
        (
            "OpenSearch data nodes",
            size(plan.opensearch_bytes),
            n(fleet.opensearch_data_nodes),
            n(cost["opensearch"]),
        ),
        ("[bold]total[/]", "", "", f"[bold]{n(cost['total'])}[/]"),
    ]
    return rows
