"""The feed read path against the real servers of the test stack: order, pages,
regeneration, celebrity merge, and degraded mode with Redis unreachable."""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import httpx
import pytest
import uvicorn
from prometheus_client import REGISTRY

from chirp.core.settings import Settings
from chirp.infra.provision.local.ports import free_port
from chirp.stack.events import RetweetCreated, TweetCreated
from chirp.stack.feed import fanout
from chirp.stack.feed.read import FeedGuard, pushed_authors, read_feed
from chirp.stack.feed.timeline import Timelines
from chirp.stack.gateway import auth
from chirp.stack.gateway.app import create_app
from chirp.stack.gateway.errors import ApiError
from chirp.stack.resources import Resources
from chirp.stack.tweets import store as tweet_store
from chirp.stack.tweets.model import Tweet
from chirp.stack.users import reads
from chirp.stack.users import store as user_store

pytestmark = pytest.mark.integration

# Above the stack's celebrity threshold, so the stack's own fan-out worker pulls too.
CELEBRITY_FOLLOWERS = 200_000


@pytest.fixture(scope="module")
def no_redis(stack) -> Iterator[Resources]:
    """The stack's clients, but Redis points at a port nobody listens on."""
    resources = Resources.open(_without_redis(stack.settings()))
    yield resources
    resources.close()


def _without_redis(settings: Settings) -> Settings:
    return settings.model_copy(update={"redis_port": free_port(), "redis_sentinel": False})


def _guard(res: Resources, **overrides: object) -> FeedGuard:
    return FeedGuard(res.settings.model_copy(update=overrides))


def _user(res: Resources, token_hash: str | None = None) -> int:
    user_id = res.ids.next_id()
    with res.pg.connection() as conn:
        user_store.create_user(
            conn, user_id, f"r{user_id}", "Reader", token_hash or uuid.uuid4().hex
        )
    return user_id


def _follow(res: Resources, follower: int, *followees: int) -> None:
    with res.pg.connection() as conn:
        for followee in followees:
            user_store.set_follow(conn, follower, followee, True, _now_ms())


def _make_celebrity(res: Resources, user_id: int) -> None:
    with res.pg.connection() as conn:
        conn.execute(
            "UPDATE users SET follower_count = %s WHERE id = %s", (CELEBRITY_FOLLOWERS, user_id)
        )


def _post(res: Resources, author: int, *, fan_out: bool = True) -> int:
    tweet = Tweet(res.ids.next_id(), author, f"hello from {author}", _now_ms())
    tweet_store.put_tweet(res.dynamo, tweet)
    if fan_out:
        event = TweetCreated(at_ms=_now_ms(), tweet_id=tweet.tweet_id, user_id=author, text="x")
        fanout.fan_out_on_write(res, event)
    return tweet.tweet_id


def _retweet(res: Resources, user: int, original_id: int) -> int:
    original = tweet_store.get_tweet(res.dynamo, original_id)
    assert original is not None
    retweet = Tweet(
        res.ids.next_id(),
        user,
        "",
        _now_ms(),
        retweet_of=original.tweet_id,
        original_author_id=original.user_id,
    )
    tweet_store.retweet(res.dynamo, original, retweet)
    event = RetweetCreated(
        at_ms=_now_ms(),
        tweet_id=retweet.tweet_id,
        user_id=user,
        retweet_of=original.tweet_id,
        original_author_id=original.user_id,
    )
    fanout.fan_out_on_write(res, event)
    return retweet.tweet_id


def _read_all(res: Resources, guard: FeedGuard, user_id: int, limit: int = 3) -> list[str]:
    """Every tweet id of a feed, page by page."""
    ids: list[str] = []
    cursor = None
    for _ in range(100):
        page = read_feed(res, guard, user_id, limit, cursor)
        ids += [t.tweet_id for t in page.items]
        cursor = page.next_cursor
        if cursor is None:
            return ids
    raise AssertionError("the cursor never ended")


def _now_ms() -> int:
    return time.time_ns() // 1_000_000


def _sample(name: str) -> float:
    return REGISTRY.get_sample_value(name) or 0.0


