"""Where profile and follower/following reads go: a read replica, or the primary.

Reads go to the replica pool, except reads about a user whose follows changed in the
last `read_your_writes_s` seconds: those go to the primary, so a caller always sees
its own follow or unfollow (and the counts it moved). The mark lives in Redis, because
the next request may reach another gateway; while Redis cannot say, every such read goes
to the primary. A replica read that fails is retried once on the primary: a replica that
dies is never a user-visible error.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

import psycopg
import redis
from prometheus_client import Counter
from psycopg_pool import ConnectionPool, PoolTimeout

from chirp.stack.resources import Resources

log = logging.getLogger(__name__)
T = TypeVar("T")

READS = Counter(
    "chirp_pg_reads_total",
    "User and follow reads by the pool asked and the role of the server that answered",
    ["pool", "server"],
)
FALLBACKS = Counter(
    "chirp_pg_replica_fallbacks_total", "Replica reads that failed and were retried on the primary"
)


def _key(user_id: int) -> str:
    return f"ryw:{user_id}"


def note_write(res: Resources, *user_ids: int) -> None:
    """Send reads about these users to the primary for the read-your-writes window."""
    window_s = res.settings.read_your_writes_s
    if window_s <= 0:
        return
    try:
        with res.redis.pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                pipe.set(_key(user_id), 1, px=int(window_s * 1000))
            pipe.execute()
    except redis.RedisError as error:
        log.debug("read-your-writes marks not kept (reads go to the primary): %s", error)


def must_read_primary(res: Resources, user_ids: Iterable[int]) -> bool:
    """True when any of these users changed within the window (or Redis cannot say)."""
    ids = list(user_ids)
    if not ids or res.settings.read_your_writes_s <= 0 or res.pg_read is res.pg:
        return False
    try:
        return any(res.redis.mget([_key(i) for i in ids]))
    except redis.RedisError:
        return True  # no way to know: correctness over offloading the primary


def written_lately(res: Resources, user_id: int) -> bool:
    """Whether the user was written within the window; False when Redis cannot say (a
    check on the side, unlike `must_read_primary`, which errs towards the primary)."""
    if res.settings.read_your_writes_s <= 0 or res.pg_read is res.pg:
        return False
    try:
        return bool(res.redis.exists(_key(user_id)))
    except redis.RedisError:
        return False


def read(res: Resources, about: Iterable[int], query: Callable[[psycopg.Connection], T]) -> T:
    """Run `query` on a replica (the primary for users just written), falling back once
    to the primary when the replica fails."""
    if must_read_primary(res, about):
        return _run(res.pg, "primary", query)
    try:
        return _run(res.pg_read, "replica", query)
    except (psycopg.OperationalError, PoolTimeout) as error:
        FALLBACKS.inc()
        log.info("replica read failed, retrying on the primary: %s", error)
        return _run(res.pg, "primary", query)


def _run(pool: ConnectionPool, name: str, query: Callable[[psycopg.Connection], T]) -> T:
    with pool.connection() as conn:
        result = query(conn)
        standby = conn.info.parameter_status("in_hot_standby") == "on"
    READS.labels(name, "standby" if standby else "primary").inc()
    return result
