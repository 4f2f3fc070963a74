"""What every redis-server process of chirp's shares, data node or Sentinel: the binary,
its config file, a client of that process itself, and the probe."""

from __future__ import annotations

import shutil
from abc import abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from infra.local.component import Component, Problem


@dataclass
class RedisProcess(Component):
    config_name: ClassVar[str]
    extra_args: ClassVar[tuple[str, ...]] = ()

    @property
    @abstractmethod
    def port(self) -> int: ...

    @property
    def config_file(self) -> Path:
        return self.home / self.config_name

    def problems(self) -> list[Problem]:
        if shutil.which("redis-server"):
            return []
        return [Problem("redis-server", "apt-get install -y redis-server")]

    def command(self) -> list[str]:
        return [
            shutil.which("redis-server") or "redis-server",
            str(self.config_file),
            *self.extra_args,
        ]

    def client(self, timeout: float = 2) -> redis.Redis:
        """A client of this process itself (not of whichever node is primary); a context
        manager that closes it."""
        return redis.Redis(
            host=self.settings.host,
            port=self.port,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            decode_responses=True,
            retry=Retry(NoBackoff(), 0),  # a process that is down says so at once
        )

    def probe(self) -> None:
        with self.client() as client:
            client.ping()
