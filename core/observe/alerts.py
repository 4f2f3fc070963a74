"""Alerts as Prometheus holds them (pending or firing now), and as a run's history tells
them: which fired during a time range, when, for how long, in how many spells."""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

_TEMPLATE = re.compile(r"{{\s*(.*?)\s*}}")


@dataclass(frozen=True)
class Alert:
    """An alert Prometheus holds: pending (condition true, `for` not yet over) or firing."""

    name: str
    state: str
    severity: str
    summary: str
    labels: dict[str, str]
    active_at: str | None
    value: float | None

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> Alert:
        """One entry of `/api/v1/alerts`."""
        labels = dict(raw.get("labels", {}))
        try:
            value: float | None = float(raw["value"])
        except (KeyError, TypeError, ValueError):
            value = None
        return cls(
            name=labels.pop("alertname", "?"),
            state=raw.get("state", "?"),
            severity=labels.pop("severity", "none"),
            summary=raw.get("annotations", {}).get("summary", ""),
            labels=labels,
            active_at=raw.get("activeAt"),
            value=value,
        )

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "state": self.state,
            "severity": self.severity,
            "summary": self.summary,
            "labels": self.labels,
            "active_at": self.active_at,
            "value": self.value,
        }


@dataclass(frozen=True)
class FiredAlert:
    """One alert (name plus labels) that fired during a time range: when it first and last
    fired, for about how long in all, and in how many separate spells."""

    name: str
    severity: str
    summary: str
    labels: dict[str, str]
    first_firing_at: float
    last_firing_at: float
    firing_s: float
    spells: int

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "severity": self.severity,
            "summary": self.summary,
            "labels": self.labels,
            "first_firing_at": _iso(self.first_firing_at),
            "last_firing_at": _iso(self.last_firing_at),
            "firing_s": round(self.firing_s, 1),
            "spells": self.spells,
        }


@dataclass(frozen=True)
class AlertHistory:
    """The alerts that fired during a run and a link to its time range in Prometheus; or,
    when Prometheus does not run or answer, a note saying so (and no alerts)."""

    alerts: list[FiredAlert] | None
    prometheus_url: str | None
    note: str | None = None

    def as_dict(self) -> dict[str, object]:
        """The report fields: `alerts` (null when unknown), `prometheus_url`, and
        `alerts_note` only when the alerts are unknown."""
        block: dict[str, object] = {
            "alerts": None if self.alerts is None else [a.as_dict() for a in self.alerts],
            "prometheus_url": self.prometheus_url,
        }
        if self.note:
            block["alerts_note"] = self.note
        return block


NOT_GATHERED = AlertHistory(None, None, "the alert history was not gathered")
"""What a report says when no one asked Prometheus (a run or drill that ended early)."""


def fold_firing(
    result: list[dict[str, Any]], step: float, summaries: Mapping[str, str] | None = None
) -> list[FiredAlert]:
    """A query_range matrix of firing ALERTS folded into one FiredAlert per alert and label
    set, its summary filled from `summaries` (the rules' summary templates by alert name;
    none: empty).
    Points further apart than 1.5 steps start a new spell; each point counts as a step of
    firing. Ordered by first firing, then name."""
    points: dict[tuple[tuple[str, str], ...], list[float]] = {}
    for series in result:
        labels = {k: v for k, v in series.get("metric", {}).items() if k != "__name__"}
        times = [float(t) for t, value in series.get("values", []) if value != "0"]
        if times:
            key = tuple(sorted(labels.items()))
            points.setdefault(key, []).extend(times)
    templates = summaries or {}
    fired = [_fired(dict(key), sorted(times), step, templates) for key, times in points.items()]
    return sorted(fired, key=lambda a: (a.first_firing_at, a.name))


def label_text(labels: dict[str, str]) -> str:
    """An alert's labels as people read them: `instance` and `job` are scrape plumbing
    next to the `component` that names the process, so they are left out."""
    shown = {k: v for k, v in labels.items() if k not in ("instance", "job")}
    return ", ".join(f"{k}={v}" for k, v in sorted(shown.items()))


def fill_summary(template: str, labels: dict[str, str]) -> str:
    """A rule's summary template with its `$labels.x` filled in; the value, which a range of
    samples does not have one of, reads as "…"."""

    def fill(match: re.Match[str]) -> str:
        found = re.fullmatch(r"\$labels\.(\w+)", match.group(1))
        return labels.get(found.group(1), "?") if found else "…"

    return _TEMPLATE.sub(fill, template)


def _fired(
    labels: dict[str, str], times: list[float], step: float, summaries: Mapping[str, str]
) -> FiredAlert:
    spells = 1 + sum(1 for a, b in itertools.pairwise(times) if b - a > 1.5 * step)
    name = labels.pop("alertname", "?")
    labels.pop("alertstate", None)
    severity = labels.pop("severity", "none")
    return FiredAlert(
        name=name,
        severity=severity,
        summary=fill_summary(summaries.get(name, ""), labels),
        labels=labels,
        first_firing_at=times[0],
        last_firing_at=times[-1],
        firing_s=len(times) * step,
        spells=spells,
    )


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")
