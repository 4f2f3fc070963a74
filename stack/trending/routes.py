"""`GET /trending`: the top hashtags of a scope, from `trending:{scope}`, cached.

Scopes are `global` and `lang:<code>` (ISO 639-1, like `lang:en`). A well-formed
scope with nothing trending (a language nobody wrote in) answers an empty list,
not 404: the scope is valid, just quiet. A malformed scope is a 422.
Answers are cached in-process for `trending_cache_s` (60 s) per scope.
"""

from __future__ import annotations

import threading
import time
from typing import Annotated

import redis
from fastapi import APIRouter, Query

from chirp.stack.gateway.deps import ResourcesDep
from chirp.stack.gateway.errors import unavailable
from chirp.stack.gateway.openapi import errors
from chirp.stack.resources import Resources
from chirp.stack.trending.schemas import Trending, TrendingItem
from chirp.stack.trending.store import TrendingStore

router = APIRouter(tags=["trending"])

MAX_LIMIT = 50
SCOPE_PATTERN = r"^(global|lang:[a-z]{2,3})$"
ScopeQuery = Annotated[
    str, Query(pattern=SCOPE_PATTERN, description="`global` or `lang:<code>`, like `lang:en`")
]
TrendingLimit = Annotated[int, Query(ge=1, le=MAX_LIMIT)]


class _TopCache:
    """The top MAX_LIMIT hashtags per (Redis, scope), for a fixed time."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], tuple[float, list[tuple[str, float]]]] = {}

    def get(self, key: tuple[str, str]) -> list[tuple[str, float]] | None:
        with self._lock:
            entry = self._entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return None
        return entry[1]

    def put(self, key: tuple[str, str], top: list[tuple[str, float]], ttl_s: float) -> None:
        with self._lock:
            self._entries[key] = (time.monotonic() + ttl_s, top)


_cache = _TopCache()


def top_hashtags(res: Resources, scope: str) -> list[tuple[str, float]]:
    """The scope's top MAX_LIMIT hashtags, from the cache or Redis; 503 when Redis is down."""
    key = (res.settings.redis_url, scope)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    try:
        top = TrendingStore(res.redis, res.settings.trending_window_s).top(scope, MAX_LIMIT)
    except redis.RedisError as error:
        raise unavailable("trending") from error
    _cache.put(key, top, res.settings.trending_cache_s)
    return top


@router.get(
    "/trending",
    responses=errors(
        422,
        503,
        e422="scope malformed or limit outside 1..50",
        e503="trending is unavailable; retry after Retry-After seconds",
    ),
)
def get_trending(
    res: ResourcesDep, scope: ScopeQuery = "global", limit: TrendingLimit = 10
) -> Trending:
    """Top hashtags of `scope` by the design review's score; refreshed at most once a minute."""
    top = top_hashtags(res, scope)[:limit]
    return Trending(items=[TrendingItem(hashtag=t, score=s) for t, s in top], scope=scope)
