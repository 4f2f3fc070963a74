"""The Prometheus server component: the Debian package's binary, configured to scrape the
stack and evaluate chirp's alert rules (what fired during a run: `alert_history`).

This is chirp's own instance. Its config, rules and data live under the run directory
and it listens on `prometheus_port`, so a system Prometheus that installing the package
may have started is never touched.
"""

from __future__ import annotations

import shutil
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import yaml

from chirp.core.errors import MissingDependency
from chirp.core.observe import Alert, promql
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
        return [Alert.from_api(raw) for raw in promql.alerts(self.url, timeout_s)]


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
