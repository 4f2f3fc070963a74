"""The recorded run state now lives in core (the provider choice is part of it)."""

from chirp.core.runstate import (
    PRIMARY_NODE,
    check_profile,
    gateway_count,
    pg_replica_count,
    postgres_primary_node,
    read,
    recorded_count,
    recorded_profile,
    topology_file,
    update,
    with_recorded_shape,
)

__all__ = [
    "PRIMARY_NODE",
    "check_profile",
    "gateway_count",
    "pg_replica_count",
    "postgres_primary_node",
    "read",
    "recorded_count",
    "recorded_profile",
    "topology_file",
    "update",
    "with_recorded_shape",
]
