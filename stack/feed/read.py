"""The home timeline read path.

feed sorted set → on a miss, regenerate from DynamoDB (followees' recent tweets,
one rebuild at a time per user) → merge followed celebrities' lists → hydrate
→ a page and an opaque cursor. The cursor holds the tweet id of the last entry
served, so tweets arriving meanwhile (higher ids) never shift later pages.

A circuit breaker watches Redis. When Redis fails, or while the breaker is
open, feeds are served degraded straight from DynamoDB, at most
`degraded_max_concurrency` at once per process; past that the caller gets a
503 with Retry-After instead of piling onto the database. The breaker closes
again by itself once a trial read after `breaker_reset_s` succeeds.
"""

from __future__ import annotations

import heapq
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import psycopg
import pybreaker
import redis
from prometheus_client import Counter

from chirp.core.settings import Settings
from chirp.stack.feed.entries import Entry
from chirp.stack.feed.refill import RecentRefills
from chirp.stack.feed.timeline import RECENT_MAX, Timelines
from chirp.stack.gateway import cursor
from chirp.stack.gateway.errors import unavailable
from chirp.stack.resources import Resources
from chirp.stack.tweets import hydrate
from chirp.stack.tweets import store as tweet_store
from chirp.stack.tweets.schemas import TweetPublic
from chirp.stack.users import reads
from chirp.stack.users import store as user_store

log = logging.getLogger(__name__)
T = TypeVar("T")

FEED_HITS = Counter("chirp_feed_cache_hits_total", "Feed reads served from a complete feed")
FEED_MISSES = Counter("chirp_feed_cache_misses_total", "Feed reads that found no complete feed")
DEGRADED_READS = Counter("chirp_feed_degraded_reads_total", "Feed reads served from DynamoDB")
DEGRADED_REFUSED = Counter(
    "chirp_feed_degraded_refused_total", "Degraded feed reads refused over the concurrency cap"
)
REGENERATIONS = Counter("chirp_feed_regenerations_total", "Feeds rebuilt from DynamoDB")

_REBUILD_LOCK_S = 10.0
_REBUILD_POLL_S = 0.05
_PAGE_ROUNDS = 3  # reads to fill a page when hydration drops deleted tweets
_DB_READERS = ThreadPoolExecutor(max_workers=16, thread_name_prefix="feed-db")
_REFILLS = RecentRefills(_DB_READERS)


class RedisBreaker:
    """pybreaker's state machine around Redis calls, admitting the callers itself.

    `CircuitBreaker.call` holds one lock for the whole guarded call, which would
    serialise every feed read of a threaded gateway. Here a closed breaker admits
    callers without any lock; only failures, state changes and the half-open trial
    go through `_lock`. While half-open exactly one caller runs the trial call and
    every other caller is refused at once (and served degraded)."""

    def __init__(self, fail_max: int, reset_s: float) -> None:
        self._storage = pybreaker.CircuitMemoryStorage(pybreaker.STATE_CLOSED)
        self._breaker = pybreaker.CircuitBreaker(
            fail_max=fail_max,
            reset_timeout=reset_s,
            state_storage=self._storage,
            listeners=[_LogStateChanges()],
            name="feed-redis",
        )
        self._lock = threading.Lock()
        self._trial_running = False

    @property
    def state(self) -> str:
        return str(self._breaker.current_state)

    def run(self, work: Callable[..., T], *args: object) -> T:
        """`work(*args)` unless the breaker refuses; a Redis error counts against it."""
        trial = self._admit()
        try:
            result = work(*args)
        except redis.RedisError as error:
            self._record(trial, error)  # may trip the breaker: CircuitBreakerError
            raise
        except BaseException:
            if trial:
                self._abandon_trial()
            raise
        self._record(trial, None)
        return result

    def _admit(self) -> bool:
        """True when this call is the half-open trial; CircuitBreakerError when refused."""
        if self._breaker.current_state == pybreaker.STATE_CLOSED:
            return False
        with self._lock:
            state = self._breaker.current_state
            if state == pybreaker.STATE_CLOSED:
                return False
            if self._trial_running or (state == pybreaker.STATE_OPEN and not self._reset_due()):
                raise pybreaker.CircuitBreakerError("Redis circuit is open")
            if state == pybreaker.STATE_OPEN:
                self._breaker.half_open()
            self._trial_running = True
            return True

    def _record(self, trial: bool, error: redis.RedisError | None) -> None:
        if not trial and error is None and not self._breaker.fail_counter:
            return  # a healthy closed breaker: nothing to count
        with self._lock:
            if trial:
                self._trial_running = False
            elif self._breaker.current_state != pybreaker.STATE_CLOSED:
                return  # admitted before the breaker opened: only the trial decides now
            if error is None:
                self._breaker.call(_nothing)  # resets the count; a trial closes the breaker
            else:
                self._breaker.call(_raise, error)  # counts it; may open the breaker

    def _abandon_trial(self) -> None:
        # Not a Redis error, so no verdict on Redis: the next caller tries instead.
        with self._lock:
            self._trial_running = False

    def _reset_due(self) -> bool:
        opened = self._storage.opened_at
        reset = timedelta(seconds=self._breaker.reset_timeout)
        return opened is None or datetime.now(UTC) >= opened + reset


