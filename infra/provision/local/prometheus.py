"""Prometheus from the Debian package: scrapes the stack and evaluates chirp's alert rules.

This is chirp's own instance. Its config, rules and data live under the run directory
and it listens on `prometheus_port`, so a system Prometheus that installing the package
may have started is never touched.
"""

from __future__ import annotations

import itertools
import json
import math
import re
import shutil
import urllib.parse
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

import yaml

from chirp.core.errors import MissingDependency
from chirp.core.settings import Settings
from chirp.infra.provision.local.component import Component, Port, Problem

RULES_FILE = Path(__file__).parent / "rules" / "chirp.rules.yml"
"""Recording and alert rules for the design review's key metrics."""

EVALUATION_S = 2
"""Seconds between scrapes and between rule evaluations, so between ALERTS samples."""
SCRAPE_INTERVAL = f"{EVALUATION_S}s"
RETENTION = "2h"
"""A local stack is loaded and broken for minutes, not watched for weeks."""


@dataclass(frozen=True)
class ScrapeTarget:
    """One /metrics endpoint: its job (gateway, relay, worker, redis, postgres) and owner."""

    job: str
    component: str
    port: int


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


@dataclass
class PrometheusServer(Component):
    name: ClassVar[str] = "prometheus"
    targets: list[ScrapeTarget] = field(default_factory=list)

    def ports(self) -> list[Port]:
        return [Port(self.settings.prometheus_port, "prometheus_port")]

    def problems(self) -> list[Problem]:
        if shutil.which("prometheus"):
            return []
        return [Problem("prometheus", "apt-get install -y prometheus")]

    @property
    def config_file(self) -> Path:
        return self.home / "prometheus.yml"

    @property
    def url(self) -> str:
        return prometheus_url(self.settings)

    def prepare(self) -> None:
        if self.problems():
            raise MissingDependency(
                "prometheus", "apt-get install -y prometheus (or chirp up --no-prometheus)"
            )
        self.data_dir.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(RULES_FILE, self.home / RULES_FILE.name)
        self.config_file.write_text(
            render_config(self.settings.host, self.targets, RULES_FILE.name)
        )

    def command(self) -> list[str]:
        return [
            shutil.which("prometheus") or "prometheus",
            f"--config.file={self.config_file}",
            f"--storage.tsdb.path={self.data_dir}",
            f"--storage.tsdb.retention.time={RETENTION}",
            f"--web.listen-address={self.settings.host}:{self.settings.prometheus_port}",
        ]

    def probe(self) -> None:
        expect_ok(f"{self.url}/-/ready")

    def alerts(self, timeout_s: float = 2.0) -> list[Alert]:
        """Every pending and firing alert; raises OSError or ValueError when it cannot tell."""
        with urllib.request.urlopen(f"{self.url}/api/v1/alerts", timeout=timeout_s) as answer:
            body = json.loads(answer.read())
        if body.get("status") != "success":
            raise ValueError(f"Prometheus answered {body.get('status')!r}")
        return [_alert(raw) for raw in body["data"]["alerts"]]

    def fired_alerts(self, start: float, end: float, timeout_s: float = 10.0) -> list[FiredAlert]:
        """Every alert that fired at some point in [start, end] (epoch seconds), from
        `query_range` over ALERTS; raises OSError or ValueError when it cannot tell."""
        step = history_step(start, end)
        query = urllib.parse.urlencode(
            {"query": firing_query(step), "start": start, "end": end, "step": step}
        )
        url = f"{self.url}/api/v1/query_range?{query}"
        with urllib.request.urlopen(url, timeout=timeout_s) as answer:
            body = json.loads(answer.read())
        if body.get("status") != "success":
            raise ValueError(f"Prometheus answered {body.get('status')!r}: {body.get('error')}")
        return fold_firing(body["data"]["result"], step)


def prometheus_url(settings: Settings) -> str:
    return f"http://{settings.host}:{settings.prometheus_port}"


def render_config(host: str, targets: list[ScrapeTarget], rules_file: str) -> str:
    """prometheus.yml: one job per kind of target, each target labelled with its component."""
    jobs: dict[str, list[dict[str, Any]]] = {}
    for target in targets:
        jobs.setdefault(target.job, []).append(
            {"targets": [f"{host}:{target.port}"], "labels": {"component": target.component}}
        )
    config = {
        "global": {
            "scrape_interval": SCRAPE_INTERVAL,
            "scrape_timeout": SCRAPE_INTERVAL,
            "evaluation_interval": SCRAPE_INTERVAL,
        },
        "rule_files": [rules_file],
        "scrape_configs": [
            {"job_name": job, "static_configs": static} for job, static in jobs.items()
        ],
    }
    return yaml.safe_dump(config, sort_keys=False)


def expect_ok(url: str) -> None:
    """Raise unless GET `url` answers 200 within 2 s."""
    with urllib.request.urlopen(url, timeout=2) as answer:
        if answer.status != 200:
            raise RuntimeError(f"{url} answered {answer.status}")


