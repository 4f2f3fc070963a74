"""The trending worker against real Redis, and GET /trending over what it ranks."""

from __future__ import annotations

import time
import uuid

import httpx
import pytest

from chirp.infra.provision.local.ports import free_port
from chirp.stack import events
from chirp.stack.ids import id_at_ms
from chirp.stack.trending import score
from chirp.stack.trending.worker import TrendingWorker
from tests.integration.workers_support import served

pytestmark = pytest.mark.integration


@pytest.fixture
def worker(res):
    return TrendingWorker(res)


def _tag(prefix):
    return f"{prefix}{uuid.uuid4().hex[:12]}"


def _tweet(res, hashtags, text=None, user_id=1):
    tweet_id = res.ids.next_id()
    return events.TweetCreated(
        at_ms=int(time.time() * 1000),
        tweet_id=tweet_id,
        user_id=user_id,
        text=text or " ".join(f"#{h}" for h in hashtags),
        hashtags=hashtags,
    )


def _counts(worker, scope, tag):
    minutes = score.window_minutes(int(time.time() * 1000), worker.window_s)
    return sum(worker.store.counts(scope, minutes).get(tag, {}).values())


def _ranking(worker, scope):
    return dict(worker.store.top(scope, 100))


def test_more_mentions_rank_higher_and_a_redelivered_tweet_counts_once(res, worker):
    hot, warm = _tag("hot"), _tag("warm")
    batch = [_tweet(res, [hot]) for _ in range(3)] + [_tweet(res, [warm])]
    worker.handle(batch)
    worker.handle(batch)  # the whole batch redelivered
    worker.handle(batch[:1])  # and one tweet once more
    worker.rerank(["global"])

    assert _counts(worker, "global", hot) == 3
    assert _counts(worker, "global", warm) == 1
    ranking = _ranking(worker, "global")
    assert ranking[hot] > ranking[warm] > 0


def test_the_language_scope_holds_only_that_languages_tweets(res, worker):
    english, spanish = _tag("en"), _tag("es")
    worker.handle(
        [
            _tweet(res, [english], text=f"the match is on tonight #{english}"),
            _tweet(res, [spanish], text=f"el partido es muy bueno #{spanish}"),
            _tweet(res, [spanish], text=f"hola #{spanish}", user_id=2),
        ]
    )
    worker.rerank()

    assert english in _ranking(worker, "lang:en")
    assert spanish not in _ranking(worker, "lang:en")
    assert spanish in _ranking(worker, "lang:es")
    assert {english, spanish} <= set(_ranking(worker, "global"))
    assert "lang:en" in worker.store.scopes()


def test_a_delete_uncounts_and_a_replayed_create_does_not_count_again(res, worker):
    tag = _tag("del")
    first, second = _tweet(res, [tag]), _tweet(res, [tag])
    worker.handle([first, second])
    deleted = events.TweetDeleted(at_ms=first.at_ms + 10, tweet_id=first.tweet_id, user_id=1)
    worker.handle([deleted])
    worker.handle([first, deleted, first])
    assert _counts(worker, "global", tag) == 1


def test_an_edit_moves_the_count_to_the_new_hashtags_once(res, worker):
    before, after = _tag("before"), _tag("after")
    tweet = _tweet(res, [before])
    edit = events.TweetEdited(
        at_ms=tweet.at_ms + 1_000,
        tweet_id=tweet.tweet_id,
        user_id=1,
        text=f"#{after}",
        hashtags=[after],
        old_hashtags=[before],
    )
    worker.handle([tweet, edit])
    worker.handle([edit, tweet])  # redelivered, out of order
    assert _counts(worker, "global", before) == 0
    assert _counts(worker, "global", after) == 1


def test_a_tweet_older_than_the_window_is_not_counted(res, worker):
    tag = _tag("old")
    old_ms = int(time.time() * 1000) - (worker.window_s + 600) * 1000
    event = events.TweetCreated(
        at_ms=old_ms, tweet_id=id_at_ms(old_ms), user_id=1, text=f"#{tag}", hashtags=[tag]
    )
    worker.handle([event])
    worker.rerank(["global"])
    assert tag not in _ranking(worker, "global")


def test_the_route_serves_the_ranking_with_its_rules(res, stack):
    worker = TrendingWorker(res)
    tag = _tag("route")
    worker.handle([_tweet(res, [tag]) for _ in range(50)])  # many: in the top 10
    worker.rerank(["global"])
    with served(stack.settings(), ["trending"]) as url:
        answer = httpx.get(f"{url}/api/v1/trending", params={"scope": "global", "limit": 10})
        assert answer.status_code == 200
        body = answer.json()
        assert body["scope"] == "global"
        assert body["items"][0]["hashtag"] == tag
        assert len(body["items"]) <= 10
        assert [i["score"] for i in body["items"]] == sorted(
            (i["score"] for i in body["items"]), reverse=True
        )

        quiet = httpx.get(f"{url}/api/v1/trending", params={"scope": "lang:zz"})
        assert quiet.status_code == 200
        assert quiet.json() == {"items": [], "scope": "lang:zz"}
        for params in ({"scope": "nowhere"}, {"limit": 0}, {"limit": 51}):
            refused = httpx.get(f"{url}/api/v1/trending", params=params)
            assert refused.status_code == 422
            assert refused.json()["error"]["code"] == "invalid"


def test_the_route_answers_503_when_redis_is_unreachable(stack):
    dead = stack.settings().model_copy(update={"redis_port": free_port(), "redis_sentinel": False})
    with served(dead, ["trending"]) as url:
        answer = httpx.get(f"{url}/api/v1/trending", params={"scope": "lang:qq"})
        assert answer.status_code == 503
        assert answer.headers["Retry-After"]
        assert answer.json()["error"]["code"] == "unavailable"
