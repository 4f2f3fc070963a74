"""Per-user fixed-window rate limits, counted atomically in Redis."""

from __future__ import annotations

import logging
import time

import redis
from redis.commands.core import Script

from chirp.stack.gateway.errors import ApiError

log = logging.getLogger(__name__)

# INCR and EXPIRE in one step, so a counter never lives without its expiry; in the same
# round trip, SET NX of an optional mark (KEYS[2], expiring after ARGV[2] s): 1 if it was new.
_COUNT = """
local n = redis.call('INCR', KEYS[1])
if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
local marked = 0
if KEYS[2] and redis.call('SET', KEYS[2], 1, 'EX', ARGV[2], 'NX') then marked = 1 end
return {n, redis.call('TTL', KEYS[1]), marked}
"""
WINDOW_S = 3600


_scripts: dict[int, Script] = {}


def _script(client: redis.Redis) -> Script:
    """The counting script registered on `client`: sent once, then called by its SHA."""
    if id(client) not in _scripts:
        _scripts[id(client)] = client.register_script(_COUNT)
    return _scripts[id(client)]


def check(
    client: redis.Redis,
    kind: str,
    user_id: int,
    limit: int,
    mark: tuple[str, int] | None = None,
) -> bool:
    """Count one `kind` action of `user_id` this hour; 429 with Retry-After past `limit`.

    `mark` (a key and its expiry in seconds) is set in the same round trip if absent;
    returns whether it was set now. When Redis cannot be reached the request is let
    through, unmarked: losing the limiter for a moment is better than refusing every user.
    """
    window = int(time.time()) // WINDOW_S
    keys = [f"ratelimit:{kind}:{user_id}:{window}"]
    args = [WINDOW_S]
    if mark is not None:
        keys.append(mark[0])
        args.append(mark[1])
    try:
        count, ttl, marked = _script(client)(keys=keys, args=args)
    except redis.RedisError as error:
        log.warning("rate limiter unavailable: %s", error)
        return False
    if int(count) > limit:
        retry_after = max(1, int(ttl))
        raise ApiError(
            429,
            "rate_limited",
            f"limit of {limit} {kind} per hour reached; retry in {retry_after}s",
            {"Retry-After": str(retry_after)},
        )
    return bool(marked)
