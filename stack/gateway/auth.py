"""Bearer tokens: issued once at sign-up, stored only as a SHA-256 hash, cached in Redis."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets

import psycopg
import redis

from stack.resources import Resources
from stack.users import reads

log = logging.getLogger(__name__)

_CACHE_TTL_S = 3600


def issue_token() -> tuple[str, str]:
    """A new token and the hash to store for it."""
    token = secrets.token_urlsafe(32)
    return token, hash_token(token)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def user_for_token(res: Resources, token: str) -> int | None:
    """The id of the user holding `token`, or None; Redis first, PostgreSQL on a miss."""
    token_hash = hash_token(token)
    key = f"auth:{token_hash}"
    try:
        cached = res.redis.get(key)
        if cached is not None:
            return int(cached)
    except redis.RedisError:
        cached = None
    user_id = _user_by_token(res, token_hash)
    if user_id is None:
        return None
    with contextlib.suppress(redis.RedisError):
        res.redis.set(key, user_id, ex=_CACHE_TTL_S)
    return user_id


def _user_by_token(res: Resources, token_hash: str) -> int | None:
    """Asked of a replica first, so requests authenticate while there is no primary; a
    token the replica does not know yet (a sign-up a moment ago) is asked of the primary."""

    def query(conn: psycopg.Connection) -> int | None:
        row = conn.execute("SELECT id FROM users WHERE token_hash = %s", (token_hash,)).fetchone()
        return None if row is None else int(row[0])

    found = reads.read(res, (), query)
    if found is None and res.pg_read is not res.pg:
        with res.pg.connection() as conn:
            found = query(conn)
    return found