class _LogStateChanges(pybreaker.CircuitBreakerListener):
    def state_change(
        self,
        cb: pybreaker.CircuitBreaker,
        old_state: pybreaker.CircuitBreakerState | None,
        new_state: pybreaker.CircuitBreakerState,
    ) -> None:
        old = old_state.name if old_state else "none"
        log.warning("feed Redis circuit %s → %s", old, new_state.name)


def _raise(error: BaseException) -> None:
    raise error


def _nothing() -> None:
    return None


class FeedGuard:
    """What protects one process's feed reads: the Redis breaker and the cap on
    concurrent degraded database reads. Make one per process and share it."""

    def __init__(self, settings: Settings) -> None:
        self.breaker = RedisBreaker(settings.breaker_fail_max, settings.breaker_reset_s)
        self.degraded_slots = threading.BoundedSemaphore(settings.degraded_max_concurrency)
        self.retry_after_s = max(1, math.ceil(settings.breaker_reset_s))


@dataclass(frozen=True)
class FeedPage:
    items: list[TweetPublic]
    next_cursor: str | None
    degraded: bool = False


def read_feed(
    res: Resources, guard: FeedGuard, user_id: int, limit: int, raw_cursor: str | None
) -> FeedPage:
    """One page of `user_id`'s home timeline, newest first, below the cursor."""
    before = parse_cursor(raw_cursor)
    try:
        return _page(res, _CachedFeed(res, guard, user_id), before, limit, use_cache=True)
    except (redis.RedisError, pybreaker.CircuitBreakerError) as error:
        log.debug("feed of %d served degraded: %s", user_id, error)
    return _degraded(res, guard, user_id, before, limit)


def parse_cursor(raw: str | None) -> int | None:
    """The tweet id a feed cursor points below; 400 for one this API did not issue."""
    return cursor.decode_id(raw)


def make_cursor(last_tweet_id: int) -> str:
    return cursor.encode_id(last_tweet_id)


def regenerate_feed(res: Resources, user_id: int, refills: RecentRefills | None = None) -> bool:
    """Rebuild a feed unless another reader is at it; True when this did. The followees'
    recent lists in Redis make most of it one script call; authors without a complete
    list are read from DynamoDB (through `refills`, which bounds how many at once), and
    their lists filled for the next rebuild."""
    timelines = Timelines.of(res)
    token = secrets.token_hex(8)
    if not timelines.lock_rebuild(user_id, token, _REBUILD_LOCK_S):
        return False
    try:
        authors = pushed_authors(res, user_id)
        missing = timelines.rebuild_from_recent(user_id, authors)
        stored = stored_recent(res, missing, refills)
        newest = merge_newest_first(stored.values(), res.settings.feed_max)
        timelines.rebuild(user_id, newest)
    finally:
        timelines.unlock_rebuild(user_id, token)
    REGENERATIONS.inc()
    return True


