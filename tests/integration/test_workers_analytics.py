"""The analytics worker against real PostgreSQL: per-minute counts, each event once."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

import pytest

from chirp.stack import events
from chirp.stack.analytics import store
from chirp.stack.analytics.worker import AnalyticsWorker

pytestmark = pytest.mark.integration


def _quiet_minute():
    """A minute some days ago, inside the seen-retention, that no other test uses."""
    now_minute = int(time.time()) // 60
    return (now_minute - random.randrange(2 * 24 * 60, 6 * 24 * 60)) * 60_000


def _counts(res, minute_ms):
    start = datetime.fromtimestamp(minute_ms / 1000, tz=UTC)
    with res.pg.connection() as conn:
        return store.minutes(conn, start, start + timedelta(minutes=1))


def test_each_event_counts_once_under_redelivery(res):
    at = _quiet_minute()
    batch = [
        events.TweetCreated(at_ms=at + 1_000, tweet_id=101, user_id=1, text="a"),
        events.TweetCreated(at_ms=at + 2_000, tweet_id=102, user_id=1, text="b"),
        events.RetweetCreated(
            at_ms=at + 3_000, tweet_id=103, user_id=2, retweet_of=101, original_author_id=1
        ),
        events.LikeAdded(at_ms=at + 4_000, tweet_id=101, user_id=2, author_id=1),
        events.FollowChanged(at_ms=at + 5_000, user_id=3, followee_id=1, following=True),
        events.FollowChanged(at_ms=at + 6_000, user_id=3, followee_id=1, following=False),
        events.UserCreated(at_ms=at + 7_000, user_id=4, username="x", display_name="X"),
        events.TweetDeleted(at_ms=at + 8_000, tweet_id=102, user_id=1),
        events.TweetEdited(at_ms=at + 9_000, tweet_id=101, user_id=5, text="c"),
    ]
    worker = AnalyticsWorker(res)
    worker.handle(batch)
    worker.handle(batch)  # redelivered whole
    worker.handle(batch[2:5])  # and partly, in another batch

    (minute,) = _counts(res, at)
    assert (
        minute.tweets,
        minute.retweets,
        minute.likes,
        minute.follows,
        minute.unfollows,
        minute.signups,
        minute.deletes,
    ) == (2, 1, 1, 1, 1, 1, 1)
    assert minute.active_users == 5  # users 1 to 5, each once


def test_events_land_in_their_own_minutes(res):
    at = _quiet_minute()
    worker = AnalyticsWorker(res)
    worker.handle(
        [
            events.TweetCreated(at_ms=at + 59_999, tweet_id=201, user_id=7, text="a"),
            events.TweetCreated(at_ms=at + 60_000, tweet_id=202, user_id=7, text="b"),
        ]
    )
    start = datetime.fromtimestamp(at / 1000, tz=UTC)
    with res.pg.connection() as conn:
        found = store.minutes(conn, start, start + timedelta(minutes=2))
    assert [(m.minute - start, m.tweets, m.active_users) for m in found] == [
        (timedelta(0), 1, 1),
        (timedelta(minutes=1), 1, 1),
    ]
