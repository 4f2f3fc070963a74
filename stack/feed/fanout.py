"""Fan-out on write: a new tweet or retweet into the feeds of those who should see it.

The hybrid fan-out (README: Architecture), by the author's follower count:

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

import itertools
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from enum import Enum

import psycopg

from chirp.core.settings import Settings
from chirp.stack import tracing
from chirp.stack.events import FollowChanged, RetweetCreated, TweetCreated, TweetDeleted
from chirp.stack.feed.entries import Entry
from chirp.stack.feed.timeline import Timelines
from chirp.stack.resources import Resources
from chirp.stack.tweets import store as tweet_store
from chirp.stack.users import store as user_store

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
    """Deliver many new tweets at once: one query for their authors, one streamed query
    for all their followers, every feed write of the batch in pipelines of
    `_PIPELINE_CHUNK` writes."""
    by_author = _by_author(entries)
    timelines = Timelines.of(res)
    timelines.add_to_recent(entries)
    with res.pg.connection() as conn:
        authors = user_store.get_users(conn, by_author)
        tiers = {a: choose_tier(row.follower_count, res.settings) for a, row in authors.items()}
        pulled = [e for a, mine in by_author.items() if tiers.get(a) is Tier.PULL for e in mine]
        if pulled:
            with tracing.hop("redis.celeb_push", "feed", _ids(pulled), {"chirp.tier": "pull"}):
                timelines.add_to_celeb(pulled)
        # The author's own feed always gets the author's own tweet (a gone author's too).
        own = [(mine, [author_id]) for author_id, mine in by_author.items()]
        reached: Counter[int] = Counter()
        followers = _to_followers(res.settings, conn, by_author, tiers, reached)
        with tracing.hop(
            "redis.feed_push", "feed", _ids(entries), {"chirp.feed": "followers"}
        ) as spans:
            written = timelines.deliver(itertools.chain(own, followers))
            for tweet_id, span in spans.items():
                author_id = next(e.author_id for e in entries if e.tweet_id == tweet_id)
                span.set_attribute("chirp.followers", reached[author_id])
                span.set_attribute("chirp.tier", tiers.get(author_id, Tier.PUSH_ALL).value)
        return written


def _to_followers(
    settings: Settings,
    conn: psycopg.Connection,
    by_author: dict[int, list[Entry]],
    tiers: dict[int, Tier],
    reached: Counter[int],
) -> Iterator[tuple[list[Entry], list[int]]]:
    """(an author's entries, some of their followers) pairs: every follower for the push
    tier, those active lately for the middle tier, streamed in chunks; `reached` counts
    each author's followers."""
    for tier, since in ((Tier.PUSH_ALL, None), (Tier.PUSH_ACTIVE, _active_since(settings))):
        chosen = [a for a, t in tiers.items() if t is tier]
        if not chosen:
            continue
        for chunk in user_store.follower_pairs(conn, chosen, since):
            grouped: dict[int, list[int]] = defaultdict(list)
            for followee_id, follower_id in chunk:
                grouped[followee_id].append(follower_id)
            for author_id, followers in grouped.items():
                reached[author_id] += len(followers)
                yield by_author[author_id], followers


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
        timelines.remove_from_recent([e for gone in by_author.values() for e in gone])
        for author_id, gone in by_author.items():
            timelines.remove(gone, [author_id])
            timelines.remove_from_celeb(gone)
            author = authors.get(author_id)
            if author is not None and choose_tier(author.follower_count, res.settings) is Tier.PULL:
                continue
            for chunk in user_store.follower_ids(conn, author_id):
                timelines.remove(gone, chunk)


def apply_follows(res: Resources, events: Sequence[FollowChanged]) -> int:
    """Bring followees' recent tweets into, or take them out of, followers' feeds, and
    followed celebrities into, or out of, their sets of them.

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
                timelines.note_follow(follower_id, followee_id, following=False)
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
        timelines.note_follow(follower_id, followee_id, following=True)
        return 0  # a celebrity's tweets are merged on read, never pushed
    recent = tweet_store.user_tweets(res.dynamo, followee_id, None, FOLLOW_BACKFILL)
    return timelines.add([Entry.of(t) for t in recent], [follower_id], only_existing=True)
