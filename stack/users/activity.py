"""Which users are active: a Redis mark set at most hourly, and `last_active_at` behind it.

The fan-out's middle tier pushes only to followers active in the last days; a feed
expires that much (less one mark interval) after its owner's last activity.
"""

from __future__ import annotations

import contextlib
import logging

import psycopg
import redis
from psycopg_pool import PoolTimeout

from chirp.stack.resources import Resources
from chirp.stack.users import store

log = logging.getLogger(__name__)

ACTIVE_MARK_S = 3_600
_RECORD_TIMEOUT_S = 0.5


def active_mark(user_id: int) -> tuple[str, int]:
    """The Redis key (and its expiry) that records the user as active, at most once an hour."""
    return f"active:{user_id}", ACTIVE_MARK_S


def record_active(res: Resources, user_id: int) -> None:
    """Store `last_active_at` for a newly set mark; without a primary, drop the mark instead."""
    try:  # best effort: a missing primary must not fail the request that reads a feed
        with res.pg.connection(timeout=_RECORD_TIMEOUT_S) as conn:
            store.touch_last_active(conn, user_id)
    except (psycopg.OperationalError, PoolTimeout) as error:
        log.info("last_active_at not recorded for %s: %s", user_id, error)
        with contextlib.suppress(redis.RedisError):
            res.redis.delete(active_mark(user_id)[0])  # try again on a later request
