"""Every Redis key of trending; the only module that knows them.

    trending:{scope}              sorted set: hashtag → score, the public ranking
    trending:n:{scope}:{minute}   hash: hashtag → tweets with it created that minute
    trending:t:{minute}           hash: tweet id → what the tweet counts for, and the
                                  version of the event that said so
    trending:scopes               set: every scope that ever had a count

A tweet's contribution is a set of (scope, hashtag) pairs in the minute it was
created. An event replaces the contribution only when its version is newer than
the stored one (create: created_at; edit: edited_at; delete: DELETED_VERSION,
which nothing passes), atomically in a Lua script, so redelivered, reordered or
replayed events count each tweet once. Minute keys expire a little after they
leave the window.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import cast

import redis

from chirp.stack.trending import score

GLOBAL = "global"
DELETED_VERSION = 2**62
RANKING_SIZE = 100
"""Hashtags kept in each `trending:{scope}` set; the API serves at most 50."""
_EXPIRY_MARGIN_S = 300

_SCOPES = "trending:scopes"

# Replace one tweet's contribution when the event is newer; answer the scopes touched.
# ARGV: tweet id, version, expire-at (s), minute, then "scope\ttag" pairs.
_APPLY = """
local record = redis.call('HGET', KEYS[1], ARGV[1])
local version = tonumber(ARGV[2])
local old = {}
if record then
  local lines = {}
  for line in string.gmatch(record, '[^\\n]+') do lines[#lines + 1] = line end
  if tonumber(lines[1]) >= version then return {} end
  for i = 2, #lines do old[lines[i]] = true end
end
local new, touched, scopes = {}, {}, {}
for i = 5, #ARGV do new[ARGV[i]] = true end
local function counts(pair)
  local scope, tag = string.match(pair, '^([^\\t]+)\\t(.+)$')
  if not scopes[scope] then scopes[scope] = true; touched[#touched + 1] = scope end
  return 'trending:n:' .. scope .. ':' .. ARGV[4], tag
end
for pair in pairs(old) do
  if not new[pair] then
    local key, tag = counts(pair)
    if redis.call('HINCRBY', key, tag, -1) <= 0 then redis.call('HDEL', key, tag) end
  end
end
for pair in pairs(new) do
  if not old[pair] then
    local key, tag = counts(pair)
    redis.call('HINCRBY', key, tag, 1)
    redis.call('EXPIREAT', key, ARGV[3])
    redis.call('SADD', KEYS[2], string.match(pair, '^([^\\t]+)'))
  end
end
local lines = {ARGV[2]}
for i = 5, #ARGV do lines[#lines + 1] = ARGV[i] end
redis.call('HSET', KEYS[1], ARGV[1], table.concat(lines, '\\n'))
redis.call('EXPIREAT', KEYS[1], ARGV[3])
return touched
"""


@dataclass(frozen=True)
class Contribution:
    """What one event says a tweet counts for: these (scope, hashtag) pairs, as of `version`."""

    tweet_id: int
    minute: int
    version: int
    pairs: frozenset[tuple[str, str]]


def ranking_key(scope: str) -> str:
    return f"trending:{scope}"


def _counts_key(scope: str, minute: int) -> str:
    return f"trending:n:{scope}:{minute}"


def _tweets_key(minute: int) -> str:
    return f"trending:t:{minute}"


class TrendingStore:
    """Counts, contributions and rankings of trending in one Redis."""

    def __init__(self, client: redis.Redis, window_s: int) -> None:
        self.client = client
        self.window_s = window_s
        self._apply = client.register_script(_APPLY)

    def apply(self, contributions: Iterable[Contribution], now_ms: int) -> set[str]:
        """Record each contribution that is newer than the stored one; the scopes touched.
        Contributions of minutes that already left the window are ignored."""
        live = [c for c in contributions if self._in_window(c.minute, now_ms)]
        if not live:
            return set()
        with self.client.pipeline(transaction=False) as pipe:
            for c in live:
                self._apply(keys=[_tweets_key(c.minute), _SCOPES], args=self._args(c), client=pipe)
            answers = pipe.execute()
        return {scope for touched in answers for scope in touched}

    def _in_window(self, minute: int, now_ms: int) -> bool:
        return (minute + 1) * score.MINUTE_MS + self.window_s * 1000 >= now_ms

    def _args(self, c: Contribution) -> list[str | int]:
        expire_at = (c.minute + 1) * 60 + self.window_s + _EXPIRY_MARGIN_S
        pairs = sorted(f"{scope}\t{tag}" for scope, tag in c.pairs)
        return [c.tweet_id, c.version, expire_at, c.minute, *pairs]

    def scopes(self) -> set[str]:
        """Every scope that ever had a count."""
        return cast(set[str], self.client.smembers(_SCOPES)) | {GLOBAL}

    def counts(self, scope: str, minutes: range) -> dict[str, dict[int, int]]:
        """Per hashtag, its counts per minute over `minutes`."""
        with self.client.pipeline(transaction=False) as pipe:
            for minute in minutes:
                pipe.hgetall(_counts_key(scope, minute))
            answers = pipe.execute()
        by_tag: dict[str, dict[int, int]] = {}
        for minute, counts in zip(minutes, answers, strict=True):
            for tag, count in counts.items():
                by_tag.setdefault(tag, {})[minute] = int(count)
        return by_tag

    def replace_ranking(self, scope: str, ranked: list[tuple[str, float]]) -> None:
        """Make `trending:{scope}` exactly `ranked`, in one step readers never see half done."""
        key = ranking_key(scope)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(key)
            if ranked:
                pipe.zadd(key, dict(ranked))
                pipe.expire(key, self.window_s + _EXPIRY_MARGIN_S)
            pipe.execute()

    def top(self, scope: str, limit: int) -> list[tuple[str, float]]:
        """The `limit` best hashtags of `scope`, highest score first."""
        answer = self.client.zrevrange(ranking_key(scope), 0, limit - 1, withscores=True)
        return [(tag, float(value)) for tag, value in cast(list[tuple[str, float]], answer)]
