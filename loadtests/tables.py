"""Rich tables of a load run: live per-endpoint figures, SLO verdicts, endpoints (judged
window and warm-up), comparison."""

from __future__ import annotations

from collections import deque
from typing import Any

from rich.console import Group
from rich.table import Table
from rich.text import Text

from chirp.loadtests.latency import percentiles
from chirp.loadtests.recorder import Recorder

_RECENT_S = 5.0
_VERDICT_STYLE = {
    "PASS": "bold green",
    "FAIL": "bold red",
    "NOT_MEASURED": "dim",
    "NOT_ENOUGH_SAMPLES": "yellow",
}
_VERDICT_TEXT = {"NOT_MEASURED": "not measured", "NOT_ENOUGH_SAMPLES": "not enough samples"}


class RecentRates:
    """Requests per second of each endpoint over the last few seconds."""

    def __init__(self, window_s: float = _RECENT_S) -> None:
        self.window_s = window_s
        self._history: deque[tuple[float, dict[str, int]]] = deque()

    def update(self, now: float, recorder: Recorder) -> dict[str, float]:
        counts = recorder.requests_by_endpoint()
        self._history.append((now, counts))
        while len(self._history) > 2 and now - self._history[1][0] >= self.window_s:
            self._history.popleft()
        then, before = self._history[0]
        span = now - then
        if span <= 0:
            return dict.fromkeys(counts, 0.0)
        return {name: (n - before.get(name, 0)) / span for name, n in counts.items()}


def live_table(tick: Any, rates: dict[str, float], title: str, warmup_s: float = 0.0) -> Group:
    """The table `chirp load` redraws every second; during the warm-up it shows the
    warm-up's figures, then only what the verdicts will judge."""
    table = Table(title=title, title_justify="left")
    table.add_column("endpoint", no_wrap=True)
    for column in ("rps", "p50 ms", "p99 ms", "requests", "errors", "429"):
        table.add_column(column, justify="right")
    shown = tick.recorder.live()
    for name in sorted(shown):
        stats = shown[name]
        figures = percentiles(stats.corrected)
        table.add_row(
            name,
            f"{rates.get(name, 0.0):.1f}",
            _ms(figures.p50 if figures else None),
            _ms(figures.p99 if figures else None),
            str(stats.counts.requests),
            _count(stats.counts.errors, "red"),
            _count(stats.counts.rate_limited, "yellow"),
        )
    status = [f"{tick.elapsed_s:.0f}/{tick.duration_s:.0f} s", f"{tick.users} users"]
    if tick.elapsed_s < warmup_s:
        status.append(f"warming up ({warmup_s:.0f} s, not judged)")
    if tick.generator_cpu is not None:
        status.append(f"generator CPU {tick.generator_cpu:.0f} %")
    if tick.stack is not None and tick.stack.lag:
        status.append(f"lag {max(tick.stack.lag.values()):.0f}")
    if tick.schedule is not None and tick.schedule.issued:
        status.append(f"late starts {tick.schedule.late}/{tick.schedule.issued}")
    return Group(table, Text("  ·  ".join(status), style="dim"))


def slo_table(summary: dict[str, Any]) -> Table:
    judged = summary["slo"]["judged_on"]
    warmup = summary["warmup"]["seconds"]
    title = f"SLOs: {summary['scenario']['name']} (latency: {judged}"
    title += f"; after a {warmup:g} s warm-up)" if warmup else ")"
    table = Table(title=title, title_justify="left")
    for column in ("objective", "target", "measured", "samples", "verdict"):
        table.add_column(column, justify="left" if column == "objective" else "right")
    for o in summary["slo"]["objectives"]:
        measured = "-" if o["measured"] is None else _number(o["measured"])
        table.add_row(
            o["description"],
            f"{o['comparison']} {_number(o['threshold'])} {o['unit']}",
            measured,
            _samples(o),
            Text(_VERDICT_TEXT.get(o["verdict"], o["verdict"]), style=_VERDICT_STYLE[o["verdict"]]),
        )
    return table


