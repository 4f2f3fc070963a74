"""The clients a stack process (gateway or worker) shares, opened at start, closed at stop."""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
import redis
from opensearchpy import OpenSearch
from psycopg_pool import ConnectionPool, PoolTimeout

from chirp.core.settings import Settings
from chirp.stack import clients, objectstore, replication
from chirp.stack.ids import IdSource
from chirp.stack.node_lease import LeasedIds, node_ids

_ON_PRIMARY_MAX_S = 5.0
"""How long a read-pool connection may stay on a primary before it is swapped for one to
a replica: after a failover promoted its server, or while every replica was away."""

_POOL_TIMEOUT_S = 5.0
_RECONNECT_GIVE_UP_S = 2.0
"""How long the pool retries one lost connection with growing delays before it gives up;
the next checkout then starts a fresh attempt at once. Short, so that a promoted primary
gets connections within about a second instead of after a backoff grown over the outage."""
_AWAY_TIMEOUT_S = 0.25
"""How long a checkout waits while the pool's server is known away: long enough to take
a connection the pool just made, short enough that a write with no primary answers 503
at once instead of after the full pool timeout."""
_ASK_SERVER_AFTER_S = 0.5
"""How long a checkout waits before it asks the server whether it is there at all, so the
first request after a primary dies learns it in half a second, not the whole timeout."""
_PROBE_VALID_S = 1.0
"""How long one answer to that question stands: waiters on a busy pool share it instead
of each opening a connection of its own."""


class FailFastPool(ConnectionPool):
    """A pool that stops making callers wait its whole timeout while no server is there.

    A checkout still waiting after `_ASK_SERVER_AFTER_S` asks the server directly: if no
    server accepts the connection (the primary died, no replica promoted yet), the pool
    is *away*, the checkout fails, and later ones wait only `_AWAY_TIMEOUT_S` (503 at
    once, not after seconds); the first one that gets a connection ends it. If the
    server answers, the pool is just busy and the checkout waits out its timeout."""

    def __init__(self, conninfo: str, **options: Any) -> None:
        super().__init__(conninfo, **options)
        self.away = False
        self._probed_at = -_PROBE_VALID_S
        self._server_answered = True

    def getconn(self, timeout: float | None = None) -> psycopg.Connection:
        timeout = self.timeout if timeout is None else timeout
        if self.away:
            return self._checkout(min(timeout, _AWAY_TIMEOUT_S))
        first = min(timeout, _ASK_SERVER_AFTER_S)
        try:
            return self._checkout(first)
        except PoolTimeout:
            self.away = not self.server_answers()
            if self.away or timeout <= first:
                raise
        try:
            return self._checkout(timeout - first)
        except PoolTimeout:
            raise PoolTimeout(f"couldn't get a connection after {timeout:.2f} sec") from None

    def _checkout(self, timeout: float) -> psycopg.Connection:
        conn = super().getconn(timeout)
        self.away = False
        return conn

    def server_answers(self) -> bool:
        """Whether a fresh connection to the pool's servers succeeds (asked at most once a
        second; callers in between share the answer)."""
        now = time.monotonic()
        if now - self._probed_at < _PROBE_VALID_S:
            return self._server_answered
        try:
            psycopg.connect(self.conninfo, connect_timeout=1, **(self.kwargs or {})).close()
            self._server_answered = True
        except psycopg.OperationalError:
            self._server_answered = False
        self._probed_at = time.monotonic()
        return self._server_answered


def _pool(
    dsn: str,
    password: str | None,
    check: Callable[[psycopg.Connection], None] = ConnectionPool.check_connection,
) -> FailFastPool:
    # Checking costs one round trip per checkout and drops a connection whose server died
    # (a failover), so the next request gets a fresh one instead of an error.
    return FailFastPool(
        dsn,
        min_size=2,
        max_size=16,
        kwargs={"autocommit": True, "password": password},
        open=True,
        timeout=_POOL_TIMEOUT_S,
        reconnect_timeout=_RECONNECT_GIVE_UP_S,
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
    pg: FailFastPool
    """The primary: every write, and reads that must see the latest one."""
    pg_read: FailFastPool
    """The read replicas (the primary itself when there are none, or none answers)."""
    dynamo: Any
    search: OpenSearch
    ids: IdSource
    _s3: Any = None

    @property
    def s3(self) -> Any:
        """The object store's client, opened on first use (most workers never need it)."""
        if self._s3 is None:
            self._s3 = objectstore.s3_client(self.settings, max_pool=32)
        return self._s3

    @contextmanager
    def pg_write(self) -> Iterator[psycopg.Connection]:
        """A primary connection for a write the caller will be told succeeded: after the
        block (whose transactions have committed by then), a replica holds it too, so a
        failover does not lose it (see `replication.await_standby`)."""
        with self.pg.connection() as conn:
            yield conn
            replication.await_standby(conn, self.settings.postgres_standby_ack_timeout_s)

    @classmethod
    def open(cls, settings: Settings) -> Resources:
        password = clients.postgres_password(settings)
        primary = _pool(settings.postgres_write_dsn, password)
        replicas = (
            _pool(settings.postgres_read_dsn, password, _ReplicaCheck())
            if settings.postgres_replica_addresses
            else primary
        )
        dynamo = clients.dynamodb_client(settings, max_pool=48)
        return cls(
            settings=settings,
            redis=clients.redis_client(settings, timeout=0.5, max_connections=128),
            pg=primary,
            pg_read=replicas,
            dynamo=dynamo,
            search=clients.opensearch_client(settings, timeout=2),
            ids=node_ids(settings, dynamo),
        )

    def close(self) -> None:
        if isinstance(self.ids, LeasedIds):
            self.ids.close()
        if self.pg_read is not self.pg:
            self.pg_read.close()
        self.pg.close()
        self.redis.close()
