"""Fan-out on write: a new tweet or retweet into the feeds of those who should see it.

The hybrid of DESIGN.md section 5, by the author's follower count:

- below `push_threshold`: push to every follower;
- up to `celebrity_threshold`: push to followers active within `active_days`
  (the others' feeds expire before they could go stale and are rebuilt on read);
- above it: no push; the tweet goes on `celeb:{author}` and is merged on read.

The author's own feed always gets the author's own tweet. Deletes take the
entry out again, unfollows take the followee's entries out of the follower's
feed, and follows bring the followee's recent tweets into an existing feed.
Every step is idempotent: the use cases reload what they need (followers,
counts, the follow itself) and redelivery writes the same members again.

`push` takes plain ids and no event, for the bulk seeder.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from enum import Enum

import psycopg

from stack import tracing
from stack.events import FollowChanged, RetweetCreated, TweetCreated, TweetDeleted
from stack.feed.entries import Entry
from stack.feed.timeline import Timelines
from stack.resources import Resources
from stack.settings import Settings
from stack.tweets import store as tweet_store
from stack.users import store as user_store

FOLLOW_BACKFILL = 20
"""How many of a new followee's latest tweets a follow brings into the follower's feed."""


class Tier(Enum):
    PUSH_ALL = "push_all"
    PUSH_ACTIVE = "push_active"
    PULL = "pull"


def choose_tier(follower_count: int, settings: Settings) -> Tier:
    """How an author with `follower_count` followers reaches them."""
    if follower_count < settings.push_threshold:
        return Tier.PUSH_ALL
    if follower_count <= settings.celebrity_threshold:
        return Tier.PUSH_ACTIVE
    return Tier.PULL


def entry_of(event: TweetCreated | RetweetCreated) -> Entry:
    if isinstance(event, RetweetCreated):
        return Entry(event.tweet_id, event.user_id, event.retweet_of, event.original_author_id)
    return Entry(event.tweet_id, event.user_id)


def fan_out_on_write(res: Resources, event: TweetCreated | RetweetCreated) -> int:
    """Deliver one new tweet or retweet; returns the feed writes made."""
    return fan_out_entries(res, [entry_of(event)])


def fan_out_entries(res: Resources, entries: Sequence[Entry]) -> int:
    """Deliver many new tweets at once: one follower scan per author, pipelined writes."""
    timelines = Timelines.of(res)
    by_author = _by_author(entries)
    with res.pg.connection() as conn:
        authors = user_store.get_users(conn, by_author)
    written = 0
    for author_id, mine in by_author.items():
        written += _deliver_to_self(timelines, author_id, mine)
        author = authors.get(author_id)
        if author is None:
            continue  # the author is gone: nobody else to deliver to
        tier = choose_tier(author.follower_count, res.settings)
        if tier is Tier.PULL:
            with tracing.hop("redis.celeb_push", "feed", _ids(mine), {"chirp.tier": tier.value}):
                timelines.add_to_celeb(mine)
        else:
            written += _deliver_to_followers(res, timelines, author_id, mine, tier)
    return written


def push(
    res: Resources,
    author_id: int,
    tweet_id: int,
    follower_ids: Iterable[int],
    *,
    retweet_of: int | None = None,
    original_author_id: int | None = None,
) -> int:
    """Write one tweet into the given feeds, by plain ids: no event, no tier, no Kafka.

    For bulk loading; afterwards `Timelines.of(res).mark_ready(user_ids)` declares the
    loaded feeds complete so their first read does not rebuild them."""
    entry = Entry(tweet_id, author_id, retweet_of, original_author_id)
    return Timelines.of(res).add([entry], follower_ids)


def _by_author(entries: Iterable[Entry]) -> dict[int, list[Entry]]:
    grouped: dict[int, list[Entry]] = defaultdict(list)
    for entry in dict.fromkeys(entries):
        grouped[entry.author_id].append(entry)
    return grouped


def _ids(entries: Iterable[Entry]) -> list[int]:
    return [e.tweet_id for e in entries]


def _deliver_to_self(timelines: Timelines, author_id: int, entries: Sequence[Entry]) -> int:
    with tracing.hop("redis.feed_push", "feed", _ids(entries), {"chirp.feed": "author"}):
        return timelines.add(entries, [author_id])


def _deliver_to_followers(
    res: Resources, timelines: Timelines, author_id: int, entries: Sequence[Entry], tier: Tier
) -> int:
    active_since = _active_since(res.settings) if tier is Tier.PUSH_ACTIVE else None
    written = 0
    ids = _ids(entries)
    with res.pg.connection() as conn:
        for chunk in user_store.follower_ids(conn, author_id, active_since):
            pushed = {
                "chirp.feed": "followers",
                "chirp.followers": len(chunk),
                "chirp.tier": tier.value,
            }
            with tracing.hop("redis.feed_push", "feed", ids, pushed):
                written += timelines.add(entries, chunk)
    return written


def _active_since(settings: Settings) -> datetime:
    return datetime.now(UTC) - timedelta(days=settings.active_days)


def remove_deleted(res: Resources, events: Sequence[TweetDeleted]) -> None:
    """Take deleted tweets out of their author's feed, followers' feeds and celebrity list.

    Every follower, whatever the tier, since the tier may have changed since the push;
    a pull-mode author's followers were never pushed to, so they are skipped."""
    timelines = Timelines.of(res)
    by_author = _by_author(Entry(e.tweet_id, e.user_id) for e in events)
    with res.pg.connection() as conn:
        authors = user_store.get_users(conn, by_author)
        for author_id, gone in by_author.items():
            timelines.remove(gone, [author_id])
            timelines.remove_from_celeb(gone)
            author = authors.get(author_id)
            if author is not None and choose_tier(author.follower_count, res.settings) is Tier.PULL:
                continue
            for chunk in user_store.follower_ids(conn, author_id):
                timelines.remove(gone, chunk)


def apply_follows(res: Resources, events: Sequence[FollowChanged]) -> int:
    """Bring followees' recent tweets into, or take them out of, followers' feeds.

    The follow is reloaded, so the outcome is the current state whatever order or how
    often the events arrive. Returns the feed writes made."""
    timelines = Timelines.of(res)
    pairs = list(dict.fromkeys((e.user_id, e.followee_id) for e in events))
    written = 0
    with res.pg.connection() as conn:
        for follower_id, followee_id in pairs:
            if user_store.is_following(conn, follower_id, followee_id):
                written += _backfill(res, timelines, conn, follower_id, followee_id)
            else:
                timelines.remove_author(follower_id, followee_id)
    return written


def _backfill(
    res: Resources,
    timelines: Timelines,
    conn: psycopg.Connection,
    follower_id: int,
    followee_id: int,
) -> int:
    followee = user_store.get_user(conn, followee_id)
    if followee is None:
        return 0
    if choose_tier(followee.follower_count, res.settings) is Tier.PULL:
        return 0  # a celebrity's tweets are merged on read, never pushed
    recent = tweet_store.user_tweets(res.dynamo, followee_id, None, FOLLOW_BACKFILL)
    return timelines.add([Entry.of(t) for t in recent], [follower_id], only_existing=True)
