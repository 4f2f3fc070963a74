"""A private stack for the tests: its own run directory and free ports, never the user's."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from chirp.infra.provision.local.ports import free_range

PORT_SETTINGS = (
    "redis_port",
    "postgres_port",
    "dynamodb_port",
    "kafka_port",
    "kafka_controller_port",
    "opensearch_port",
    "opensearch_transport_port",
    "lb_port",
    "lb_stats_port",
    "prometheus_port",
    "redis_exporter_port",
    "postgres_exporter_port",
    "redis_replica_port",
    "edge_port",
    "edge_admin_port",
    "edge_exporter_port",
)


def fresh_run_dir(prefix: str) -> Path:
    # World-traversable, so the postgres OS user can reach its data when tests run as root.
    path = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    path.chmod(0o755)
    return path


def _block(count: int, taken: set[int]) -> int:
    """A free block of `count` ports overlapping none of `taken`; adds it to `taken`."""
    while True:
        base = free_range(count)
        block = set(range(base, base + count))
        if not block & taken:
            taken |= block
            return base


@dataclass
class StackEnv:
    """Environment variables that point chirp at a private stack."""

    env: dict[str, str]

    @classmethod
    def create(cls, prefix: str = "chirp-test-") -> StackEnv:
        env = {key: value for key, value in os.environ.items() if not key.startswith("CHIRP_")}
        env["CHIRP_RUN_DIR"] = str(fresh_run_dir(prefix))
        ports: set[int] = set()
        for setting in PORT_SETTINGS:
            port = free_range(1)
            while port in ports:
                port = free_range(1)
            ports.add(port)
            env[f"CHIRP_{setting.upper()}"] = str(port)
        # Base ports open ranges (gateways, worker metrics): each gets a free block.
        env["CHIRP_GATEWAY_BASE_PORT"] = str(_block(4, ports))
        env["CHIRP_WORKER_METRICS_BASE_PORT"] = str(_block(8, ports))
        env["CHIRP_POSTGRES_REPLICA_BASE_PORT"] = str(_block(4, ports))
        env["CHIRP_SENTINEL_BASE_PORT"] = str(_block(3, ports))
        env["CHIRP_OBJECTSTORE_BASE_PORT"] = str(_block(10, ports))
        # A stack under test gets a little more time: CI machines are slow and shared.
        env["CHIRP_START_TIMEOUT_S"] = "300"
        return cls(env)

    @property
    def run_dir(self) -> Path:
        return Path(self.env["CHIRP_RUN_DIR"])

    def port(self, setting: str) -> int:
        return int(self.env[f"CHIRP_{setting.upper()}"])

    def chirp(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        """Run the chirp CLI as a subprocess against this stack."""
        return subprocess.run(
            [sys.executable, "-m", "chirp.cli.main", *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def settings(self):
        from chirp.core.settings import Settings

        overrides = {
            key.removeprefix("CHIRP_").lower(): value
            for key, value in self.env.items()
            if key.startswith("CHIRP_")
        }
        return Settings(**overrides)
