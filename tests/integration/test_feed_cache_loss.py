"""A lost cache, against the session stack's real Redis, DynamoDB and fan-out worker:
feeds are rebuilt ahead of their reads, and the authors' recent lists are read from
DynamoDB once and put back, so later rebuilds do not go to the store again."""

from __future__ import annotations

import time
import uuid

from chirp.stack.feed import read as feed_read
from chirp.stack.feed.read import FeedGuard, read_feed
from chirp.stack.feed.timeline import Timelines
from chirp.stack.resources import Resources
from chirp.stack.tweets import store as tweet_store
from chirp.stack.tweets.model import Tweet
from chirp.stack.users import reads
from chirp.stack.users import store as user_store
from tests.api import eventually


def _user(res: Resources) -> int:
    user_id = res.ids.next_id()
    with res.pg.connection() as conn:
        user_store.create_user(conn, user_id, f"c{user_id}", "Cache", uuid.uuid4().hex)
    return user_id


def _follow(res: Resources, follower: int, *followees: int) -> None:
    with res.pg.connection() as conn:
        for followee in followees:
            user_store.set_follow(conn, follower, followee, True, time.time_ns() // 1_000_000)


def _stored(res: Resources, author: int) -> int:
    """A tweet in DynamoDB only: no fan-out, so only a rebuild can put it in a feed."""
    tweet = Tweet(res.ids.next_id(), author, f"stored by {author}", time.time_ns() // 1_000_000)
    tweet_store.put_tweet(res.dynamo, tweet)
    return tweet.tweet_id


def _replica_sees_follows(res: Resources, reader: int, count: int) -> bool:
    # A rebuild reads followees where profile reads go (a replica).
    return len(reads.read(res, [], lambda c: user_store.followee_ids(c, reader))) == count


def test_after_a_flush_the_fanout_worker_rebuilds_active_feeds_before_any_read(res):
    reader, friend, other = _user(res), _user(res), _user(res)  # the most recently active
    _follow(res, reader, friend, other)
    posted = sorted([_stored(res, friend), _stored(res, other), _stored(res, friend)])
    eventually(lambda: _replica_sees_follows(res, reader, 2), what="the replica has the follows")
    timelines = Timelines.of(res)

    res.redis.flushall()

    eventually(lambda: timelines.is_ready(reader), what="the worker rebuilt the lost feed")
    assert [e.tweet_id for e in timelines.members(reader)] == list(reversed(posted))
    assert timelines.is_whole()
    assert timelines.rebuild_from_recent(reader, [friend, other]) == []  # lists refilled


def test_rebuilds_after_a_loss_read_each_missing_author_once(res, monkeypatch):
    authors = [_user(res) for _ in range(3)]
    readers = [_user(res) for _ in range(3)]
    for reader in readers:
        _follow(res, reader, *authors)
    posted = sorted(_stored(res, author) for author in authors)
    for reader in readers:
        eventually(lambda r=reader: _replica_sees_follows(res, r, 3), what="replica follows")
    timelines = Timelines.of(res)
    timelines.drop(readers)
    timelines.drop_recent([*authors, *readers])
    assert timelines.incomplete_recent([*authors, *readers]) == [*authors, *readers]
    queried: list[int] = []
    real = tweet_store.user_tweets
    monkeypatch.setattr(
        feed_read.tweet_store,
        "user_tweets",
        lambda dynamo, user_id, *rest, **kw: (
            queried.append(user_id) or real(dynamo, user_id, *rest, **kw)
        ),
    )
    guard = FeedGuard(res.settings)

    pages = [read_feed(res, guard, reader, 10, None) for reader in readers]

    wanted = [str(t) for t in reversed(posted)]
    assert all([t.tweet_id for t in page.items] == wanted for page in pages)
    assert sorted(queried) == sorted([*authors, *readers])  # each once: then from the lists
    assert all(timelines.is_ready(reader) for reader in readers)
    assert timelines.incomplete_recent([*authors, *readers]) == []
