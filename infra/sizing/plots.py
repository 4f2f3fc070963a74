"""Pictures of the sizing models: a PNG and a self-contained HTML page for each.

Drawn with matplotlib's object API on the Agg canvas (no display, no pyplot state).
The HTML embeds the PNG as base64 and repeats the figures as a table, so it opens
offline with nothing fetched from a CDN.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from chirp.core.errors import ConfigError
from chirp.infra.sizing.fanout import PolicyResult
from chirp.infra.sizing.lag import SEED_LAG_LEVELS, LagRun, LagScenario

_FAMILY_COLOURS = {
    "push-all": "tab:red",
    "pull-all": "tab:blue",
    "hybrid": "tab:green",
    "rate": "tab:purple",
}


def fanout_png(results: Sequence[PolicyResult], title: str) -> bytes:
    """Feed writes/s against read fan-in p99 and against Redis memory, per policy."""
    fig = Figure(figsize=(11, 4.6), layout="constrained")
    FigureCanvasAgg(fig)
    left, right = fig.subplots(1, 2)
    for axis, metric, label in (
        (left, "fan_in_p99", "read fan-in p99 (sources merged per read)"),
        (right, "redis_bytes", "Redis memory (GB)"),
    ):
        for family, colour in _FAMILY_COLOURS.items():
            points = sorted(
                (r for r in results if r.kind == family), key=lambda r: r.feed_writes_per_s
            )
            if not points:
                continue
            xs = [r.feed_writes_per_s for r in points]
            ys = [_metric(r, metric) for r in points]
            axis.plot(
                xs, ys, "-o" if len(points) > 1 else "o", color=colour, label=family, alpha=0.85
            )
        _label_points(axis, results, metric)
        axis.set_xlabel("feed writes/s")
        axis.set_ylabel(label)
        axis.set_yscale("symlog" if metric == "fan_in_p99" else "linear")
        axis.grid(alpha=0.3)
    left.legend(fontsize=8)
    fig.suptitle(title)
    return _png(fig)


def _label_points(axis: Any, results: Sequence[PolicyResult], metric: str) -> None:
    """One label per spot: policies that land on the same point share it."""
    spots: dict[tuple[float, float], list[str]] = {}
    for r in results:
        point = (round(r.feed_writes_per_s, 6), round(_metric(r, metric), 6))
        spots.setdefault(point, []).append(r.policy)
    # Alternate above and below so neighbouring labels do not print over each other.
    for i, ((x, y), names) in enumerate(sorted(spots.items())):
        axis.annotate(
            " = ".join(names),
            (x, y),
            textcoords="offset points",
            xytext=(4, 4 if i % 2 == 0 else -11),
            fontsize=7,
        )


def lag_png(runs: Sequence[LagRun], title: str) -> bytes:
    """Lag and consumers over time for each run, with the review's lag levels."""
    fig = Figure(figsize=(11, 6), layout="constrained")
    FigureCanvasAgg(fig)
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 1))
    for run in runs:
        top.plot(run.times, run.lag, label=run.name)
        bottom.step(run.times, run.consumers, where="post", label=run.name)
    for level in SEED_LAG_LEVELS:
        top.axhline(level, color="grey", linestyle=":", linewidth=1)
        top.annotate(
            f"{level:,.0f}",
            (0, level),
            fontsize=7,
            color="grey",
            textcoords="offset points",
            xytext=(2, 2),
        )
    top.set_yscale("symlog", linthresh=1_000)
    top.set_ylim(bottom=0)
    top.set_ylabel("consumer lag (messages)")
    top.legend(fontsize=8)
    top.grid(alpha=0.3)
    bottom.set_ylabel("consumers")
    bottom.set_xlabel("seconds")
    bottom.grid(alpha=0.3)
    fig.suptitle(title)
    return _png(fig)


def write_fanout(
    directory: Path, results: Sequence[PolicyResult], users: int, edges: int
) -> tuple[Path, Path]:
    """``fanout.png`` and ``fanout.html`` for the policies compared on a graph."""
    title = f"Fan-out policies on {users:,} users, {edges:,} follows"
    rows = [asdict(r) for r in results]
    return write_picture(directory, "fanout", title, fanout_png(results, title), rows)


def write_lag(directory: Path, runs: Sequence[LagRun], scenario: LagScenario) -> tuple[Path, Path]:
    """``lag.png`` and ``lag.html`` for the rules compared on one scenario."""
    title = (
        f"Consumer lag: {scenario.producer_per_s:,.0f}/s in, {scenario.consumer_per_s:,.0f}/s out"
    )
    rows = [{k: v for k, v in r.summary().items() if k != "scale_events"} for r in runs]
    return write_picture(directory, "lag", title, lag_png(runs, title), rows)


def write_picture(
    directory: Path, stem: str, title: str, png: bytes, rows: Sequence[dict[str, object]]
) -> tuple[Path, Path]:
    """Write ``stem.png`` and a self-contained ``stem.html``; return both paths."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        png_path, html_path = directory / f"{stem}.png", directory / f"{stem}.html"
        png_path.write_bytes(png)
        html_path.write_text(_page(title, png, rows), encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"cannot write plots to {directory}: {error.strerror}") from None
    return png_path, html_path


def _page(title: str, png: bytes, rows: Sequence[dict[str, object]]) -> str:
    image = base64.b64encode(png).decode("ascii")
    columns = list(rows[0]) if rows else []
    head = "".join(f"<th>{html.escape(c)}</th>" for c in columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(_cell(row[c]))}</td>" for c in columns) + "</tr>"
        for row in rows
    )
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title><style>"
        "body{font-family:system-ui,sans-serif;margin:2em}"
        "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;"
        "text-align:right}th{background:#f4f4f4}img{max-width:100%}"
        f"</style></head><body><h1>{html.escape(title)}</h1>"
        f'<img alt="{html.escape(title)}" src="data:image/png;base64,{image}">'
        f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        "</body></html>\n"
    )


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1_000 else f"{value:,.0f}"
    return "" if value is None else str(value)


def _metric(result: PolicyResult, metric: str) -> float:
    value = float(getattr(result, metric))
    return value / 1e9 if metric == "redis_bytes" else value


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    return buffer.getvalue()
