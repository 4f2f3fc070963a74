"""The compose provider behind the provider seam: docker-compose.yml on the local engine."""

from __future__ import annotations

from rich.console import Console

from chirp.core import runstate
from chirp.core.provider import (
    ComponentStatus,
    DownReport,
    Endpoints,
    NoFaults,
    ProviderLacks,
    StatusCallback,
    UpReport,
    UpRequest,
)
from chirp.core.settings import Settings
from chirp.infra.provision.compose.env import COMPOSE_GATEWAYS
from chirp.infra.provision.compose.provider import compose_down, compose_up
from chirp.infra.provision.local.prometheus import AlertHistory


class ComposeFaults(NoFaults):
    """Compose has no faults wired to drills yet: each says so, and preflight names them."""

    provider = "compose"


class ComposeProvider:
    name = "compose"

    def __init__(self, settings: Settings, console: Console) -> None:
        self.settings = settings
        self.console = console

    def up(self, request: UpRequest, on_status: StatusCallback) -> UpReport:
        compose_up(self.settings, self.console)
        runstate.update(self.settings, provider=self.name)
        return UpReport()

    def down(self, purge: bool, on_status: StatusCallback, yes: bool = False) -> DownReport:
        compose_down(self.settings, purge, self.console)
        return DownReport()

    def status(self) -> list[ComponentStatus]:
        raise ProviderLacks(self.name, "component status", "run `docker compose ps`")

    def endpoints(self) -> Endpoints:
        host = self.settings.host
        gateways = [self.settings.gateway_base_port + n for n in range(COMPOSE_GATEWAYS)]
        return Endpoints(
            api=f"http://{host}:{self.settings.lb_port}",
            gateways=tuple(f"http://{host}:{port}" for port in gateways),
            relay_metrics=f"http://{host}:{self.settings.worker_metrics_base_port}/metrics",
        )

    def faults(self) -> ComposeFaults:
        return ComposeFaults(self.settings)

    def alert_history(self, start: float, end: float) -> AlertHistory:
        return AlertHistory(None, None, "the compose provider keeps no alert history")
