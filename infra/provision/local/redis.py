"""Redis from the Debian package: the primary `redis` and its replica `redis-replica`.

Each node has its own config and append-only file. With Sentinel on, which node is
primary is Sentinel's call: a node (re)starts as a replica of whatever primary the
Sentinels report (or last wrote to their config files), so a restarted former primary
rejoins as a replica instead of fighting the one Sentinel promoted.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from chirp.core import components
from chirp.core.settings import Settings
from chirp.infra.provision.local.component import Port
from chirp.infra.provision.local.redis_process import RedisProcess
from chirp.infra.provision.local.sentinel import known_primary_port
from chirp.stack import secrets


@dataclass
class RedisServer(RedisProcess):
    name: ClassVar[str] = components.REDIS
    config_name: ClassVar[str] = "redis.conf"
    port_setting: ClassVar[str] = "redis_port"

    @property
    def port(self) -> int:
        return int(getattr(self.settings, self.port_setting))

    def ports(self) -> list[Port]:
        return [Port(self.port, self.port_setting)]

    def primary_port(self) -> int:
        """The port of the node this one should replicate (its own when it is primary)."""
        if not self.settings.redis_sentinel:
            return self.port
        return known_primary_port(self.settings) or self.settings.redis_port

    def prepare(self) -> None:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        s = self.settings
        lines = [
            f"bind {s.host}",
            f"port {self.port}",
            "protected-mode yes",
            "daemonize no",
            f"dir {self.data_dir}",
            "appendonly yes",
            "appendfsync everysec",
            f"maxmemory {s.redis_maxmemory_mb}mb",
            # Only keys with a time to live are evicted: the caches. Notifications, whose
            # only copy Redis holds, carry none (docs/security.md).
            "maxmemory-policy volatile-lru",
            'save ""',
            # One replica: no reason to wait for others before a full sync starts.
            "repl-diskless-sync-delay 0",
        ]
        lines += self.auth_lines()
        password = secrets.load(s).redis_password
        if password is not None:  # any node may become a replica after a failover
            lines.append(f"masterauth {password}")
        primary = self.primary_port()
        if primary != self.port:
            lines.append(f"replicaof {s.host} {primary}")
        self.write_config(lines)


@dataclass
class RedisReplica(RedisServer):
    name: ClassVar[str] = components.REDIS_REPLICA
    port_setting: ClassVar[str] = "redis_replica_port"


def redis_nodes(settings: Settings) -> list[RedisServer]:
    """`redis`, and `redis-replica` when Sentinel is on."""
    return [RedisServer(settings), *([RedisReplica(settings)] if settings.redis_sentinel else [])]