def unjudged_line(summary: dict[str, Any]) -> str | None:
    """Which objectives had too few samples to be judged, in one line (None: all judged)."""
    short = [o for o in summary["slo"]["objectives"] if o["verdict"] == "NOT_ENOUGH_SAMPLES"]
    if not short:
        return None
    parts = [f"{o['description']} ({o['samples'] or 0:,} of {o['min_samples']:,})" for o in short]
    return f"not enough samples to judge: {', '.join(parts)}; a run this short cannot tell"


def endpoints_table(summary: dict[str, Any], *, warmup: bool = False) -> Table:
    """The judged window's endpoints, or with `warmup` the warm-up's."""
    open_model = summary["generator"]["model"] == "open"
    if warmup:
        rows = summary["warmup"]["endpoints"]
        title = f"warm-up: first {summary['warmup']['seconds']:g} s, not judged (ms, HDR)"
    else:
        rows = summary["endpoints"]
        title = f"endpoints: {summary['judged_s']:g} s judged (ms, HDR)"
    table = Table(title=title, title_justify="left")
    columns = ["endpoint", "requests", "rps", "errors", "429", "p50", "p95", "p99", "p99.9"]
    if open_model:
        columns += ["corr. p50", "corr. p99", "corr. p99.9"]
    table.add_column(columns[0], no_wrap=True)
    for column in columns[1:]:
        table.add_column(column, justify="right")
    for row in rows:
        lat = row["latency_ms"] or {}
        cells = [
            row["name"],
            str(row["requests"]),
            f"{row['rps']:.1f}",
            str(row["errors"]),
            str(row["rate_limited"]),
            *(_ms(lat.get(k)) for k in ("p50", "p95", "p99", "p999")),
        ]
        if open_model:
            cor = row["corrected_latency_ms"] or {}
            cells += [_ms(cor.get(k)) for k in ("p50", "p99", "p999")]
        table.add_row(*cells)
    return table


def comparison_table(comparison: dict[str, Any]) -> Table:
    old = comparison["old"]
    table = Table(
        title=f"compared with {old['scenario']} of {old['started_at']}", title_justify="left"
    )
    table.add_column("endpoint", no_wrap=True)
    for column in ("rps", "p50 ms", "p99 ms", "p99.9 ms", "error rate"):
        table.add_column(column, justify="right")
    for row in comparison["endpoints"]:
        table.add_row(
            row["name"],
            _change(row["rps"], higher_is_better=True),
            _change(row["p50_ms"]),
            _change(row["p99_ms"]),
            _change(row["p999_ms"]),
            _change(row["error_rate"]),
        )
    for o in comparison["objectives"]:
        if o["old"] != o["new"]:
            table.add_row(
                Text(f"{o['name']}: {o['old']} -> {o['new']}", style="bold"), "", "", "", "", ""
            )
    tolerance = comparison.get("tolerance")
    if tolerance is not None:
        found = comparison["regressions"]
        table.caption = (
            f"regressed past {tolerance:.0%}: " + "; ".join(found)
            if found
            else f"no judged percentile or throughput regressed past {tolerance:.0%}"
        )
        table.caption_style = "bold red" if found else "green"
    return table


def _change(change: dict[str, Any], higher_is_better: bool = False) -> Text:
    """This run's figure and its change against the stored run, green or red past 5 %."""
    old, new, percent = change["old"], change["new"], change["percent"]
    if new is None:
        return Text("-")
    if old is None:
        return Text(f"{_number(new)} (new)")
    if percent is None:
        return Text(f"{_number(new)} (was {_number(old)})")
    better = percent > 0 if higher_is_better else percent < 0
    style = "" if abs(percent) < 5 else "green" if better else "red"
    return Text(f"{_number(new)} ({percent:+.0f}%)", style=style)


def _samples(objective: dict[str, Any]) -> str:
    if objective["samples"] is None:
        return "-"
    if objective["verdict"] == "NOT_ENOUGH_SAMPLES":
        return f"{objective['samples']:,} of {objective['min_samples']:,}"
    return f"{objective['samples']:,}"


def _ms(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f}"


def _count(value: int, style: str) -> Text:
    return Text(str(value), style=style if value else "")


def _number(value: float) -> str:
    if float(value).is_integer():
        return f"{int(value)}"
    return f"{value:.4f}" if abs(value) < 1 else f"{value:.1f}"