def stored_recent(
    res: Resources, author_ids: Sequence[int], refills: RecentRefills | None = None
) -> dict[int, list[Entry]]:
    """Each author's newest RECENT_MAX tweets from DynamoDB, newest first, side by side,
    and their recent lists filled; a read another rebuild has running is shared."""
    timelines = Timelines.of(res)

    def one(author_id: int) -> list[Entry]:
        tweets = tweet_store.user_tweets(res.dynamo, author_id, None, RECENT_MAX, ids_only=True)
        entries = [Entry.of(t) for t in tweets]
        timelines.fill_recent({author_id: entries})
        return entries

    return (refills or _REFILLS).read(author_ids, one)


def recent_entries(
    res: Resources, author_ids: Sequence[int], before: int | None, per_author: int, limit: int
) -> list[Entry]:
    """The newest `limit` tweets of the authors below `before`, newest first, from
    DynamoDB: one query per author, run side by side."""

    def one(author_id: int) -> list[Entry]:
        tweets = tweet_store.user_tweets(res.dynamo, author_id, before, per_author, ids_only=True)
        return [Entry.of(t) for t in tweets]

    if len(author_ids) == 1:
        return one(author_ids[0])[:limit]
    return merge_newest_first(_DB_READERS.map(one, author_ids), limit)


def merge_newest_first(lists: Iterable[Sequence[Entry]], limit: int) -> list[Entry]:
    """Merge newest-first lists into one, each tweet once, at most `limit`."""
    merged: list[Entry] = []
    seen: set[int] = set()
    for entry in heapq.merge(*lists, key=lambda e: -e.tweet_id):
        if entry.tweet_id in seen:
            continue
        seen.add(entry.tweet_id)
        merged.append(entry)
        if len(merged) >= limit:
            break
    return merged


def drop_repeated_retweets(items: Sequence[TweetPublic]) -> list[TweetPublic]:
    """A page shows a tweet once: a retweet goes when its original is on the page, and of
    several retweets of one tweet only the earliest stays (as fan-out would have kept)."""
    originals = {t.tweet_id for t in items if t.retweet_of is None}
    shown: set[str] = set()
    kept = []
    for tweet in reversed(items):  # oldest first
        if tweet.retweet_of is not None:
            original = tweet.retweet_of.tweet_id
            if original in originals or original in shown:
                continue
            shown.add(original)
        kept.append(tweet)
    kept.reverse()
    return kept


EntrySource = Callable[[int | None, int], list[Entry]]
"""(below tweet id, how many) → entries, newest first."""


def _page(
    res: Resources, source: EntrySource, before: int | None, limit: int, *, use_cache: bool
) -> FeedPage:
    items: list[TweetPublic] = []
    position, more = before, False
    for _ in range(_PAGE_ROUNDS):
        need = limit - len(items)
        raw = source(position, need + 1)
        more = len(raw) > need
        raw = raw[:need]
        if not raw:
            break
        position = raw[-1].tweet_id
        shown = hydrate.hydrate(res, [e.key for e in raw], use_cache=use_cache)
        items = drop_repeated_retweets([*items, *shown])
        if len(items) >= limit or not more:
            break
    next_cursor = make_cursor(position) if more and position is not None else None
    return FeedPage(items=items, next_cursor=next_cursor)


