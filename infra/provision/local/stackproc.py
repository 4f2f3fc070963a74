"""The stack's own processes: gateways, the relay and the Kafka workers.

They are started by command (`python -m chirp.stack.run ROLE --port N`), never imported,
and get their settings through the same `CHIRP_*` environment as everything else.
"""

from __future__ import annotations

import sys
import urllib.request
from dataclasses import dataclass
from typing import ClassVar

from chirp.core.settings import Settings
from chirp.infra.provision.local.component import Component, Port, Problem
from chirp.infra.provision.local.env import settings_env

# The relay first: it publishes what the workers consume. Order fixes metrics ports.
WORKER_ROLES = (
    "relay",
    "fanout",
    "search-indexer",
    "trending",
    "notify",
    "analytics",
    "edge-purger",
)


@dataclass
class StackProcess(Component):
    """One `python -m chirp.stack.run` process; a subclass says which role and port."""

    name: ClassVar[str] = "stack"
    probe_path: ClassVar[str] = "/metrics"

    role: str = ""
    port: int = 0
    node_id: int = 0

    def __post_init__(self) -> None:
        # Instances, not classes, carry the name here (gateway-1, gateway-2, ...).
        self.name = self.display_name()  # type: ignore[misc]

    def display_name(self) -> str:
        return self.role

    def setting(self) -> str:
        return "worker_metrics_base_port"

    def ports(self) -> list[Port]:
        return [Port(self.port, self.setting())]

    def problems(self) -> list[Problem]:
        return []

    def prepare(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)

    def command(self) -> list[str]:
        return [sys.executable, "-m", "chirp.stack.run", self.role, "--port", str(self.port)]

    def env(self) -> dict[str, str]:
        return {**settings_env(self.settings), "CHIRP_NODE_ID": str(self.node_id)}

    def probe(self) -> None:
        url = f"http://{self.settings.host}:{self.port}{self.probe_path}"
        with urllib.request.urlopen(url, timeout=2) as answer:
            if answer.status != 200:
                raise RuntimeError(f"{url} answered {answer.status}")


@dataclass
class Gateway(StackProcess):
    probe_path: ClassVar[str] = "/readyz"

    def display_name(self) -> str:
        return f"gateway-{self.node_id}"

    def setting(self) -> str:
        return "gateway_base_port"


def gateways(settings: Settings, count: int) -> list[Gateway]:
    return [
        Gateway(settings, role="gateway", port=settings.gateway_base_port + n - 1, node_id=n)
        for n in range(1, count + 1)
    ]


def workers(settings: Settings) -> list[StackProcess]:
    return [
        StackProcess(
            settings, role=role, port=settings.worker_metrics_base_port + i, node_id=900 + i
        )
        for i, role in enumerate(WORKER_ROLES)
    ]
