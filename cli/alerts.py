"""The alerts that fired during a `chirp load` run or a `chirp chaos` drill, as both print
them: from the report's `alerts`, `prometheus_url` and `alerts_note` fields."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rich.console import Console, RenderableType
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from chirp.core.observe import label_text

SEVERITY_STYLE = {"warning": "yellow", "critical": "red", "page": "bold magenta"}


def print_alerts(console: Console, report: dict[str, Any], during: str = "the run") -> None:
    """The alerts that fired `during` the run (or drill), then the link to its time range
    in Prometheus on one unbroken line, so it can be copied or clicked."""
    console.print(fired_alerts(report, during))
    url = report.get("prometheus_url")
    if url:
        console.print(f"prometheus: {url}", markup=False, highlight=False, soft_wrap=True)


def fired_alerts(report: dict[str, Any], during: str = "the run") -> RenderableType:
    """A table of the alerts that fired, or a line saying none did, or why nobody knows."""
    alerts = report.get("alerts")
    if alerts is None:
        note = report.get("alerts_note") or "the alert history is not in this report"
        return Text(f"alerts: unknown: {note}", style="dim")
    if not alerts:
        return Text(f"alerts: none fired during {during}", style="green")
    table = Table(title=f"alerts fired during {during}", title_justify="left")
    # Names and times stay whole; what the alert says wraps when the terminal is narrow.
    for column in ("severity", "alert", "firing", "for"):
        table.add_column(column, no_wrap=True)
    table.add_column("summary", min_width=20, overflow="fold")
    for alert in alerts:
        spells = f", {alert['spells']} spells" if alert["spells"] > 1 else ""
        labels = label_text(alert["labels"])
        table.add_row(
            Text(alert["severity"], style=SEVERITY_STYLE.get(alert["severity"], "")),
            escape(alert["name"]),
            f"{_clock(alert['first_firing_at'])}-{_clock(alert['last_firing_at'])}",
            f"{alert['firing_s']:g} s{spells}",
            escape(alert["summary"] + (f" ({labels})" if labels else "")),
        )
    return table


def _clock(iso: str) -> str:
    """An ISO time as local HH:MM:SS, as `chirp status --watch` shows times."""
    try:
        return f"{datetime.fromisoformat(iso).astimezone():%H:%M:%S}"
    except ValueError:
        return iso