def test_the_feed_is_newest_first_with_own_tweets_followees_and_retweets(res):
    reader, friend, other, stranger = _user(res), _user(res), _user(res), _user(res)
    _follow(res, reader, friend, other)
    posted = [_post(res, friend), _post(res, reader), _post(res, other)]
    strangers_tweet = _post(res, stranger)
    retweet = _retweet(res, friend, strangers_tweet)

    page = read_feed(res, _guard(res), reader, 10, None)

    assert [t.tweet_id for t in page.items] == [str(i) for i in [retweet, *reversed(posted)]]
    assert page.items[0].retweet_of is not None
    assert page.items[0].retweet_of.tweet_id == str(strangers_tweet)
    assert page.next_cursor is None
    assert not page.degraded


def test_pages_stay_put_while_new_tweets_arrive(res):
    reader, friend = _user(res), _user(res)
    _follow(res, reader, friend)
    old = [_post(res, friend) for _ in range(5)]
    guard = _guard(res)

    first = read_feed(res, guard, reader, 2, None)
    newer = _post(res, friend)
    second = read_feed(res, guard, reader, 2, first.next_cursor)
    third = read_feed(res, guard, reader, 2, second.next_cursor)

    assert [t.tweet_id for t in first.items] == [str(old[4]), str(old[3])]
    assert [t.tweet_id for t in second.items] == [str(old[2]), str(old[1])]
    assert [t.tweet_id for t in third.items] == [str(old[0])]
    assert third.next_cursor is None
    assert read_feed(res, guard, reader, 1, None).items[0].tweet_id == str(newer)


def test_a_regenerated_feed_equals_the_pushed_one(res):
    reader, friend, other, stranger = _user(res), _user(res), _user(res), _user(res)
    _follow(res, reader, friend, other)
    Timelines.of(res).mark_ready([reader])
    original = _post(res, friend)
    _post(res, other)
    _retweet(res, other, original)  # not shown twice: the original is in the feed
    _retweet(res, other, _post(res, stranger))
    _post(res, reader)
    guard = _guard(res)
    pushed = _read_all(res, guard, reader)
    assert len(pushed) == 4

    Timelines.of(res).drop([reader])
    misses, rebuilds = (
        _sample("chirp_feed_cache_misses_total"),
        _sample("chirp_feed_regenerations_total"),
    )
    regenerated = _read_all(res, guard, reader)

    assert regenerated == pushed
    assert _sample("chirp_feed_cache_misses_total") == misses + 1
    assert _sample("chirp_feed_regenerations_total") == rebuilds + 1
    assert Timelines.of(res).is_ready(reader)


def test_a_feed_rebuilt_from_recent_lists_equals_the_pushed_one(res):
    reader, friend, other, stranger = _user(res), _user(res), _user(res), _user(res)
    _follow(res, reader, friend, other)
    timelines = Timelines.of(res)
    timelines.mark_ready([reader])
    original = _post(res, friend)
    _retweet(res, other, original)  # not shown twice, from the lists too
    _retweet(res, other, _post(res, stranger))
    _post(res, reader)
    guard = _guard(res)
    pushed = _read_all(res, guard, reader)
    timelines.drop([reader])
    assert _read_all(res, guard, reader) == pushed  # this rebuild fills the lists

    assert timelines.rebuild_from_recent(reader, [reader, friend, other]) == []
    timelines.drop([reader])

    assert _read_all(res, guard, reader) == pushed
    assert timelines.is_ready(reader)


def test_a_feed_never_built_is_regenerated_from_dynamodb(res):
    reader, friend = _user(res), _user(res)
    _follow(res, reader, friend)
    stored = [_post(res, friend, fan_out=False) for _ in range(3)]
    hits = _sample("chirp_feed_cache_hits_total")
    guard = _guard(res)

    assert _read_all(res, guard, reader) == [str(i) for i in reversed(stored)]
    assert _read_all(res, guard, reader, limit=10) == [str(i) for i in reversed(stored)]
    assert _sample("chirp_feed_cache_hits_total") >= hits + 1


def test_a_rebuild_under_way_elsewhere_serves_the_page_from_dynamodb(res):
    reader, friend = _user(res), _user(res)
    _follow(res, reader, friend)
    stored = [_post(res, friend, fan_out=False) for _ in range(2)]
    timelines = Timelines.of(res)
    assert timelines.lock_rebuild(reader, "another-reader", 60)
    try:
        page = read_feed(res, _guard(res), reader, 10, None)
    finally:
        timelines.unlock_rebuild(reader, "another-reader")

    assert [t.tweet_id for t in page.items] == [str(i) for i in reversed(stored)]
    assert not page.degraded
    assert not timelines.is_ready(reader)  # only the lock holder builds it