def _alert(raw: dict[str, Any]) -> Alert:
    labels = dict(raw.get("labels", {}))
    annotations = raw.get("annotations", {})
    try:
        value: float | None = float(raw["value"])
    except (KeyError, TypeError, ValueError):
        value = None
    return Alert(
        name=labels.pop("alertname", "?"),
        state=raw.get("state", "?"),
        severity=labels.pop("severity", "none"),
        summary=annotations.get("summary", ""),
        labels=labels,
        active_at=raw.get("activeAt"),
        value=value,
    )


# Alert history: what fired during a load run or a drill, and a link to see it.

FIRING = 'ALERTS{alertstate="firing"}'
_MAX_POINTS = 10_000
"""Prometheus refuses a query_range of more than 11,000 points per series."""
_TEMPLATE = re.compile(r"{{\s*(.*?)\s*}}")


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


def history_step(start: float, end: float) -> int:
    """Seconds between query_range points: the evaluation interval, coarser only when the
    range would pass Prometheus's point limit."""
    return max(EVALUATION_S, math.ceil(max(end - start, 0.0) / _MAX_POINTS))


def firing_query(step: int) -> str:
    """ALERTS while firing. At a step coarser than the evaluation interval, a point says
    whether the alert fired at any evaluation since the previous point, so no short spell
    falls between two points."""
    if step <= EVALUATION_S:
        return FIRING
    return f"max_over_time({FIRING}[{step}s])"


def fold_firing(result: list[dict[str, Any]], step: float) -> list[FiredAlert]:
    """A query_range matrix of firing ALERTS folded into one FiredAlert per alert and label
    set. Points further apart than 1.5 steps start a new spell; each point counts as a
    step of firing. Ordered by first firing, then name."""
    points: dict[tuple[tuple[str, str], ...], list[float]] = {}
    for series in result:
        labels = {k: v for k, v in series.get("metric", {}).items() if k != "__name__"}
        times = [float(t) for t, value in series.get("values", []) if value != "0"]
        if times:
            key = tuple(sorted(labels.items()))
            points.setdefault(key, []).extend(times)
    fired = [_fired(dict(key), sorted(times), step) for key, times in points.items()]
    return sorted(fired, key=lambda a: (a.first_firing_at, a.name))


def _fired(labels: dict[str, str], times: list[float], step: float) -> FiredAlert:
    spells = 1 + sum(1 for a, b in itertools.pairwise(times) if b - a > 1.5 * step)
    name = labels.pop("alertname", "?")
    labels.pop("alertstate", None)
    severity = labels.pop("severity", "none")
    return FiredAlert(
        name=name,
        severity=severity,
        summary=alert_summary(name, labels),
        labels=labels,
        first_firing_at=times[0],
        last_firing_at=times[-1],
        firing_s=len(times) * step,
        spells=spells,
    )


def label_text(labels: dict[str, str]) -> str:
    """An alert's labels as people read them: `instance` and `job` are scrape plumbing
    next to the `component` that names the process, so they are left out."""
    shown = {k: v for k, v in labels.items() if k not in ("instance", "job")}
    return ", ".join(f"{k}={v}" for k, v in sorted(shown.items()))


def alert_summary(name: str, labels: dict[str, str]) -> str:
    """The rule's summary with its labels filled in; the value, which a range of samples
    does not have one of, reads as "…"."""

    def fill(match: re.Match[str]) -> str:
        found = re.fullmatch(r"\$labels\.(\w+)", match.group(1))
        return labels.get(found.group(1), "?") if found else "…"

    return _TEMPLATE.sub(fill, _rule_summaries().get(name, ""))


@lru_cache(maxsize=1)
def _rule_summaries() -> dict[str, str]:
    rules = yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))
    return {
        rule["alert"]: rule.get("annotations", {}).get("summary", "")
        for group in rules["groups"]
        for rule in group["rules"]
        if "alert" in rule
    }


RUN_GRAPHS = (
    FIRING,
    "route:chirp_http_request_seconds:p99_1m",
    "chirp:http_errors:ratio_rate1m",
    "group:chirp_consumer_lag:max",
)
"""What a run's link shows: firing alerts, p99 by route, error ratio, consumer lag."""


@dataclass(frozen=True)
class AlertHistory:
    """The alerts that fired during a run and a link to its time range in Prometheus; or,
    when chirp's Prometheus does not run or answer, a note saying so (and no alerts)."""

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


def graph_url(settings: Settings, start: float, end: float, exprs: Sequence[str]) -> str:
    """A link to the graph page of chirp's Prometheus showing `exprs`, one panel each, over
    [start, end] (epoch seconds), widened to whole seconds since the page takes no finer
    times."""
    base_url = prometheus_url(settings)
    first, last = math.floor(start), math.ceil(end)
    end_input = datetime.fromtimestamp(last, UTC).strftime("%Y-%m-%d %H:%M:%S")
    params: list[tuple[str, str]] = []
    for index, expr in enumerate(exprs):
        params += [
            (f"g{index}.expr", expr),
            (f"g{index}.tab", "0"),
            (f"g{index}.stacked", "0"),
            (f"g{index}.range_input", f"{max(last - first, 1)}s"),
            (f"g{index}.end_input", end_input),
            (f"g{index}.moment_input", end_input),
        ]
    return f"{base_url}/graph?{urllib.parse.urlencode(params, quote_via=urllib.parse.quote)}"


def _iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, UTC).isoformat(timespec="seconds")
