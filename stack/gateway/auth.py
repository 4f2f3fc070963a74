"""Bearer tokens: issued once at sign-up, stored only as a SHA-256 hash, cached in Redis."""

from __future__ import annotations

import contextlib
import hashlib
import logging
import secrets

import redis

from stack.resources import Resources

log = logging.getLogger(__name__)

_CACHE_TTL_S = 3600
_ACTIVE_MARK_S = 3600


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
    with res.pg.connection() as conn:
        row = conn.execute("SELECT id FROM users WHERE token_hash = %s", (token_hash,)).fetchone()
    if row is None:
        return None
    with contextlib.suppress(redis.RedisError):
        res.redis.set(key, row[0], ex=_CACHE_TTL_S)
    return int(row[0])


def mark_active(res: Resources, user_id: int) -> None:
    """Record the user as active, at most once an hour; the fan-out's middle tier reads it."""
    try:
        first = res.redis.set(f"active:{user_id}", 1, ex=_ACTIVE_MARK_S, nx=True)
    except redis.RedisError:
        return
    if first:
        with res.pg.connection() as conn:
            conn.execute("UPDATE users SET last_active_at = now() WHERE id = %s", (user_id,))
