"""The timeline store: the one owner of every `feed:{uid}` and `celeb:{uid}` key.

`feed:{uid}` is a sorted set of `"{tweet_id}:{author_id}"` members scored by
tweet id, so ZADD is idempotent and order survives out-of-order delivery. It is
trimmed to FEED_MAX by rank. Beside it live:

- the member `ready` at score +inf: the feed is complete. A feed without it
  (never built, expired, dropped, or only touched by pushes since) is rebuilt
  from DynamoDB on its next read, merged with what pushes put there meanwhile;
- `feed:{uid}:rt`, a hash from original tweet id to the feed member that shows
  it, so a retweet of something already in the feed is not shown twice;
- `feed:{uid}:rebuild`, the lock that lets one reader at a time rebuild it;
- `feed:{uid}:celebs`, the set of pull-mode authors the user follows (with a marker
  member, so following none is known too), trusted for `CELEBS_TTL_S`: the fan-out
  worker applies follows and unfollows to it at once, and an author crossing the
  celebrity threshold reaches it when it expires. A feed read is then one script call.

`celeb:{uid}` holds the recent tweets of a pull-mode author in the same member
format (with its own `ready` marker), capped at CELEB_MAX, merged on read.

`recent:{uid}` holds every author's newest RECENT_MAX tweets and retweets (members
keep a retweet's original, see `encode_full`), kept by the fan-out worker and, with
`ready`, complete: a feed is rebuilt from its followees' lists in one script call, and
only authors without a complete list are read from DynamoDB (and their lists filled).

`feeds:whole` (no expiry) says Redis still holds what it was given: a Redis that lost
its data (flushed, or a node that came back empty) lacks it, and the fan-out worker then
rebuilds the feeds of the most recently active users without waiting for their reads.

Feeds expire a little before the fan-out's "active" window closes and reads
refresh them, so the feed of a user the middle tier stops pushing to is gone
(and rebuilt on return) rather than stale.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import redis

from chirp.stack.feed import scripts
from chirp.stack.feed.entries import Entry, encode_full, entries_below
from chirp.stack.resources import Resources
from chirp.stack.users.activity import ACTIVE_MARK_S

READY = "ready"
_INF = "+inf"
_PIPELINE_CHUNK = 5_000  # feed writes per round trip: bounded memory, few round trips
_FEEDS_PER_CALL = 100  # feeds one script call writes: short enough not to stall Redis
_TIE_SLACK = 8  # extra members read so that entries sharing the cursor's score are skipped
_SECONDS_PER_DAY = 86_400
_KNOWN = "known"
CELEBS_TTL_S = 300
RECENT_MAX = 50
"""How many of each author's newest tweets `recent:{uid}` keeps, and a rebuilt feed
starts from."""


def feed_ttl_s(active_days: int) -> int:
    """How long an unread feed lives: just under the middle tier's active window."""
    # A user is marked active at most hourly; expiring a feed that much before the active
    # window closes means the middle tier never skips a feed that still exists.
    return max(active_days * _SECONDS_PER_DAY - ACTIVE_MARK_S, ACTIVE_MARK_S)


@dataclass(frozen=True)
class Snapshot:
    """One read of a feed and of celebrity lists below a cursor, newest first.

    `feed` is None when the feed is not complete (it must be rebuilt); a celebrity
    id in `missing_celebs` has no complete list (it must be refilled)."""

    feed: list[Entry] | None
    celebs: dict[int, list[Entry]]
    missing_celebs: list[int]
    celebs_known: bool = True


def _feed_key(user_id: int) -> str:
    return f"feed:{user_id}"


def _retweets_key(user_id: int) -> str:
    return f"feed:{user_id}:rt"


def _lock_key(user_id: int) -> str:
    return f"feed:{user_id}:rebuild"


def _celebs_key(user_id: int) -> str:
    return f"feed:{user_id}:celebs"


