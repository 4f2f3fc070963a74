"""bench.html: the goals, the ratios with each ceiling's definition, and the knee of each
operation (latency against throughput at 25, 50, 75 and 100 % of its saturation), through
the template templates/bench.html.j2."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from chirp.loadtests.pages import Tagged, image, num, render_page

_RATIOS = (
    ("feed_read_ratio", "feed_read_rps", "ceiling_rps"),
    ("user_timeline_ratio", "user_timeline_rps", "ceiling_rps"),
    ("post_ratio_to_ceiling", "post_rps", "ceiling_rps"),
    ("search_ratio", "search_rps", "ceiling_rps"),
    ("post_store_ratio", "post_rps", "post_ceiling_per_s"),
    ("fanout_ratio", "fanout_capacity_per_s", "fanout_ceiling_per_s"),
)


def write_bench_report(figures: dict[str, Any], work_dir: Path) -> Path:
    """Render `figures` into `work_dir/bench.html` and return its path."""
    path = work_dir / "bench.html"
    path.write_text(render(figures), encoding="utf-8")
    return path


def render(figures: dict[str, Any]) -> str:
    """The page (templates/bench.html.j2) of one bench's figures."""
    return render_page(
        "bench.html.j2",
        title="chirp bench" + (" (quick)" if figures["quick"] else ""),
        facts=_facts(figures),
        goals=_goals(figures),
        ratios=_ratios(figures),
        knees=[
            image(_knee(figures, name), f"{name}: p50 and p99 against throughput")
            for name in figures["operations"]
        ],
    )


def _facts(figures: dict[str, Any]) -> list[tuple[str, str]]:
    profile = figures["profile"]
    return [
        ("generator", f"{figures['generator']} ({figures['generator_processes']} processes)"),
        ("stack", f"{figures['gateway_processes']} gateways, "
                  f"{figures['fanout_worker_processes']} fan-out worker process(es)"),
        ("profile", f"{profile['name']}: {profile['tweets_per_hour']} tweets/h per user, "
                    f"backpressure at {profile['backpressure_lag']} messages"),
        ("reliable", "yes" if figures["reliable"] else
         "no: " + ", ".join(figures["unreliable"])),
    ]  # fmt: skip


def _goals(figures: dict[str, Any]) -> list[tuple[str | Tagged, ...]]:
    return [
        (g["figure"], num(g["measured"]), g["goal"], Tagged(g["verdict"], g["verdict"]),
         g["reason"])
        for g in figures["goals"]
    ]  # fmt: skip


def _ratios(figures: dict[str, Any]) -> list[tuple[str, ...]]:
    definitions = figures["definitions"]
    return [
        (ratio, num(figures.get(ratio)), f"{part} / {whole}", definitions.get(whole, whole))
        for ratio, part, whole in _RATIOS
    ]


def _knee(figures: dict[str, Any], name: str) -> Figure:
    operation = figures["operations"][name]
    runs = [*operation["open_loop"], {"fraction": 1.0, **operation["saturation"]}]
    points = [
        (run["fraction"], run["ok_rps"], run["latency_ms"])
        for run in runs
        if run.get("ok_rps") and run.get("latency_ms")
    ]
    fig = Figure(figsize=(7, 3.4), dpi=90)
    ax = fig.subplots()
    ax.set_xlabel("successful requests per second")
    ax.set_ylabel("ms")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    if points:
        rates = [rate for _, rate, _ in points]
        for label, style in (("p50", "--o"), ("p99", "-o")):
            ax.plot(rates, [latency[label] for _, _, latency in points], style, label=label)
        for fraction, rate, latency in points:
            ax.annotate(f"{fraction:.0%}", (rate, latency["p99"]), fontsize="small",
                        textcoords="offset points", xytext=(4, 4))  # fmt: skip
        ax.legend(fontsize="small")
    else:
        ax.text(0.5, 0.5, "no data", ha="center", transform=ax.transAxes)
    fig.tight_layout()
    return fig
