"""The read path's pure parts: merge order, retweet dedup on a page, cursors, the breaker."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pybreaker
import pytest
import redis

from chirp.stack.feed.entries import Entry
from chirp.stack.feed.read import (
    RedisBreaker,
    drop_repeated_retweets,
    make_cursor,
    merge_newest_first,
    parse_cursor,
)
from chirp.stack.gateway.errors import ApiError
from chirp.stack.tweets.schemas import TweetPublic


def _entries(*ids: int) -> list[Entry]:
    return [Entry(i, i % 7) for i in ids]


def test_merge_is_newest_first_each_tweet_once_and_limited():
    feed = _entries(90, 70, 50, 10)
    celeb_a = _entries(80, 50, 20)
    celeb_b = _entries(95, 60)
    merged = merge_newest_first([feed, celeb_a, celeb_b], limit=6)
    assert [e.tweet_id for e in merged] == [95, 90, 80, 70, 60, 50]


def test_merge_of_nothing_is_empty():
    assert merge_newest_first([[], []], limit=5) == []


def _tweet(tweet_id: int, retweet_of: TweetPublic | None = None) -> TweetPublic:
    return TweetPublic(
        tweet_id=str(tweet_id),
        user_id="1",
        text="" if retweet_of else f"tweet {tweet_id}",
        created_at=datetime(2025, 1, 1, tzinfo=UTC),
        hashtags=[],
        mentions=[],
        like_count=0,
        retweet_count=0,
        reply_to=None,
        retweet_of=retweet_of,
        edited_at=None,
    )


def test_a_retweet_of_a_tweet_on_the_page_is_dropped():
    original = _tweet(10)
    page = [_tweet(30, retweet_of=original), _tweet(20), original]
    assert [t.tweet_id for t in drop_repeated_retweets(page)] == ["20", "10"]


def test_of_several_retweets_of_one_tweet_the_earliest_stays():
    original = _tweet(10)
    page = [_tweet(40, retweet_of=original), _tweet(35), _tweet(30, retweet_of=original)]
    assert [t.tweet_id for t in drop_repeated_retweets(page)] == ["35", "30"]


def test_a_retweet_whose_original_is_elsewhere_stays():
    page = [_tweet(40, retweet_of=_tweet(10)), _tweet(35)]
    assert drop_repeated_retweets(page) == page


def test_cursor_round_trip_points_below_the_last_tweet():
    assert parse_cursor(make_cursor(7_300_000_000_000_000_123)) == 7_300_000_000_000_000_123
    assert parse_cursor(None) is None
    assert parse_cursor("") is None


@pytest.mark.parametrize("raw", ["not-a-cursor!", "eyJiZWZvcmUiOjV9", "-3", "1.5", "1" + "0" * 40])
def test_forged_cursors_are_a_400(raw):
    with pytest.raises(ApiError) as caught:
        parse_cursor(raw)
    assert caught.value.status == 400


def test_a_cursor_past_the_64_bit_range_reads_as_the_top():
    assert parse_cursor("9" * 19) == 2**63 - 1


class _Calls:
    def __init__(self, fail: bool) -> None:
        self.fail = fail
        self.count = 0

    def __call__(self) -> str:
        self.count += 1
        if self.fail:
            raise redis.ConnectionError("refused")
        return "ok"


def _trip(breaker: RedisBreaker, fail_max: int) -> None:
    for _ in range(fail_max):
        with pytest.raises((redis.RedisError, pybreaker.CircuitBreakerError)):
            breaker.run(_Calls(fail=True))


def test_breaker_opens_after_fail_max_redis_errors_and_then_refuses_without_calling():
    breaker = RedisBreaker(fail_max=3, reset_s=3_600)
    _trip(breaker, 3)
    assert breaker.state == pybreaker.STATE_OPEN
    healthy = _Calls(fail=False)
    with pytest.raises(pybreaker.CircuitBreakerError):
        breaker.run(healthy)
    assert healthy.count == 0


def test_breaker_closes_after_a_successful_trial_call():
    breaker = RedisBreaker(fail_max=2, reset_s=0)
    _trip(breaker, 2)
    assert breaker.state == pybreaker.STATE_OPEN
    assert breaker.run(_Calls(fail=False)) == "ok"
    assert breaker.state == pybreaker.STATE_CLOSED


def test_a_success_resets_the_failure_count():
    breaker = RedisBreaker(fail_max=2, reset_s=3_600)
    _trip(breaker, 1)
    breaker.run(_Calls(fail=False))
    _trip(breaker, 1)
    assert breaker.state == pybreaker.STATE_CLOSED


def test_errors_other_than_redis_do_not_count():
    breaker = RedisBreaker(fail_max=1, reset_s=3_600)

    def broken() -> None:
        raise ValueError("not Redis")

    with pytest.raises(ValueError):
        breaker.run(broken)
    assert breaker.state == pybreaker.STATE_CLOSED


_CALLERS = 20
_WAIT_S = 10  # only bounds a broken run; a passing one never waits this long


class _Crowd:
    """`_CALLERS` threads released together against one breaker. An admitted call
    stays in flight until every caller has been admitted or refused, so no caller
    can slip in after an earlier one finished."""

    def __init__(self, breaker: RedisBreaker, *, fail: bool = False) -> None:
        self.breaker = breaker
        self.fail = fail
        self.admitted: set[int] = set()
        self.refused = 0
        self._changed = threading.Condition()
        self._start = threading.Barrier(_CALLERS)

    def run(self) -> None:
        threads = [threading.Thread(target=self._caller) for _ in range(_CALLERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _caller(self) -> None:
        self._start.wait(_WAIT_S)
        try:
            self.breaker.run(self._work)
        except (redis.RedisError, pybreaker.CircuitBreakerError):  # a failed trial trips it
            with self._changed:
                if threading.get_ident() not in self.admitted:
                    self.refused += 1
                    self._changed.notify_all()

    def _work(self) -> str:
        with self._changed:
            self.admitted.add(threading.get_ident())
            self._changed.notify_all()
            self._changed.wait_for(lambda: len(self.admitted) + self.refused == _CALLERS, _WAIT_S)
        if self.fail:
            raise redis.ConnectionError("still refused")
        return "ok"


def _half_open_due(fail_max: int = 1) -> RedisBreaker:
    breaker = RedisBreaker(fail_max=fail_max, reset_s=0)
    _trip(breaker, fail_max)
    return breaker


def test_a_half_open_breaker_admits_one_trial_and_refuses_the_rest_at_once():
    breaker = _half_open_due()
    crowd = _Crowd(breaker)
    crowd.run()
    assert (len(crowd.admitted), crowd.refused) == (1, _CALLERS - 1)
    assert breaker.state == pybreaker.STATE_CLOSED


def test_a_failed_trial_opens_the_breaker_again_and_the_rest_were_refused():
    breaker = RedisBreaker(fail_max=1, reset_s=3_600)
    _trip(breaker, 1)
    breaker._storage.opened_at = None  # the reset timeout has run out
    crowd = _Crowd(breaker, fail=True)
    crowd.run()
    assert (len(crowd.admitted), crowd.refused) == (1, _CALLERS - 1)
    assert breaker.state == pybreaker.STATE_OPEN
    with pytest.raises(pybreaker.CircuitBreakerError):
        breaker.run(_Calls(fail=False))


def test_a_closed_breaker_lets_every_caller_in_side_by_side():
    crowd = _Crowd(RedisBreaker(fail_max=3, reset_s=3_600))
    crowd.run()
    assert (len(crowd.admitted), crowd.refused) == (_CALLERS, 0)


def test_a_trial_ending_in_another_error_lets_the_next_caller_try():
    breaker = _half_open_due()

    def broken() -> None:
        raise ValueError("not Redis")

    with pytest.raises(ValueError):
        breaker.run(broken)
    assert breaker.state == pybreaker.STATE_HALF_OPEN
    assert breaker.run(_Calls(fail=False)) == "ok"
    assert breaker.state == pybreaker.STATE_CLOSED
