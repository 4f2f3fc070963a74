"""bench.html: the goals, the ratios with each ceiling's definition, and the knee of each
operation (latency against throughput at 25, 50, 75 and 100 % of its saturation)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from matplotlib.figure import Figure

from chirp.loadtests.report_html import _CSS, _e, _figure, _num, _table

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
    title = "chirp bench" + (" (quick)" if figures["quick"] else "")
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>",
        f"<style>{_CSS}</style></head><body><h1>{_e(title)}</h1>",
        _facts(figures),
        "<h2>Goals</h2>",
        _goals(figures),
        "<h2>Ratios to same-shape ceilings</h2>",
        _ratios(figures),
        "<h2>Latency against throughput</h2>",
        "<p>Open-loop runs at 25, 50 and 75 % of each saturation, latency from the intended "
        "start; the 100 % point is the saturation run itself, a closed loop whose latency is "
        "queueing time.</p>",
        *(
            _figure(_knee(figures, name), f"{name}: p50 and p99 against throughput")
            for name in figures["operations"]
        ),
        "</body></html>",
    ]
    return "\n".join(parts)


def _facts(figures: dict[str, Any]) -> str:
    profile = figures["profile"]
    rows = [
        ("generator", f"{figures['generator']} ({figures['generator_processes']} processes)"),
        ("stack", f"{figures['gateway_processes']} gateways, "
                  f"{figures['fanout_worker_processes']} fan-out worker process(es)"),
        ("profile", f"{profile['name']}: {profile['tweets_per_hour']} tweets/h per user, "
                    f"backpressure at {profile['backpressure_lag']} messages"),
        ("reliable", "yes" if figures["reliable"] else
         "no: " + ", ".join(figures["unreliable"])),
    ]  # fmt: skip
    return _table(["", ""], rows, header=False)


def _goals(figures: dict[str, Any]) -> str:
    rows = [
        [g["figure"], _num(g["measured"]), g["goal"],
         f"<span class='{g['verdict']}'>{_e(g['verdict'])}</span>", g["reason"]]
        for g in figures["goals"]
    ]  # fmt: skip
    return _table(["figure", "measured", "goal", "verdict", "why"], rows, raw=3)


def _ratios(figures: dict[str, Any]) -> str:
    definitions = figures["definitions"]
    rows = [
        [ratio, _num(figures.get(ratio)), f"{part} / {whole}",
         definitions.get(whole, whole)]
        for ratio, part, whole in _RATIOS
    ]  # fmt: skip
    return _table(["ratio", "value", "of", "ceiling's definition"], rows)


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
