"""The `tweet:{id}` cache of hydrated tweets in Redis (TTL from settings); its only owner.

Reads fill it from DynamoDB with eventually consistent reads, so a read that started
before a delete or an edit can finish after it, holding the old item. To keep such a read
from bringing the old item back:

- a fill only ever adds (`SET NX`): it never overwrites what is there;
- a delete leaves a tombstone for the cache's TTL, which nothing but another delete
  replaces, and which reads answer as "deleted" without asking DynamoDB;
- an edit writes the edited tweet itself, unless a tombstone is there;
- forgetting a tweet (its counts moved) keeps a tombstone in place.
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict

import redis
from redis.commands.core import Script

from chirp.stack.tweets.model import Tweet

log = logging.getLogger(__name__)

TOMBSTONE = "deleted"

# KEYS[1]: the tweet's key; ARGV[1]: the tombstone. Each changes the key only when it
# holds no tombstone.
_REPLACE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2], 'EX', ARGV[3])
return 1
"""
_FORGET = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return 0 end
return redis.call('DEL', KEYS[1])
"""
_scripts: dict[tuple[int, str], Script] = {}


def _script(client: redis.Redis, source: str) -> Script:
    """`source` registered on `client`: sent once, then called by its SHA."""
    key = (id(client), source)
    if key not in _scripts:
        _scripts[key] = client.register_script(source)
    return _scripts[key]


def _key(tweet_id: int) -> str:
    return f"tweet:{tweet_id}"


def get_many(client: redis.Redis, tweet_ids: list[int]) -> dict[int, Tweet | None]:
    """What the cache knows of `tweet_ids`: a tweet, or None for one known deleted.
    Ids it knows nothing of are absent; an unreachable cache knows nothing."""
    if not tweet_ids:
        return {}
    try:
        raw = client.mget([_key(t) for t in tweet_ids])
    except redis.RedisError as error:
        log.debug("tweet cache unavailable: %s", error)
        return {}
    return {
        t: None if r == TOMBSTONE else Tweet(**json.loads(r))
        for t, r in zip(tweet_ids, raw, strict=True)
        if r
    }


def put_many(client: redis.Redis, tweets: list[Tweet], ttl_s: int) -> None:
    """Cache tweets a read found, where the cache holds nothing for them yet."""
    if not tweets:
        return
    try:
        with client.pipeline(transaction=False) as pipe:
            for tweet in tweets:
                pipe.set(_key(tweet.tweet_id), _encode(tweet), ex=ttl_s, nx=True)
            pipe.execute()
    except redis.RedisError as error:
        log.debug("tweet cache unavailable: %s", error)


def replace(client: redis.Redis, tweet: Tweet, ttl_s: int) -> None:
    """Cache a tweet as an edit just stored it, unless it was deleted meanwhile."""
    try:
        _script(client, _REPLACE)(
            keys=[_key(tweet.tweet_id)], args=[TOMBSTONE, _encode(tweet), ttl_s]
        )
    except redis.RedisError as error:
        log.debug("tweet cache unavailable: %s", error)


def bury(client: redis.Redis, tweet_id: int, ttl_s: int) -> None:
    """Mark a tweet deleted, so no read in flight caches it again."""
    try:
        client.set(_key(tweet_id), TOMBSTONE, ex=ttl_s)
    except redis.RedisError as error:
        log.debug("tweet cache unavailable: %s", error)


def forget(client: redis.Redis, *tweet_ids: int) -> None:
    """Drop cached tweets (their counts moved); tombstones stay."""
    try:
        for tweet_id in tweet_ids:
            _script(client, _FORGET)(keys=[_key(tweet_id)], args=[TOMBSTONE])
    except redis.RedisError as error:
        log.debug("tweet cache unavailable: %s", error)


def _encode(tweet: Tweet) -> str:
    return json.dumps(asdict(tweet))