class _CachedFeed:
    """Entries from the feed and the followed celebrities' lists in Redis, every Redis
    call through the breaker; rebuilds a feed or a celebrity list found incomplete."""

    def __init__(self, res: Resources, guard: FeedGuard, user_id: int) -> None:
        self.res = res
        self.breaker = guard.breaker
        self.user_id = user_id
        self.timelines = Timelines.of(res)
        self._counted = False

    def __call__(self, before: int | None, count: int) -> list[Entry]:
        snap = self.breaker.run(self.timelines.read, self.user_id, before, count)
        if not snap.celebs_known:
            self.breaker.run(self.timelines.remember_celebs, self.user_id, self._celebs())
            snap = self.breaker.run(self.timelines.read, self.user_id, before, count)
        self._count(hit=snap.feed is not None)
        feed = snap.feed if snap.feed is not None else self._rebuilt(before, count)
        refilled = [self._refilled(c, before, count) for c in snap.missing_celebs]
        return merge_newest_first([feed, *snap.celebs.values(), *refilled], count)

    def _celebs(self) -> list[int]:
        # No read-your-writes check: feeds are eventually consistent by design, and a
        # follow reaches the feed through the fan-out's own backfill.
        threshold = self.res.settings.celebrity_threshold
        return reads.read(
            self.res, [], lambda c: user_store.celebrity_followees(c, self.user_id, threshold)
        )

    def _count(self, *, hit: bool) -> None:
        if not self._counted:
            (FEED_HITS if hit else FEED_MISSES).inc()
            self._counted = True

    def _rebuilt(self, before: int | None, count: int) -> list[Entry]:
        if self.breaker.run(regenerate_feed, self.res, self.user_id) or self._waited():
            snap = self.breaker.run(self.timelines.read, self.user_id, before, count)
            if snap.feed is not None:
                return snap.feed
        # Another reader is still rebuilding it: this page comes straight from DynamoDB.
        authors = pushed_authors(self.res, self.user_id)
        return recent_entries(self.res, authors, before, count, count)

    def _waited(self) -> bool:
        # Bounded by `feed_rebuild_wait_s`: the waiting reader holds a worker thread.
        for _ in range(math.ceil(self.res.settings.feed_rebuild_wait_s / _REBUILD_POLL_S)):
            time.sleep(_REBUILD_POLL_S)
            if self.breaker.run(self.timelines.is_ready, self.user_id):
                return True
        return False

    def _refilled(self, celeb_id: int, before: int | None, count: int) -> list[Entry]:
        limit = self.res.settings.celeb_max
        entries = recent_entries(self.res, [celeb_id], None, limit, limit)
        self.breaker.run(self.timelines.fill_celeb, celeb_id, entries)
        return [e for e in entries if before is None or e.tweet_id < before][:count]


def pushed_authors(res: Resources, user_id: int) -> list[int]:
    """The user and every followee whose tweets are pushed (celebrities' are pulled); read
    where profile reads go (a replica), so feeds keep being served with no primary."""
    threshold = res.settings.celebrity_threshold
    most = res.settings.feed_rebuild_max_followees
    return reads.read(res, [user_id], lambda conn: _pushed_authors(conn, user_id, threshold, most))


def _pushed_authors(
    conn: psycopg.Connection, user_id: int, celebrity_threshold: int, most: int
) -> list[int]:
    # At most `most` followees (the latest followed): one DynamoDB query each on a rebuild.
    followees = user_store.followee_ids(conn, user_id, most)
    celebs = set(user_store.celebrity_followees(conn, user_id, celebrity_threshold))
    return [user_id, *(f for f in followees if f not in celebs)]


def _degraded(
    res: Resources, guard: FeedGuard, user_id: int, before: int | None, limit: int
) -> FeedPage:
    if not guard.degraded_slots.acquire(blocking=False):
        DEGRADED_REFUSED.inc()
        raise unavailable("Feed", guard.retry_after_s)
    try:
        DEGRADED_READS.inc()
        most = res.settings.feed_rebuild_max_followees
        followees = reads.read(
            res, [user_id], lambda conn: user_store.followee_ids(conn, user_id, most)
        )
        authors = [user_id, *followees]

        def from_db(below: int | None, count: int) -> list[Entry]:
            return recent_entries(res, authors, below, count, count)

        page = _page(res, from_db, before, limit, use_cache=False)
    finally:
        guard.degraded_slots.release()
    return replace(page, degraded=True)
