"""The alerts that fired during a `chirp load` run or a `chirp chaos` drill, as both print
them: from the report's `alerts`, `prometheus_url` and `alerts_note` fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Console, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

SEVERITY_STYLE = {"warning": "yellow", "critical": "red", "page": "bold magenta"}


def print_alerts(console: Console, report: dict[str, Any]) -> None:
    """The alerts that fired, then the link to the run's time range in Prometheus on one
    unbroken line, so it can be copied or clicked."""
    console.print(fired_alerts(report))
    url = report.get("prometheus_url")
    if url:
        console.print(f"prometheus: {url}", markup=False, highlight=False, soft_wrap=True)


def fired_alerts(report: dict[str, Any]) -> RenderableType:
    """A table of the alerts that fired, or a line saying none did, or why nobody knows."""
    alerts = report.get("alerts")
    if alerts is None:
        note = report.get("alerts_note") or "the alert history is not in this report"
        return Text(f"alerts: unknown: {note}", style="dim")
    if not alerts:
        return Text("alerts: none fired during the run", style="green")
    table = Table(title="alerts fired during the run", title_justify="left")
    for column in ("severity", "alert", "labels", "first", "last", "firing", "summary"):
        table.add_column(column)
    for alert in alerts:
        firing = f"{alert['firing_s']:g} s"
        if alert["spells"] > 1:
            firing += f" in {alert['spells']} spells"
        table.add_row(
            Text(alert["severity"], style=SEVERITY_STYLE.get(alert["severity"], "")),
            escape(alert["name"]),
            escape(", ".join(f"{k}={v}" for k, v in sorted(alert["labels"].items()))),
            _clock(alert["first_firing_at"]),
            _clock(alert["last_firing_at"]),
            firing,
            escape(alert["summary"]),
        )
    return table


def _clock(iso: str) -> str:
    """An ISO time as local HH:MM:SS, as `chirp status --watch` shows times."""
    try:
        return f"{datetime.fromisoformat(iso).astimezone():%H:%M:%S}"
    except ValueError:
        return iso
