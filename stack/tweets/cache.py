"""The `tweet:{id}` cache of hydrated tweets in Redis (TTL from settings); its only owner."""

from __future__ import annotations

import json
import logging
from dataclasses import asdict

import redis

from stack.tweets.model import Tweet

log = logging.getLogger(__name__)


def _key(tweet_id: int) -> str:
    return f"tweet:{tweet_id}"


def get_many(client: redis.Redis, tweet_ids: list[int]) -> dict[int, Tweet]:
    """Cached tweets among `tweet_ids`; an unreachable cache is an empty one."""
    if not tweet_ids:
        return {}
    try:
        raw = client.mget([_key(t) for t in tweet_ids])
    except redis.RedisError as error:
        log.debug("tweet cache unavailable: %s", error)
        return {}
    return {t: Tweet(**json.loads(r)) for t, r in zip(tweet_ids, raw, strict=True) if r}


def put_many(client: redis.Redis, tweets: list[Tweet], ttl_s: int) -> None:
    if not tweets:
        return
    try:
        with client.pipeline(transaction=False) as pipe:
            for tweet in tweets:
                pipe.set(_key(tweet.tweet_id), json.dumps(asdict(tweet)), ex=ttl_s)
            pipe.execute()
    except redis.RedisError as error:
        log.debug("tweet cache unavailable: %s", error)


def forget(client: redis.Redis, *tweet_ids: int) -> None:
    try:
        client.delete(*[_key(t) for t in tweet_ids])
    except redis.RedisError as error:
        log.debug("tweet cache unavailable: %s", error)
