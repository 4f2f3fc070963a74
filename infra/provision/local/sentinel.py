"""Three Redis Sentinels (`redis-server --sentinel`) watching the Redis primary.

Quorum 2 of 3: two Sentinels must agree the primary is down (after
`sentinel_down_after_ms` without an answer) before one of them promotes the replica.
Each Sentinel rewrites its own config file as it learns replicas and failovers, so the
file is written only when missing: after a restart it still knows the current primary.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import redis

from chirp.core import components
from chirp.core.settings import Settings
from chirp.infra.provision.local.component import Port
from chirp.infra.provision.local.redis_process import RedisProcess
from chirp.stack import secrets

SENTINELS = 3
QUORUM = 2


@dataclass
class SentinelServer(RedisProcess):
    name: ClassVar[str] = components.SENTINEL
    config_name: ClassVar[str] = "sentinel.conf"
    extra_args: ClassVar[tuple[str, ...]] = ("--sentinel",)
    number: int = 1
    """1, 2 or 3."""

    def __post_init__(self) -> None:
        self.name = f"{components.SENTINEL_PREFIX}{self.number}"  # type: ignore[misc]

    @property
    def port(self) -> int:
        return self.settings.sentinel_base_port + self.number - 1

    def ports(self) -> list[Port]:
        return [Port(self.port, "sentinel_base_port")]

    def prepare(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        if _monitored_port(self.config_file) in _redis_ports(self.settings) and (
            f"port {self.port}\n" in self.config_file.read_text()
        ):
            # Sentinel's own record of the current primary wins over the default; only the
            # password lines are renewed. Its rewrite records the default user as an ACL
            # line, which Redis would apply after (and over) `requirepass`: dropped too.
            kept = [
                line
                for line in self.config_file.read_text().splitlines()
                if not line.startswith(("requirepass ", "sentinel auth-pass ", "user default "))
            ]
            self.write_config([*kept, *self._password_lines()])
            return
        s = self.settings
        name = s.redis_master_name
        self.write_config(
            [
                f"bind {s.host}",
                f"port {self.port}",
                "daemonize no",
                f"dir {self.home}",
                f"sentinel monitor {name} {s.host} {s.redis_port} {QUORUM}",
                f"sentinel down-after-milliseconds {name} {s.sentinel_down_after_ms}",
                f"sentinel failover-timeout {name} {s.sentinel_failover_timeout_ms}",
                f"sentinel parallel-syncs {name} 1",
                *self._password_lines(),
            ]
        )

    def _password_lines(self) -> list[str]:
        """The Sentinel asks clients (and its peers) for the password, and gives it to the
        Redis nodes it watches."""
        password = secrets.load(self.settings).redis_password
        if password is None:
            return []
        return [
            *self.auth_lines(),
            f"sentinel auth-pass {self.settings.redis_master_name} {password}",
        ]


def sentinels(settings: Settings) -> list[SentinelServer]:
    """The three Sentinels when `redis_sentinel` is on, else none."""
    if not settings.redis_sentinel:
        return []
    return [SentinelServer(settings, number=n) for n in range(1, SENTINELS + 1)]


def _redis_ports(settings: Settings) -> set[int]:
    return {settings.redis_port, settings.redis_replica_port}


_MONITOR = re.compile(r"^sentinel monitor \S+ \S+ (\d+) \d+$", re.MULTILINE)


def _monitored_port(config_file: Path) -> int | None:
    try:
        found = _MONITOR.search(config_file.read_text())
    except OSError:
        return None
    return int(found.group(1)) if found else None


def reported_primary_port(settings: Settings) -> int | None:
    """The primary's port as the first answering Sentinel reports it; None if none answers."""
    for sentinel in sentinels(settings):
        try:
            with sentinel.client(timeout=1) as client:
                address = client.sentinel_get_master_addr_by_name(settings.redis_master_name)
        except redis.RedisError:
            continue
        if address:
            return int(address[1])
    return None


def known_primary_port(settings: Settings) -> int | None:
    """The primary's port: from a live Sentinel, else from what the Sentinels last wrote."""
    live = reported_primary_port(settings)
    if live is not None:
        return live
    recorded = [_monitored_port(s.config_file) for s in sentinels(settings)]
    valid = [p for p in recorded if p in _redis_ports(settings)]
    return max(set(valid), key=valid.count) if valid else None
