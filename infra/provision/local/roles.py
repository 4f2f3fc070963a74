"""Who is primary and how far each replica lags, for `chirp status`.

Asked of the servers themselves on every call: PostgreSQL nodes by
`pg_is_in_recovery()` and the primary's `pg_stat_replication`, Redis nodes by
`INFO replication`. A node that does not answer has no role.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
import redis

from chirp.core.settings import Settings
from chirp.infra.provision.local import postgres
from chirp.infra.provision.local.redis import redis_nodes
from chirp.stack import replication


@dataclass(frozen=True)
class NodeRole:
    role: str
    """primary or replica"""
    replication: dict[str, object] | None = None


def node_roles(settings: Settings) -> dict[str, NodeRole]:
    """Role (and lag, for replicas) of every data node that answers, by component name."""
    return {**postgres_roles(settings), **redis_roles(settings)}


def postgres_roles(settings: Settings) -> dict[str, NodeRole]:
    roles: dict[str, NodeRole] = {}
    lags: dict[str, replication.ReplicaLag] = {}
    for name in postgres.node_names(settings):
        standby = postgres.in_recovery(settings, name)
        if standby is None:
            continue
        roles[name] = NodeRole("replica" if standby else "primary")
        if not standby:
            try:
                with postgres.connect(settings, name) as conn:
                    lags = {lag.replica: lag for lag in replication.replica_lag(conn)}
            except psycopg.Error:
                lags = {}
    for name, role in roles.items():
        if role.role == "replica":
            lag = lags.get(name)
            detail = lag.as_dict() if lag else {"state": "not streaming"}
            roles[name] = NodeRole("replica", detail)
    return roles


def redis_roles(settings: Settings) -> dict[str, NodeRole]:
    infos: dict[str, dict[str, object]] = {}
    for node in redis_nodes(settings):
        try:
            with node.client(timeout=1) as client:
                infos[node.name] = client.info("replication")
        except redis.RedisError:
            continue
    offsets = [
        int(str(i.get("master_repl_offset", 0))) for i in infos.values() if i["role"] == "master"
    ]
    primary_offset = offsets[0] if offsets else None
    roles: dict[str, NodeRole] = {}
    for name, info in infos.items():
        if info.get("role") == "master":
            roles[name] = NodeRole("primary")
            continue
        offset = int(str(info.get("slave_repl_offset", 0)))
        detail: dict[str, object] = {
            "state": "streaming" if info.get("master_link_status") == "up" else "link down",
            "lag_bytes": None if primary_offset is None else max(0, primary_offset - offset),
        }
        roles[name] = NodeRole("replica", detail)
    return roles
