"""Fan-out against the real Redis, PostgreSQL and DynamoDB of the test stack.

Tweets here are mostly ids that were never stored: fan-out needs only ids, and
unstored ids raise no stream events for the stack's own fan-out worker to act on
at the same time.
"""

from __future__ import annotations

import dataclasses
import time
import uuid

import pytest

from chirp.stack.events import FollowChanged, RetweetCreated, TweetCreated, TweetDeleted
from chirp.stack.feed import fanout
from chirp.stack.feed.entries import Entry
from chirp.stack.feed.timeline import Timelines
from chirp.stack.feed.worker import build_handler
from chirp.stack.resources import Resources
from chirp.stack.tweets import store as tweet_store
from chirp.stack.tweets.model import Tweet
from chirp.stack.users import store as user_store

pytestmark = pytest.mark.integration


@pytest.fixture
def small(res) -> Resources:
    """The same clients with tiers small enough to build in a test: push below 3
    followers, push to the active from 3 to 5, pull above 5."""
    settings = res.settings.model_copy(update={"push_threshold": 3, "celebrity_threshold": 5})
    return dataclasses.replace(res, settings=settings)


def _user(res: Resources, *, active: bool = True) -> int:
    user_id = res.ids.next_id()
    with res.pg.connection() as conn:
        user_store.create_user(conn, user_id, f"f{user_id}", "Feed Tester", uuid.uuid4().hex)
        if not active:
            conn.execute(
                "UPDATE users SET last_active_at = now() - interval '30 days' WHERE id = %s",
                (user_id,),
            )
    return user_id


def _follow(res: Resources, follower: int, followee: int, following: bool = True) -> None:
    with res.pg.connection() as conn:
        user_store.set_follow(conn, follower, followee, following, _now_ms())


def _audience(res: Resources, author: int, active: int, inactive: int = 0) -> list[int]:
    followers = [_user(res) for _ in range(active)]
    followers += [_user(res, active=False) for _ in range(inactive)]
    for follower in followers:
        _follow(res, follower, author)
    return followers


def _tweet_event(res: Resources, author: int) -> TweetCreated:
    return TweetCreated(at_ms=_now_ms(), tweet_id=res.ids.next_id(), user_id=author, text="hi")


def _retweet_event(res: Resources, user: int, original: TweetCreated) -> RetweetCreated:
    return RetweetCreated(
        at_ms=_now_ms(),
        tweet_id=res.ids.next_id(),
        user_id=user,
        retweet_of=original.tweet_id,
        original_author_id=original.user_id,
    )


def _ids(res: Resources, user_id: int) -> list[int]:
    return [e.tweet_id for e in Timelines.of(res).members(user_id)]


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def test_a_small_audience_is_pushed_to_every_follower(small):
    author = _user(small)
    followers = _audience(small, author, active=1, inactive=1)
    event = _tweet_event(small, author)

    assert fanout.fan_out_on_write(small, event) == 3
    for user_id in [author, *followers]:
        assert _ids(small, user_id) == [event.tweet_id]


def test_a_middle_audience_is_pushed_only_to_followers_active_lately(small):
    author = _user(small)
    active = _audience(small, author, active=2)
    inactive = _audience(small, author, active=0, inactive=2)
    event = _tweet_event(small, author)

    fanout.fan_out_on_write(small, event)

    for user_id in [author, *active]:
        assert _ids(small, user_id) == [event.tweet_id]
    for user_id in inactive:
        assert _ids(small, user_id) == []


def test_a_celebrity_tweet_goes_on_its_list_and_the_authors_own_feed_only(small):
    author = _user(small)
    followers = _audience(small, author, active=6)
    event = _tweet_event(small, author)

    fanout.fan_out_on_write(small, event)

    assert _ids(small, author) == [event.tweet_id]
    assert [e.tweet_id for e in Timelines.of(small).celeb_members(author)] == [event.tweet_id]
    for user_id in followers:
        assert _ids(small, user_id) == []

    fanout.remove_deleted(
        small, [TweetDeleted(at_ms=_now_ms(), tweet_id=event.tweet_id, user_id=author)]
    )
    assert Timelines.of(small).celeb_members(author) == []
    assert _ids(small, author) == []


def test_redelivered_events_leave_no_duplicate(stack, res):
    author = _user(res)
    [follower] = _audience(res, author, active=1)
    tweet = _tweet_event(res, author)
    retweet = _retweet_event(res, author, _tweet_event(res, _user(res)))
    handler = build_handler(stack.settings())
    try:
        handler.handle([tweet, retweet, tweet])
        handler.handle([retweet, tweet])  # the runtime replaying a batch after a crash
    finally:
        handler.close()

    assert _ids(res, follower) == [retweet.tweet_id, tweet.tweet_id]


def test_a_retweet_of_a_tweet_already_in_the_feed_is_not_shown_twice(res):
    author, first_retweeter, second_retweeter = _user(res), _user(res), _user(res)
    reader, other_reader = _user(res), _user(res)
    _follow(res, reader, author)
    _follow(res, reader, first_retweeter)
    _follow(res, other_reader, first_retweeter)
    _follow(res, other_reader, second_retweeter)
    original = _tweet_event(res, author)
    first = _retweet_event(res, first_retweeter, original)
    second = _retweet_event(res, second_retweeter, original)

    for event in (original, first, second, first, second):
        fanout.fan_out_on_write(res, event)

    assert _ids(res, reader) == [original.tweet_id]  # the original is there already
    assert _ids(res, other_reader) == [first.tweet_id]  # one retweet of it is enough
    assert _ids(res, first_retweeter) == [first.tweet_id]


