"""The clients a stack process (gateway or worker) shares, opened at start, closed at stop."""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import psycopg
import redis
from opensearchpy import OpenSearch
from psycopg_pool import ConnectionPool

from stack import clients
from stack.ids import IdGenerator
from stack.settings import Settings

_ON_PRIMARY_MAX_S = 5.0
"""How long a read-pool connection may stay on a primary before it is swapped for one to
a replica: after a failover promoted its server, or while every replica was away."""


def _pool(
    dsn: str, check: Callable[[psycopg.Connection], None] = ConnectionPool.check_connection
) -> ConnectionPool:
    # Checking costs one round trip per checkout and drops a connection whose server died
    # (a failover), so the next request gets a fresh one instead of an error.
    return ConnectionPool(
        dsn,
        min_size=2,
        max_size=16,
        kwargs={"autocommit": True},
        open=True,
        timeout=5,
        check=check,
    )


class _ReplicaCheck:
    """The read pool's checkout check: on a standby, unless no standby could be had a
    moment ago. A connection on a primary for longer is dropped, so the pool opens a new
    one, which `prefer-standby` puts on a replica if one answers. No round trip: a dead
    connection fails its read, which `stack.users.reads` retries on the primary."""

    def __init__(self) -> None:
        self._on_primary_since: weakref.WeakKeyDictionary[psycopg.Connection, float] = (
            weakref.WeakKeyDictionary()
        )

    def __call__(self, conn: psycopg.Connection) -> None:
        if conn.info.parameter_status("in_hot_standby") != "off":
            self._on_primary_since.pop(conn, None)
            return
        since = self._on_primary_since.setdefault(conn, time.monotonic())
        if time.monotonic() - since > _ON_PRIMARY_MAX_S:
            conn.close()  # a closed connection is discarded; an open one would come back
            raise psycopg.OperationalError("a read connection on the primary; a replica may answer")


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
        replicas = (
            _pool(settings.postgres_read_dsn, _ReplicaCheck())
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
