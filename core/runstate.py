"""The running stack's shape, remembered in the run directory's topology.json.

`up` records what it was asked for (the provider, gateways, PostgreSQL replicas,
Prometheus), and a failover records which PostgreSQL node is the primary now, so later
commands (`up`, `down`, `status`, a restart after a crash) see the same stack, not the
defaults.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from chirp.core.errors import ConfigError
from chirp.core.settings import PROFILES, Settings

PRIMARY_NODE = "postgres"
"""The PostgreSQL node that is primary until a failover moves the role."""


def topology_file(settings: Settings) -> Path:
    return settings.run_dir.resolve() / "topology.json"


def read(settings: Settings) -> dict[str, Any]:
    try:
        data = json.loads(topology_file(settings).read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def update(settings: Settings, **changes: Any) -> None:
    """Merge `changes` into the recorded topology (None values are left out)."""
    data = {**read(settings), **{k: v for k, v in changes.items() if v is not None}}
    path = topology_file(settings)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(data))
    temporary.replace(path)


def recorded_count(settings: Settings, key: str, default: int) -> int:
    """A count `up` recorded under `key`; `default` when none (or no number) is."""
    try:
        return int(read(settings)[key])
    except (KeyError, TypeError, ValueError):
        return default


def gateway_count(settings: Settings) -> int:
    """The gateways of the running stack (as `up --gateways` chose), else the setting."""
    return recorded_count(settings, "gateways", settings.gateways)


def recorded_provider(settings: Settings) -> str | None:
    """The provider the last `up` in this run directory used; None when none is recorded."""
    value = read(settings).get("provider")
    return value if isinstance(value, str) else None


def pg_replica_count(settings: Settings) -> int:
    """The replicas of the running stack (as `up --pg-replicas` chose), else the setting."""
    return recorded_count(settings, "pg_replicas", settings.postgres_replicas)


def postgres_primary_node(settings: Settings) -> str:
    """The PostgreSQL node recorded as primary (the last failover's choice)."""
    value = read(settings).get("postgres_primary")
    return value if isinstance(value, str) else PRIMARY_NODE


def recorded_profile(settings: Settings) -> str:
    """The settings profile `up --profile` chose for the stack's processes ("default")."""
    value = read(settings).get("profile")
    return value if isinstance(value, str) and value in PROFILES else "default"


def check_profile(name: str) -> str:
    if name not in PROFILES:
        raise ConfigError(f"unknown profile {name!r}; choose one of {', '.join(PROFILES)}")
    return name


def with_recorded_shape(settings: Settings) -> Settings:
    """`settings` with the recorded replica count and profile, so processes started from
    it agree."""
    update: dict[str, Any] = dict(PROFILES[recorded_profile(settings)])
    count = pg_replica_count(settings)
    if count != settings.postgres_replicas:
        update["postgres_replicas"] = count
    return settings.model_copy(update=update) if update else settings
