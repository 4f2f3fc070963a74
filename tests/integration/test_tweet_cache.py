"""The tweet cache never brings back what a delete or an edit replaced.

The race is played out in order, not in time: a hydrate reads the tweet (as an eventually
consistent read may, just before the change), the change happens, then that hydrate
writes what it read to the cache.
"""

from __future__ import annotations

import pytest

from chirp.stack.tweets import cache, hydrate
from chirp.stack.tweets import store as tweet_store
from tests.api import Api

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def api(stack) -> Api:
    return Api(f"http://127.0.0.1:{stack.port('lb_port')}")


def _read_now(res, user_id: int, tweet_id: int):
    return tweet_store.get_tweets(res.dynamo, [(user_id, tweet_id)])[tweet_id]


def test_a_read_from_before_a_delete_is_not_cached_after_it(api, res):
    ada = api.sign_up("ada")
    tweet = api.post(ada, "soon gone")
    key = (int(ada.user_id), int(tweet["tweet_id"]))
    stale = _read_now(res, *key)
    deleted = api.http.delete(f"/api/v1/tweets/{tweet['tweet_id']}", headers=ada.auth)
    assert deleted.status_code == 204
    cache.put_many(res.redis, [stale], res.settings.tweet_cache_ttl_s)
    assert hydrate.hydrate(res, [key]) == []


def test_a_read_from_before_an_edit_is_not_cached_after_it(api, res):
    ada = api.sign_up("ada")
    tweet = api.post(ada, "first words")
    key = (int(ada.user_id), int(tweet["tweet_id"]))
    stale = _read_now(res, *key)
    path = f"/api/v1/tweets/{tweet['tweet_id']}"
    assert api.http.patch(path, json={"text": "second words"}, headers=ada.auth).status_code == 200
    cache.put_many(res.redis, [stale], res.settings.tweet_cache_ttl_s)
    (shown,) = hydrate.hydrate(res, [key])
    assert shown.text == "second words"
