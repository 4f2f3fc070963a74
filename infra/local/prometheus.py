"""Prometheus from the Debian package: scrapes the stack and evaluates chirp's alert rules.

This is chirp's own instance. Its config, rules and data live under the run directory
and it listens on `prometheus_port`, so a system Prometheus that installing the package
may have started is never touched.
"""

from __future__ import annotations

import json
import shutil
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from infra.local.component import Component, Port, Problem
from stack.errors import MissingDependency

RULES_FILE = Path(__file__).parent / "rules" / "chirp.rules.yml"
"""Recording and alert rules for the design review's key metrics."""

SCRAPE_INTERVAL = "2s"
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
        return f"http://{self.settings.host}:{self.settings.prometheus_port}"

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
