"""`report.html`: one self-contained page (no CDN, no scripts) drawn from `summary.json`,
through the template templates/report.html.j2.

Plots are matplotlib PNGs embedded as base64 `<img>`s: requests per second, latency
percentiles over time, the latency percentile spectrum, errors and 429s, consumer lag.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter

from chirp.core.observe import label_text
from chirp.loadtests.pages import Tagged, image, num, render_page

_VERDICT_TEXT = {"NOT_MEASURED": "not measured", "NOT_ENOUGH_SAMPLES": "not enough samples"}


@dataclass(frozen=True)
class _Table:
    head: list[str]
    rows: list[tuple[str | Tagged, ...]]
    note: str


def write_report(summary: dict[str, Any], report_dir: Path) -> Path:
    """Render `summary` into `report_dir/report.html` and return its path."""
    path = report_dir / "report.html"
    path.write_text(render(summary), encoding="utf-8")
    return path


def render(summary: dict[str, Any]) -> str:
    """The page (templates/report.html.j2) of one summary."""
    warmup = summary["warmup"]
    return render_page(
        "report.html.j2",
        title=f"chirp load: {summary['scenario']['name']}",
        description=summary["scenario"]["description"],
        facts=_facts(summary),
        outcome_reasons=summary["outcome"]["reasons"],
        reliability=summary["reliability"],
        judged_on=summary["slo"]["judged_on"],
        warmup_s=f"{warmup['seconds']:g}",
        warmup_requests=warmup["requests"],
        objectives=_objectives(summary),
        alerts=_alerts(summary.get("alerts")),
        alerts_note=summary.get("alerts_note") or "the alert history is not in this report",
        prometheus_url=summary.get("prometheus_url"),
        endpoints=_endpoints(summary, summary["endpoints"]),
        warmup=_endpoints(summary, warmup["endpoints"]) if warmup["seconds"] else None,
        over_time=[
            image(_rps_plot(summary), "Requests per second by endpoint"),
            image(_latency_plot(summary), "Latency p50 (dashed) and p99 (solid) by endpoint"),
            image(_errors_plot(summary), "Errors and 429 answers per second"),
            image(_lag_plot(summary), "Consumer lag by group (messages)"),
        ],
        spectrum=image(_spectrum_plot(summary), "Latency by percentile (HDR histogram)"),
    )


def _facts(summary: dict[str, Any]) -> list[tuple[str, str]]:
    g, t = summary["generator"], summary["totals"]
    return [
        ("started", summary["started_at"]),
        ("elapsed", f"{summary['elapsed_s']:.1f} s"),
        (
            "judged",
            f"{summary['judged_s']:.1f} s, after a {summary['warmup']['seconds']:g} s warm-up",
        ),
        ("host", g["host"]),
        ("generator", f"{g['mode']} ({g['model']} model, {g['users']} users)"),
        ("requests", f"{t['requests']} ({t['rps']:.1f}/s)"),
        ("errors", f"{t['errors']}  ·  429s: {t['rate_limited']}"),
        ("verdict", "passed" if summary["outcome"]["passed"] else "FAILED"),
    ]


def _objectives(summary: dict[str, Any]) -> list[tuple[str | Tagged, ...]]:
    rows: list[tuple[str | Tagged, ...]] = []
    for o in summary["slo"]["objectives"]:
        measured = "—" if o["measured"] is None else num(o["measured"])
        samples = "—" if o["samples"] is None else str(o["samples"])
        if o["verdict"] == "NOT_ENOUGH_SAMPLES":
            samples += f" of {o['min_samples']}"
        label = _VERDICT_TEXT.get(o["verdict"], o["verdict"])
        rows.append(
            (
                o["description"],
                f"{o['comparison']} {num(o['threshold'])} {o['unit']}",
                measured,
                samples,
                Tagged(label, o["verdict"]),
            )
        )
    return rows


def _alerts(alerts: list[dict[str, Any]] | None) -> list[tuple[str | Tagged, ...]] | None:
    """One row per alert that fired during the run; None when nobody knows."""
    if alerts is None:
        return None
    return [
        (
            Tagged(a["severity"], a["severity"]),
            a["name"],
            label_text(a["labels"]) or "—",
            a["first_firing_at"],
            a["last_firing_at"],
            f"{a['firing_s']:g} s" + (f" ({a['spells']} spells)" if a["spells"] > 1 else ""),
            a["summary"],
        )
        for a in alerts
    ]


def _endpoints(summary: dict[str, Any], endpoint_rows: list[dict[str, Any]]) -> _Table:
    open_model = summary["generator"]["model"] == "open"
    rows: list[tuple[str | Tagged, ...]] = []
    for row in endpoint_rows:
        lat = row["latency_ms"] or {}
        cells = [
            row["name"],
            str(row["requests"]),
            f"{row['rps']:.2f}",
            str(row["errors"]),
            str(row["rate_limited"]),
            *(num(lat.get(k)) for k in ("p50", "p95", "p99", "p999")),
        ]
        if open_model:
            cor = row["corrected_latency_ms"] or {}
            cells += [num(cor.get(k)) for k in ("p50", "p95", "p99", "p999")]
        rows.append(tuple(cells))
    head = ["endpoint", "requests", "rps", "errors", "429", "p50", "p95", "p99", "p99.9"]
    if not open_model:
        return _Table(head, rows, "Milliseconds, service time of successful requests.")
    return _Table(
        [*head, "corr. p50", "corr. p95", "corr. p99", "corr. p99.9"],
        rows,
        "Milliseconds. Service time, then corrected: measured from each request's intended "
        "start, so time spent waiting behind a stalled stack counts.",
    )


def _series(summary: dict[str, Any], key: str) -> dict[str, tuple[list[float], list[float]]]:
    """Per endpoint, (times, values) of one timeline field; counts become per-second rates
    and a bucket with no requests of an endpoint counts as zero, not as a gap."""
    bucket = summary["timeline"]["bucket_s"]
    points = summary["timeline"]["points"]
    counted = key in ("requests", "errors", "rate_limited")
    values: dict[str, dict[float, float]] = defaultdict(dict)
    for point in points:
        if point[key] is not None:
            values[point["endpoint"]][point["t"]] = point[key] / bucket if counted else point[key]
    if counted:
        times = sorted({point["t"] for point in points})
        for per_t in values.values():
            for t in times:
                per_t.setdefault(t, 0.0)
    return {
        name: (sorted(per_t), [per_t[t] for t in sorted(per_t)]) for name, per_t in values.items()
    }


def _rps_plot(summary: dict[str, Any]) -> Figure:
    fig, ax = _axes("requests / s", summary["warmup"]["seconds"])
    for name, (xs, ys) in sorted(_series(summary, "requests").items()):
        ax.plot(xs, ys, label=name)
    return _finish(fig, ax)


def _latency_plot(summary: dict[str, Any]) -> Figure:
    fig, ax = _axes("ms", summary["warmup"]["seconds"])
    colours = {}
    for name, (xs, ys) in sorted(_series(summary, "p99_ms").items()):
        (line,) = ax.plot(xs, ys, label=f"{name} p99")
        colours[name] = line.get_color()
    for name, (xs, ys) in sorted(_series(summary, "p50_ms").items()):
        ax.plot(xs, ys, linestyle="--", color=colours.get(name))
    if colours:
        ax.set_yscale("log")
    return _finish(fig, ax)


def _errors_plot(summary: dict[str, Any]) -> Figure:
    fig, ax = _axes("per second", summary["warmup"]["seconds"])
    for key, label in (("errors", "errors"), ("rate_limited", "429 (rate limit/backpressure)")):
        per_t: dict[float, float] = defaultdict(float)
        for xs, ys in _series(summary, key).values():
            for x, y in zip(xs, ys, strict=True):
                per_t[x] += y
        times = sorted(per_t)
        ax.plot(times, [per_t[t] for t in times], label=label)
    return _finish(fig, ax)


def _lag_plot(summary: dict[str, Any]) -> Figure:
    fig, ax = _axes("messages", summary["warmup"]["seconds"])
    lag = summary["stack"]["consumer_lag"]
    if not lag["measured"]:
        ax.text(0.5, 0.5, "consumer lag not measured", ha="center", transform=ax.transAxes)
        return _finish(fig, ax, legend=False)
    groups = sorted({g for point in lag["timeline"] for g in point["by_group"]})
    for group in groups:
        points = [(p["t"], p["by_group"].get(group, 0.0)) for p in lag["timeline"]]
        ax.plot([t for t, _ in points], [v for _, v in points], label=group)
    return _finish(fig, ax)


def _spectrum_plot(summary: dict[str, Any]) -> Figure:
    fig = Figure(figsize=(10, 3.6), dpi=90)
    ax = fig.subplots()
    ax.set_ylabel("ms")

    # x as "nines": 90 % -> 1, 99 % -> 2, 99.9 % -> 3, so the tail gets the room it needs.
    def nines(p: float) -> float:
        return float(min(5.0, -math.log10(max(1e-5, 1 - p / 100))))

    ticks = [0.0, 50.0, 90.0, 99.0, 99.9, 99.99]
    for row in summary["endpoints"]:
        if row["spectrum_ms"]:
            ax.plot(
                [nines(p) for p, _ in row["spectrum_ms"]],
                [ms for _, ms in row["spectrum_ms"]],
                marker=".",
                label=row["name"],
            )
    ax.xaxis.set_major_locator(FixedLocator([nines(t) for t in ticks]))
    ax.xaxis.set_major_formatter(FuncFormatter(lambda x, _: _percent_label(x)))
    ax.set_xlabel("percentile")
    return _finish(fig, ax)


def _percent_label(nines: float) -> str:
    return f"{100 * (1 - 10**-nines):g}%"


def _axes(ylabel: str, warmup_s: float = 0.0) -> tuple[Figure, Any]:
    fig = Figure(figsize=(10, 3.6), dpi=90)
    ax = fig.subplots()
    if warmup_s:
        ax.axvspan(0, warmup_s, color="0.85", alpha=0.5, label="warm-up (not judged)")
    ax.set_xlabel("seconds into the run")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    return fig, ax


def _finish(fig: Figure, ax: Any, legend: bool = True) -> Figure:
    if legend and ax.get_lines():
        ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0))
    elif legend:
        ax.text(0.5, 0.5, "no data", ha="center", transform=ax.transAxes)
    fig.tight_layout()
    return fig
