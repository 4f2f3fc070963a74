"""Per-user fixed-window rate limits, counted atomically in Redis."""

from __future__ import annotations

import logging
import time

import redis
from redis.commands.core import Script

from stack.gateway.errors import ApiError

log = logging.getLogger(__name__)

# INCR and EXPIRE in one step, so a counter never lives without its expiry.
_COUNT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return {n, redis.call('TTL', KEYS[1])}
"""
WINDOW_S = 3600


_scripts: dict[int, Script] = {}


def _script(client: redis.Redis) -> Script:
    """The counting script registered on `client`: sent once, then called by its SHA."""
    if id(client) not in _scripts:
        _scripts[id(client)] = client.register_script(_COUNT)
    return _scripts[id(client)]


def check(client: redis.Redis, kind: str, user_id: int, limit: int) -> None:
    """Count one `kind` action of `user_id` this hour; 429 with Retry-After past `limit`.

    When Redis cannot be reached the request is let through: losing the limiter for a
    moment is better than refusing every user.
    """
    window = int(time.time()) // WINDOW_S
    key = f"ratelimit:{kind}:{user_id}:{window}"
    try:
        count, ttl = _script(client)(keys=[key], args=[WINDOW_S])
    except redis.RedisError as error:
        log.warning("rate limiter unavailable: %s", error)
        return
    if int(count) > limit:
        retry_after = max(1, int(ttl))
        raise ApiError(
            429,
            "rate_limited",
            f"limit of {limit} {kind} per hour reached; retry in {retry_after}s",
            {"Retry-After": str(retry_after)},
        )
