"""Redis and PostgreSQL exporters from the Debian packages, so Prometheus sees the data tier.

Each is a small Go server that asks its database for figures on every scrape; it
answers /metrics even while the database is down (with `redis_up` / `pg_up` at 0),
which is what lets an alert say so.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from typing import ClassVar
from urllib.parse import quote

from chirp.core import components
from chirp.core.errors import MissingDependency
from chirp.infra.provision.local.component import Component, Port, Problem
from chirp.infra.provision.local.prometheus import expect_ok
from chirp.stack import secrets


@dataclass
class Exporter(Component):
    """A Debian `prometheus-*-exporter` binary serving /metrics on one port."""

    binary: ClassVar[str]
    port_setting: ClassVar[str]

    def ports(self) -> list[Port]:
        return [Port(getattr(self.settings, self.port_setting), self.port_setting)]

    def problems(self) -> list[Problem]:
        if shutil.which(self.binary):
            return []
        return [Problem(self.binary, f"apt-get install -y {self.binary}")]

    def prepare(self) -> None:
        if self.problems():
            raise MissingDependency(
                self.binary, f"apt-get install -y {self.binary} (or chirp up --no-prometheus)"
            )
        self.home.mkdir(parents=True, exist_ok=True)

    def listen_address(self) -> str:
        return f"{self.settings.host}:{self.ports()[0].number}"

    def probe(self) -> None:
        expect_ok(f"http://{self.listen_address()}/metrics")


@dataclass
class RedisExporter(Exporter):
    name: ClassVar[str] = components.REDIS_EXPORTER
    binary: ClassVar[str] = "prometheus-redis-exporter"
    port_setting: ClassVar[str] = "redis_exporter_port"

    def command(self) -> list[str]:
        s = self.settings
        return [
            shutil.which(self.binary) or self.binary,
            f"-redis.addr=redis://{s.redis_host or s.host}:{s.redis_port}",
            f"-web.listen-address={self.listen_address()}",
            "-connection-timeout=2s",
        ]

    def env(self) -> dict[str, str]:
        # From the environment, not the command line, which every local user can read.
        password = secrets.load(self.settings).redis_password
        return {} if password is None else {"REDIS_PASSWORD": password}


@dataclass
class PostgresExporter(Exporter):
    name: ClassVar[str] = components.POSTGRES_EXPORTER
    binary: ClassVar[str] = "prometheus-postgres-exporter"
    port_setting: ClassVar[str] = "postgres_exporter_port"

    def command(self) -> list[str]:
        return [
            shutil.which(self.binary) or self.binary,
            f"--web.listen-address={self.listen_address()}",
            # pg_settings adds hundreds of constant series nobody alerts on.
            "--disable-settings-metrics",
        ]

    def env(self) -> dict[str, str]:
        # The exporter takes its connection string only from the environment.
        s = self.settings
        password = secrets.load(s).postgres_password
        login = s.postgres_user + (f":{quote(password, safe='')}" if password else "")
        host = s.postgres_host or s.host
        return {
            "DATA_SOURCE_NAME": (
                f"postgresql://{login}@{host}:{s.postgres_port}/{s.postgres_db}?sslmode=disable"
            )
        }