def test_celebrity_tweets_are_merged_on_read(res):
    reader, friend, celebrity = _user(res), _user(res), _user(res)
    _follow(res, reader, friend, celebrity)
    _make_celebrity(res, celebrity)
    before_the_list = _post(res, celebrity, fan_out=False)  # the list must be filled
    friends_first = _post(res, friend)
    pulled = _post(res, celebrity)
    friends_last = _post(res, friend)

    ids = _read_all(res, _guard(res), reader, limit=2)

    assert ids == [str(i) for i in [friends_last, pulled, friends_first, before_the_list]]
    in_feed = {e.tweet_id for e in Timelines.of(res).members(reader)}
    assert pulled not in in_feed
    assert before_the_list not in in_feed


def test_redis_unreachable_serves_degraded_pages_from_dynamodb(res, no_redis):
    reader, friend, celebrity = _user(res), _user(res), _user(res)
    _follow(res, reader, friend, celebrity)
    _make_celebrity(res, celebrity)
    posted = [_post(res, friend), _post(res, celebrity), _post(res, reader), _post(res, friend)]
    degraded_reads = _sample("chirp_feed_degraded_reads_total")
    guard = _guard(no_redis)

    first = read_feed(no_redis, guard, reader, 3, None)
    rest = read_feed(no_redis, guard, reader, 3, first.next_cursor)

    assert first.degraded and rest.degraded
    assert [t.tweet_id for t in first.items + rest.items] == [str(i) for i in reversed(posted)]
    assert rest.next_cursor is None
    assert _sample("chirp_feed_degraded_reads_total") == degraded_reads + 2


def test_an_open_breaker_serves_degraded_without_trying_redis(res, no_redis):
    reader = _user(res)
    _post(res, reader)
    guard = _guard(res, breaker_fail_max=2, breaker_reset_s=3_600)
    for _ in range(2):
        assert read_feed(no_redis, guard, reader, 5, None).degraded

    page = read_feed(res, guard, reader, 5, None)  # Redis is fine, the breaker is open

    assert page.degraded
    assert len(page.items) == 1


def test_the_breaker_closes_by_itself_once_redis_answers(res, no_redis):
    reader = _user(res)
    _post(res, reader)
    guard = _guard(res, breaker_fail_max=1, breaker_reset_s=0.2)
    assert read_feed(no_redis, guard, reader, 5, None).degraded

    deadline = time.monotonic() + 30
    while read_feed(res, guard, reader, 5, None).degraded:
        assert time.monotonic() < deadline, "the breaker never closed"
        time.sleep(0.1)
    assert not read_feed(res, guard, reader, 5, None).degraded


def test_degraded_reads_over_the_cap_get_503_with_retry_after(res, no_redis):
    reader = _user(res)
    guard = _guard(res, degraded_max_concurrency=1)
    assert guard.degraded_slots.acquire(blocking=False)  # another request holds the slot
    try:
        with pytest.raises(ApiError) as refused:
            read_feed(no_redis, guard, reader, 5, None)
    finally:
        guard.degraded_slots.release()

    assert refused.value.status == 503
    assert int(refused.value.headers["Retry-After"]) >= 1
    assert read_feed(no_redis, guard, reader, 5, None).degraded  # the slot is free again


def test_forged_cursor_is_a_400(res):
    with pytest.raises(ApiError) as caught:
        read_feed(res, _guard(res), _user(res), 5, "bm90LWEtY3Vyc29y")
    assert caught.value.status == 400


# ---------------------------------------------------------------- GET /api/v1/feed


@contextmanager
def _gateway(settings: Settings) -> Iterator[httpx.Client]:
    """A gateway with the feed router, served by uvicorn in a thread on a free port."""
    port = free_port()
    app = create_app(settings, services=["feed"])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the gateway did not start"
        time.sleep(0.05)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
            yield client
    finally:
        server.should_exit = True
        thread.join(timeout=15)


