"""The local provider behind the provider seam: every component a process on this machine."""

from __future__ import annotations

from chirp.core import runstate
from chirp.core.edgestats import EdgeCounters
from chirp.core.observe import Alert, AlertHistory
from chirp.core.provider import DownReport, StatusCallback, UpReport, UpRequest
from chirp.core.settings import Settings
from chirp.core.stackview import ComponentLog, ComponentStatus, Endpoints
from chirp.infra.provision.local import idle, provider, stackproc
from chirp.infra.provision.local.faults import LocalFaults
from chirp.infra.provision.local.figures import Figures


class LocalProvider:
    """`chirp up` and friends on this machine, by the module functions of `provider`."""

    name = "local"
    reports_components = True

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._faults: LocalFaults | None = None

    def up(self, request: UpRequest, on_status: StatusCallback) -> UpReport:
        started = provider.up(
            self.settings,
            on_status,
            request.gateways,
            request.prometheus,
            request.pg_replicas,
            request.profile,
        )
        runstate.update(self.settings, provider=self.name)
        return UpReport(started=started)

    def down(self, purge: bool, on_status: StatusCallback, yes: bool = False) -> DownReport:
        report = DownReport(stopped=provider.down(self.settings, on_status))
        if purge:
            report.purged = [str(path) for path in provider.purge(self.settings)]
        return report

    def status(self) -> list[ComponentStatus]:
        return provider.status(self.settings)

    def not_running(self) -> list[str]:
        components = provider.components(self.settings)
        return [c.name for c in components if provider.running(c) is None]

    def endpoints(self) -> Endpoints:
        host = self.settings.host
        gateways = stackproc.gateways(self.settings, runstate.gateway_count(self.settings))
        return Endpoints(
            api=f"http://{host}:{self.settings.lb_port}",
            gateways=tuple(f"http://{host}:{g.port}" for g in gateways),
            relay_metrics=f"http://{host}:{self.settings.worker_metrics_base_port}/metrics",
            metrics={
                t.component: f"http://{host}:{t.port}/metrics"
                for t in provider.scrape_targets(self.settings)
            },
        )

    def logs(self, component: str) -> ComponentLog:
        return ComponentLog(provider.find(self.settings, component).log_file)

    def figures(self) -> Figures:
        return provider.figures(self.settings)

    def alerts(self) -> list[Alert] | None:
        return provider.alerts(self.settings)

    def cpu(self, seconds: float) -> idle.CpuReport:
        return idle.measure(self.settings, seconds)

    def edge_counters(self) -> EdgeCounters | None:
        return self.faults().edge_counters()

    def faults(self) -> LocalFaults:
        if self._faults is None:
            self._faults = LocalFaults(self.settings)
        return self._faults

    def alert_history(self, start: float, end: float) -> AlertHistory:
        return provider.alert_history(self.settings, start, end)
