"""The clients a stack process (gateway or worker) shares, opened at start, closed at stop."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import redis
from opensearchpy import OpenSearch
from psycopg_pool import ConnectionPool

from stack import clients
from stack.ids import IdGenerator
from stack.settings import Settings


def _pool(dsn: str, max_lifetime_s: float = 3600.0) -> ConnectionPool:
    # check_connection costs one round trip per checkout and drops a connection whose
    # server died (a failover), so the next request gets a fresh one instead of an error.
    return ConnectionPool(
        dsn,
        min_size=2,
        max_size=16,
        kwargs={"autocommit": True},
        open=True,
        timeout=5,
        check=ConnectionPool.check_connection,
        max_lifetime=max_lifetime_s,
    )


@dataclass
class Resources:
    settings: Settings
    redis: redis.Redis
    pg: ConnectionPool
    """The primary: every write, and reads that must see the latest one."""
    pg_read: ConnectionPool
    """The read replicas (the primary itself when there are none, or none answers)."""
    dynamo: Any
    search: OpenSearch
    ids: IdGenerator

    @classmethod
    def open(cls, settings: Settings) -> Resources:
        primary = _pool(settings.postgres_write_dsn)
        # Short-lived, so connections that fell back to the primary while a replica was
        # away move back to replicas soon after it returns.
        replicas = (
            _pool(settings.postgres_read_dsn, 60.0)
            if settings.postgres_replica_addresses
            else primary
        )
        return cls(
            settings=settings,
            redis=clients.redis_client(settings, timeout=0.5, max_connections=128),
            pg=primary,
            pg_read=replicas,
            dynamo=clients.dynamodb_client(settings, max_pool=48),
            search=clients.opensearch_client(settings, timeout=2),
            ids=IdGenerator(settings.node_id),
        )

    def close(self) -> None:
        if self.pg_read is not self.pg:
            self.pg_read.close()
        self.pg.close()
        self.redis.close()
