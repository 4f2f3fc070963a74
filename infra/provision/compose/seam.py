"""The compose provider behind the provider seam: docker-compose.yml on the local engine."""

from __future__ import annotations

from rich.console import Console

from chirp.core import runstate
from chirp.core.components import gateway_name
from chirp.core.observe import AlertHistory
from chirp.core.provider import DownReport, StatusCallback, UpReport, UpRequest
from chirp.core.provider_defaults import NoFaults, Unobserved
from chirp.core.settings import Settings
from chirp.core.stackview import Endpoints
from chirp.infra.provision.compose.env import COMPOSE_GATEWAYS, COMPOSE_WORKERS
from chirp.infra.provision.compose.provider import compose_down, compose_up


class ComposeFaults(NoFaults):
    """Compose has no faults wired to drills yet: each says so, and preflight names them."""

    provider = "compose"


class ComposeProvider(Unobserved):
    name = "compose"
    look_instead = "run `docker compose ps` and `docker compose logs`"

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

    def endpoints(self) -> Endpoints:
        """The published ports: compose's gateways and workers on the local provider's."""
        host, settings = self.settings.host, self.settings
        gateways = {
            gateway_name(n + 1): f"http://{host}:{settings.gateway_base_port + n}"
            for n in range(COMPOSE_GATEWAYS)
        }
        workers = {
            role: f"http://{host}:{settings.worker_metrics_base_port + position}/metrics"
            for position, role in enumerate(COMPOSE_WORKERS)
        }
        return Endpoints(
            api=f"http://{host}:{settings.lb_port}",
            gateways=tuple(gateways.values()),
            relay_metrics=workers["relay"],
            metrics={**{n: f"{url}/metrics" for n, url in gateways.items()}, **workers},
        )

    def faults(self) -> ComposeFaults:
        return ComposeFaults(self.settings)

    def alert_history(self, start: float, end: float) -> AlertHistory:
        return AlertHistory(None, None, "the compose provider keeps no alert history")