def _member(res: Resources) -> tuple[int, dict[str, str]]:
    token, token_hash = auth.issue_token()
    return _user(res, token_hash), {"Authorization": f"Bearer {token}"}


def test_route_serves_the_callers_own_feed_only(res):
    reader, headers = _member(res)
    someone = _user(res)
    _follow(res, reader, someone)
    posted = [_post(res, someone) for _ in range(3)]
    with _gateway(res.settings) as client:
        ok = client.get("/api/v1/feed", params={"userId": reader, "limit": 2}, headers=headers)
        rest = client.get(
            "/api/v1/feed",
            params={"userId": reader, "cursor": ok.json()["next_cursor"]},
            headers=headers,
        )
        anonymous = client.get("/api/v1/feed", params={"userId": reader})
        other = client.get("/api/v1/feed", params={"userId": someone}, headers=headers)
        unknown = client.get("/api/v1/feed", params={"userId": 12345}, headers=headers)
        too_many = client.get(
            "/api/v1/feed", params={"userId": reader, "limit": 101}, headers=headers
        )
        forged = client.get(
            "/api/v1/feed", params={"userId": reader, "cursor": "%%%"}, headers=headers
        )

    assert ok.status_code == 200
    assert [t["tweet_id"] for t in ok.json()["items"]] == [str(posted[2]), str(posted[1])]
    assert "X-Chirp-Degraded" not in ok.headers
    assert [t["tweet_id"] for t in rest.json()["items"]] == [str(posted[0])]
    assert rest.json()["next_cursor"] is None
    assert anonymous.status_code == 401
    assert other.status_code == 403
    assert unknown.status_code == 404
    assert too_many.status_code == 422
    assert forged.status_code == 422  # outside the cursor's documented pattern
    for answer in (anonymous, other, unknown, too_many, forged):
        assert set(answer.json()["error"]) == {"code", "message"}


def test_route_flags_a_degraded_feed(res):
    reader, headers = _member(res)
    posted = _post(res, reader)
    settings = _without_redis(res.settings)
    with _gateway(settings) as client:
        answer = client.get("/api/v1/feed", params={"userId": reader}, headers=headers)

    assert answer.status_code == 200
    assert answer.headers["X-Chirp-Degraded"] == "1"
    assert [t["tweet_id"] for t in answer.json()["items"]] == [str(posted)]


# ---------------------------------------------------------------- bounded rebuilds


def _capped(res: Resources, **overrides: object) -> Resources:
    return dataclasses.replace(res, settings=res.settings.model_copy(update=overrides))


def test_a_rebuild_reads_only_the_most_recent_followees(res):
    reader, *followees = (_user(res) for _ in range(6))
    _follow(res, reader, *followees)  # one at a time: the last one is the most recent
    reads.note_write(res, reader)  # as the API does: the next reads see these follows
    capped = _capped(res, feed_rebuild_max_followees=2)
    assert sorted(pushed_authors(capped, reader)) == sorted([reader, *followees[-2:]])


def test_a_degraded_read_reads_only_the_most_recent_followees(res, no_redis):
    reader, *friends = (_user(res) for _ in range(3))
    _follow(res, reader, *friends)
    posted = {friend: _post(res, friend, fan_out=False) for friend in friends}
    capped = _capped(no_redis, feed_rebuild_max_followees=1)
    page = read_feed(capped, _guard(capped), reader, 10, None)
    assert page.degraded
    assert [t.tweet_id for t in page.items] == [str(posted[friends[-1]])]


def test_a_reader_waits_no_longer_than_the_setting_for_anothers_rebuild(res, monkeypatch):
    reader, friend = _user(res), _user(res)
    _follow(res, reader, friend)
    _post(res, friend, fan_out=False)
    polls = []
    real = Timelines.is_ready
    monkeypatch.setattr(
        Timelines, "is_ready", lambda self, uid: polls.append(uid) or real(self, uid)
    )
    timelines = Timelines.of(res)
    assert timelines.lock_rebuild(reader, "another-reader", 60)
    try:
        page = read_feed(_capped(res, feed_rebuild_wait_s=0), _guard(res), reader, 10, None)
    finally:
        timelines.unlock_rebuild(reader, "another-reader")
    assert len(page.items) == 1
    assert polls == []
