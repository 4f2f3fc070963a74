"""Redis from the Debian package, with its own config and an append-only file."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

from infra.local.component import Component, Port, Problem
from stack import clients


@dataclass
class RedisServer(Component):
    name: ClassVar[str] = "redis"

    def ports(self) -> list[Port]:
        return [Port(self.settings.redis_port, "redis_port")]

    def problems(self) -> list[Problem]:
        if shutil.which("redis-server"):
            return []
        return [Problem("redis-server", "apt-get install -y redis-server")]

    @property
    def config_file(self) -> Path:
        return self.home / "redis.conf"

    def prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        s = self.settings
        self.config_file.write_text(
            "\n".join(
                [
                    f"bind {s.host}",
                    f"port {s.redis_port}",
                    "protected-mode yes",
                    "daemonize no",
                    f"dir {self.data_dir}",
                    "appendonly yes",
                    "appendfsync everysec",
                    f"maxmemory {s.redis_maxmemory_mb}mb",
                    "maxmemory-policy allkeys-lru",
                    'save ""',
                    "",
                ]
            )
        )

    def command(self) -> list[str]:
        return [shutil.which("redis-server") or "redis-server", str(self.config_file)]

    def probe(self) -> None:
        client = clients.redis_client(self.settings, timeout=2)
        try:
            client.ping()
        finally:
            client.close()
