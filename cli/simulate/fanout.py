"""`chirp simulate fanout`: fan-out policies compared on a generated follower graph."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from typing import Annotated, Any

import typer
from rich.table import Table

from chirp.cli.console import err, out
from chirp.cli.options import OldSeedOption, from_setting, pick_random_seed
from chirp.cli.simulate._format import n, size, stages
from chirp.cli.simulate._shared import JsonOption, PlotOption, one_line_errors
from chirp.core.errors import ChirpError
from chirp.infra.sizing import (
    FanoutModel,
    FollowerDistribution,
    GraphSpec,
    PolicyResult,
    compare_policies,
    generate_graph,
    standard_policies,
)


def fanout(
    *,
    users: Annotated[
        int,
        from_setting(
            "fanout_users", "--users", help="Users in the generated graph (10^4 to 10^7)."
        ),
    ],
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
    random_seed: Annotated[
        int, typer.Option("--random-seed", help="Random seed of the graph (same seed, same graph).")
    ] = 7,
    old_seed: OldSeedOption = None,
    plot: PlotOption,
    as_json: JsonOption = False,
) -> None:
    """Compare push-all, pull-all, the review's hybrid and a rate-based fan-out on a graph."""
    started = time.perf_counter()
    with one_line_errors():
        if entry_bytes < 1 or feed_max < 1 or horizon_days <= 0:
            raise ChirpError("entry bytes and feed max must be >= 1, horizon days > 0")
        spec = GraphSpec(
            users=users,
            followers=FollowerDistribution(exponent, mean_followers),
            posts_per_day=posts_per_day,
            reads_per_day=reads_per_day,
            dormant_fraction=dormant_share,
            activity_window_days=activity_days,
            seed=pick_random_seed(random_seed, old_seed),
        )
        policies = standard_policies(small_max, celebrity_min, rate_factor, sweep)
        model = FanoutModel(feed_max=feed_max, entry_bytes=entry_bytes, horizon_days=horizon_days)
        with stages(5) as advance:
            graph = generate_graph(spec, advance)
            results = compare_policies(graph, policies, model, advance)
    summary: dict[str, Any] = {**graph.summary(), "seconds": time.perf_counter() - started}
    if plot:
        from chirp.infra.sizing import plots

        with one_line_errors():
            paths = plots.write_fanout(plot, results, graph.users, graph.edges)
        err.print(f"wrote {paths[0]} and {paths[1]}")
    if as_json:
        rows = [asdict(r) for r in results]
        print(json.dumps({"graph": summary, "model": asdict(model), "results": rows}, indent=2))
        return
    out.print(
        f"{graph.users:,} users, {graph.edges:,} follows (max {summary['max_followers']:,} "
        f"followers), {summary['posts_per_s']:,.1f} posts/s, {summary['reads_per_s']:,.1f} "
        f"reads/s, {summary['active_share']:.0%} active; {summary['seconds']:.1f}s"
    )
    out.print(_policies_table(results, summary["posts_per_s"]))


def _policies_table(results: list[PolicyResult], posts_per_s: float) -> Table:
    table = Table(title="Fan-out policies", title_justify="left")
    columns = ("policy", "feed writes/s", "per post", "fan-in p50", "p99", "mean", "Redis")
    for column in (*columns, "feeds", "pulled authors"):
        table.add_column(column, justify="left" if column == "policy" else "right")
    for r in results:
        name = f"[dim]{r.policy}[/]" if r.sweep else f"[bold]{r.policy}[/]"
        table.add_row(
            name,
            n(r.feed_writes_per_s),
            f"{r.feed_writes_per_s / max(posts_per_s, 1e-12):,.1f}",
            str(r.fan_in_p50),
            str(r.fan_in_p99),
            f"{r.fan_in_mean:,.2f}",
            size(r.redis_bytes),
            n(r.feeds),
            n(r.pulled_authors),
        )
    return table