_WHOLE_KEY = "feeds:whole"
_WARMING_KEY = "feeds:warming"
_CELEB_PREFIX = "celeb:"
_RECENT_PREFIX = "recent:"


def _recent_key(author_id: int) -> str:
    return f"{_RECENT_PREFIX}{author_id}"


def _rebuild_scratch_key(user_id: int) -> str:
    return f"feed:{user_id}:scratch"


def _celeb_key(author_id: int) -> str:
    return f"{_CELEB_PREFIX}{author_id}"


class Timelines:
    """Every read and write of feeds and celebrity lists, pipelined."""

    def __init__(self, client: redis.Redis, *, feed_max: int, celeb_max: int, ttl_s: int) -> None:
        self.client = client
        self.feed_max = feed_max
        self.celeb_max = celeb_max
        self.ttl_s = ttl_s
        self._add = client.register_script(scripts.ADD)
        self._remove_author = client.register_script(scripts.REMOVE_AUTHOR)
        self._unlock = client.register_script(scripts.UNLOCK)
        self._read = client.register_script(scripts.READ)
        self._remember_celebs = client.register_script(scripts.REMEMBER_CELEBS)
        self._update_celebs = client.register_script(scripts.UPDATE_CELEBS)
        self._rebuild = client.register_script(scripts.REBUILD)
        self._remove_recent = client.register_script(scripts.REMOVE_RECENT)

    @classmethod
    def of(cls, res: Resources) -> Timelines:
        s = res.settings
        return cls(
            res.redis, feed_max=s.feed_max, celeb_max=s.celeb_max, ttl_s=feed_ttl_s(s.active_days)
        )

    # ---------------------------------------------------------------- writes

    def add(
        self, entries: Sequence[Entry], user_ids: Iterable[int], *, only_existing: bool = False
    ) -> int:
        """Put `entries` in the feeds of `user_ids`; returns the feed writes made.

        Idempotent. A retweet is skipped in a feed that already shows its original
        or another retweet of it. With `only_existing`, feeds that do not exist stay so."""
        return self.deliver([(entries, user_ids)], only_existing=only_existing)

    def deliver(
        self,
        deliveries: Iterable[tuple[Sequence[Entry], Iterable[int]]],
        *,
        only_existing: bool = False,
    ) -> int:
        """`add` for many (entries, users) pairs at once: a batch of tweets from many
        authors goes out in as few round trips as `_PIPELINE_CHUNK` feed writes allow."""
        calls: list[list[Any]] = []
        queued = written = 0
        for entries, user_ids in deliveries:
            ordered = sorted(entries, key=lambda e: e.tweet_id)  # originals before retweets
            for users in _chunks(user_ids, _FEEDS_PER_CALL):
                keys = [k for u in users for k in (_feed_key(u), _retweets_key(u))]
                calls += [self._add_call(keys, entry, only_existing) for entry in ordered]
                queued += len(users) * len(ordered)
                if queued >= _PIPELINE_CHUNK:
                    written += self._run_adds(calls)
                    calls, queued = [], 0
        return written + (self._run_adds(calls) if calls else 0)

    def _add_call(self, keys: list[str], entry: Entry, only_existing: bool) -> list[Any]:
        original = entry.original_member
        args = [
            entry.member,
            entry.tweet_id,
            original or "",
            str(entry.retweet_of) if original else "",
            self.feed_max,
            self.ttl_s,
            "1" if only_existing else "0",
            READY,
        ]
        return [len(keys), *keys, *args]

    def _run_adds(self, calls: list[list[Any]]) -> int:
        """One pipeline of EVALSHA calls of the add script. redis-py would ask SCRIPT
        EXISTS before every pipeline; this loads the script only when Redis says it lacks
        it (a restart or a failover), then runs the idempotent writes again."""
        for attempt in range(2):
            try:
                with self.client.pipeline(transaction=False) as pipe:
                    for call in calls:
                        pipe.evalsha(self._add.sha, *call)
                    return sum(pipe.execute())
            except redis.exceptions.NoScriptError:
                if attempt:
                    raise
                self.client.script_load(scripts.ADD)
        return 0

    def remove(self, entries: Sequence[Entry], user_ids: Iterable[int]) -> None:
        """Take `entries` out of the feeds of `user_ids`; absent ones are fine."""
        if not entries:
            return
        members = [e.member for e in entries]
        queued = 0
        with self.client.pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                pipe.zrem(_feed_key(user_id), *members)
                queued += 1
                if queued >= _PIPELINE_CHUNK:
                    pipe.execute()
                    queued = 0
            if queued:
                pipe.execute()

    def remove_author(self, user_id: int, author_id: int) -> int:
        """Take every entry by `author_id` out of one feed; returns how many left."""
        return int(self._remove_author(keys=[_feed_key(user_id)], args=[f":{author_id}"]))

    def add_to_celeb(self, entries: Sequence[Entry]) -> None:
        """Put tweets of pull-mode authors on their `celeb:{uid}` lists."""
        if not entries:
            return
        with self.client.pipeline(transaction=False) as pipe:
            for entry in entries:
                key = _celeb_key(entry.author_id)
                pipe.zadd(key, {entry.member: entry.tweet_id})
                self._trim(pipe, key, self.celeb_max)
            pipe.execute()

    def remove_from_celeb(self, entries: Sequence[Entry]) -> None:
        if not entries:
            return
        with self.client.pipeline(transaction=False) as pipe:
            for entry in entries:
                pipe.zrem(_celeb_key(entry.author_id), entry.member)
            pipe.execute()

    def fill_celeb(self, author_id: int, entries: Sequence[Entry]) -> None:
        """Complete a celebrity list from stored tweets, keeping what pushes added."""
        key = _celeb_key(author_id)
        with self.client.pipeline(transaction=True) as pipe:
            if entries:
                pipe.zadd(key, {e.member: e.tweet_id for e in entries})
            pipe.zadd(key, {READY: _INF})
            self._trim(pipe, key, self.celeb_max)
            pipe.execute()

    def add_to_recent(self, entries: Sequence[Entry]) -> None:
        """Put new tweets on their authors' recent lists (a list that does not exist
        starts incomplete, and is filled from the store when a rebuild needs it)."""
        if not entries:
            return
        with self.client.pipeline(transaction=False) as pipe:
            for entry in entries:
                key = _recent_key(entry.author_id)
                pipe.zadd(key, {encode_full(entry): entry.tweet_id})
                self._trim(pipe, key, RECENT_MAX)
                pipe.expire(key, self.ttl_s)
            pipe.execute()

    def remove_from_recent(self, entries: Sequence[Entry]) -> None:
        """Take deleted tweets off their authors' recent lists."""
        if not entries:
            return
        with self.client.pipeline(transaction=False) as pipe:
            for entry in entries:
                self._remove_recent(
                    keys=[_recent_key(entry.author_id)], args=[entry.tweet_id], client=pipe
                )
            pipe.execute()

    def fill_recent(self, by_author: dict[int, list[Entry]]) -> None:
        """Complete authors' recent lists from stored tweets, keeping what pushes added."""
        with self.client.pipeline(transaction=False) as pipe:
            for author_id, entries in by_author.items():
                key = _recent_key(author_id)
                if entries:
                    pipe.zadd(key, {encode_full(e): e.tweet_id for e in entries})
                pipe.zadd(key, {READY: _INF})
                self._trim(pipe, key, RECENT_MAX)
                pipe.expire(key, self.ttl_s)
            pipe.execute()

    def incomplete_recent(self, author_ids: Sequence[int]) -> list[int]:
        """Those of `author_ids` without a complete recent list, in one round trip."""
        with self.client.pipeline(transaction=False) as pipe:
            for author_id in author_ids:
                pipe.zscore(_recent_key(author_id), READY)
            scores = pipe.execute()
        return [a for a, score in zip(author_ids, scores, strict=True) if score is None]

    def rebuild_from_recent(self, user_id: int, author_ids: Sequence[int]) -> list[int]:
        """Add the newest entries of every complete recent list among `author_ids` to the
        feed (by the push rules); returns the authors without a complete list."""
        keys = [_feed_key(user_id), _retweets_key(user_id), _rebuild_scratch_key(user_id)]
        args = [self.feed_max, self.ttl_s, READY, _RECENT_PREFIX, *author_ids]
        return [int(a) for a in self._rebuild(keys=keys, args=args)]

    def rebuild(self, user_id: int, entries: Sequence[Entry]) -> None:
        """Complete a feed from stored tweets: newest FEED_MAX of `entries` merged with
        whatever pushes put there meanwhile, with the same retweet rule, then `ready`."""
        newest = sorted(entries, key=lambda e: e.tweet_id, reverse=True)[: self.feed_max]
        self.add(newest, [user_id])
        key = _feed_key(user_id)
        with self.client.pipeline(transaction=True) as pipe:
            pipe.zadd(key, {READY: _INF})
            self._trim(pipe, key, self.feed_max)
            pipe.expire(key, self.ttl_s)
            pipe.expire(_retweets_key(user_id), self.ttl_s)
            pipe.execute()

    def mark_ready(self, user_ids: Iterable[int]) -> None:
        """Declare feeds complete as they are (the bulk seeder, after pushing history)."""
        with self.client.pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                key = _feed_key(user_id)
                pipe.zadd(key, {READY: _INF})
                pipe.expire(key, self.ttl_s)
            pipe.execute()

    def drop_recent(self, author_ids: Iterable[int]) -> None:
        """Forget authors' recent lists; a rebuild that needs one reads it again."""
        keys = [_recent_key(a) for a in author_ids]
        if keys:
            self.client.delete(*keys)

    def drop(self, user_ids: Iterable[int]) -> None:
        """Forget feeds; each is rebuilt on its owner's next read."""
        keys = [k for u in user_ids for k in (_feed_key(u), _retweets_key(u), _celebs_key(u))]
        if keys:
            self.client.delete(*keys)

    @staticmethod
    def _trim(pipe: Any, key: str, keep: int) -> None:
        # `ready` sits at +inf, so keeping one more by rank keeps it and `keep` entries.
        pipe.zremrangebyrank(key, 0, -(keep + 2))

    # ---------------------------------------------------------------- reads

    def read(self, user_id: int, before: int | None, count: int) -> Snapshot:
        """Up to `count` entries below `before` from the feed and from the list of every
        celebrity the user follows, in one round trip; refreshes the feed's time to live.
        `celebs_known` is False when the set of followed celebrities must be
        `remember_celebs`-ed first (the celebrity lists are then not read)."""
        top = _INF if before is None else str(before)
        keys = [_feed_key(user_id), _retweets_key(user_id), _celebs_key(user_id)]
        args = [top, count + _TIE_SLACK, self.ttl_s, _CELEB_PREFIX, READY, _KNOWN]
        answer = self._read(keys=keys, args=args)
        known, feed_ready, raw_feed, rest = answer[0], answer[1], answer[2], answer[3:]
        celebs: dict[int, list[Entry]] = {}
        missing: list[int] = []
        for index in range(0, len(rest), 3):
            celeb_id, ready, raw = int(rest[index]), rest[index + 1], rest[index + 2]
            if ready:
                celebs[celeb_id] = self._below(_celeb_key(celeb_id), top, before, count, raw)
            else:
                missing.append(celeb_id)
        feed = self._below(_feed_key(user_id), top, before, count, raw_feed)
        return Snapshot(
            feed=feed if feed_ready else None,
            celebs=celebs,
            missing_celebs=missing,
            celebs_known=bool(known),
        )

    def remember_celebs(self, user_id: int, celeb_ids: Iterable[int]) -> None:
        """Record the pull-mode authors `user_id` follows, for `CELEBS_TTL_S`."""
        args = [CELEBS_TTL_S, _KNOWN, *celeb_ids]
        self._remember_celebs(keys=[_celebs_key(user_id)], args=args)

    def note_follow(self, user_id: int, celeb_id: int, following: bool) -> None:
        """Apply a follow (or unfollow) of a pull-mode author to a known set of them."""
        args = ["1" if following else "0", celeb_id]
        self._update_celebs(keys=[_celebs_key(user_id)], args=args)

    def _below(
        self, key: str, top: str, before: int | None, count: int, raw: list[str]
    ) -> list[Entry]:
        """Entries strictly below `before`. Scores are doubles, so ids near the cursor can
        share its score; when those fill the first read, read on past them."""
        found = entries_below(raw, before)
        offset = len(raw)
        while len(found) < count and len(raw) == count + _TIE_SLACK:
            raw = cast(
                list[str],
                self.client.zrevrangebyscore(key, top, "-inf", start=offset, num=len(raw)),
            )
            found += entries_below(raw, before)
            offset += len(raw)
        return found[:count]

    def members(self, user_id: int) -> list[Entry]:
        """Every entry of a feed, newest first (for checks and tools, not the read path)."""
        return entries_below(
            cast(list[str], self.client.zrevrange(_feed_key(user_id), 0, -1)), None
        )

    def celeb_members(self, author_id: int) -> list[Entry]:
        raw = self.client.zrevrange(_celeb_key(author_id), 0, -1)
        return entries_below(cast(list[str], raw), None)

    def holding(self, wanted: Sequence[tuple[int, Entry]]) -> list[bool]:
        """For each (user, entry): whether that user's feed holds the entry; one round trip
        (for tools that wait for a delivery, not the read path)."""
        with self.client.pipeline(transaction=False) as pipe:
            for user_id, entry in wanted:
                pipe.zscore(_feed_key(user_id), entry.member)
            return [score is not None for score in pipe.execute()]

    def is_ready(self, user_id: int) -> bool:
        return self.client.zscore(_feed_key(user_id), READY) is not None

    def unready(self, user_ids: Sequence[int]) -> list[int]:
        """Those of `user_ids` whose feed is not complete, in one round trip."""
        with self.client.pipeline(transaction=False) as pipe:
            for user_id in user_ids:
                pipe.zscore(_feed_key(user_id), READY)
            scores = pipe.execute()
        return [u for u, score in zip(user_ids, scores, strict=True) if score is None]

    # ---------------------------------------------------------------- cache loss

    def is_whole(self) -> bool:
        """False when Redis lost its data since `mark_whole` (flushed, or came back empty)."""
        return bool(self.client.exists(_WHOLE_KEY))

    def mark_whole(self) -> None:
        self.client.set(_WHOLE_KEY, "1")

    def lock_warming(self, token: str, ttl_s: float) -> bool:
        """The one-warm-up-at-a-time lock across fan-out workers."""
        return bool(self.client.set(_WARMING_KEY, token, nx=True, px=int(ttl_s * 1000)))

    def unlock_warming(self, token: str) -> None:
        self._unlock(keys=[_WARMING_KEY], args=[token])

    # ---------------------------------------------------------------- rebuild lock

    def lock_rebuild(self, user_id: int, token: str, ttl_s: float) -> bool:
        """Take the one-rebuild-at-a-time lock of a feed; False when someone holds it."""
        return bool(self.client.set(_lock_key(user_id), token, nx=True, px=int(ttl_s * 1000)))

    def unlock_rebuild(self, user_id: int, token: str) -> None:
        self._unlock(keys=[_lock_key(user_id)], args=[token])


def _chunks(items: Iterable[int], size: int) -> Iterator[list[int]]:
    chunk: list[int] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