def test_an_original_arriving_after_its_retweet_takes_its_place(res):
    author, retweeter, reader = _user(res), _user(res), _user(res)
    _follow(res, reader, author)
    _follow(res, reader, retweeter)
    original = _tweet_event(res, author)
    retweet = _retweet_event(res, retweeter, original)

    for event in (retweet, original, retweet, original):  # out of order, then redelivered
        fanout.fan_out_on_write(res, event)

    assert _ids(res, reader) == [original.tweet_id]


def test_a_deleted_tweet_leaves_every_feed_it_was_pushed_to(res):
    author = _user(res)
    followers = _audience(res, author, active=2)
    kept, deleted = _tweet_event(res, author), _tweet_event(res, author)
    fanout.fan_out_entries(res, [fanout.entry_of(kept), fanout.entry_of(deleted)])
    gone = TweetDeleted(at_ms=_now_ms(), tweet_id=deleted.tweet_id, user_id=author)

    fanout.remove_deleted(res, [gone])
    fanout.remove_deleted(res, [gone])  # a second delivery finds nothing and is fine

    for user_id in [author, *followers]:
        assert _ids(res, user_id) == [kept.tweet_id]


def test_unfollow_takes_the_followees_entries_out(res):
    reader, dropped, kept = _user(res), _user(res), _user(res)
    _follow(res, reader, dropped)
    _follow(res, reader, kept)
    events = [_tweet_event(res, dropped), _tweet_event(res, kept), _tweet_event(res, dropped)]
    retweet = _retweet_event(res, dropped, _tweet_event(res, _user(res)))
    for event in [*events, retweet]:
        fanout.fan_out_on_write(res, event)
    assert len(_ids(res, reader)) == 4

    _follow(res, reader, dropped, following=False)
    unfollow = FollowChanged(at_ms=_now_ms(), user_id=reader, followee_id=dropped, following=False)
    fanout.apply_follows(res, [unfollow, unfollow])

    assert _ids(res, reader) == [events[1].tweet_id]


def test_follow_brings_the_followees_recent_tweets_into_an_existing_feed(res):
    reader, followee = _user(res), _user(res)
    stored = []
    for n in range(fanout.FOLLOW_BACKFILL + 2):
        tweet = Tweet(res.ids.next_id(), followee, f"tweet {n}", _now_ms())
        tweet_store.put_tweet(res.dynamo, tweet)
        stored.append(tweet.tweet_id)
    Timelines.of(res).mark_ready([reader])
    _follow(res, reader, followee)
    follow = FollowChanged(at_ms=_now_ms(), user_id=reader, followee_id=followee, following=True)

    assert fanout.apply_follows(res, [follow]) == fanout.FOLLOW_BACKFILL

    newest = sorted(stored, reverse=True)[: fanout.FOLLOW_BACKFILL]
    assert set(newest) <= set(_ids(res, reader))


def test_only_existing_feeds_are_touched_when_asked(res):
    timelines = Timelines.of(res)
    user_id = _user(res)
    entry = Entry(res.ids.next_id(), _user(res))

    assert timelines.add([entry], [user_id], only_existing=True) == 0
    assert timelines.members(user_id) == []
    timelines.mark_ready([user_id])
    assert timelines.add([entry], [user_id], only_existing=True) == 1
    assert timelines.members(user_id) == [entry]


def test_push_by_plain_ids_builds_feeds_for_bulk_loading(res):
    author = _user(res)
    readers = [_user(res), _user(res)]
    tweet_ids = [res.ids.next_id() for _ in range(3)]
    for tweet_id in tweet_ids:
        fanout.push(res, author, tweet_id, readers)
    Timelines.of(res).mark_ready(readers)

    for reader in readers:
        assert _ids(res, reader) == sorted(tweet_ids, reverse=True)
        assert Timelines.of(res).is_ready(reader)


def test_a_feed_keeps_only_the_newest_feed_max_entries(res):
    capped = dataclasses.replace(res, settings=res.settings.model_copy(update={"feed_max": 5}))
    reader, author = _user(res), _user(res)
    Timelines.of(capped).mark_ready([reader])
    tweet_ids = [res.ids.next_id() for _ in range(8)]
    for tweet_id in tweet_ids:
        fanout.push(capped, author, tweet_id, [reader])

    assert _ids(res, reader) == sorted(tweet_ids, reverse=True)[:5]
    assert Timelines.of(capped).is_ready(reader)  # the trim never takes the marker


def test_the_worker_applies_a_mixed_batch_in_a_safe_order(stack, res):
    author, reader = _user(res), _user(res)
    _follow(res, reader, author)
    kept, deleted = _tweet_event(res, author), _tweet_event(res, author)
    gone = TweetDeleted(at_ms=_now_ms(), tweet_id=deleted.tweet_id, user_id=author)
    handler = build_handler(stack.settings())
    try:
        handler.handle([gone, kept, deleted])  # a delete may overtake its create
    finally:
        handler.close()

    assert _ids(res, reader) == [kept.tweet_id]
    assert _ids(res, author) == [kept.tweet_id]
