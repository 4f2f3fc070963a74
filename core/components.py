"""The stack's components and worker roles, written once.

Every provider (local, compose, aws), the drills and `chirp status` read these names;
none of them spells a role or a server's name out again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class WorkerRole:
    """One `python -m chirp.stack.run ROLE` process other than a gateway."""

    name: str
    lag_topic: str | None = "tweet_created"
    """The topic whose consumer lag says how far behind it is (what scales it on AWS);
    None for the relay: it publishes acknowledged writes and reads no topic."""
    sized: bool = True
    """Whether the capacity simulation sizes it."""

    @property
    def consumes(self) -> bool:
        return self.lag_topic is not None


# The relay first: it publishes what the workers consume. The order fixes each role's
# metrics port (worker_metrics_base_port + position) in every provider.
WORKER_ROLES: tuple[WorkerRole, ...] = (
    WorkerRole("relay", lag_topic=None),
    WorkerRole("fanout"),
    WorkerRole("search-indexer"),
    WorkerRole("trending"),
    WorkerRole("notify"),
    WorkerRole("analytics"),
    # Purges edited and deleted tweets from the edge again, behind the gateways' purge.
    WorkerRole("edge-purger", lag_topic="tweet_deleted", sized=False),
)
WORKER_NAMES: tuple[str, ...] = tuple(role.name for role in WORKER_ROLES)
"""Every worker role, in metrics-port order."""
SIZED_CONSUMERS: tuple[str, ...] = tuple(r.name for r in WORKER_ROLES if r.consumes and r.sized)
"""The consumers the capacity simulation sizes."""

GATEWAY = "gateway"
GATEWAY_PREFIX = "gateway-"
"""Gateways are numbered from 1: gateway-1, gateway-2, ..."""

SENTINEL_PREFIX = "sentinel-"
POSTGRES_REPLICA_PREFIX = "postgres-replica-"

KAFKA = "kafka"
REDIS = "redis"
REDIS_REPLICA = "redis-replica"
SENTINEL = "sentinel"
DYNAMODB = "dynamodb"
POSTGRES = "postgres"
OPENSEARCH = "opensearch"
OBJECTSTORE = "objectstore"
HAPROXY = "haproxy"
EDGE = "edge"
PROMETHEUS = "prometheus"
REDIS_EXPORTER = "redis-exporter"
POSTGRES_EXPORTER = "postgres-exporter"
EDGE_EXPORTER = "edge-exporter"

SERVERS: tuple[str, ...] = (KAFKA, REDIS, DYNAMODB, POSTGRES, OPENSEARCH, OBJECTSTORE)
"""The data servers every stack has, by the name of their first (primary) node."""
CORE_COMPONENTS: tuple[str, ...] = (
    KAFKA,
    REDIS,
    DYNAMODB,
    POSTGRES,
    OPENSEARCH,
    *WORKER_NAMES,
    HAPROXY,
)
"""Names every default stack has, whatever its replica and gateway counts."""

SHAPED_COMPONENTS: tuple[str, ...] = (
    REDIS_REPLICA,
    OBJECTSTORE,
    EDGE,
    REDIS_EXPORTER,
    POSTGRES_EXPORTER,
    EDGE_EXPORTER,
    PROMETHEUS,
)
"""Names a stack has depending on how it was brought up (replicas, monitoring, the edge)."""
_NUMBERED = re.compile(
    f"^({re.escape(GATEWAY_PREFIX)}|{re.escape(SENTINEL_PREFIX)}"
    f"|{re.escape(POSTGRES_REPLICA_PREFIX)})[0-9]+$"
)

ROLE_TARGETS: tuple[str, ...] = ("redis-primary", "postgres-primary", "postgres-standby")
"""Targets that name a role, resolved to a node when a fault lands: after a failover the
primary is another process than the one named `redis` or `postgres`."""


def gateway_name(number: int) -> str:
    """The component name of gateway `number` (counted from 1)."""
    return f"{GATEWAY_PREFIX}{number}"


def known_names() -> tuple[str, ...]:
    """Every fixed component name a stack may have, for messages that list the choices."""
    return (*CORE_COMPONENTS, *SHAPED_COMPONENTS)


def could_be_component(name: str) -> bool:
    """Whether some stack (any gateway, replica or Sentinel count) has a component `name`."""
    return name in known_names() or bool(_NUMBERED.match(name))
