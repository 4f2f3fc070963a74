"""`report.html`: one self-contained page (no CDN, no scripts) drawn from `summary.json`.

Plots are matplotlib PNGs embedded as base64 `<img>`s: requests per second, latency
percentiles over time, the latency percentile spectrum, errors and 429s, consumer lag.
"""

from __future__ import annotations

import base64
import html
import io
import math
from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, FuncFormatter

from chirp.core.observe import label_text

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em auto;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:4px 8px;
text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}
.PASS{color:#0a7d28;font-weight:bold}.FAIL{color:#c0131b;font-weight:bold}
.NOT_MEASURED{color:#777}.NOT_ENOUGH_SAMPLES{color:#a86b00}.warning{color:#a86b00}.critical,.page{color:#c0131b}
figure{margin:1.5em 0}img{max-width:100%}
.warn{background:#fff4d6;padding:.5em 1em;border-left:4px solid #e0a800}
.bad{background:#fde2e1;padding:.5em 1em;border-left:4px solid #c0131b}
"""


_VERDICT_TEXT = {"NOT_MEASURED": "not measured", "NOT_ENOUGH_SAMPLES": "not enough samples"}


def write_report(summary: dict[str, Any], report_dir: Path) -> Path:
    """Render `summary` into `report_dir/report.html` and return its path."""
    path = report_dir / "report.html"
    path.write_text(render(summary), encoding="utf-8")
    return path


def render(summary: dict[str, Any]) -> str:
    scenario = summary["scenario"]
    title = f"chirp load: {scenario['name']}"
    parts = [
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{_e(title)}</title>",
        f"<style>{_CSS}</style></head><body><h1>{_e(title)}</h1>",
        f"<p>{_e(scenario['description'])}</p>",
        _facts(summary),
        _outcome(summary),
        _reliability(summary["reliability"]),
        "<h2>Service level objectives</h2>",
        _objectives(summary),
        "<h2>Alerts</h2>",
        _alerts(summary),
        "<h2>Endpoints</h2>",
        _endpoints(summary, summary["endpoints"]),
        "<h2>Warm-up</h2>",
        _warmup(summary),
        "<h2>Over time</h2>",
        _figure(_rps_plot(summary), "Requests per second by endpoint"),
        _figure(_latency_plot(summary), "Latency p50 (dashed) and p99 (solid) by endpoint"),
        _figure(_errors_plot(summary), "Errors and 429 answers per second"),
        _figure(_lag_plot(summary), "Consumer lag by group (messages)"),
        "<h2>Latency spectrum</h2>",
        _figure(_spectrum_plot(summary), "Latency by percentile (HDR histogram)"),
        "</body></html>",
    ]
    return "\n".join(parts)


def _facts(summary: dict[str, Any]) -> str:
    g, t = summary["generator"], summary["totals"]
    rows = [
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
    return _table(["", ""], rows, header=False)


def _outcome(summary: dict[str, Any]) -> str:
    reasons = summary["outcome"]["reasons"]
    if not reasons:
        return ""
    items = "".join(f"<li>{_e(r)}</li>" for r in reasons)
    return f"<div class='bad'><b>The run did not pass</b><ul>{items}</ul></div>"


def _reliability(block: dict[str, Any]) -> str:
    out = []
    if not block["reliable"]:
        reasons = "".join(f"<li>{_e(r)}</li>" for r in block["reasons"])
        out.append(f"<div class='bad'><b>Unreliable run</b><ul>{reasons}</ul></div>")
    for warning in block["warnings"]:
        out.append(f"<p class='warn'>{_e(warning)}</p>")
    return "\n".join(out)


def _objectives(summary: dict[str, Any]) -> str:
    block = summary["slo"]
    rows = []
    for o in block["objectives"]:
        measured = "—" if o["measured"] is None else _num(o["measured"])
        samples = "—" if o["samples"] is None else str(o["samples"])
        if o["verdict"] == "NOT_ENOUGH_SAMPLES":
            samples += f" of {o['min_samples']}"
        label = (
            o["verdict"].replace("_", " ").lower()
            if o["verdict"].startswith("NOT")
            else o["verdict"]
        )
        verdict = f"<span class='{o['verdict']}'>{_e(label)}</span>"
        rows.append(
            (
                o["description"],
                f"{o['comparison']} {_num(o['threshold'])} {o['unit']}",
                measured,
                samples,
                verdict,
            )
        )
    note = (
        f"<p>Latency judged on {block['judged_on']} figures, over what started after the "
        f"{summary['warmup']['seconds']:g} s warm-up. A percentile q needs 10 / (1 &minus; q) "
        "samples (p50 20, p99 1,000, p99.9 10,000) before it is judged.</p>"
    )
    return note + _table(["objective", "target", "measured", "samples", "verdict"], rows, raw=4)


def _alerts(summary: dict[str, Any]) -> str:
    """The alerts that fired during the run and the link to the run in Prometheus."""
    url = summary.get("prometheus_url")
    link = (
        f"<p><a href='{_e(url)}'>The run's time range in Prometheus</a> "
        "(firing alerts, p99 by route, error ratio, consumer lag).</p>"
        if url
        else ""
    )
    alerts = summary.get("alerts")
    if alerts is None:
        note = summary.get("alerts_note") or "the alert history is not in this report"
        return f"<p class='warn'>Alerts unknown: {_e(note)}</p>{link}"
    if not alerts:
        return f"<p>No alert fired during the run.</p>{link}"
    rows = [
        (
            f"<span class='{_e(a['severity'])}'>{_e(a['severity'])}</span>",
            a["name"],
            label_text(a["labels"]) or "—",
            a["first_firing_at"],
            a["last_firing_at"],
            f"{a['firing_s']:g} s" + (f" ({a['spells']} spells)" if a["spells"] > 1 else ""),
            a["summary"],
        )
        for a in alerts
    ]
    head = ["severity", "alert", "labels", "first firing", "last firing", "firing", "summary"]
    return _table(head, rows, raw=0) + link


def _warmup(summary: dict[str, Any]) -> str:
    warmup = summary["warmup"]
    if not warmup["seconds"]:
        return "<p>No warm-up: every request was judged.</p>"
    note = (
        f"<p>What started in the first {warmup['seconds']:g} s ({warmup['requests']} requests) "
        "is left out of the verdicts.</p>"
    )
    return note + _endpoints(summary, warmup["endpoints"])


def _endpoints(summary: dict[str, Any], endpoint_rows: list[dict[str, Any]]) -> str:
    open_model = summary["generator"]["model"] == "open"
    rows = []
    for row in endpoint_rows:
        lat = row["latency_ms"] or {}
        cells = [
            row["name"],
            str(row["requests"]),
            f"{row['rps']:.2f}",
            str(row["errors"]),
            str(row["rate_limited"]),
            *(_num(lat.get(k)) for k in ("p50", "p95", "p99", "p999")),
        ]
        if open_model:
            cor = row["corrected_latency_ms"] or {}
            cells += [_num(cor.get(k)) for k in ("p50", "p95", "p99", "p999")]
        rows.append(tuple(cells))
    head = ["endpoint", "requests", "rps", "errors", "429", "p50", "p95", "p99", "p99.9"]
    note = "<p>Milliseconds, service time of successful requests.</p>"
    if open_model:
        head += ["corr. p50", "corr. p95", "corr. p99", "corr. p99.9"]
        note = (
            "<p>Milliseconds. Service time, then corrected: measured from each request's "
            "intended start, so time spent waiting behind a stalled stack counts.</p>"
        )
    return _table(head, rows) + note


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


def _figure(fig: Figure, caption: str) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f"<figure><img alt='{_e(caption)}' src='data:image/png;base64,{data}'>"
        f"<figcaption>{_e(caption)}</figcaption></figure>"
    )


def _table(
    head: list[str], rows: Sequence[Sequence[str]], header: bool = True, raw: int = -1
) -> str:
    out = ["<table>"]
    if header:
        out.append("<tr>" + "".join(f"<th>{_e(h)}</th>" for h in head) + "</tr>")
    for row in rows:
        cells = [cell if i == raw else _e(cell) for i, cell in enumerate(row)]
        out.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
    out.append("</table>")
    return "".join(out)


def _num(value: float | int | None) -> str:
    if value is None:
        return "—"
    if isinstance(value, int) or float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.3f}" if abs(value) < 1 else f"{value:.2f}"


def _e(text: object) -> str:
    return html.escape(str(text), quote=True)
