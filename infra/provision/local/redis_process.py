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

from chirp.infra.provision.local.component import Component, Problem
from chirp.stack import secrets


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
            password=secrets.load(self.settings).redis_password,
            retry=Retry(NoBackoff(), 0),  # a process that is down says so at once
        )

    def auth_lines(self) -> list[str]:
        """Config lines that make this process ask for the stack's Redis password."""
        password = secrets.load(self.settings).redis_password
        return [] if password is None else [f"requirepass {password}"]

    def write_config(self, lines: list[str]) -> None:
        """The config file, readable by this user only: it holds the password."""
        self.config_file.write_text("\n".join([*lines, ""]))
        self.config_file.chmod(0o600)

    def probe(self) -> None:
        with self.client() as client:
            client.ping()
